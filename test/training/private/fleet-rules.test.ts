import { gpuInstanceFacts } from '../../../lib/training/instance-types';
import {
  checkStuckJobTimeout,
  cpuFleetFacts,
  defaultTrainingSize,
  efaSetting,
  gpuFleetFacts,
  jobFit,
  maxNodesOf,
  multiNodeFacts,
  RuleViolation,
  scaleUpAdvice,
} from '../../../lib/training/private/fleet-rules';

// Pure rules: no construct, no synthesis.

function violation(fn: () => unknown): RuleViolation {
  try {
    fn();
  } catch (err) {
    if (err instanceof RuleViolation) return err;
    throw err;
  }
  throw new Error('no violation');
}

describe('gpuFleetFacts', () => {
  test('admits P-family types and drops duplicates', () => {
    expect(gpuFleetFacts(['p4d.24xlarge', 'p4d.24xlarge', 'p5.48xlarge'], false).map((f) => f.instanceType)).toEqual(['p4d.24xlarge', 'p5.48xlarge']);
  });
  test('admits G5 only with the development opt-in', () => {
    expect(gpuFleetFacts(['g5.xlarge'], true)[0].gpus).toBe(1);
    expect(violation(() => gpuFleetFacts(['g5.xlarge'], false))).toMatchObject({ prop: 'gpuInstanceTypes', value: 'g5.xlarge' });
  });
  test('fails when the list is empty or a type is unknown', () => {
    expect(violation(() => gpuFleetFacts([], false)).rule).toBe('must hold at least one instance type');
    expect(violation(() => gpuFleetFacts(['c6i.large'], false)).rule).toMatch(/^must be one of p/);
  });
});

describe('cpuFleetFacts', () => {
  test('admits C-family types, and M and R only when allowed', () => {
    expect(cpuFleetFacts(['c6i.2xlarge', 'm7i.4xlarge'], true)).toHaveLength(2);
    expect(violation(() => cpuFleetFacts(['m7i.4xlarge'], false)).rule).toMatch(/M and R need allowGeneralPurposeCpuInstances/);
  });
  test('fails when x86 and Graviton types are mixed', () => {
    expect(violation(() => cpuFleetFacts(['c6i.2xlarge', 'c7g.2xlarge'], false)).rule).toMatch(/all x86 or all Arm/);
  });
});

describe('efaSetting', () => {
  const p4d = gpuFleetFacts(['p4d.24xlarge'], false);
  test('turns EFA on with the interfaces of the types when every type has it', () => {
    expect(efaSetting(p4d, undefined)).toEqual({ enabled: true, interfaces: 4 });
    expect(efaSetting(p4d, false)).toEqual({ enabled: false, interfaces: 0 });
  });
  test('fails when a type lacks EFA, or the interface counts differ', () => {
    expect(violation(() => efaSetting(gpuFleetFacts(['g5.xlarge'], true), true)).prop).toBe('efaEnabled');
    expect(violation(() => efaSetting(gpuFleetFacts(['p4d.24xlarge', 'p5.48xlarge'], false), undefined)).rule).toMatch(/one EFA interface count/);
  });
});

describe('jobFit', () => {
  const facts = gpuFleetFacts(['p3.8xlarge', 'p3.16xlarge'], false);
  test('accepts a job that fits every type, without advice', () => {
    expect(jobFit('training', facts, 4, 32, 200)).toBeUndefined();
  });
  test('advises when a job fits only some types', () => {
    expect(jobFit('training', facts, 8, 64, 400)).toMatchObject({ id: 'JobDoesNotFitEveryType:training', message: expect.stringContaining('p3.8xlarge never run it') });
  });
  test('fails when a job asks for more than any type has', () => {
    expect(violation(() => jobFit('training', facts, 16, 8, 8))).toMatchObject({ prop: 'trainingGpus', value: 16 });
    expect(violation(() => jobFit('preprocess', facts, 0, 2, 100000))).toMatchObject({ prop: 'preprocessMemoryGiB', value: 100000 });
  });
});

describe('sizes, nodes and advice', () => {
  const p3 = gpuFleetFacts(['p3.8xlarge', 'p3.16xlarge'], false);
  test('sizes the default training job to the smallest type', () => {
    expect(defaultTrainingSize(p3)).toMatchObject({ gpus: 4, vcpus: 32 });
  });
  test('runs multi-node on the largest type unless told, and only on an allowed one', () => {
    expect(multiNodeFacts(p3, undefined).instanceType).toBe('p3.16xlarge');
    expect(violation(() => multiNodeFacts(p3, 'p5.48xlarge')).prop).toBe('multiNodeInstanceType');
  });
  test('counts the nodes the GPU environment holds', () => {
    expect(maxNodesOf(gpuInstanceFacts('p4d.24xlarge')!, 768)).toBe(8);
  });
  test('advises scaling up before out', () => {
    expect(scaleUpAdvice(p3[0], p3)?.id).toBe('ScaleUpBeforeOut');
    expect(scaleUpAdvice(p3[1], p3)).toBeUndefined();
  });
  test('bounds the stuck-job timeout by Batch\u2019s 600 to 86,400 seconds', () => {
    expect(() => checkStuckJobTimeout(600, '10 minutes')).not.toThrow();
    expect(() => checkStuckJobTimeout(86400, '1 day')).not.toThrow();
    expect(violation(() => checkStuckJobTimeout(172800, '2 days'))).toMatchObject({ prop: 'stuckJobTimeout', value: '2 days' });
    expect(violation(() => checkStuckJobTimeout(599, '599 seconds')).prop).toBe('stuckJobTimeout');
  });
});

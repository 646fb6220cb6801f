/**
 * The pure rules of a TrainingCluster: which instance types a fleet admits, EFA, whether a job fits,
 * and the scale-up advice. No constructs here: each rule takes plain values and either returns what
 * it decided or throws a {@link RuleViolation}, which the construct turns into its error (with its path).
 */
import {
  cpuInstanceFacts,
  gpuInstanceFacts,
  instanceClassLetter,
  instanceFamily,
  InstanceTypeFacts,
  isGraviton,
  knownGpuInstanceTypes,
  schedulableMemoryMiB,
} from '../instance-types';

/** A broken rule: the prop, the rule and the value given. The construct adds its path. */
export class RuleViolation extends Error {
  constructor(
    public readonly prop: string,
    public readonly rule: string,
    public readonly value: unknown,
  ) {
    super(`${prop} ${rule}`);
    this.name = 'RuleViolation';
  }
}

/** Advice that is not an error: a warning id (after `cdk-ml-at-scale:`) and its message. */
export interface Advice {
  readonly id: string;
  readonly message: string;
}

export const DEFAULT_GPU_TYPES = ['p4d.24xlarge'];
export const DEFAULT_CPU_TYPES = ['c6i.2xlarge', 'c6i.4xlarge', 'c6a.2xlarge', 'c6a.4xlarge'];

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/** The facts of the GPU fleet's types: P family, and G family when development instances are allowed. */
export function gpuFleetFacts(types: string[], allowDevelopment: boolean): InstanceTypeFacts[] {
  if (types.length === 0) throw new RuleViolation('gpuInstanceTypes', 'must hold at least one instance type', types);
  const allowed = allowDevelopment ? ['p', 'g'] : ['p'];
  return unique(types).map((type) => {
    const letter = instanceClassLetter(type);
    if (letter === 'g' && !allowDevelopment) {
      throw new RuleViolation('gpuInstanceTypes', 'must be P-family types; G-family types need allowGpuDevelopmentInstances: true', type);
    }
    const facts = gpuInstanceFacts(type);
    if (!allowed.includes(letter) || !facts) {
      const known = knownGpuInstanceTypes().filter((t) => allowed.includes(instanceClassLetter(t)));
      throw new RuleViolation('gpuInstanceTypes', `must be one of ${known.join(', ')}`, type);
    }
    return facts;
  });
}

/** The facts of the CPU fleet's types: C family (M and R when allowed), one architecture. */
export function cpuFleetFacts(types: string[], allowGeneralPurpose: boolean): InstanceTypeFacts[] {
  if (types.length === 0) throw new RuleViolation('cpuInstanceTypes', 'must hold at least one instance type', types);
  const facts = unique(types).map((type) => {
    const letter = instanceClassLetter(type);
    if ((letter === 'm' || letter === 'r') && !allowGeneralPurpose) {
      throw new RuleViolation('cpuInstanceTypes', 'must be C-family types; M and R need allowGeneralPurposeCpuInstances: true', type);
    }
    const f = cpuInstanceFacts(type);
    if (!f) {
      throw new RuleViolation(
        'cpuInstanceTypes',
        `must be ${allowGeneralPurpose ? 'C, M or R' : 'C'}-family types of the 5th generation or newer with a size from large to 48xlarge`,
        type,
      );
    }
    return f;
  });
  if (new Set(facts.map((f) => isGraviton(f.instanceType))).size > 1) {
    throw new RuleViolation('cpuInstanceTypes', 'must be all x86 or all Arm (Graviton): a container image is built for one', types);
  }
  return facts;
}

/** Whether the GPU fleet gets EFA, and how many interfaces per instance (one launch template serves every type). */
export function efaSetting(gpuFacts: InstanceTypeFacts[], efaEnabled: boolean | undefined): { enabled: boolean; interfaces: number } {
  const allEfa = gpuFacts.every((f) => f.efaInterfaces > 0);
  const enabled = efaEnabled ?? allEfa;
  if (!enabled) return { enabled, interfaces: 0 };
  if (!allEfa) {
    const without = gpuFacts.filter((f) => f.efaInterfaces === 0).map((f) => f.instanceType);
    throw new RuleViolation('efaEnabled', `needs every GPU instance type to support EFA (${without.join(', ')} do not)`, true);
  }
  if (new Set(gpuFacts.map((f) => f.efaInterfaces)).size > 1) {
    const counts = gpuFacts.map((f) => `${f.instanceType}: ${f.efaInterfaces}`).join(', ');
    throw new RuleViolation(
      'gpuInstanceTypes',
      `must share one EFA interface count when EFA is on, since one launch template serves them all (${counts}); use one TrainingCluster per count, or set efaEnabled: false`,
      gpuFacts.map((f) => f.instanceType),
    );
  }
  return { enabled, interfaces: gpuFacts[0].efaInterfaces };
}

/** The default size of the single-node training job: the smallest GPU instance type, whole. */
export function defaultTrainingSize(gpuFacts: InstanceTypeFacts[]): { gpus: number; vcpus: number; memoryGiB: number } {
  const smallest = (pick: (f: InstanceTypeFacts) => number) => Math.min(...gpuFacts.map(pick));
  return {
    gpus: smallest((f) => f.gpus),
    vcpus: smallest((f) => f.vcpus),
    memoryGiB: Math.floor(smallest((f) => schedulableMemoryMiB(f)) / 1024),
  };
}

/**
 * A job asking for more than every allowed instance has waits in RUNNABLE forever: throws then.
 * Returns advice when the job fits only some of the types.
 */
export function jobFit(job: 'preprocess' | 'training', facts: InstanceTypeFacts[], gpus: number, vcpus: number, memoryGiB: number): Advice | undefined {
  const memoryMiB = Math.floor(memoryGiB * 1024);
  const checks: Array<[string, number, (f: InstanceTypeFacts) => number, string]> = [
    [`${job}Gpus`, gpus, (f) => f.gpus, 'GPUs'],
    [`${job}Vcpus`, vcpus, (f) => f.vcpus, 'vCPUs'],
    [`${job}MemoryGiB`, memoryMiB, (f) => schedulableMemoryMiB(f), 'MiB schedulable memory'],
  ];
  for (const [prop, wanted, has, unit] of checks) {
    if (wanted <= Math.max(...facts.map(has))) continue;
    const offer = facts.map((f) => `${f.instanceType}: ${has(f)} ${unit}`).join(', ');
    const shown = prop.endsWith('MemoryGiB') ? memoryGiB : wanted;
    throw new RuleViolation(prop, `must fit an allowed instance type, or the job waits in RUNNABLE forever (${offer})`, shown);
  }
  const fitting = facts.filter((f) => gpus <= f.gpus && vcpus <= f.vcpus && memoryMiB <= schedulableMemoryMiB(f));
  if (fitting.length === 0) {
    throw new RuleViolation(
      `${job}Gpus`,
      `with ${vcpus} vCPUs and ${memoryGiB} GiB must fit one allowed instance type together, or the job waits in RUNNABLE forever`,
      gpus,
    );
  }
  const idle = facts.filter((f) => !fitting.includes(f)).map((f) => f.instanceType);
  if (idle.length === 0) return undefined;
  return {
    id: `JobDoesNotFitEveryType:${job}`,
    message: `The ${job} job (${gpus} GPUs, ${vcpus} vCPUs, ${memoryGiB} GiB) fits only ${fitting.map((f) => f.instanceType).join(', ')}: the allowed type(s) ${idle.join(', ')} never run it. Drop them, or size the job to fit every allowed type.`,
  };
}

/** The instance type of the multi-node job: the one given (which must be allowed), else the largest. */
export function multiNodeFacts(gpuFacts: InstanceTypeFacts[], instanceType: string | undefined): InstanceTypeFacts {
  if (instanceType === undefined) return [...gpuFacts].sort((a, b) => b.gpus - a.gpus || b.vcpus - a.vcpus)[0];
  const f = gpuFacts.find((g) => g.instanceType === instanceType);
  if (!f) {
    throw new RuleViolation('multiNodeInstanceType', `must be one of gpuInstanceTypes (${gpuFacts.map((g) => g.instanceType).join(', ')})`, instanceType);
  }
  return f;
}

/** The most nodes of `used` that the GPU environment holds at once (`gpuMaxVcpus` / vCPUs per node). */
export function maxNodesOf(used: InstanceTypeFacts, gpuMaxVcpus: number): number {
  return Math.floor(gpuMaxVcpus / used.vcpus);
}

/** Scale up, then out: more nodes of a smaller size than allowed costs network time for nothing. */
export function scaleUpAdvice(used: InstanceTypeFacts, gpuFacts: InstanceTypeFacts[]): Advice | undefined {
  const bigger = gpuFacts.filter(
    (f) => instanceFamily(f.instanceType) === instanceFamily(used.instanceType) && (f.gpus > used.gpus || (f.gpus === used.gpus && f.vcpus > used.vcpus)),
  );
  if (bigger.length === 0) return undefined;
  const best = bigger.sort((a, b) => b.gpus - a.gpus || b.vcpus - a.vcpus)[0];
  return {
    id: 'ScaleUpBeforeOut',
    message: `The multi-node job runs on ${used.instanceType} (${used.gpus} GPUs) while ${best.instanceType} (${best.gpus} GPUs) of the same family is allowed. Scale up, then out: fill the bigger instance first, since GPUs within an instance talk over NVLink and across instances over the network.`,
  };
}

/**
 * Batch's `jobStateTimeLimitActions.maxTimeSeconds`: 600 to 86,400 seconds.
 * @see https://docs.aws.amazon.com/batch/latest/APIReference/API_JobStateTimeLimitAction.html
 */
export const STUCK_JOB_TIMEOUT_SECONDS = { min: 600, max: 86400 };

/** Throws unless a stuck-job timeout lies within Batch's bounds. */
export function checkStuckJobTimeout(seconds: number, shown: string): void {
  if (seconds < STUCK_JOB_TIMEOUT_SECONDS.min || seconds > STUCK_JOB_TIMEOUT_SECONDS.max) {
    throw new RuleViolation('stuckJobTimeout', 'must be from 10 minutes (600 s) to 24 hours (86,400 s), the bounds of Batch\u2019s maxTimeSeconds', shown);
  }
}

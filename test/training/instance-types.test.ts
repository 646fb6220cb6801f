import { cpuInstanceFacts, gpuInstanceFacts, instanceClassLetter, instanceFamily, isGraviton, knownGpuInstanceTypes, schedulableMemoryMiB } from '../../lib/training';

describe('GPU instance facts', () => {
  test.each([
    ['p4d.24xlarge', 4],
    ['p4de.24xlarge', 4],
    ['p5.48xlarge', 32],
    ['p5e.48xlarge', 32],
    ['p5en.48xlarge', 16],
    ['p6-b200.48xlarge', 8],
  ])('%s has 8 GPUs and %i EFA interfaces', (type, efa) => {
    expect(gpuInstanceFacts(type)).toMatchObject({ gpus: 8, efaInterfaces: efa, nvmeVolumes: 8 });
  });

  test('P3 has no EFA except p3dn', () => {
    expect(gpuInstanceFacts('p3.16xlarge')?.efaInterfaces).toBe(0);
    expect(gpuInstanceFacts('p3dn.24xlarge')?.efaInterfaces).toBe(1);
  });

  test('knows no type outside the table', () => {
    expect(gpuInstanceFacts('p2.xlarge')).toBeUndefined();
    expect(knownGpuInstanceTypes()).toContain('p6-b200.48xlarge');
  });

  test('treats 95% of the nominal memory as schedulable', () => {
    expect(schedulableMemoryMiB(gpuInstanceFacts('p4d.24xlarge')!)).toBe(Math.floor(1152 * 1024 * 0.95));
  });
});

describe('CPU instance facts', () => {
  test.each([
    ['c6i.2xlarge', 8, 16],
    ['c7a.48xlarge', 192, 384],
    ['m7i.xlarge', 4, 16],
    ['r6id.large', 2, 16],
    ['c6in.9xlarge', 36, 72],
  ])('%s has %i vCPUs and %i GiB', (type, vcpus, memoryGiB) => {
    expect(cpuInstanceFacts(type)).toMatchObject({ vcpus, memoryGiB, gpus: 0 });
  });

  test.each(['c4.large', 't3.large', 'c6i.metal', 'x2idn.large', 'c6i'])('knows nothing of %s', (type) => {
    expect(cpuInstanceFacts(type)).toBeUndefined();
  });

  test('tells Graviton from x86 and names families', () => {
    expect(isGraviton('c7g.xlarge')).toBe(true);
    expect(isGraviton('c7gn.xlarge')).toBe(true);
    expect(isGraviton('c7i.xlarge')).toBe(false);
    expect(isGraviton('g5.xlarge')).toBe(false);
    expect(instanceFamily('p6-b200.48xlarge')).toBe('p6-b200');
    expect(instanceClassLetter('p6-b200.48xlarge')).toBe('p');
    expect(instanceClassLetter('g5.xlarge')).toBe('g');
  });
});

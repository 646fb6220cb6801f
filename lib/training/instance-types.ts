/**
 * Facts about the EC2 instance types that a {@link TrainingCluster} may launch: accelerators, vCPUs,
 * memory, EFA interfaces and local NVMe volumes. The cluster checks jobs against these numbers at
 * synth, because Batch does not: a job that asks for more than any allowed instance has waits in
 * RUNNABLE forever.
 *
 * One table, easy to update. Sources:
 * - GPUs, vCPUs, memory, instance store: Amazon EC2 instance type specifications, accelerated computing,
 *   https://docs.aws.amazon.com/ec2/latest/instancetypes/ac.html
 * - EFA interfaces = network cards that carry an EFA: "Maximize network bandwidth on Amazon EC2
 *   instances with multiple network cards", https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/efa-acc-inst-types.html
 *   ("P5 and P5e instances support up to 32 network cards"), cross-checked with AWS's public Batch
 *   templates (aws-samples/awsome-distributed-training, 1.architectures/3.aws-batch: p4d 4, p5 32,
 *   p6-b200 8 EFA interfaces) and torchx's named resources (p5en.48xlarge 16, p5e.48xlarge 32 EFA devices).
 *   Confirm a new type with `aws ec2 describe-instance-types --query 'InstanceTypes[].NetworkInfo.EfaInfo'`.
 * - C, M and R sizes: vCPUs by size and 2, 4 and 8 GiB of memory per vCPU for the 5th generation and
 *   newer, https://docs.aws.amazon.com/ec2/latest/instancetypes/co.html (compute optimized),
 *   gp.html (general purpose) and mo.html (memory optimized).
 */

/** What the cluster knows about one instance type. */
export interface InstanceTypeFacts {
  /** The instance type, for example `p4d.24xlarge`. */
  readonly instanceType: string;
  /** NVIDIA GPUs. */
  readonly gpus: number;
  /** vCPUs. */
  readonly vcpus: number;
  /** Memory, GiB. */
  readonly memoryGiB: number;
  /** EFA interfaces to attach for full bandwidth (one per network card); 0 when EFA is not supported. */
  readonly efaInterfaces: number;
  /**
   * Local NVMe instance-store volumes. Informative: the user data finds the real devices at boot and
   * stripes whatever it finds. For C, M and R types derived from their name, 1 means "has instance storage".
   */
  readonly nvmeVolumes: number;
}

// [type, gpus, vcpus, memoryGiB, efaInterfaces, nvmeVolumes]
const GPU_TABLE: Array<[string, number, number, number, number, number]> = [
  // P3 (V100). Only p3dn has EFA and NVMe.
  ['p3.2xlarge', 1, 8, 61, 0, 0],
  ['p3.8xlarge', 4, 32, 244, 0, 0],
  ['p3.16xlarge', 8, 64, 488, 0, 0],
  ['p3dn.24xlarge', 8, 96, 768, 1, 2],
  // P4 (A100)
  ['p4d.24xlarge', 8, 96, 1152, 4, 8],
  ['p4de.24xlarge', 8, 96, 1152, 4, 8],
  // P5 (H100, H200)
  ['p5.48xlarge', 8, 192, 2048, 32, 8],
  ['p5e.48xlarge', 8, 192, 2048, 32, 8],
  ['p5en.48xlarge', 8, 192, 2048, 16, 8],
  // P6 (B200)
  ['p6-b200.48xlarge', 8, 192, 2048, 8, 8],
  // G5 (A10G): development only, behind allowGpuDevelopmentInstances.
  ['g5.xlarge', 1, 4, 16, 0, 1],
  ['g5.2xlarge', 1, 8, 32, 0, 1],
  ['g5.4xlarge', 1, 16, 64, 0, 1],
  ['g5.8xlarge', 1, 32, 128, 1, 1],
  ['g5.12xlarge', 4, 48, 192, 1, 1],
  ['g5.16xlarge', 1, 64, 256, 1, 1],
  ['g5.24xlarge', 4, 96, 384, 1, 1],
  ['g5.48xlarge', 8, 192, 768, 1, 2],
];

const GPU_FACTS: ReadonlyMap<string, InstanceTypeFacts> = new Map(
  GPU_TABLE.map(([instanceType, gpus, vcpus, memoryGiB, efaInterfaces, nvmeVolumes]) => [
    instanceType,
    { instanceType, gpus, vcpus, memoryGiB, efaInterfaces, nvmeVolumes },
  ]),
);

/** vCPUs per size of the 5th-generation-and-newer C, M and R families. */
const CPU_SIZES: ReadonlyMap<string, number> = new Map([
  ['large', 2],
  ['xlarge', 4],
  ['2xlarge', 8],
  ['4xlarge', 16],
  ['8xlarge', 32],
  ['9xlarge', 36],
  ['12xlarge', 48],
  ['16xlarge', 64],
  ['18xlarge', 72],
  ['24xlarge', 96],
  ['32xlarge', 128],
  ['48xlarge', 192],
]);

const MEMORY_PER_VCPU_GIB: Record<string, number> = { c: 2, m: 4, r: 8 };

/**
 * The share of an instance's nominal memory that the library treats as schedulable. The kernel and
 * the ECS agent keep part of it, so Batch registers less than the nominal figure; a job that asks for
 * all of it never starts.
 * @see https://docs.aws.amazon.com/batch/latest/userguide/memory-management.html
 */
export const SCHEDULABLE_MEMORY_SHARE = 0.95;

/** The part before the dot: `p4d` for `p4d.24xlarge`. */
export function instanceFamily(instanceType: string): string {
  return instanceType.split('.')[0];
}

/** The family letter(s) before the generation digit: `p` for `p4d`, `c` for `c7i`, `g` for `g5`. */
export function instanceClassLetter(instanceType: string): string {
  return /^[a-z]+/.exec(instanceFamily(instanceType))?.[0] ?? '';
}

/** The GPU instance types the library knows, for error messages. */
export function knownGpuInstanceTypes(): string[] {
  return [...GPU_FACTS.keys()];
}

/** Facts about a GPU instance type, or undefined when the table does not hold it. */
export function gpuInstanceFacts(instanceType: string): InstanceTypeFacts | undefined {
  return GPU_FACTS.get(instanceType);
}

/**
 * Facts about a C, M or R instance type of the 5th generation or newer (`c6i.4xlarge`, `m7a.xlarge`,
 * `r6in.2xlarge`), derived from its size. Undefined for other families, older generations and metal.
 */
export function cpuInstanceFacts(instanceType: string): InstanceTypeFacts | undefined {
  const m = /^([cmr])([5-9])([a-z-]*)\.([0-9]*x?large)$/.exec(instanceType);
  if (!m) return undefined;
  const vcpus = CPU_SIZES.get(m[4]);
  if (vcpus === undefined) return undefined;
  return { instanceType, gpus: 0, vcpus, memoryGiB: vcpus * MEMORY_PER_VCPU_GIB[m[1]], efaInterfaces: 0, nvmeVolumes: m[3].includes('d') ? 1 : 0 };
}

/** Whether an instance type runs on Arm (Graviton): a `g` after the generation digit, as in `c7g`. */
export function isGraviton(instanceType: string): boolean {
  return /^[a-z]+[0-9]+[a-z-]*g/.test(instanceFamily(instanceType)) && !/^g[0-9]/.test(instanceType);
}

/** Memory a job can ask for on this instance type, MiB. */
export function schedulableMemoryMiB(facts: InstanceTypeFacts): number {
  return Math.floor(facts.memoryGiB * 1024 * SCHEDULABLE_MEMORY_SHARE);
}

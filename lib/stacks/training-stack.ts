import { RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as fsx from 'aws-cdk-lib/aws-fsx';
import { Construct } from 'constructs';
import { DataLake } from '../data-lake';
import { TrainingCluster } from '../training';

/** Properties of the reference {@link TrainingStack}. */
export interface TrainingStackProps extends StackProps {
  /** The VPC of the cluster (the network stack's). */
  readonly vpc: ec2.IVpc;
  /**
   * The data lake. Jobs read the raw zone, read and write `datasets/` and `shards/` in the curated
   * zone, and `checkpoints/` and `models/` in the artifacts zone.
   */
  readonly dataLake: DataLake;
  /**
   * The FSx for Lustre file system the hosts mount at `/fsx` (the storage stack's LustreCache).
   * @default - no Lustre mount
   */
  readonly lustreFileSystem?: fsx.IFileSystem;
  /**
   * The mount name of `lustreFileSystem`.
   * @default - required with `lustreFileSystem`
   */
  readonly lustreMountName?: string;
  /**
   * The EFS file system the hosts mount at `/home`.
   * @default - no EFS mount
   */
  readonly sharedFileSystem?: efs.IFileSystem;
  /**
   * The access point of `sharedFileSystem` for home directories.
   * @default - the file system's root
   */
  readonly sharedFileSystemAccessPoint?: efs.IAccessPoint;
  /**
   * GPU instance types (P family).
   * @default - TrainingCluster's default
   */
  readonly gpuInstanceTypes?: string[];
  /**
   * Admit G5 types for development.
   * @default false
   */
  readonly allowGpuDevelopmentInstances?: boolean;
  /**
   * Most vCPUs of the GPU environment.
   * @default - TrainingCluster's default
   */
  readonly gpuMaxVcpus?: number;
  /**
   * CPU instance types (C family).
   * @default - TrainingCluster's default
   */
  readonly cpuInstanceTypes?: string[];
  /**
   * Admit M and R families for preprocessing.
   * @default false
   */
  readonly allowGeneralPurposeCpuInstances?: boolean;
  /**
   * Most vCPUs of the CPU environment.
   * @default - TrainingCluster's default
   */
  readonly cpuMaxVcpus?: number;
  /**
   * Preprocess on Spot.
   * @default true
   */
  readonly cpuSpot?: boolean;
  /**
   * Nodes of the multi-node training job.
   * @default - no multi-node job
   */
  readonly multiNodeCount?: number;
  /**
   * Fair-share scheduling on both queues.
   * @default false
   */
  readonly fairShareScheduling?: boolean;
  /**
   * The shares of the fair-share policy, when `fairShareScheduling` is on.
   * @default - none
   */
  readonly fairShareIdentifiers?: string[];
  /**
   * What happens to the log group and key when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The reference training stack: one {@link TrainingCluster} wired to the network, the lake and the storage. */
export class TrainingStack extends Stack {
  /** The training cluster. */
  public readonly cluster: TrainingCluster;

  constructor(scope: Construct, id: string, props: TrainingStackProps) {
    super(scope, id, props);
    const lake = props.dataLake;
    const key = lake.encryptionKey;
    this.cluster = new TrainingCluster(this, 'Cluster', {
      vpc: props.vpc,
      gpuInstanceTypes: props.gpuInstanceTypes?.map((t) => new ec2.InstanceType(t)),
      allowGpuDevelopmentInstances: props.allowGpuDevelopmentInstances,
      gpuMaxVcpus: props.gpuMaxVcpus,
      cpuInstanceTypes: props.cpuInstanceTypes?.map((t) => new ec2.InstanceType(t)),
      allowGeneralPurposeCpuInstances: props.allowGeneralPurposeCpuInstances,
      cpuMaxVcpus: props.cpuMaxVcpus,
      cpuSpot: props.cpuSpot,
      multiNodeCount: props.multiNodeCount,
      fairShareScheduling: props.fairShareScheduling,
      fairShareIdentifiers: props.fairShareIdentifiers,
      lustreFileSystem: props.lustreFileSystem,
      lustreMountName: props.lustreMountName,
      sharedFileSystem: props.sharedFileSystem,
      sharedFileSystemAccessPoint: props.sharedFileSystemAccessPoint,
      lakeAccess: [
        { bucket: lake.rawBucket, encryptionKey: key },
        { bucket: lake.curatedBucket, prefixes: ['datasets', 'shards'], write: true, encryptionKey: key },
        { bucket: lake.artifactsBucket, prefixes: ['checkpoints', 'models'], write: true, encryptionKey: key },
      ],
      removalPolicy: props.removalPolicy,
    });
  }
}

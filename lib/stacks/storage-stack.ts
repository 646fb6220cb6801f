import { RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as fsx from 'aws-cdk-lib/aws-fsx';
import { Construct } from 'constructs';
import { DataLake, DataLakeZone } from '../data-lake';
import { LustreCache, SharedFileSystem, TrainingDemand } from '../storage';

/** Properties of the reference {@link StorageStack}. */
export interface StorageStackProps extends StackProps {
  /** The VPC of the file systems and their clients (the network stack's). */
  readonly vpc: ec2.IVpc;
  /**
   * The data lake. `/datasets` mirrors `datasets/` of the curated zone (import only);
   * `/checkpoints` mirrors `checkpoints/` of the artifacts zone (import and export).
   */
  readonly dataLake: DataLake;
  /**
   * The Lustre deployment type.
   * @default fsx.LustreDeploymentType.PERSISTENT_2
   */
  readonly lustreDeploymentType?: fsx.LustreDeploymentType;
  /**
   * Lustre storage capacity, GiB.
   * @default - sized from `lustreDemand`, else LustreCache's default (1200)
   */
  readonly lustreStorageCapacityGiB?: number;
  /**
   * Lustre per-unit storage throughput, MB/s per TiB.
   * @default - LustreCache's default for the deployment type
   */
  readonly lustrePerUnitStorageThroughputMBpsPerTiB?: number;
  /**
   * The training demand that sizes the Lustre file system (or is checked against the capacity given).
   * @default - none
   */
  readonly lustreDemand?: TrainingDemand;
  /**
   * Whether to create the shared EFS file system (home directories, code).
   * @default true
   */
  readonly sharedFileSystemEnabled?: boolean;
  /**
   * What happens to the file systems and vaults when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The reference storage: a {@link LustreCache} linked to the data lake and a {@link SharedFileSystem}
 * encrypted with the lake's key.
 */
export class StorageStack extends Stack {
  /** The FSx for Lustre file system in front of the lake. */
  public readonly lustreCache: LustreCache;
  /** The shared EFS file system; undefined when disabled. */
  public readonly sharedFileSystem?: SharedFileSystem;

  constructor(scope: Construct, id: string, props: StorageStackProps) {
    super(scope, id, props);
    const lake = props.dataLake;
    this.lustreCache = new LustreCache(this, 'LustreCache', {
      vpc: props.vpc,
      deploymentType: props.lustreDeploymentType,
      storageCapacityGiB: props.lustreStorageCapacityGiB,
      perUnitStorageThroughputMBpsPerTiB: props.lustrePerUnitStorageThroughputMBpsPerTiB,
      demand: props.lustreDemand,
      dataRepositoryAssociations: [
        { fileSystemPath: '/datasets', bucket: lake.bucket(DataLakeZone.CURATED), bucketPrefix: 'datasets/' },
        { fileSystemPath: '/checkpoints', bucket: lake.bucket(DataLakeZone.ARTIFACTS), bucketPrefix: 'checkpoints/', exportChanges: true },
      ],
      removalPolicy: props.removalPolicy,
    });
    if (props.sharedFileSystemEnabled ?? true) {
      this.sharedFileSystem = new SharedFileSystem(this, 'SharedFileSystem', {
        vpc: props.vpc,
        encryptionKey: lake.encryptionKey,
        removalPolicy: props.removalPolicy,
      });
    }
  }
}

import { Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { DataLakeZone, IDataLake } from '../data-lake';
import { LustreCache, LustreCacheOptions, SharedFileSystem, SharedFileSystemOptions } from '../storage';

/** Properties of the reference {@link StorageStack}. */
export interface StorageStackProps extends StackProps {
  /** The VPC of the file systems and their clients (the network stack's). */
  readonly vpc: ec2.IVpc;
  /**
   * The data lake. `/datasets` mirrors `datasets/` of the curated zone (import only);
   * `/checkpoints` mirrors `checkpoints/` of the artifacts zone (import and export).
   */
  readonly dataLake: IDataLake;
  /**
   * The Lustre file system's settings (deployment type, capacity or training demand, ...).
   * @default - LustreCache's defaults
   */
  readonly lustre?: LustreCacheOptions;
  /**
   * Whether to create the shared EFS file system (home directories, code).
   * @default true
   */
  readonly sharedFileSystemEnabled?: boolean;
  /**
   * The shared EFS file system's settings, when it is enabled. It is encrypted with the lake's key.
   * @default - SharedFileSystem's defaults
   */
  readonly sharedFileSystem?: SharedFileSystemOptions;
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

  /**
   * Defines the stack in `scope`.
   *
   * @param scope the app or stage that holds the stack
   * @param id the stack's id, unique in `scope`
   * @param props the stack's configuration, see `StorageStackProps`
   */
  constructor(scope: Construct, id: string, props: StorageStackProps) {
    super(scope, id, props);
    const lake = props.dataLake;
    this.lustreCache = new LustreCache(this, 'LustreCache', {
      ...props.lustre,
      vpc: props.vpc,
      dataRepositoryAssociations: [
        { fileSystemPath: '/datasets', bucket: lake.bucket(DataLakeZone.CURATED), bucketPrefix: 'datasets/' },
        { fileSystemPath: '/checkpoints', bucket: lake.bucket(DataLakeZone.ARTIFACTS), bucketPrefix: 'checkpoints/', exportChanges: true },
      ],
    });
    if (props.sharedFileSystemEnabled ?? true) {
      this.sharedFileSystem = new SharedFileSystem(this, 'SharedFileSystem', {
        ...props.sharedFileSystem,
        vpc: props.vpc,
        encryptionKey: lake.encryptionKey,
      });
    }
  }
}

import { Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as efs from 'aws-cdk-lib/aws-efs';
import { Construct } from 'constructs';
import { DataLakeZone, IDataLake } from '../data-lake';
import { ILustreCache } from '../storage';
import { TrainingCluster, TrainingClusterOptions } from '../training';

/** Properties of the reference {@link TrainingStack}. */
export interface TrainingStackProps extends StackProps {
  /** The VPC of the cluster (the network stack's). */
  readonly vpc: ec2.IVpc;
  /**
   * The data lake. Jobs read the raw zone, read and write `datasets/` and `shards/` in the curated
   * zone, and `checkpoints/` and `models/` in the artifacts zone.
   */
  readonly dataLake: IDataLake;
  /**
   * The FSx for Lustre file system the hosts mount (the storage stack's LustreCache).
   * @default - no Lustre mount
   */
  readonly lustre?: ILustreCache;
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
   * The cluster's settings.
   * @default - TrainingCluster's defaults
   */
  readonly training?: TrainingClusterOptions;
}

/** The reference training stack: one {@link TrainingCluster} wired to the network, the lake and the storage. */
export class TrainingStack extends Stack {
  /** The training cluster. */
  public readonly cluster: TrainingCluster;

  /**
   * Defines the stack in `scope`.
   *
   * @param scope the app or stage that holds the stack
   * @param id the stack's id, unique in `scope`
   * @param props the stack's configuration, see `TrainingStackProps`
   */
  constructor(scope: Construct, id: string, props: TrainingStackProps) {
    super(scope, id, props);
    const lake = props.dataLake;
    this.cluster = new TrainingCluster(this, 'Cluster', {
      ...props.training,
      vpc: props.vpc,
      lustre: props.lustre,
      sharedFileSystem: props.sharedFileSystem,
      sharedFileSystemAccessPoint: props.sharedFileSystemAccessPoint,
    });
    // Raw data lands under keys the platform does not choose: the jobs read the whole raw zone, deliberately.
    lake.grantReadZone(this.cluster, DataLakeZone.RAW);
    for (const prefix of ['datasets', 'shards']) lake.grantReadWrite(this.cluster, DataLakeZone.CURATED, prefix);
    for (const prefix of ['checkpoints', 'models']) lake.grantReadWrite(this.cluster, DataLakeZone.ARTIFACTS, prefix);
  }
}

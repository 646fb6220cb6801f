import { Aws, Duration, RemovalPolicy, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as fsx from 'aws-cdk-lib/aws-fsx';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, IConstruct } from 'constructs';
import { invalidProp, requireLiteral, validateNumber } from '../common/errors';
import {
  nextValidCapacityGiB,
  throughputMBps as lustreThroughputMBps,
  validateDataRepositoryAssociations,
  validateLustreConfiguration,
} from './fsx-rules';
import { lustreMountCommands } from './mount-commands';
import { LUSTRE } from './storage-catalog';
import { capacityForDatasetGiB, checkLustre, demandMBps, describeLimit, sizeLustre, SizingLimit, TrainingDemand } from './throughput-sizing';
import { restrictGrantsToAwsServices } from '../common/kms';
import { acknowledgeControlTowerRule, acknowledgeRegulatedRule } from '../common/nag';

/**
 * One link between a directory of the file system and an S3 prefix: an
 * `AWS::FSx::DataRepositoryAssociation`.
 *
 * Automatic import of NEW, CHANGED and DELETED objects is always on, so the directory follows the
 * bucket. Automatic export is on only where `exportChanges` says so (checkpoints, models).
 */
export interface LustreDataRepositoryAssociation {
  /**
   * The directory of the file system that mirrors the prefix, such as `/datasets`. Absolute; no two
   * associations may share or nest their paths.
   */
  readonly fileSystemPath: string;
  /** The bucket to link. When it is encrypted with a KMS key of this app, the key is opened to FSx (see {@link LustreCache}). */
  readonly bucket: s3.IBucket;
  /**
   * The key prefix in the bucket, such as `datasets/`. Leading and trailing slashes are ignored.
   * @default - the whole bucket
   */
  readonly bucketPrefix?: string;
  /**
   * Whether files created, changed or deleted on the file system are written back to S3 (automatic
   * export of NEW, CHANGED and DELETED). Turn it on for paths that training writes: checkpoints and models.
   * @default false
   */
  readonly exportChanges?: boolean;
  /**
   * Whether the association lists the prefix's existing objects when it is created (an import task
   * for metadata only; contents load lazily on first read).
   * @default true
   */
  readonly importMetadataOnCreate?: boolean;
  /**
   * Stripe size of imported files, MiB: the most data of one file stored on one disk. 1 to 512000.
   * @default 1024 (the FSx default)
   */
  readonly importedFileChunkSizeMiB?: number;
}

/**
 * The settings of a {@link LustreCache}: its props without the VPC and the S3 links, which a composition wires in. A stack that builds one takes this bag.
 */
export interface LustreCacheOptions {
  /**
   * The subnet of the file system's network interfaces. FSx for Lustre lives in one subnet (one AZ);
   * put the GPU instances in the same AZ to avoid cross-AZ traffic.
   * @default - the VPC's first private subnet (with egress, else isolated)
   */
  readonly vpcSubnet?: ec2.ISubnet;
  /**
   * The deployment type: SCRATCH_2 (no replication, cheapest), PERSISTENT_1 (SSD) or PERSISTENT_2.
   * SCRATCH_1 is not accepted: it cannot link to S3 by data repository associations.
   * @default fsx.LustreDeploymentType.PERSISTENT_2
   */
  readonly deploymentType?: fsx.LustreDeploymentType;
  /**
   * The Lustre version. Data repository associations need 2.12 or newer.
   * @default fsx.FileSystemTypeVersion.V_2_15 (set explicitly: CDK's own default is 2.10 except on PERSISTENT_2)
   */
  readonly fileSystemTypeVersion?: fsx.FileSystemTypeVersion;
  /**
   * Storage capacity, GiB: 1200, 2400 or a multiple of 2400.
   * @default - sized from `demand` when it is given, else 1200
   */
  readonly storageCapacityGiB?: number;
  /**
   * Per-unit storage throughput, MB/s per TiB: 50, 100 or 200 for PERSISTENT_1; 125, 250, 500 or
   * 1000 for PERSISTENT_2. Not settable on SCRATCH_2 (200 MB/s/TiB baseline).
   * @default - the cheapest tier that meets `demand` when it is given without a capacity; else 250
   *   for PERSISTENT_2 and 200 for PERSISTENT_1
   */
  readonly perUnitStorageThroughputMBpsPerTiB?: number;
  /**
   * The training demand the file system must feed. Without `storageCapacityGiB`, the capacity (and
   * the throughput tier, unless given) is the cheapest that meets it and holds the dataset. With a
   * capacity, synth warns when the capacity falls short of it: a stall risk.
   * @default - no demand: the capacity and throughput given, or the defaults
   * @see recommendStorage for whether the demand needs FSx at all
   */
  readonly demand?: TrainingDemand;
  /**
   * The key that encrypts a PERSISTENT file system at rest. SCRATCH file systems are always
   * encrypted with keys that FSx manages and take no key.
   * @default - a new customer-managed key with rotation for PERSISTENT types
   */
  readonly kmsKey?: kms.IKey;
  /**
   * Days of automatic daily backups of a PERSISTENT file system that is not linked to S3 (0 to 90; 0 turns them off).
   * Backups are not supported on SCRATCH types or on file systems with data repository
   * associations, where S3 is the durable copy.
   * @default 7 for a PERSISTENT file system without associations; else none
   */
  readonly automaticBackupRetentionDays?: number;
  /**
   * What happens to the file system, its key (when created here) and its associations when they
   * leave the stack. Data not yet exported to S3 is lost if the file system is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * The alarm on the automatic-export backlog fires when the oldest change waiting to be exported
   * to S3 is older than this, seconds. Only created when an association exports changes.
   * @default 1800
   */
  readonly exportBacklogAlarmAgeSeconds?: number;
  /**
   * The free-capacity alarm fires when free storage falls below this percentage of the capacity (1 to 99).
   * @default 10
   */
  readonly freeCapacityAlarmPercent?: number;
  /**
   * Actions of the alarms (alarm and OK).
   * @default - no actions (the alarms only change state)
   */
  readonly alarmActions?: cloudwatch.IAlarmAction[];
  /**
   * An SNS topic that the alarms notify (alarm and OK), in addition to `alarmActions`.
   * @default - none
   */
  readonly alarmTopic?: sns.ITopic;
}

/** Properties of a {@link LustreCache}. */
export interface LustreCacheProps extends LustreCacheOptions {
  /** The VPC that the file system and its clients share. */
  readonly vpc: ec2.IVpc;
  /**
   * Links between directories of the file system and S3 prefixes. One to eight; none for a
   * file system that is not linked to S3.
   * @default - none
   */
  readonly dataRepositoryAssociations?: LustreDataRepositoryAssociation[];
}

/** The ports of Lustre's LNet traffic: 988, and 1018–1023. */
const LUSTRE_PORTS: readonly ec2.Port[] = [ec2.Port.tcp(988), ec2.Port.tcpRange(1018, 1023)];

/**
 * `ec2.Connections` whose "default port" means both Lustre port sets, 988 and 1018–1023, and which
 * opens them in both directions, as the FSx guide asks of the file system's and the clients'
 * security groups (servers also connect to clients). aws-cdk-lib's `LustreFileSystem` opens
 * 988–1023 in one direction, which also opens 989–1017 and leaves the clients' inbound side to the user.
 */
class LustreConnections extends ec2.Connections {
  public allowDefaultPortFrom(other: ec2.IConnectable, description?: string): void {
    for (const port of LUSTRE_PORTS) {
      this.allowFrom(other, port, description ?? `Lustre client to file system (${port})`);
      other.connections.allowFrom(this, port, description ?? `Lustre file system to client (${port})`);
    }
  }

  public allowDefaultPortInternally(description?: string): void {
    for (const port of LUSTRE_PORTS) this.allowInternally(port, description ?? `Lustre within the file system (${port})`);
  }

  public allowDefaultPortFromAnyIpv4(description?: string): void {
    for (const port of LUSTRE_PORTS) this.allowFromAnyIpv4(port, description);
  }

  public allowDefaultPortTo(other: ec2.IConnectable, description?: string): void {
    // The file system is the server; "to" a peer on Lustre ports is the client direction.
    for (const port of LUSTRE_PORTS) this.allowTo(other, port, description);
  }
}

/**
 * An FSx for Lustre file system that clients mount: created here ({@link LustreCache}) or imported
 * ({@link LustreCache.fromLustreCacheAttributes}). `TrainingCluster` and `StallMonitor` take this
 * interface, so that a team can bring the file system it already has.
 */
export interface ILustreCache extends IConstruct, ec2.IConnectable {
  /** The ID of the file system, such as `fs-0123456789abcdef0`. */
  readonly fileSystemId: string;
  /** The DNS name of the file system. */
  readonly dnsName: string;
  /** The Lustre mount name of the file system. */
  readonly mountName: string;
  /**
   * Baseline throughput of the file system, MB/s: what reads are compared with to tell that the file
   * system is the bottleneck. Reading it on a file system imported without `throughputMBps` throws.
   */
  readonly throughputMBps: number;
  /**
   * The alarm on the automatic-export backlog; undefined when no association exports changes, and on an
   * imported file system (its alarms, if any, belong to the app that created it).
   */
  readonly exportBacklogAlarm?: cloudwatch.Alarm;
  /** The free-capacity alarm; undefined when the capacity is a token, and on an imported file system. */
  readonly freeCapacityAlarm?: cloudwatch.Alarm;
  /**
   * Age of the oldest change waiting for automatic export to S3, seconds (Maximum over 5 minutes).
   * `AWS/FSx` `AgeOfOldestQueuedMessage` with `Publisher=AutoExport`.
   *
   * @param props options that override the metric's period, statistic, label or unit
   */
  metricExportBacklogAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /**
   * Free storage capacity of the file system, bytes (Sum over its storage targets, 5 minutes).
   * `AWS/FSx` `FreeDataStorageCapacity`.
   *
   * @param props options that override the metric's period, statistic, label or unit
   */
  metricFreeCapacityBytes(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /**
   * Bytes read by clients, Sum per 5 minutes. `AWS/FSx` `DataReadBytes`.
   *
   * @param props options that override the metric's period, statistic, label or unit
   */
  metricDataReadBytes(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /**
   * Metadata operations (opens, stats, creates...) served, Sum per 5 minutes. `AWS/FSx` `MetadataOperations`.
   *
   * @param props options that override the metric's period, statistic, label or unit
   */
  metricMetadataOperations(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /**
   * Lets a client mount the file system: TCP 988 and 1018–1023 from the client to the file system
   * and back (FSx servers also connect to their clients).
   *
   * @param client the client to allow (a training cluster, an instance, a launch template's security group)
   */
  allowClient(client: ec2.IConnectable): void;
  /**
   * Shell commands for a client's user data that mount the file system at `mountPath`.
   *
   * @param mountPath where to mount it on the host
   */
  mountCommands(mountPath?: string): string[];
}

/** An existing FSx for Lustre file system to import with {@link LustreCache.fromLustreCacheAttributes}. */
export interface LustreCacheAttributes {
  /** The ID of the file system. */
  readonly fileSystemId: string;
  /** The DNS name of the file system (`DNSName`). */
  readonly dnsName: string;
  /** The Lustre mount name of the file system (`LustreMountName`). */
  readonly mountName: string;
  /**
   * The security groups of the file system's network interfaces. Clients get TCP 988 and 1018–1023
   * to and from them.
   */
  readonly securityGroups: ec2.ISecurityGroup[];
  /**
   * Baseline throughput of the file system, MB/s, as a `LustreCache` computes it: storage capacity in
   * GiB over 1000, times the per-unit throughput (SCRATCH_2: 200 MB/s per TiB). A `StallMonitor` over the
   * file system needs it: its "GPUs starved" alarm and its throughput panel compare reads with it.
   * @default - unknown: reading `throughputMBps` throws, and so does a `StallMonitor` given the file system
   * @see https://docs.aws.amazon.com/fsx/latest/APIReference/API_CreateFileSystemLustreConfiguration.html
   */
  readonly throughputMBps?: number;
}

/**
 * An `AWS/FSx` metric of one file system, per 5 minutes: the one implementation behind the metric
 * methods of a created and an imported file system.
 * @see https://docs.aws.amazon.com/fsx/latest/LustreGuide/fs-metrics.html
 */
function fsxMetric(
  fileSystemId: string,
  metricName: string,
  statistic: string,
  props: cloudwatch.MetricOptions,
  dimensions: Record<string, string> = {},
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/FSx',
    metricName,
    dimensionsMap: { FileSystemId: fileSystemId, ...dimensions },
    statistic,
    period: Duration.minutes(5),
    ...props,
  });
}

/** The file system metrics that a created and an imported file system share, by metric name. */
const exportBacklogAge = (fileSystemId: string, props: cloudwatch.MetricOptions) =>
  fsxMetric(fileSystemId, 'AgeOfOldestQueuedMessage', cloudwatch.Stats.MAXIMUM, props, { Publisher: 'AutoExport' });
const freeCapacityBytes = (fileSystemId: string, props: cloudwatch.MetricOptions) => fsxMetric(fileSystemId, 'FreeDataStorageCapacity', cloudwatch.Stats.SUM, props);
const dataReadBytes = (fileSystemId: string, props: cloudwatch.MetricOptions) => fsxMetric(fileSystemId, 'DataReadBytes', cloudwatch.Stats.SUM, props);
const metadataOperations = (fileSystemId: string, props: cloudwatch.MetricOptions) => fsxMetric(fileSystemId, 'MetadataOperations', cloudwatch.Stats.SUM, props);

/** A file system that exists already, imported by {@link LustreCache.fromLustreCacheAttributes}. */
class ImportedLustreCache extends Construct implements ILustreCache {
  public readonly fileSystemId: string;
  public readonly dnsName: string;
  public readonly mountName: string;
  public readonly connections: ec2.Connections;
  public readonly exportBacklogAlarm?: cloudwatch.Alarm;
  public readonly freeCapacityAlarm?: cloudwatch.Alarm;
  private readonly knownThroughputMBps?: number;

  constructor(scope: Construct, id: string, attrs: LustreCacheAttributes) {
    super(scope, id);
    if (attrs.securityGroups.length === 0) {
      throw invalidProp(this, 'securityGroups', 'must hold at least one security group (the file system\u2019s)', []);
    }
    for (const [prop, value] of [
      ['fileSystemId', attrs.fileSystemId],
      ['dnsName', attrs.dnsName],
      ['mountName', attrs.mountName],
    ] as const) {
      if (!Token.isUnresolved(value) && value.trim() === '') throw invalidProp(this, prop, 'must not be empty', value);
    }
    if (!Token.isUnresolved(attrs.fileSystemId) && !/^fs-[0-9a-f]{8,}$/.test(attrs.fileSystemId)) {
      throw invalidProp(this, 'fileSystemId', 'must be an FSx file system ID such as fs-0123456789abcdef0', attrs.fileSystemId);
    }
    requireLiteral(this, 'throughputMBps', attrs.throughputMBps, 'alarm thresholds are computed from it');
    validateNumber(this, 'throughputMBps', attrs.throughputMBps, { min: 1 });
    this.knownThroughputMBps = attrs.throughputMBps;
    this.fileSystemId = attrs.fileSystemId;
    this.dnsName = attrs.dnsName;
    this.mountName = attrs.mountName;
    this.connections = new LustreConnections({ securityGroups: attrs.securityGroups, defaultPort: LUSTRE_PORTS[0] });
  }

  public allowClient(client: ec2.IConnectable): void {
    this.connections.allowDefaultPortFrom(client);
  }

  public mountCommands(mountPath: string = '/fsx'): string[] {
    return lustreMountCommands(this.dnsName, this.mountName, mountPath);
  }

  public get throughputMBps(): number {
    if (this.knownThroughputMBps === undefined) {
      throw invalidProp(
        this,
        'throughputMBps',
        'must be given to LustreCache.fromLustreCacheAttributes to compare reads with the provisioned throughput (as StallMonitor does)',
        undefined,
      );
    }
    return this.knownThroughputMBps;
  }

  public metricExportBacklogAge(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return exportBacklogAge(this.fileSystemId, props);
  }

  public metricFreeCapacityBytes(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return freeCapacityBytes(this.fileSystemId, props);
  }

  public metricDataReadBytes(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return dataReadBytes(this.fileSystemId, props);
  }

  public metricMetadataOperations(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return metadataOperations(this.fileSystemId, props);
  }
}

const SLR_PATH = 'role/aws-service-role/s3.data-source.lustre.fsx.amazonaws.com/AWSServiceRoleForFSxS3Access_fs-*';

/**
 * An FSx for Lustre file system in front of S3: the fast tier that keeps GPUs fed.
 *
 * - Lustre 2.15, LZ4 compression, in one private subnet, encrypted (PERSISTENT types with a
 *   customer-managed key).
 * - Linked to S3 prefixes by data repository associations (`AWS::FSx::DataRepositoryAssociation`),
 *   with automatic import of new, changed and deleted objects, and automatic export where asked.
 * - Every rule that FSx enforces only at deploy time (capacity steps, throughput tiers, association
 *   limits and paths) is checked at synth, with an error naming the prop, the rule and the value.
 * - Sized from a training demand when no capacity is given, with a warning when a given capacity
 *   cannot meet the demand given with it.
 * - A security group that allows TCP 988 and 1018–1023 within itself; `connections.allowDefaultPortFrom(client)`
 *   (or `allowClient(client)`) opens both to and from a client.
 * - Alarms on the automatic-export backlog and on free capacity.
 * - RETAIN by default. A PERSISTENT file system without associations gets daily automatic backups.
 *   With associations, backups are not supported: S3 is the durable copy, and **data not yet
 *   exported is lost if the file system is deleted**. Watch the export-backlog alarm.
 *
 * For an association whose bucket is encrypted with a customer-managed KMS key of this app, the
 * key policy gets a statement that lets FSx's per-file-system service-linked role
 * (`AWSServiceRoleForFSxS3Access_fs-*`) use the key through S3 for that bucket only. For a key that
 * is imported, add that statement yourself (synth warns).
 *
 * @see https://docs.aws.amazon.com/fsx/latest/LustreGuide/create-dra-linked-data-repo.html
 * @see https://docs.aws.amazon.com/fsx/latest/LustreGuide/limit-access-security-groups.html
 */
export class LustreCache extends Construct implements ILustreCache {
  /**
   * Imports an existing FSx for Lustre file system, so that a `TrainingCluster` can mount it and
   * open the Lustre ports to and from it. Nothing is created.
   *
   * @param scope the scope to define the imported construct in
   * @param id the id of the imported construct, unique in `scope`
   * @param attrs what identifies the existing file system and its security group
   */
  public static fromLustreCacheAttributes(scope: Construct, id: string, attrs: LustreCacheAttributes): ILustreCache {
    return new ImportedLustreCache(scope, id, attrs);
  }

  /** The file system. */
  public readonly fileSystem: fsx.LustreFileSystem;
  /** The file system's security group. */
  public readonly securityGroup: ec2.SecurityGroup;
  /** Network access to the file system; the default port means TCP 988 and 1018–1023, both ways. */
  public readonly connections: ec2.Connections;
  /** The data repository associations, in the order given. */
  public readonly associations: fsx.CfnDataRepositoryAssociation[];
  /** The key that encrypts the file system; undefined on SCRATCH types. */
  public readonly kmsKey?: kms.IKey;
  /** The deployment type. */
  public readonly deploymentType: fsx.LustreDeploymentType;
  /** Storage capacity, GiB. */
  public readonly storageCapacityGiB: number;
  /** Per-unit storage throughput, MB/s per TiB; undefined on SCRATCH types. */
  public readonly perUnitStorageThroughputMBpsPerTiB?: number;
  /** Baseline throughput of the file system, MB/s (NaN when the capacity or the tier is an unresolved token). */
  public readonly throughputMBps: number;
  /** The demand's aggregate read throughput, MB/s; undefined without a demand. */
  public readonly demandMBps?: number;
  /** The ID of the file system. */
  public readonly fileSystemId: string;
  /** The DNS name of the file system. */
  public readonly dnsName: string;
  /** The Lustre mount name of the file system. */
  public readonly mountName: string;
  /** The free-capacity alarm; undefined when the capacity is a token. */
  public readonly freeCapacityAlarm?: cloudwatch.Alarm;
  /** The automatic-export backlog alarm; undefined when no association exports changes. */
  public readonly exportBacklogAlarm?: cloudwatch.Alarm;

  /**
   * Defines a `LustreCache` in `scope`.
   *
   * @param scope the scope to define the construct in
   * @param id the construct's id, unique in `scope`
   * @param props the construct's configuration, see `LustreCacheProps`
   */
  constructor(scope: Construct, id: string, props: LustreCacheProps) {
    super(scope, id);
    const deploymentType = props.deploymentType ?? fsx.LustreDeploymentType.PERSISTENT_2;
    const version = props.fileSystemTypeVersion ?? fsx.FileSystemTypeVersion.V_2_15;
    const associations = props.dataRepositoryAssociations ?? [];
    const scratch = deploymentType === fsx.LustreDeploymentType.SCRATCH_2 || deploymentType === fsx.LustreDeploymentType.SCRATCH_1;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    // Associations first: on SCRATCH_1 their rule is the root cause.
    if (props.dataRepositoryAssociations !== undefined && associations.length === 0) {
      throw invalidProp(this, 'dataRepositoryAssociations', 'must have 1 to 8 entries when given (omit it for a file system not linked to S3)', []);
    }
    this.rethrow(() => validateDataRepositoryAssociations(deploymentType, version, associations.map((a) => a.fileSystemPath)));
    const allowedTypes = [fsx.LustreDeploymentType.SCRATCH_2, fsx.LustreDeploymentType.PERSISTENT_1, fsx.LustreDeploymentType.PERSISTENT_2];
    if (!allowedTypes.includes(deploymentType)) {
      throw invalidProp(this, 'deploymentType', 'must be SCRATCH_2, PERSISTENT_1 or PERSISTENT_2', deploymentType);
    }
    associations.forEach((a, i) => {
      validateNumber(this, `dataRepositoryAssociations[${i}].importedFileChunkSizeMiB`, a.importedFileChunkSizeMiB, { integer: true, min: 1, max: 512000 });
      if (a.bucketPrefix !== undefined && !Token.isUnresolved(a.bucketPrefix) && /\/\/|^\s|\s$/.test(a.bucketPrefix)) {
        throw invalidProp(this, `dataRepositoryAssociations[${i}].bucketPrefix`, 'must be a key prefix such as datasets/ (no empty segments or surrounding spaces)', a.bucketPrefix);
      }
      // FSx: each association needs its own S3 bucket or prefix.
      const twin = associations.findIndex(
        (b, j) => j < i && b.bucket === a.bucket && !Token.isUnresolved(a.bucketPrefix ?? '') && normalizePrefix(b.bucketPrefix) === normalizePrefix(a.bucketPrefix),
      );
      if (twin >= 0) {
        throw invalidProp(
          this,
          `dataRepositoryAssociations[${i}].bucketPrefix`,
          `must differ from that of dataRepositoryAssociations[${twin}] on the same bucket (FSx links each S3 prefix to one file system path)`,
          a.bucketPrefix ?? '',
        );
      }
    });
    if (scratch && props.kmsKey) {
      throw invalidProp(this, 'kmsKey', `must not be set for ${deploymentType} (FSx encrypts scratch file systems with keys it manages)`, props.kmsKey.node.path);
    }
    validateNumber(this, 'exportBacklogAlarmAgeSeconds', props.exportBacklogAlarmAgeSeconds, { integer: true, min: 60 });
    validateNumber(this, 'freeCapacityAlarmPercent', props.freeCapacityAlarmPercent, { min: 1, max: 99 });
    validateNumber(this, 'automaticBackupRetentionDays', props.automaticBackupRetentionDays, { integer: true, min: 0, max: 90 });
    if ((props.automaticBackupRetentionDays ?? 0) > 0 && !Token.isUnresolved(props.automaticBackupRetentionDays)) {
      if (scratch) {
        throw invalidProp(this, 'automaticBackupRetentionDays', `must be 0 for ${deploymentType} (scratch file systems have no backups)`, props.automaticBackupRetentionDays);
      }
      if (associations.length > 0) {
        throw invalidProp(this, 'automaticBackupRetentionDays', 'must be 0 when data repository associations are used (S3 is the durable copy; FSx does not back up S3-linked file systems)', props.automaticBackupRetentionDays);
      }
    }

    // Capacity steps, throughput, sizing and the alarm threshold are computed from these: no tokens.
    requireLiteral(this, 'storageCapacityGiB', props.storageCapacityGiB, 'capacity steps, throughput and alarms are computed from it');
    requireLiteral(this, 'perUnitStorageThroughputMBpsPerTiB', props.perUnitStorageThroughputMBpsPerTiB, 'the throughput is computed from it');
    // Size: capacity and throughput tier, from the props or from the demand.
    const demand = props.demand;
    const demandRate = demand ? this.rethrow(() => demandMBps(demand), 'demand.') : undefined;
    let capacity = props.storageCapacityGiB;
    let perUnit = props.perUnitStorageThroughputMBpsPerTiB;
    if (capacity === undefined && demand && demandRate !== undefined) {
      const sized = this.sizeFromDemand(deploymentType, demandRate, demand.datasetGiB, perUnit);
      capacity = sized.capacityGiB;
      perUnit = sized.perUnit;
    }
    capacity ??= 1200;
    if (!scratch && perUnit === undefined) perUnit = deploymentType === fsx.LustreDeploymentType.PERSISTENT_1 ? 200 : 250;
    this.rethrow(() =>
      validateLustreConfiguration({
        deploymentType,
        storageCapacityGiB: capacity,
        perUnitStorageThroughput: perUnit,
        storageCapacityProp: 'storageCapacityGiB',
        throughputProp: 'perUnitStorageThroughputMBpsPerTiB',
      }),
    );
    this.deploymentType = deploymentType;
    this.storageCapacityGiB = capacity;
    this.perUnitStorageThroughputMBpsPerTiB = perUnit;
    this.demandMBps = demandRate;
    const resolved = !Token.isUnresolved(capacity) && !Token.isUnresolved(perUnit);
    this.throughputMBps = resolved ? lustreThroughputMBps(deploymentType, capacity, perUnit) : Number.NaN;
    if (resolved && demand && demandRate !== undefined) {
      this.warnIfShort(deploymentType, capacity, perUnit, demand, demandRate, props.storageCapacityGiB === undefined);
    }

    // Network.
    const subnet = props.vpcSubnet ?? props.vpc.privateSubnets[0] ?? props.vpc.isolatedSubnets[0];
    if (!subnet) throw invalidProp(this, 'vpcSubnet', 'must be given when the VPC has no private subnet', undefined);
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'FSx for Lustre: TCP 988 and 1018-1023 within the group and with its clients',
      allowAllOutbound: false,
    });
    this.connections = new LustreConnections({ securityGroups: [this.securityGroup], defaultPort: LUSTRE_PORTS[0] });
    this.connections.allowDefaultPortInternally();

    // File system.
    // Given explicitly, 0 included: omitted, FSx would apply its own default of 30 days.
    const backupDays = scratch || associations.length > 0 ? undefined : (props.automaticBackupRetentionDays ?? 7);
    this.kmsKey = scratch
      ? undefined
      : (props.kmsKey ??
        restrictGrantsToAwsServices(new kms.Key(this, 'Key', {
          description: `Encrypts the FSx for Lustre file system ${this.node.path}`,
          enableKeyRotation: true,
          removalPolicy,
        })));
    this.fileSystem = new fsx.LustreFileSystem(this, 'FileSystem', {
      vpc: props.vpc,
      vpcSubnet: subnet,
      securityGroup: this.securityGroup,
      storageCapacityGiB: capacity,
      fileSystemTypeVersion: version,
      kmsKey: this.kmsKey,
      removalPolicy,
      lustreConfiguration: {
        deploymentType,
        perUnitStorageThroughput: scratch ? undefined : perUnit,
        dataCompressionType: fsx.LustreDataCompressionType.LZ4,
        ...(backupDays === undefined ? {} : { automaticBackupRetention: Duration.days(backupDays), ...(backupDays > 0 ? { copyTagsToBackups: true } : {}) }),
      },
    });
    // LustreFileSystem opens 988-1023 within its group; the group already has 988 and 1018-1023, so
    // drop that rule rather than leave 989-1017 open.
    for (const child of this.securityGroup.node.children) {
      if (child.node.id.endsWith(':988-1023')) this.securityGroup.node.tryRemoveChild(child.node.id);
    }
    this.fileSystemId = this.fileSystem.fileSystemId;
    this.dnsName = this.fileSystem.dnsName;
    this.mountName = this.fileSystem.mountName;

    // Associations.
    const keysOpened = new Set<string>();
    this.associations = associations.map((a, i) => {
      const prefix = normalizePrefix(a.bucketPrefix);
      const events = ['NEW', 'CHANGED', 'DELETED'];
      const dra = new fsx.CfnDataRepositoryAssociation(this, `Association${i}`, {
        fileSystemId: this.fileSystem.fileSystemId,
        fileSystemPath: a.fileSystemPath,
        dataRepositoryPath: `s3://${a.bucket.bucketName}/${prefix}`,
        batchImportMetaDataOnCreate: a.importMetadataOnCreate ?? true,
        importedFileChunkSize: a.importedFileChunkSizeMiB,
        s3: {
          autoImportPolicy: { events },
          ...(a.exportChanges ? { autoExportPolicy: { events } } : {}),
        },
      });
      dra.applyRemovalPolicy(removalPolicy);
      this.openBucketKey(a.bucket, keysOpened);
      return dra;
    });

    // Alarms.
    const actions = [...(props.alarmActions ?? []), ...(props.alarmTopic ? [new cloudwatchActions.SnsAction(props.alarmTopic)] : [])];
    const withActions = (alarm: cloudwatch.Alarm) => {
      if (actions.length) {
        alarm.addAlarmAction(...actions);
        alarm.addOkAction(...actions);
      } else {
        const reason =
          'No alarmTopic or alarmActions was given: the alarm records state for the dashboard and for a monitor that routes it. StallMonitor notifies its topic for this alarm (a copy in its own stack when the file system is in another one); give alarmTopic to route this one directly.';
        acknowledgeRegulatedRule(alarm, 'CloudWatchAlarmAction', reason);
        acknowledgeControlTowerRule(alarm, 'cloudwatch_alarm_action_check', reason);
      }
      return alarm;
    };
    if (associations.some((a) => a.exportChanges)) {
      const ageSeconds = props.exportBacklogAlarmAgeSeconds ?? 1800;
      this.exportBacklogAlarm = withActions(
        new cloudwatch.Alarm(this, 'ExportBacklogAlarm', {
          metric: this.metricExportBacklogAge(),
          threshold: ageSeconds,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 3,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          alarmDescription:
            `Changes on ${this.node.path} have waited more than ${ageSeconds} s to be exported to S3. ` +
            'Data not yet exported is lost if the file system is deleted.',
        }),
      );
    }
    if (!Token.isUnresolved(capacity)) {
      const percent = props.freeCapacityAlarmPercent ?? 10;
      this.freeCapacityAlarm = withActions(
        new cloudwatch.Alarm(this, 'FreeCapacityAlarm', {
          metric: this.metricFreeCapacityBytes(),
          threshold: Math.floor((capacity * 2 ** 30 * percent) / 100),
          comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
          evaluationPeriods: 3,
          treatMissingData: cloudwatch.TreatMissingData.MISSING,
          alarmDescription: `${this.node.path} has less than ${percent}% of its ${capacity} GiB free.`,
        }),
      );
    }
  }

  /**
   * Lets a client (a training cluster, an instance, a launch template's security group) mount the
   * file system: TCP 988 and 1018–1023 from the client to the file system and back.
   * Same as `connections.allowDefaultPortFrom(client)`.
   *
   * @param client the client to allow (a training cluster, an instance, a launch template's security group)
   */
  public allowClient(client: ec2.IConnectable): void {
    this.connections.allowDefaultPortFrom(client);
  }

  /**
   * Shell commands for a client's user data that mount the file system at `mountPath` with
   * `relatime,flock`, and add an fstab entry with `_netdev` so the mount survives a reboot.
   * The Lustre client must be installed (Amazon Linux 2023: `dnf install -y lustre-client`).
   *
   * @param mountPath where to mount the file system on the client; `/fsx` when omitted
   */
  public mountCommands(mountPath: string = '/fsx'): string[] {
    return lustreMountCommands(this.dnsName, this.mountName, mountPath);
  }

  /**
   * Age of the oldest change waiting for automatic export to S3, seconds (Maximum over 5 minutes).
   * `AWS/FSx` `AgeOfOldestQueuedMessage` with `Publisher=AutoExport`.
   *
   * @param props options that override the metric's period, statistic, label or unit
   * @see https://docs.aws.amazon.com/fsx/latest/LustreGuide/fs-metrics.html
   */
  public metricExportBacklogAge(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return exportBacklogAge(this.fileSystem.fileSystemId, props);
  }

  /**
   * Free storage capacity of the file system, bytes (Sum over its storage targets, 5 minutes).
   * `AWS/FSx` `FreeDataStorageCapacity`.
   *
   * @param props options that override the metric's period, statistic, label or unit
   */
  public metricFreeCapacityBytes(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return freeCapacityBytes(this.fileSystem.fileSystemId, props);
  }

  /**
   * Bytes read by clients, Sum per 5 minutes. `AWS/FSx` `DataReadBytes`.
   *
   * @param props options that override the metric's period, statistic, label or unit
   */
  public metricDataReadBytes(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return dataReadBytes(this.fileSystem.fileSystemId, props);
  }

  /**
   * Metadata operations (opens, stats, creates...) served, Sum per 5 minutes. `AWS/FSx`
   * `MetadataOperations`. Millions of small-file opens are limited here before throughput is.
   *
   * @param props options that override the metric's period, statistic, label or unit
   * @see https://docs.aws.amazon.com/fsx/latest/LustreGuide/fs-metrics.html
   */
  public metricMetadataOperations(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return metadataOperations(this.fileSystem.fileSystemId, props);
  }

  /** Capacity and tier from a demand: the sizer's cheapest, or the smallest capacity at the tier given. */
  private sizeFromDemand(
    deploymentType: fsx.LustreDeploymentType,
    mbps: number,
    datasetGiB: number,
    perUnit: number | undefined,
  ): { capacityGiB: number; perUnit?: number } {
    if (perUnit === undefined || Token.isUnresolved(perUnit)) {
      const best = this.rethrow(() => sizeLustre(mbps, datasetGiB, { deploymentTypes: [deploymentType] }));
      return { capacityGiB: best.storageCapacityGiB, perUnit: best.perUnitStorageThroughput };
    }
    // The sizer picks the tier itself; with a tier given, size the capacity at that tier.
    this.rethrow(() =>
      validateLustreConfiguration({ deploymentType, storageCapacityGiB: 1200, perUnitStorageThroughput: perUnit, throughputProp: 'perUnitStorageThroughputMBpsPerTiB' }),
    );
    let capacityGiB = this.rethrow(() =>
      nextValidCapacityGiB(deploymentType, Math.max(capacityForDatasetGiB(datasetGiB), (mbps * LUSTRE.gibPerTiB) / perUnit)));
    while (lustreThroughputMBps(deploymentType, capacityGiB, perUnit) < mbps) {
      capacityGiB = nextValidCapacityGiB(deploymentType, capacityGiB + 1);
    }
    return { capacityGiB, perUnit };
  }

  private warnIfShort(
    deploymentType: fsx.LustreDeploymentType,
    capacity: number,
    perUnit: number | undefined,
    demand: TrainingDemand,
    demandRate: number,
    sizedFromDemand: boolean,
  ): void {
    // The same limits and arithmetic as recommendStorage (throughput-sizing.ts).
    const fit = this.rethrow(() => checkLustre(demand, deploymentType, capacity, perUnit), 'demand.');
    const tier = perUnit === undefined ? deploymentType : `${deploymentType} at ${perUnit} MB/s/TiB`;
    if (!sizedFromDemand && this.throughputMBps < demandRate) {
      const needed = this.sizeFromDemand(deploymentType, demandRate, demand.datasetGiB, perUnit);
      Validations.of(this).addWarning(
        'cdk-ml-at-scale:LustreThroughputShortfall',
        `storageCapacityGiB ${capacity} (${tier}) gives ${fmt(this.throughputMBps)} MB/s, ` +
          `${fmt(demandRate - this.throughputMBps)} MB/s short of the demand's ${fmt(demandRate)} MB/s: a stall risk ` +
          `(GPUs wait for data). ${needed.capacityGiB} GiB would meet it; or omit storageCapacityGiB to size from the demand.`,
      );
    }
    const other = fit.limits.filter((l) => l.limit !== SizingLimit.THROUGHPUT && l.demanded > l.available);
    if (other.length > 0) {
      Validations.of(this).addWarning(
        'cdk-ml-at-scale:LustreDemandExceedsLimit',
        `The demand cannot be served by any capacity of ${tier}: ` +
          other.map((l) => `${describeLimit(l)}, short ${(l.demanded / l.available).toFixed(2)}x`).join('; ') +
          '. A stall risk: stream samples from shards, or spread the GPUs over more instances (see recommendStorage).',
      );
    }
    if (!sizedFromDemand && !Token.isUnresolved(demand.datasetGiB) && !fit.holdsDataset) {
      Validations.of(this).addWarning(
        'cdk-ml-at-scale:LustreDatasetLargerThanCapacity',
        `storageCapacityGiB ${capacity} does not hold the demand's dataset of ${fmt(demand.datasetGiB)} GiB with ` +
          `${LUSTRE.freeSpaceFraction * 100}% kept free (${fmt(capacityForDatasetGiB(demand.datasetGiB))} GiB): ` +
          'a nearly full file system slows down, and fills before an epoch ends unless files are released.',
      );
    }
  }

  /**
   * Lets FSx's service-linked roles use the bucket's KMS key through S3. The statement cannot name
   * the bucket (its ARN would make the key and the bucket depend on each other), so it allows any
   * `AWSServiceRoleForFSxS3Access_fs-*` role of this account, through S3 in this Region only.
   */
  private openBucketKey(bucket: s3.IBucket, done: Set<string>): void {
    const key = bucket.encryptionKey;
    if (!key || done.has(key.node.addr)) return;
    done.add(key.node.addr);
    const { statementAdded } = key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowFSxForLustreDataRepositoriesThroughS3',
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'kms:CallerAccount': Aws.ACCOUNT_ID, 'kms:ViaService': `s3.${Aws.REGION}.amazonaws.com` },
          ArnLike: { 'aws:PrincipalArn': `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:${SLR_PATH}` },
        },
      }),
      true,
    );
    if (!statementAdded) {
      Validations.of(this).addWarning(
        'cdk-ml-at-scale:LustreBucketKeyNotOpened',
        `The bucket ${bucket.node.path} is encrypted with a KMS key this app does not manage: add a key policy statement ` +
          'that lets the role AWSServiceRoleForFSxS3Access_<file system id> use it through S3, or FSx cannot import or export.',
      );
    }
  }

  /** Runs one of fsx-rules' pure checks and adds this construct's path (and a prop prefix) to its error. */
  private rethrow<T>(fn: () => T, propPrefix = ''): T {
    try {
      return fn();
    } catch (err) {
      throw new Error(`${propPrefix}${(err as Error).message} (at ${this.node.path})`);
    }
  }
}

function normalizePrefix(prefix: string | undefined): string {
  if (prefix === undefined) return '';
  if (Token.isUnresolved(prefix)) return prefix.endsWith('/') ? prefix : `${prefix}/`;
  const p = prefix.replace(/^\/+|\/+$/g, '');
  return p ? `${p}/` : '';
}

function fmt(n: number): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: 0 });
}

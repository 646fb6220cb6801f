import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, IConstruct } from 'constructs';
import { invalidProp, validateNumber } from '../common/errors';
import { grantPrefixes, plainPrefix, S3_READ_ACTIONS, S3_WRITE_ACTIONS } from '../common/s3-access';
import { restrictGrantsToAwsServices } from '../common/kms';
import { acknowledgeControlTowerRule, acknowledgeInlinePolicy, acknowledgeRegulatedRule, acknowledgeWildcardResources } from '../common/nag';

/** The zones of the data lake, one bucket each. */
export enum DataLakeZone {
  /** Data as it landed: files, sensor dumps, exports. Intelligent-Tiering from day 0. */
  RAW = 'raw',
  /** Cleaned, validated and sharded data that training reads. */
  CURATED = 'curated',
  /** What training and analysis produce: models, checkpoints, query results. */
  ARTIFACTS = 'artifacts',
}

/** Properties of a {@link DataLake}. */
export interface DataLakeProps {
  /**
   * The key that encrypts every zone (SSE-KMS with S3 Bucket Keys).
   * @default - a new customer-managed key with rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Days after which a version that is no longer current is deleted.
   * @default 90
   */
  readonly noncurrentVersionExpirationDays?: number;
  /**
   * Days after which an incomplete multipart upload is aborted.
   * @default 7
   */
  readonly abortIncompleteMultipartUploadDays?: number;
  /**
   * Days after creation at which raw-zone objects move to S3 Intelligent-Tiering.
   * @default 0
   */
  readonly rawIntelligentTieringAfterDays?: number;
  /**
   * Days that server access logs are kept. At least a year.
   * @default 730
   */
  readonly accessLogsRetentionDays?: number;
  /**
   * Whether the zones send S3 events to Amazon EventBridge (for pipelines that start when data lands).
   * @default true
   */
  readonly eventBridgeEnabled?: boolean;
  /**
   * Replicates the curated and artifacts zones to buckets in a second Region, for teams that must
   * keep a copy there. The destination buckets must be versioned and SSE-KMS with `destinationKey`.
   * @default - no replication (a second Region doubles the storage bill)
   */
  readonly replication?: DataLakeReplication;
  /**
   * Object Lock on the artifacts zone: new model versions cannot be overwritten or deleted until this
   * mode's retention ends. Set it with `artifactsObjectLockRetention`. Object Lock cannot be turned
   * off again, and it cannot be combined with `RemovalPolicy.DESTROY` (locked objects cannot be emptied).
   * @default - no Object Lock
   * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html
   */
  readonly artifactsObjectLockMode?: DataLakeObjectLockMode;
  /**
   * How long each new object version of the artifacts zone stays locked: whole days, from 1 day to
   * 100 years. Required with `artifactsObjectLockMode`.
   * @default - no Object Lock
   */
  readonly artifactsObjectLockRetention?: Duration;
  /**
   * What happens to the buckets and the key created here when they leave the stack.
   * `RemovalPolicy.DESTROY` also empties the buckets first (auto-delete objects).
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Cross-Region replication of the curated and artifacts zones of a {@link DataLake}.
 *
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication.html
 */
export interface DataLakeReplication {
  /** The versioned bucket, in the second Region, that receives the curated zone. */
  readonly curatedDestination: s3.IBucket;
  /** The versioned bucket, in the second Region, that receives the artifacts zone. */
  readonly artifactsDestination: s3.IBucket;
  /** The key, in the second Region, that encrypts the replicas. */
  readonly destinationKey: kms.IKey;
  /**
   * Whether deletions (delete markers) are replicated too.
   * @default false - a deletion in the lake leaves the replica in place
   */
  readonly deleteMarkerReplication?: boolean;
}

/** The Object Lock retention mode of the artifacts zone. */
export enum DataLakeObjectLockMode {
  /** Users with `s3:BypassGovernanceRetention` can still delete or shorten a lock. */
  GOVERNANCE = 'GOVERNANCE',
  /** Nobody, including the root user, can delete a locked version before its retention ends. */
  COMPLIANCE = 'COMPLIANCE',
}

/**
 * A data lake in three zones, created here ({@link DataLake}) or imported
 * ({@link DataLake.fromDataLakeAttributes}). Constructs that read or write the lake take this
 * interface, so that a team can bring the lake it already has.
 */
export interface IDataLake extends IConstruct {
  /** The key that encrypts the zones (SSE-KMS). */
  readonly encryptionKey: kms.IKey;
  /**
   * The bucket of a zone.
   *
   * @param zone the zone whose bucket to return
   */
  bucket(zone: DataLakeZone): s3.IBucket;
  /**
   * The S3 URI of a zone, or of a prefix in it: `s3://<bucket>/<prefix>/`.
   *
   * @param zone the zone of the lake
   * @param prefix a key prefix such as `datasets/imagenet`; leading and trailing slashes are ignored
   */
  s3Uri(zone: DataLakeZone, prefix?: string): string;
  /**
   * Grants reading and listing the objects under a prefix of a zone, and decrypting them.
   *
   * @param grantee the principal to grant to (a role, a user, a function)
   * @param zone the zone of the lake
   * @param prefix a key prefix such as `datasets/imagenet`: not empty, not `/`, no `..` segments.
   *   To grant a whole zone, call `grantReadZone`.
   */
  grantRead(grantee: iam.IGrantable, zone: DataLakeZone, prefix: string): iam.Grant;
  /**
   * Grants writing and deleting the objects under a prefix of a zone, and encrypting them.
   *
   * @param grantee the principal to grant to (a role, a user, a function)
   * @param zone the zone of the lake
   * @param prefix a key prefix such as `checkpoints`. To grant a whole zone, call `grantWriteZone`.
   */
  grantWrite(grantee: iam.IGrantable, zone: DataLakeZone, prefix: string): iam.Grant;
  /**
   * Grants reading, listing, writing and deleting the objects under a prefix of a zone.
   *
   * @param grantee the principal to grant to (a role, a user, a function)
   * @param zone the zone of the lake
   * @param prefix a key prefix such as `checkpoints`. To grant a whole zone, call `grantReadWriteZone`.
   */
  grantReadWrite(grantee: iam.IGrantable, zone: DataLakeZone, prefix: string): iam.Grant;
  /**
   * Grants reading and listing every object of a zone: a deliberate whole-zone grant.
   *
   * @param grantee the principal to grant to (a role, a user, a function)
   * @param zone the zone of the lake
   */
  grantReadZone(grantee: iam.IGrantable, zone: DataLakeZone): iam.Grant;
  /**
   * Grants writing and deleting every object of a zone: a deliberate whole-zone grant.
   *
   * @param grantee the principal to grant to (a role, a user, a function)
   * @param zone the zone of the lake
   */
  grantWriteZone(grantee: iam.IGrantable, zone: DataLakeZone): iam.Grant;
  /**
   * Grants reading, listing, writing and deleting every object of a zone: a deliberate whole-zone grant.
   *
   * @param grantee the principal to grant to (a role, a user, a function)
   * @param zone the zone of the lake
   */
  grantReadWriteZone(grantee: iam.IGrantable, zone: DataLakeZone): iam.Grant;
}

/**
 * An existing lake to import with {@link DataLake.fromDataLakeAttributes}. Give each zone's bucket by
 * name or by ARN.
 */
export interface DataLakeAttributes {
  /**
   * The name of the raw zone's bucket.
   * @default - taken from `rawBucketArn`
   */
  readonly rawBucketName?: string;
  /**
   * The ARN of the raw zone's bucket.
   * @default - taken from `rawBucketName`
   */
  readonly rawBucketArn?: string;
  /**
   * The name of the curated zone's bucket.
   * @default - taken from `curatedBucketArn`
   */
  readonly curatedBucketName?: string;
  /**
   * The ARN of the curated zone's bucket.
   * @default - taken from `curatedBucketName`
   */
  readonly curatedBucketArn?: string;
  /**
   * The name of the artifacts zone's bucket.
   * @default - taken from `artifactsBucketArn`
   */
  readonly artifactsBucketName?: string;
  /**
   * The ARN of the artifacts zone's bucket.
   * @default - taken from `artifactsBucketName`
   */
  readonly artifactsBucketArn?: string;
  /**
   * The key that encrypts the zones (SSE-KMS). Grants include the KMS actions on it. The library's
   * lake is SSE-KMS by design; a lake on SSE-S3 is not supported.
   */
  readonly encryptionKey: kms.IKey;
}

/** What {@link DataLake} and an imported lake share: zone lookup, URIs and prefix-scoped grants. */
abstract class DataLakeBase extends Construct implements IDataLake {
  public abstract readonly encryptionKey: kms.IKey;

  public abstract bucket(zone: DataLakeZone): s3.IBucket;

  /**
   * The S3 URI of a zone, or of a prefix in it: `s3://<bucket>/<prefix>/`.
   *
   * @param zone the zone of the lake
   * @param prefix a key prefix such as `datasets/imagenet`; leading and trailing slashes are ignored; the zone's root when omitted
   */
  public s3Uri(zone: DataLakeZone, prefix?: string): string {
    const p = plainPrefix(this, 'prefix', prefix);
    return `s3://${this.bucket(zone).bucketName}/${p ? `${p}/` : ''}`;
  }

  /**
   * Grants reading and listing the objects under a prefix of a zone, and decrypting them.
   *
   * @param grantee the principal to grant to (a role, a user, a function)
   * @param zone the zone of the lake
   * @param prefix a key prefix such as `datasets/imagenet`: not empty, not `/`, no `..` segments; to grant a whole zone, call `grantReadZone`
   */
  public grantRead(grantee: iam.IGrantable, zone: DataLakeZone, prefix: string): iam.Grant {
    return this.grantZone(grantee, zone, this.grantPrefix(zone, prefix, 'grantReadZone'), READ);
  }

  /**
   * Grants writing and deleting the objects under a prefix of a zone, and encrypting them.
   *
   * @param grantee the principal to grant to (a role, a user, a function)
   * @param zone the zone of the lake
   * @param prefix a key prefix such as `checkpoints`: not empty, not `/`, no `..` segments; to grant a whole zone, call `grantWriteZone`
   */
  public grantWrite(grantee: iam.IGrantable, zone: DataLakeZone, prefix: string): iam.Grant {
    return this.grantZone(grantee, zone, this.grantPrefix(zone, prefix, 'grantWriteZone'), WRITE);
  }

  /**
   * Grants reading, listing, writing and deleting the objects under a prefix of a zone.
   *
   * @param grantee the principal to grant to (a role, a user, a function)
   * @param zone the zone of the lake
   * @param prefix a key prefix such as `checkpoints`: not empty, not `/`, no `..` segments; to grant a whole zone, call `grantReadWriteZone`
   */
  public grantReadWrite(grantee: iam.IGrantable, zone: DataLakeZone, prefix: string): iam.Grant {
    return this.grantZone(grantee, zone, this.grantPrefix(zone, prefix, 'grantReadWriteZone'), READ_WRITE);
  }

  /**
   * Grants reading and listing every object of a zone: a deliberate whole-zone grant.
   *
   * @param grantee the principal to grant to (a role, a user, a function)
   * @param zone the zone of the lake
   */
  public grantReadZone(grantee: iam.IGrantable, zone: DataLakeZone): iam.Grant {
    return this.grantZone(grantee, zone, '', READ);
  }

  /**
   * Grants writing and deleting every object of a zone: a deliberate whole-zone grant.
   *
   * @param grantee the principal to grant to (a role, a user, a function)
   * @param zone the zone of the lake
   */
  public grantWriteZone(grantee: iam.IGrantable, zone: DataLakeZone): iam.Grant {
    return this.grantZone(grantee, zone, '', WRITE);
  }

  /**
   * Grants reading, listing, writing and deleting every object of a zone: a deliberate whole-zone grant.
   *
   * @param grantee the principal to grant to (a role, a user, a function)
   * @param zone the zone of the lake
   */
  public grantReadWriteZone(grantee: iam.IGrantable, zone: DataLakeZone): iam.Grant {
    return this.grantZone(grantee, zone, '', READ_WRITE);
  }

  /** A prefix grant needs a prefix: an empty one would silently be the whole zone. */
  private grantPrefix(zone: DataLakeZone, prefix: string | undefined, zoneMethod: string): string {
    const p = plainPrefix(this, 'prefix', prefix);
    if (p === '') {
      throw invalidProp(this, 'prefix', `must be a key prefix such as 'datasets/imagenet'; to grant the whole ${zone} zone, call ${zoneMethod}(grantee, zone)`, prefix);
    }
    return p;
  }

  private grantZone(grantee: iam.IGrantable, zone: DataLakeZone, p: string, access: ZoneAccess): iam.Grant {
    return grantPrefixes(grantee, {
      bucket: this.bucket(zone),
      prefixes: [p],
      objectActions: access.objectActions,
      keyActions: access.keyActions,
      encryptionKey: this.encryptionKey,
      reason: p
        ? `Object keys under the prefix '${p}/' are created at run time and cannot be listed in advance; the grant is limited to that prefix of the ${zone} zone.`
        : `A deliberate whole-zone grant (${access.name}Zone): the grantee may ${access.verb} every object of the ${zone} zone, whose keys are created at run time.`,
    });
  }
}

interface ZoneAccess {
  readonly name: string;
  readonly verb: string;
  readonly objectActions: string[];
  readonly keyActions: string[];
}
const READ: ZoneAccess = { name: 'grantRead', verb: 'read and list', objectActions: S3_READ_ACTIONS, keyActions: ['kms:Decrypt'] };
const WRITE: ZoneAccess = {
  name: 'grantWrite',
  verb: 'write and delete',
  objectActions: S3_WRITE_ACTIONS,
  keyActions: ['kms:Decrypt', 'kms:GenerateDataKey'],
};
const READ_WRITE: ZoneAccess = {
  name: 'grantReadWrite',
  verb: 'read, list, write and delete',
  objectActions: [...S3_READ_ACTIONS, ...S3_WRITE_ACTIONS],
  keyActions: ['kms:Decrypt', 'kms:GenerateDataKey'],
};

/** A lake that exists already, imported by {@link DataLake.fromDataLakeAttributes}. */
class ImportedDataLake extends DataLakeBase {
  public readonly encryptionKey: kms.IKey;
  private readonly zoneBuckets: Record<DataLakeZone, s3.IBucket>;

  constructor(scope: Construct, id: string, attrs: DataLakeAttributes) {
    super(scope, id);
    this.encryptionKey = attrs.encryptionKey;
    const zone = (zoneId: string, prop: string, bucketName?: string, bucketArn?: string): s3.IBucket => {
      if ((bucketName === undefined) === (bucketArn === undefined)) {
        throw invalidProp(this, `${prop}BucketName or ${prop}BucketArn`, 'must be given, one of the two', { bucketName, bucketArn });
      }
      return s3.Bucket.fromBucketAttributes(this, zoneId, { bucketName, bucketArn, encryptionKey: attrs.encryptionKey });
    };
    this.zoneBuckets = {
      [DataLakeZone.RAW]: zone('Raw', 'raw', attrs.rawBucketName, attrs.rawBucketArn),
      [DataLakeZone.CURATED]: zone('Curated', 'curated', attrs.curatedBucketName, attrs.curatedBucketArn),
      [DataLakeZone.ARTIFACTS]: zone('Artifacts', 'artifacts', attrs.artifactsBucketName, attrs.artifactsBucketArn),
    };
  }

  public bucket(zone: DataLakeZone): s3.IBucket {
    return this.zoneBuckets[zone];
  }
}

/**
 * An S3 data lake in three zones (raw, curated, artifacts), each its own bucket: SSE-KMS with a
 * customer-managed key and Bucket Keys, versioning, TLS only, no public access, ACLs disabled,
 * server access logs to a dedicated bucket, EventBridge notifications and lifecycle tiering.
 *
 * Access is granted per zone and prefix with `grantRead`, `grantWrite` and `grantReadWrite`; a whole
 * zone only deliberately, with `grantReadZone`, `grantWriteZone` and `grantReadWriteZone`.
 */
export class DataLake extends DataLakeBase {
  /**
   * Imports an existing lake, so that the library's constructs can read and write it. Nothing is
   * created: the buckets' policies, lifecycle and logging stay as they are.
   *
   * @param scope the scope to define the imported construct in
   * @param id the id of the imported construct, unique in `scope`
   * @param attrs the existing lake: its three buckets and its key
   */
  public static fromDataLakeAttributes(scope: Construct, id: string, attrs: DataLakeAttributes): IDataLake {
    return new ImportedDataLake(scope, id, attrs);
  }

  /** The key that encrypts every zone. */
  public readonly encryptionKey: kms.IKey;
  /** The raw zone. */
  public readonly rawBucket: s3.Bucket;
  /** The curated zone. */
  public readonly curatedBucket: s3.Bucket;
  /** The artifacts zone. */
  public readonly artifactsBucket: s3.Bucket;
  /** The bucket that receives the zones' server access logs (SSE-S3: log delivery cannot use SSE-KMS). */
  public readonly accessLogsBucket: s3.Bucket;

  /**
   * Defines a `DataLake` in `scope`.
   *
   * @param scope the scope to define the construct in
   * @param id the construct's id, unique in `scope`
   * @param props the construct's configuration, see `DataLakeProps`
   */
  constructor(scope: Construct, id: string, props: DataLakeProps = {}) {
    super(scope, id);
    // Log delivery through a bucket policy, not ACLs (which BUCKET_OWNER_ENFORCED disables), even
    // in an app whose cdk.json predates the feature flag.
    this.node.setContext(cxapi.S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);
    const noncurrentDays = props.noncurrentVersionExpirationDays ?? 90;
    const abortDays = props.abortIncompleteMultipartUploadDays ?? 7;
    const tieringDays = props.rawIntelligentTieringAfterDays ?? 0;
    const logDays = props.accessLogsRetentionDays ?? 730;
    validateNumber(this, 'noncurrentVersionExpirationDays', noncurrentDays, { integer: true, min: 1 });
    validateNumber(this, 'abortIncompleteMultipartUploadDays', abortDays, { integer: true, min: 1 });
    validateNumber(this, 'rawIntelligentTieringAfterDays', tieringDays, { integer: true, min: 0 });
    validateNumber(this, 'accessLogsRetentionDays', logDays, { integer: true, min: 365 });

    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const destroy = removalPolicy === RemovalPolicy.DESTROY;
    const objectLock = this.artifactsObjectLock(props, destroy);

    this.encryptionKey =
      props.encryptionKey ??
      restrictGrantsToAwsServices(new kms.Key(this, 'Key', {
        description: `Encrypts the zones of the data lake ${this.node.path}`,
        enableKeyRotation: true,
        removalPolicy,
      }));

    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      lifecycleRules: [
        { id: 'expire-access-logs', expiration: Duration.days(logDays), noncurrentVersionExpiration: Duration.days(1) },
      ],
      removalPolicy,
      autoDeleteObjects: destroy,
    });
    Validations.of(this.accessLogsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket is the target of the zones\u2019 server access logs; logging it to itself would loop.',
    });

    const zone = (zoneId: string, zoneName: DataLakeZone, extraRules: s3.LifecycleRule[], extra: Partial<s3.BucketProps> = {}) =>
      new s3.Bucket(this, zoneId, {
        ...extra,
        encryption: s3.BucketEncryption.KMS,
        encryptionKey: this.encryptionKey,
        bucketKeyEnabled: true,
        enforceSSL: true,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        versioned: true,
        eventBridgeEnabled: props.eventBridgeEnabled ?? true,
        serverAccessLogsBucket: this.accessLogsBucket,
        serverAccessLogsPrefix: `${zoneName}/`,
        lifecycleRules: [
          {
            id: 'abort-incomplete-uploads-and-expire-old-versions',
            abortIncompleteMultipartUploadAfter: Duration.days(abortDays),
            noncurrentVersionExpiration: Duration.days(noncurrentDays),
          },
          ...extraRules,
        ],
        removalPolicy,
        autoDeleteObjects: destroy,
      });

    this.rawBucket = zone('Raw', DataLakeZone.RAW, [
      {
        id: 'raw-to-intelligent-tiering',
        transitions: [{ storageClass: s3.StorageClass.INTELLIGENT_TIERING, transitionAfter: Duration.days(tieringDays) }],
      },
    ]);
    const replication = props.replication;
    if (replication && replication.curatedDestination === replication.artifactsDestination) {
      throw invalidProp(this, 'replication.artifactsDestination', 'must be another bucket than replication.curatedDestination', replication.artifactsDestination.node.path);
    }
    const replicate = (destination: s3.IBucket | undefined): Partial<s3.BucketProps> =>
      destination && replication
        ? {
            replicationRules: [
              {
                id: 'replicate-to-second-region',
                destination,
                kmsKey: replication.destinationKey,
                sseKmsEncryptedObjects: true,
                deleteMarkerReplication: replication.deleteMarkerReplication ?? false,
                priority: 0,
              },
            ],
          }
        : {};
    this.curatedBucket = zone('Curated', DataLakeZone.CURATED, [], replicate(replication?.curatedDestination));
    this.artifactsBucket = zone('Artifacts', DataLakeZone.ARTIFACTS, [], {
      ...replicate(replication?.artifactsDestination),
      ...(objectLock ? { objectLockEnabled: true, objectLockDefaultRetention: objectLock } : {}),
    });
    this.acknowledgeOptionalControls(props, objectLock !== undefined);

    // EventBridge notifications are switched on by aws-cdk-lib's stack-wide custom resource.
    const notificationsHandler = Stack.of(this)
      .node.children.find((c) => c.node.id.startsWith('BucketNotificationsHandler'));
    if (notificationsHandler) {
      Validations.of(notificationsHandler).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason:
          'aws-cdk-lib\u2019s bucket-notifications handler runs only while CloudFormation deploys; the managed policy lets it write its own logs and nothing else. Its other permission (s3:PutBucketNotification) is an inline policy.',
      });
      acknowledgeControlTowerRule(
        notificationsHandler,
        'lambda_inside_vpc_check',
        'aws-cdk-lib\u2019s bucket-notifications handler runs only while CloudFormation deploys; it calls only the S3 control API (PutBucketNotificationConfiguration) with IAM authentication over TLS and reads no data.',
      );
    }
  }

  /** The artifacts zone's Object Lock retention, validated; undefined when off. */
  private artifactsObjectLock(props: DataLakeProps, destroy: boolean): s3.ObjectLockRetention | undefined {
    const mode = props.artifactsObjectLockMode;
    const retention = props.artifactsObjectLockRetention;
    if (mode === undefined && retention === undefined) return undefined;
    if (mode === undefined) throw invalidProp(this, 'artifactsObjectLockMode', 'must be given with artifactsObjectLockRetention', mode);
    if (retention === undefined) throw invalidProp(this, 'artifactsObjectLockRetention', 'must be given with artifactsObjectLockMode', retention);
    if (!Object.values(DataLakeObjectLockMode).includes(mode)) {
      throw invalidProp(this, 'artifactsObjectLockMode', 'must be GOVERNANCE or COMPLIANCE', mode);
    }
    if (Token.isUnresolved(retention.toSeconds())) throw invalidProp(this, 'artifactsObjectLockRetention', 'must be known at synth, not a token', retention.toString());
    // S3 takes the default retention in whole days; aws-cdk-lib allows 1 day to 100 years.
    const days = retention.toSeconds() / 86400;
    validateNumber(this, 'artifactsObjectLockRetention (days)', days, { integer: true, min: 1, max: 36500 });
    if (destroy) {
      throw invalidProp(this, 'artifactsObjectLockMode', 'must not be combined with RemovalPolicy.DESTROY (locked objects cannot be emptied)', mode);
    }
    const period = Duration.days(days);
    return mode === DataLakeObjectLockMode.COMPLIANCE ? s3.ObjectLockRetention.compliance(period) : s3.ObjectLockRetention.governance(period);
  }

  /**
   * Acknowledges the NIST/HIPAA and Control Tower findings that each bucket of the lake raises by
   * design, and those of the optional controls (replication, Object Lock) while they are off.
   */
  private acknowledgeOptionalControls(props: DataLakeProps, objectLocked: boolean): void {
    const logs = this.accessLogsBucket;
    acknowledgeRegulatedRule(logs, 'S3DefaultEncryptionKMS', 'S3 server access log delivery supports only SSE-S3 on the target bucket; the zones themselves are SSE-KMS.');
    acknowledgeControlTowerRule(logs, 's3_bucket_default_encryption_kms_check', 'S3 server access log delivery supports only SSE-S3 on the target bucket; the zones themselves are SSE-KMS.');
    acknowledgeControlTowerRule(logs, 's3_bucket_logging_enabled_check', 'This bucket is the target of the zones\u2019 server access logs; logging it to itself would loop.');
    acknowledgeRegulatedRule(logs, 'S3BucketReplicationEnabled', 'Access logs are audit records of this Region\u2019s lake, versioned and kept for accessLogsRetentionDays; they are not replicated with the data.');
    acknowledgeControlTowerRule(logs, 's3_bucket_object_lock_enabled_check', 'Access logs are versioned and expire by lifecycle after accessLogsRetentionDays; Object Lock would keep S3 from expiring them.');
    acknowledgeControlTowerRule(logs, 's3_event_notifications_enabled_check', 'Only S3 log delivery writes to this bucket; no workflow reacts to its objects.');

    const eventBridge = props.eventBridgeEnabled ?? true;
    for (const [bucket, name] of [
      [this.rawBucket, 'raw'],
      [this.curatedBucket, 'curated'],
      [this.artifactsBucket, 'artifacts'],
    ] as const) {
      acknowledgeControlTowerRule(
        bucket,
        's3_event_notifications_enabled_check',
        eventBridge
          ? 'EventBridge notifications are on, set by aws-cdk-lib\u2019s Custom::S3BucketNotifications resource rather than the bucket\u2019s NotificationConfiguration property, which is all the rule reads.'
          : 'EventBridge notifications were turned off with eventBridgeEnabled: false, for a lake that no workflow watches.',
      );
      if (!(name === 'artifacts' && objectLocked)) {
        acknowledgeControlTowerRule(
          bucket,
          's3_bucket_object_lock_enabled_check',
          name === 'artifacts'
            ? 'Object Lock is optional (artifactsObjectLockMode), off by default because it cannot be turned off and locked model versions cannot be deleted, even by the account; versioning keeps every overwritten version meanwhile.'
            : `The ${name} zone is rewritten by ingestion and ETL and trimmed by lifecycle rules, which Object Lock would block; versioning keeps overwritten versions for noncurrentVersionExpirationDays.`,
        );
      }
      const replicated = props.replication !== undefined && name !== 'raw';
      if (!replicated) {
        acknowledgeRegulatedRule(
          bucket,
          'S3BucketReplicationEnabled',
          name === 'raw'
            ? 'The raw zone holds data as it landed from sources that keep their own copy, and is derived into the curated zone, which can be replicated (replication).'
            : 'Cross-Region replication is optional (replication), off by default because it needs buckets and a key in a second Region and doubles the storage bill; versioning protects against overwrites and deletions in this Region.',
        );
      }
      // aws-cdk-lib's notifications resource writes its s3:PutBucketNotification grant as an inline policy.
      const notifications = bucket.node.tryFindChild('Notifications');
      if (notifications) acknowledgeInlinePolicy(notifications);
    }
    if (props.replication) {
      for (const bucket of [this.curatedBucket, this.artifactsBucket]) {
        const role = bucket.node.tryFindChild('ReplicationRole');
        if (!role) continue;
        acknowledgeInlinePolicy(role);
        // aws-cdk-lib's replication role: S3 replicates every object of the zone, whose keys are chosen at run time.
        acknowledgeWildcardResources(
          role,
          [bucket.arnForObjects('*'), ...(bucket === this.curatedBucket ? [props.replication.curatedDestination] : [props.replication.artifactsDestination]).map((d) => d.arnForObjects('*'))],
          'S3 replication reads every object version of the zone and writes its replica under the same key in the destination bucket; the keys are chosen at run time.',
        );
        for (const action of ['kms:GenerateDataKey*', 'kms:ReEncrypt*']) {
          Validations.of(role).acknowledge({
            id: `AwsSolutions-IAM5[Action::${action}]`,
            reason: 'aws-cdk-lib\u2019s replication role decrypts with the lake key and re-encrypts replicas with the destination key; the actions name those two keys only.',
          });
        }
      }
    }
  }

  /**
   * The bucket of a zone.
   *
   * @param zone the zone whose bucket to return
   */
  public bucket(zone: DataLakeZone): s3.IBucket {
    switch (zone) {
      case DataLakeZone.RAW:
        return this.rawBucket;
      case DataLakeZone.CURATED:
        return this.curatedBucket;
      case DataLakeZone.ARTIFACTS:
        return this.artifactsBucket;
    }
  }
}

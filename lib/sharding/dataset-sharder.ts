import { Annotations, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct, IConstruct } from 'constructs';
import { invalidProp, requireLiteral, validateNumber } from '../common/errors';
import { allowCloudWatchLogs, logRetention, validateStateMachineTimeout } from '../common/logging';
import {
  acknowledgeCrossStackReference,
  acknowledgeInlinePolicy,
  acknowledgeRegulatedRule,
  acknowledgeWildcardResources,
  flattenCfnValue,
} from '../common/nag';
import { runtimeCode } from '../common/runtime-assets';
import { jsonataDescribe, jsonataString } from './jsonata';
import { restrictGrantsToAwsServices } from '../common/kms';

/** The tag a run puts on what it writes before it commits (lib/sharding/runtime/s3.ts). */
const RUN_STATE_TAG = 'ml-at-scale-sharder-run';

const MIB = 1024 * 1024;
/** Smallest and largest target shard size that the state machine accepts, in MiB. */
const MIN_SHARD_MIB = 1;
const MAX_SHARD_MIB = 5 * 1024;

/**
 * The settings of a {@link DatasetSharder}: its props without the VPC, the buckets and their key, which a composition wires in. A stack that builds one takes this bag.
 */
export interface DatasetSharderOptions {
  /**
   * The subnets of the Lambda functions. They need a route to S3 (a gateway endpoint or NAT).
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * The key prefix that runs may read from. Every `sourceKey` or `sourcePrefix` of a run must start with it.
   * @default - the whole bucket
   */
  readonly sourcePrefix?: string;
  /**
   * The key prefix under which each run writes its own folder (`<prefix><runId>/`).
   * @default 'shards/'
   */
  readonly destinationPrefix?: string;
  /**
   * The shard size used when a run does not give `targetShardBytes`.
   * @default 64
   */
  readonly targetShardSizeMiB?: number;
  /**
   * How many ranges are sharded at the same time (the Distributed Map's `MaxConcurrency`).
   * @default 40
   */
  readonly maxConcurrency?: number;
  /**
   * Reserved concurrency of the shard function (opt-in). Below `maxConcurrency`, invocations are throttled and retried.
   *
   * Reserving needs room in the account: Lambda keeps at least 100 executions unreserved, so the
   * account's concurrency quota (Service Quotas `lambda` L-B99A9384) must exceed everything reserved
   * in the Region by 100. New accounts often start at 10, where any reservation fails the deploy.
   * `npm run preflight` checks it.
   * @see https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html
   * @default - none: the function draws on the account's unreserved pool, and `maxConcurrency` bounds it
   */
  readonly shardReservedConcurrency?: number;
  /**
   * Reserved concurrency of the plan and the finalize function each (opt-in): how many runs can plan or
   * finalize at once. Needs the same quota room as `shardReservedConcurrency`.
   * @default - none: the functions draw on the account's unreserved pool
   */
  readonly controlReservedConcurrency?: number;
  /**
   * Memory of the shard function. 1769 MiB buys one full vCPU, which the SHA-256 of each shard needs.
   * @default 1769
   */
  readonly shardMemoryMiB?: number;
  /**
   * How long a whole run may take.
   * @default Duration.hours(12)
   */
  readonly timeout?: Duration;
  /**
   * The key that encrypts the log groups and the dead-letter queue. A key passed in must allow
   * CloudWatch Logs (`logs.<region>.amazonaws.com`) to use it.
   * @default - a new customer-managed key with rotation
   */
  readonly operationalKey?: kms.IKey;
  /**
   * How long the Lambda and Step Functions logs are kept. At least a year.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the log groups, the dead-letter queue and the key created here when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * How long the objects of a run that never committed (no manifest) are kept: a lifecycle rule on the
   * destination bucket expires, under the destination prefix, the objects that runs tag
   * `ml-at-scale-sharder-run=pending`. Finalize tags the shards `committed` before it writes the manifest,
   * so a committed run's shards never expire. Whole days, longer than `timeout`. Only a bucket created in
   * this app (`s3.Bucket`) can take the rule; for an imported bucket, add the same rule where it is defined.
   * @default - 7 days, or the whole days of `timeout` plus one when that is longer
   */
  readonly abandonedRunExpiration?: Duration;
}

/** Properties of a {@link DatasetSharder}. */
export interface DatasetSharderProps extends DatasetSharderOptions {
  /** The VPC that the sharder's Lambda functions run in. */
  readonly vpc: ec2.IVpc;
  /** The bucket that holds the datasets to shard. */
  readonly sourceBucket: s3.IBucket;
  /** The bucket that receives the plans, shards and manifests. */
  readonly destinationBucket: s3.IBucket;
  /**
   * The KMS key of the source and destination buckets (SSE-KMS), for buckets whose key is not known
   * to the bucket object (imported buckets).
   * @default - the buckets' own `encryptionKey`, if any
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * A dataset sharder: created here ({@link DatasetSharder}) or imported
 * ({@link DatasetSharder.fromDatasetSharderAttributes}). `TrainingPipeline` takes this interface.
 */
export interface IDatasetSharder extends IConstruct {
  /** The ARN of the state machine that a run starts. */
  readonly stateMachineArn: string;
  /** The bucket runs read from. */
  readonly sourceBucket: s3.IBucket;
  /** The prefix runs read from, '' or ending in '/'. */
  readonly sourcePrefix: string;
  /** The bucket runs write to. */
  readonly destinationBucket: s3.IBucket;
  /** The prefix runs write under, '' or ending in '/'. */
  readonly destinationPrefix: string;
  /**
   * Lets `grantee` start runs of the sharder.
   *
   * @param grantee the principal to grant to (a role, a user, a function)
   */
  grantStartExecution(grantee: iam.IGrantable): iam.Grant;
}

/** An existing sharder to import with {@link DatasetSharder.fromDatasetSharderAttributes}. */
export interface DatasetSharderAttributes {
  /** The ARN of its state machine. */
  readonly stateMachineArn: string;
  /** The bucket its runs read from. */
  readonly sourceBucket: s3.IBucket;
  /**
   * The prefix its runs read from.
   * @default - the whole bucket
   */
  readonly sourcePrefix?: string;
  /** The bucket its runs write to. */
  readonly destinationBucket: s3.IBucket;
  /**
   * The prefix its runs write under.
   * @default 'shards/'
   */
  readonly destinationPrefix?: string;
}

/** A sharder that exists already, imported by {@link DatasetSharder.fromDatasetSharderAttributes}. */
class ImportedDatasetSharder extends Construct implements IDatasetSharder {
  public readonly stateMachineArn: string;
  public readonly sourceBucket: s3.IBucket;
  public readonly sourcePrefix: string;
  public readonly destinationBucket: s3.IBucket;
  public readonly destinationPrefix: string;
  private readonly stateMachine: sfn.IStateMachine;

  constructor(scope: Construct, id: string, attrs: DatasetSharderAttributes) {
    super(scope, id);
    this.stateMachine = sfn.StateMachine.fromStateMachineArn(this, 'StateMachine', attrs.stateMachineArn);
    this.stateMachineArn = attrs.stateMachineArn;
    this.sourceBucket = attrs.sourceBucket;
    this.destinationBucket = attrs.destinationBucket;
    this.sourcePrefix = normalizePrefix(this, 'sourcePrefix', attrs.sourcePrefix ?? '');
    this.destinationPrefix = normalizePrefix(this, 'destinationPrefix', attrs.destinationPrefix ?? 'shards/');
  }

  public grantStartExecution(grantee: iam.IGrantable): iam.Grant {
    return this.stateMachine.grantStartExecution(grantee);
  }
}

/**
 * Splits large S3 objects into record-aligned shards at scale, with a manifest as the commit point.
 *
 * A Step Functions state machine validates its input, runs the plan function (which writes the list
 * of byte ranges to S3), fans out over the ranges with a Distributed Map (S3 JSON ItemReader, no
 * tolerated failures) that runs the shard function once per range, and ends with the finalize
 * function, which writes the manifest. The functions ship pre-bundled in the package (no bundling at synth), run in the
 * VPC with X-Ray and an encrypted dead-letter queue (reserved concurrency only when asked), and may read only the
 * source prefix and write only the destination prefix.
 *
 * Execution input:
 * `{ "sourceKey": "raw/data.csv" }` or `{ "sourcePrefix": "raw/2024/" }`, and optionally
 * `"targetShardBytes": 67108864` and `"format": { "type": "newline", "csvHeader": true }`,
 * `{ "type": "newline", "csv": true }`, `{ "type": "fixed", "recordLengthBytes": 512 }` or `{ "type": "tar" }`
 * (small objects packed into WebDataset tar shards).
 * Output: `{ manifestBucket, manifestKey, shardCount, recordCount, bytes, outputBucket, outputPrefix, runId }`.
 */
export class DatasetSharder extends Construct implements IDatasetSharder, ec2.IConnectable {
  /**
   * Imports an existing sharder (its state machine and the locations it reads and writes), so that a
   * `TrainingPipeline` can run it. Nothing is created.
   *
   * @param scope the scope to define the imported construct in
   * @param id the id of the imported construct, unique in `scope`
   * @param attrs the existing sharder's state machine and the locations it reads and writes
   */
  public static fromDatasetSharderAttributes(scope: Construct, id: string, attrs: DatasetSharderAttributes): IDatasetSharder {
    return new ImportedDatasetSharder(scope, id, attrs);
  }

  /** The bucket runs read from. */
  public readonly sourceBucket: s3.IBucket;
  /** The prefix runs read from, normalized to '' or ending in '/'. */
  public readonly sourcePrefix: string;
  /** The bucket runs write to. */
  public readonly destinationBucket: s3.IBucket;
  /** The prefix runs write under, normalized to '' or ending in '/'. */
  public readonly destinationPrefix: string;
  /** The default target shard size in bytes. */
  public readonly targetShardBytes: number;
  /** How many ranges are sharded at the same time (the Distributed Map's `MaxConcurrency`). */
  public readonly maxConcurrency: number;
  /** Lists the byte ranges of a run and writes them to S3. */
  public readonly planFunction: lambda.Function;
  /** Writes one shard. */
  public readonly shardFunction: lambda.Function;
  /** Checks every shard and writes the manifest. */
  public readonly finalizeFunction: lambda.Function;
  /** Log group of the plan function, encrypted with the operational key. */
  public readonly planLogGroup: logs.LogGroup;
  /** Log group of the shard function, encrypted with the operational key. */
  public readonly shardLogGroup: logs.LogGroup;
  /** Log group of the finalize function, encrypted with the operational key. */
  public readonly finalizeLogGroup: logs.LogGroup;
  /** The log group of the state machine. */
  public readonly stateMachineLogGroup: logs.LogGroup;
  /** The dead-letter queue of the three functions (for asynchronous invocations). */
  public readonly deadLetterQueue: sqs.Queue;
  /** The security group of the functions: HTTPS out only, nothing in. */
  public readonly securityGroup: ec2.SecurityGroup;
  /** The functions' network access: `sharder.connections.allowTo(endpoint, ec2.Port.tcp(443))`. */
  public readonly connections: ec2.Connections;
  /** The key of the log groups and the dead-letter queue. */
  public readonly operationalKey: kms.IKey;
  /** The state machine: validate, plan, Distributed Map of shard, finalize. */
  public readonly stateMachine: sfn.StateMachine;
  /** The ARN of the state machine. */
  public readonly stateMachineArn: string;
  /** How long the objects of an abandoned run are kept, when the lifecycle rule could be added (undefined for an imported bucket). */
  public readonly abandonedRunExpiration?: Duration;

  /**
   * Defines a `DatasetSharder` in `scope`.
   *
   * @param scope the scope to define the construct in
   * @param id the construct's id, unique in `scope`
   * @param props the construct's configuration, see `DatasetSharderProps`
   */
  constructor(scope: Construct, id: string, props: DatasetSharderProps) {
    super(scope, id);
    const shardMiB = props.targetShardSizeMiB ?? 64;
    const maxConcurrency = props.maxConcurrency ?? 40;
    this.maxConcurrency = maxConcurrency;
    const shardReserved = props.shardReservedConcurrency;
    const controlReserved = props.controlReservedConcurrency;
    const shardMemory = props.shardMemoryMiB ?? 1769;
    const timeout = props.timeout ?? Duration.hours(12);
    requireLiteral(this, 'targetShardSizeMiB', props.targetShardSizeMiB, 'the default shard size is written into the state machine in bytes');
    requireLiteral(this, 'maxConcurrency', props.maxConcurrency, 'it sets the reserved concurrency of the shard function');
    validateNumber(this, 'targetShardSizeMiB', shardMiB, { integer: true, min: MIN_SHARD_MIB, max: MAX_SHARD_MIB });
    validateNumber(this, 'maxConcurrency', maxConcurrency, { integer: true, min: 1, max: 10000 });
    validateNumber(this, 'shardReservedConcurrency', shardReserved, { integer: true, min: 1 });
    validateNumber(this, 'controlReservedConcurrency', controlReserved, { integer: true, min: 1 });
    validateNumber(this, 'shardMemoryMiB', shardMemory, { integer: true, min: 512, max: 10240 });
    validateStateMachineTimeout(this, 'timeout', timeout);
    const retention = logRetention(this, 'logRetention', props.logRetention);
    if (shardReserved !== undefined && !Token.isUnresolved(shardReserved) && !Token.isUnresolved(maxConcurrency) && shardReserved < maxConcurrency) {
      Validations.of(this).addWarning(
        'cdk-ml-at-scale:ShardThrottling',
        `shardReservedConcurrency (${shardReserved}) is below maxConcurrency (${maxConcurrency}): shard invocations will be throttled and retried.`,
      );
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.sourceBucket = props.sourceBucket;
    this.destinationBucket = props.destinationBucket;
    this.sourcePrefix = normalizePrefix(this, 'sourcePrefix', props.sourcePrefix ?? '');
    this.destinationPrefix = normalizePrefix(this, 'destinationPrefix', props.destinationPrefix ?? 'shards/');
    this.targetShardBytes = shardMiB * MIB;
    if (
      props.sourceBucket === props.destinationBucket &&
      (this.destinationPrefix.startsWith(this.sourcePrefix) || this.sourcePrefix.startsWith(this.destinationPrefix))
    ) {
      Validations.of(this).addWarning(
        'cdk-ml-at-scale:ShardsInsideSource',
        `destinationPrefix '${this.destinationPrefix}' overlaps sourcePrefix '${this.sourcePrefix}' in the same bucket: the plan refuses every run whose source could hold a run folder (<destinationPrefix><runId>/).`,
      );
    }
    this.abandonedRunExpiration = this.addAbandonedRunExpiration(props.abandonedRunExpiration, timeout);
    this.operationalKey =
      props.operationalKey ??
      restrictGrantsToAwsServices(new kms.Key(this, 'Key', {
        description: `Encrypts the logs and dead-letter queue of the dataset sharder ${this.node.path}`,
        enableKeyRotation: true,
        removalPolicy,
      }));
    if (!props.operationalKey) allowCloudWatchLogs(this.operationalKey);

    const logGroup = (logId: string) =>
      new logs.LogGroup(this, logId, { encryptionKey: this.operationalKey, retention, removalPolicy });
    this.planLogGroup = logGroup('PlanLogs');
    this.shardLogGroup = logGroup('ShardLogs');
    this.finalizeLogGroup = logGroup('FinalizeLogs');
    this.stateMachineLogGroup = logGroup('StateMachineLogs');

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      // SQS's default, made explicit: it marks the queue as a dead-letter queue (Control Tower CT.SQS.PR.1).
      redriveAllowPolicy: { redrivePermission: sqs.RedrivePermission.ALLOW_ALL },
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.operationalKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      // The failed events it holds are the only record of what failed.
      removalPolicy,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the sharder functions; a dead-letter queue of a dead-letter queue adds nothing.',
    });

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Dataset sharder functions: HTTPS to S3, KMS and X-Ray only',
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS APIs (S3 gateway endpoint, interface endpoints or NAT)');
    this.connections = new ec2.Connections({ securityGroups: [this.securityGroup] });

    const fn = (fnId: string, entry: string, options: { memory: number; reserved?: number; logGroup: logs.ILogGroup; description: string; env?: Record<string, string> }) => {
      const f = new lambda.Function(this, fnId, {
        code: runtimeCode(`sharding-${entry}`),
        handler: 'index.handler',
        runtime: lambda.Runtime.NODEJS_24_X,
        architecture: lambda.Architecture.ARM_64,
        description: options.description,
        memorySize: options.memory,
        timeout: Duration.minutes(15),
        reservedConcurrentExecutions: options.reserved,
        vpc: props.vpc,
        vpcSubnets: props.vpcSubnets,
        securityGroups: [this.securityGroup],
        deadLetterQueue: this.deadLetterQueue,
        tracing: lambda.Tracing.ACTIVE,
        logGroup: options.logGroup,
        loggingFormat: lambda.LoggingFormat.JSON,
        environment: { NODE_OPTIONS: '--enable-source-maps', ...options.env },
      });
      // aws-cdk-lib grants sqs:SendMessage for the dead-letter queue; its KMS key needs a grant too.
      this.operationalKey.grant(f, 'kms:GenerateDataKey', 'kms:Decrypt');
      Validations.of(f.role!).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: 'The AWS-managed Lambda execution policy grants only the CloudWatch Logs actions every function needs.',
      });
      Validations.of(f.role!).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        reason: 'The AWS-managed policy grants the EC2 network-interface actions that attach a function to the VPC; they do not support resource-level permissions.',
      });
      Validations.of(f.role!).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'xray:PutTraceSegments and xray:PutTelemetryRecords (active tracing) do not support resource-level permissions; every S3 and KMS grant of this role names its resources.',
      });
      acknowledgeInlinePolicy(f.role!);
      if (options.reserved === undefined) {
        acknowledgeRegulatedRule(
          f,
          'LambdaConcurrency',
          'Concurrency is bounded by the caller, the Distributed Map (maxConcurrency), and reserving it by default would take from the account\u2019s unreserved pool (and fails on accounts at the minimum); set shardReservedConcurrency / controlReservedConcurrency to reserve.',
        );
      }
      if (Stack.of(props.vpc) !== Stack.of(this)) acknowledgeCrossStackReference(f, 'lambda_inside_vpc_check', 'VpcConfig (the subnets of the given VPC)');
      return f;
    };

    this.planFunction = fn('PlanFunction', 'plan', {
      memory: 1024,
      reserved: controlReserved,
      logGroup: this.planLogGroup,
      description: 'Dataset sharder: lists the byte ranges of a run and writes them to S3',
    });
    this.shardFunction = fn('ShardFunction', 'shard', {
      memory: shardMemory,
      reserved: shardReserved,
      logGroup: this.shardLogGroup,
      description: 'Dataset sharder: streams one byte range into a record-aligned shard',
    });
    this.finalizeFunction = fn('FinalizeFunction', 'finalize', {
      memory: 1024,
      reserved: controlReserved,
      logGroup: this.finalizeLogGroup,
      description: 'Dataset sharder: checks every shard and writes the manifest',
    });

    // Least privilege: plan lists and heads the source and writes the plan; shard reads a range and
    // writes a shard with multipart upload; finalize reads sidecars, heads shards and writes the manifest.
    const sourceObjects = this.sourceBucket.arnForObjects(`${this.sourcePrefix}*`);
    const destinationObjects = this.destinationBucket.arnForObjects(`${this.destinationPrefix}*`);
    const listCondition = (prefix: string) => (prefix ? { StringLike: { 's3:prefix': [`${prefix}*`] } } : undefined);
    const sourceKey = props.encryptionKey ?? this.sourceBucket.encryptionKey;
    const destinationKey = props.encryptionKey ?? this.destinationBucket.encryptionKey;
    const readSource = (f: lambda.IFunction, list: boolean) => {
      f.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: [sourceObjects] }));
      if (list) {
        f.addToRolePolicy(
          new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.sourceBucket.bucketArn], conditions: listCondition(this.sourcePrefix) }),
        );
      }
      sourceKey?.grantDecrypt(f);
    };
    const writeDestination = (f: lambda.IFunction, actions: string[], reads: boolean) => {
      f.addToRolePolicy(new iam.PolicyStatement({ actions, resources: [destinationObjects] }));
      if (reads) {
        // Without ListBucket a missing key answers 403 instead of 404, and "shard N is missing" becomes AccessDenied.
        f.addToRolePolicy(
          new iam.PolicyStatement({
            actions: ['s3:ListBucket'],
            resources: [this.destinationBucket.bucketArn],
            conditions: listCondition(this.destinationPrefix),
          }),
        );
      }
      // Decrypt too: a multipart upload with SSE-KMS reads the data key back to complete.
      destinationKey?.grant(f, 'kms:Decrypt', 'kms:GenerateDataKey');
    };
    // Every write carries the pending tag (x-amz-tagging), which needs s3:PutObjectTagging; finalize re-tags committed shards.
    readSource(this.planFunction, true);
    writeDestination(this.planFunction, ['s3:PutObject', 's3:PutObjectTagging', 's3:AbortMultipartUpload'], false);
    readSource(this.shardFunction, true);
    // The shard function never reads its output: it streams one multipart upload and writes one sidecar.
    writeDestination(this.shardFunction, ['s3:PutObject', 's3:PutObjectTagging', 's3:AbortMultipartUpload'], false);
    writeDestination(this.finalizeFunction, ['s3:PutObject', 's3:PutObjectTagging', 's3:GetObject'], true);
    const prefixReason = (what: string, prefix: string) =>
      `${what} are created at run time under ${prefix ? `the prefix '${prefix}'` : 'the bucket root'} and cannot be listed in advance; the grant names only that prefix.`;
    for (const f of [this.planFunction, this.shardFunction]) {
      acknowledgeWildcardResources(f.role!, [sourceObjects], prefixReason('Source objects', this.sourcePrefix));
    }
    for (const f of [this.planFunction, this.shardFunction, this.finalizeFunction]) {
      acknowledgeWildcardResources(f.role!, [destinationObjects], prefixReason('Plans, shards, sidecars and manifests', this.destinationPrefix));
    }

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment: 'Dataset sharder: validate input, plan byte ranges, shard them in a Distributed Map, write the manifest',
      queryLanguage: sfn.QueryLanguage.JSONATA,
      definitionBody: sfn.DefinitionBody.fromChainable(this.definition(maxConcurrency, destinationObjects, destinationKey)),
      timeout,
      tracingEnabled: true,
      logs: { destination: this.stateMachineLogGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    this.stateMachineArn = this.stateMachine.stateMachineArn;
    const role = this.stateMachine.role;
    for (const f of [this.planFunction, this.shardFunction, this.finalizeFunction]) {
      acknowledgeWildcardResources(
        role,
        [`${f.functionArn}:*`],
        'aws-cdk-lib\u2019s LambdaInvoke grants the function\u2019s versions and aliases (`<arn>:*`) along with the function itself; it is still this one function.',
      );
    }
    acknowledgeWildcardResources(
      role,
      [destinationObjects],
      'The Distributed Map reads the plan and writes its result files under the destination prefix, at keys chosen at run time.',
    );
    acknowledgeDistributedMapPolicy(this.stateMachine);
    acknowledgeInlinePolicy(this.stateMachine);
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'CloudWatch Logs log-delivery actions (logging level ALL) and X-Ray actions (tracing) do not support resource-level permissions.',
    });
  }

  /** Adds the lifecycle rule that expires the pending objects of runs that never committed. */
  private addAbandonedRunExpiration(expiration: Duration | undefined, timeout: Duration): Duration | undefined {
    const timeoutDays = Math.ceil(timeout.toSeconds() / 86400);
    const days = expiration === undefined ? Math.max(7, timeoutDays + 1) : expiration.toDays({ integral: false });
    if (expiration !== undefined) {
      if (Token.isUnresolved(expiration.toSeconds())) throw invalidProp(this, 'abandonedRunExpiration', 'must be known at synth', expiration.toString());
      if (!Number.isInteger(days) || days <= timeoutDays) {
        throw invalidProp(this, 'abandonedRunExpiration', `must be whole days, more than the run timeout (${timeoutDays} days)`, expiration.toHumanString());
      }
    }
    if (!(this.destinationBucket instanceof s3.Bucket)) {
      Annotations.of(this).addWarningV2(
        'cdk-ml-at-scale:AbandonedRunsKept',
        `The destination bucket is imported, so no lifecycle rule expires abandoned runs: add one that expires objects under '${this.destinationPrefix}' tagged ${RUN_STATE_TAG}=pending after ${days} days.`,
      );
      return undefined;
    }
    this.destinationBucket.addLifecycleRule({
      id: `AbandonedShardRuns${this.node.addr.slice(0, 8)}`,
      prefix: this.destinationPrefix || undefined,
      tagFilters: { [RUN_STATE_TAG]: 'pending' },
      expiration: Duration.days(days),
    });
    return Duration.days(days);
  }

  /**
   * Lets `grantee` start runs of the sharder.
   *
   * @param grantee the principal to grant to (a role, a user, a function)
   */
  public grantStartExecution(grantee: iam.IGrantable): iam.Grant {
    return this.stateMachine.grantStartExecution(grantee);
  }

  private definition(maxConcurrency: number, destinationObjects: string, destinationKey: kms.IKey | undefined): sfn.IChainable {
    const input = '$states.input';
    const src = jsonataString(this.sourcePrefix);
    const srcLen = this.sourcePrefix.length;
    const minBytes = MIN_SHARD_MIB * MIB;
    const maxBytes = MAX_SHARD_MIB * MIB;
    const fail = (failId: string, error: string, cause: string) => sfn.Fail.jsonata(this, failId, { error, cause });
    const where = this.sourcePrefix ? ` under '${this.sourcePrefix}'` : '';

    const validate = sfn.Choice.jsonata(this, 'ValidateInput', { comment: 'Reject bad input with a clear cause before any work starts' })
      .when(
        sfn.Condition.jsonata(`{% $count([${input}.sourceKey, ${input}.sourcePrefix]) != 1 %}`),
        fail('InvalidSource', 'InvalidInput', `Give exactly one of sourceKey or sourcePrefix (an S3 key or key prefix${where})`),
      )
      .when(
        sfn.Condition.jsonata(
          `{% $exists(${input}.sourceKey) and ($type(${input}.sourceKey) != 'string' or $length(${input}.sourceKey) <= ${srcLen} or $substring(${input}.sourceKey, 0, ${srcLen}) != ${src} or $substring(${input}.sourceKey, -1) = '/') %}`,
        ),
        fail('InvalidSourceKey', 'InvalidInput', `{% 'sourceKey must be the key of an object${where}, got ' & ${jsonataDescribe('$states.input.sourceKey')} %}`),
      )
      .when(
        sfn.Condition.jsonata(
          `{% $exists(${input}.sourcePrefix) and ($type(${input}.sourcePrefix) != 'string' or $substring(${input}.sourcePrefix, 0, ${srcLen}) != ${src}) %}`,
        ),
        fail('InvalidSourcePrefix', 'InvalidInput', `{% 'sourcePrefix must be a key prefix${where}, got ' & ${jsonataDescribe('$states.input.sourcePrefix')} %}`),
      )
      .when(
        sfn.Condition.jsonata(
          `{% $exists(${input}.targetShardBytes) and ($type(${input}.targetShardBytes) != 'number' or ${input}.targetShardBytes != $floor(${input}.targetShardBytes) or ${input}.targetShardBytes < ${minBytes} or ${input}.targetShardBytes > ${maxBytes}) %}`,
        ),
        fail(
          'InvalidTargetShardBytes',
          'InvalidInput',
          `{% 'targetShardBytes must be an integer from ${minBytes} (1 MiB) to ${maxBytes} (5 GiB), got ' & ${jsonataDescribe('$states.input.targetShardBytes')} %}`,
        ),
      )
      .when(
        sfn.Condition.jsonata(
          `{% $exists(${input}.format) and $not(${VALID_FORMAT(`${input}.format`)}) %}`,
        ),
        fail(
          'InvalidFormat',
          'InvalidInput',
          `{% 'format must be {"type":"newline","csvHeader":<boolean, optional>,"csv":<boolean, optional>}, {"type":"fixed","recordLengthBytes":<positive integer>} or {"type":"tar"}, got ' & ${jsonataDescribe('$states.input.format')} %}`,
        ),
      );

    const plan = tasks.LambdaInvoke.jsonata(this, 'Plan', {
      comment: 'List the byte ranges and write them to S3 as a JSON array',
      lambdaFunction: this.planFunction,
      payload: sfn.TaskInput.fromObject({
        source: `{% $exists(${input}.sourceKey) ? {'bucket': '${this.sourceBucket.bucketName}', 'key': ${input}.sourceKey} : {'bucket': '${this.sourceBucket.bucketName}', 'prefix': ${input}.sourcePrefix} %}`,
        destination: { bucket: this.destinationBucket.bucketName, prefix: this.destinationPrefix },
        targetShardBytes: `{% $exists(${input}.targetShardBytes) ? ${input}.targetShardBytes : ${this.targetShardBytes} %}`,
        format: `{% $exists(${input}.format) ? ${input}.format : {'type': 'newline'} %}`,
      }),
      assign: { plan: '{% $states.result.Payload %}' },
      outputs: '{% $states.result.Payload %}',
    });
    addThrottleRetry(plan);

    const shard = tasks.LambdaInvoke.jsonata(this, 'ShardRange', {
      comment: 'Stream one byte range into a record-aligned shard',
      lambdaFunction: this.shardFunction,
      payload: sfn.TaskInput.fromText('{% $states.input %}'),
      outputs: '{% $states.result.Payload %}',
    });
    addThrottleRetry(shard);

    const map = new StrictDistributedMap(this, 'ShardRanges', {
      comment: 'One child execution per range of the plan; any failure fails the run',
      queryLanguage: sfn.QueryLanguage.JSONATA,
      itemReader: new ScopedS3JsonItemReader(
        { bucket: this.destinationBucket, key: '{% $plan.planKey %}' },
        destinationObjects,
        destinationKey,
      ),
      maxConcurrency,
      toleratedFailurePercentage: 0,
      toleratedFailureCount: 0,
      mapExecutionType: sfn.StateMachineType.STANDARD,
      resultWriterV2: new ScopedResultWriter(
        { bucket: this.destinationBucket, prefix: `${this.destinationPrefix}map-results` },
        destinationObjects,
        destinationKey,
      ),
      outputs: '{% $plan %}',
    }).itemProcessor(shard);

    const finalize = tasks.LambdaInvoke.jsonata(this, 'Finalize', {
      comment: 'Check every shard and write the manifest, the commit point of the run',
      lambdaFunction: this.finalizeFunction,
      payload: sfn.TaskInput.fromText('{% $plan %}'),
      outputs: "{% $merge([$states.result.Payload, {'outputBucket': $plan.outputBucket, 'outputPrefix': $plan.outputPrefix, 'runId': $plan.runId}]) %}",
    });
    addThrottleRetry(finalize);

    const hasRanges = sfn.Choice.jsonata(this, 'HasRanges', { comment: 'An empty source has no range to shard' })
      .when(sfn.Condition.jsonata('{% $plan.taskCount > 0 %}'), map.next(finalize))
      .otherwise(finalize);

    return validate.otherwise(plan.next(hasRanges));
  }
}

/**
 * aws-cdk-lib gives a state machine with a Distributed Map a policy to run its own child executions:
 * `states:DescribeExecution`, `StopExecution` and `RedriveExecution` on `execution:<name>:*`. The
 * wildcard stands for this state machine's own executions, whose names are chosen at run time.
 */
function acknowledgeDistributedMapPolicy(stateMachine: sfn.StateMachine): void {
  const policy = stateMachine.node.tryFindChild('DistributedMapPolicy') as iam.Policy | undefined;
  if (!policy) return;
  policy.node.addValidation({
    validate: () => {
      const doc = Stack.of(policy).resolve(policy.document.toJSON()) as { Statement?: Array<{ Resource?: unknown }> };
      for (const statement of doc.Statement ?? []) {
        const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
        for (const resource of resources) {
          const flat = flattenCfnValue(resource);
          if (!flat.includes('*')) continue;
          Validations.of(policy).acknowledge({
            id: `AwsSolutions-IAM5[Resource::${flat}]`,
            reason:
              'A Distributed Map starts, describes, stops and redrives its own child executions; the wildcard covers only executions of this state machine, named at run time.',
          });
        }
      }
      return [];
    },
  });
}

/** JSONata: whether `f` is a valid record format spec. */
function VALID_FORMAT(f: string): string {
  return (
    `(${f}.type = 'tar' and $count($keys(${f})) = 1) or ` +
    `(${f}.type = 'newline' and ($not($exists(${f}.csvHeader)) or $type(${f}.csvHeader) = 'boolean') and ($not($exists(${f}.csv)) or $type(${f}.csv) = 'boolean')) or ` +
    `(${f}.type = 'fixed' and $type(${f}.recordLengthBytes) = 'number' and ${f}.recordLengthBytes >= 1 and ${f}.recordLengthBytes = $floor(${f}.recordLengthBytes))`
  );
}

/**
 * Reserved concurrency, or a full account pool, throttles a function; a throttled invocation is
 * retried with backoff and jitter rather than failing the run.
 */
function addThrottleRetry(task: tasks.LambdaInvoke): void {
  task.addRetry({
    errors: ['Lambda.TooManyRequestsException'],
    interval: Duration.seconds(2),
    backoffRate: 2,
    maxAttempts: 10,
    maxDelay: Duration.seconds(60),
    jitterStrategy: sfn.JitterType.FULL,
  });
}

function normalizePrefix(scope: Construct, prop: string, prefix: string): string {
  if (Token.isUnresolved(prefix)) throw invalidProp(scope, prop, 'must be known at synth (it scopes IAM grants and input checks)', prefix);
  if (/[*?"'{}%\\]/.test(prefix)) throw invalidProp(scope, prop, 'must be a plain key prefix without wildcards, quotes, braces or %', prefix);
  const p = prefix.replace(/^\/+/, '');
  if (p.length > 512) throw invalidProp(scope, prop, 'must be at most 512 characters', prefix);
  return p === '' || p.endsWith('/') ? p : `${p}/`;
}

/** A Distributed Map that states `ToleratedFailurePercentage: 0` and `ToleratedFailureCount: 0` (aws-cdk-lib omits zeros). */
class StrictDistributedMap extends sfn.DistributedMap {
  public toStateJson(queryLanguage?: sfn.QueryLanguage): object {
    return { ...super.toStateJson(queryLanguage), ToleratedFailurePercentage: 0, ToleratedFailureCount: 0 };
  }
}

/** aws-cdk-lib's S3 JSON ItemReader grants `s3:GetObject` on the whole bucket; this one only under the prefix. */
class ScopedS3JsonItemReader extends sfn.S3JsonItemReader {
  constructor(
    props: sfn.S3FileItemReaderProps,
    private readonly objects: string,
    private readonly kmsKey: kms.IKey | undefined,
  ) {
    super(props);
  }

  public providePolicyStatements(): iam.PolicyStatement[] {
    const statements = [new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [this.objects] })];
    if (this.kmsKey) statements.push(new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [this.kmsKey.keyArn] }));
    return statements;
  }
}

/** aws-cdk-lib's ResultWriter grants writes on the whole bucket; this one only under the prefix. */
class ScopedResultWriter extends sfn.ResultWriterV2 {
  constructor(
    props: sfn.ResultWriterV2Props,
    private readonly objects: string,
    private readonly kmsKey: kms.IKey | undefined,
  ) {
    super(props);
  }

  public providePolicyStatements(): iam.PolicyStatement[] {
    const statements = [
      new iam.PolicyStatement({
        actions: ['s3:PutObject', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'],
        resources: [this.objects],
      }),
    ];
    if (this.kmsKey) statements.push(new iam.PolicyStatement({ actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [this.kmsKey.keyArn] }));
    return statements;
  }
}

import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { invalidProp, validateNumber } from '../common/errors';
import { allowCloudWatchLogs, logRetention } from '../common/logging';
import { acknowledgeControlTowerRule, acknowledgeInlinePolicy, acknowledgeRegulatedRule, acknowledgeWildcardResources } from '../common/nag';
import { runtimeCode } from '../common/runtime-assets';
import { DataLakeZone } from '../data-lake';
import { grantReleaseTo, IEdgeDeployment } from './edge-deployment';
import { SEMVER } from './private/recipe';
import { restrictGrantsToAwsServices } from '../common/kms';

/** The settings of an {@link EdgeModelRelease}: its props without the deployment (what a stack wires in). */
export interface EdgeModelReleaseOptions {
  /**
   * The first version of the automatic line: releases are `major.minor.<n>` from it. Keep it above the
   * versions the app declares itself, so that the two never collide.
   * @default '1.0.0'
   */
  readonly baseVersion?: string;
  /**
   * The file name ending of a model (the reference runner loads JSON); `''` releases any object.
   * @default '.json'
   */
  readonly modelSuffix?: string;
  /**
   * Configuration defaults of the released versions, merged over the runner's.
   * @default - the runner's defaults
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- recipe configuration is free-form JSON
  readonly configuration?: { [key: string]: any };
  /**
   * How many of the newest component versions are searched for a model before a new version is created.
   * @default 10
   */
  readonly idempotencyLookback?: number;
  /**
   * The topic that receives a record of each failed release.
   * @default - a new topic encrypted with `encryptionKey`
   */
  readonly topic?: sns.ITopic;
  /**
   * The key of the dead-letter queue, the topic and the log group. A key passed in must allow CloudWatch
   * Logs and EventBridge to use it.
   * @default - a new customer-managed key with rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * How long the function's logs are kept. At least a year.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the log group, the dead-letter queue and the key when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Properties of an {@link EdgeModelRelease}. */
export interface EdgeModelReleaseProps extends EdgeModelReleaseOptions {
  /** The fleet, component and models prefix to release to. */
  readonly deployment: IEdgeDeployment;
}

/**
 * Releases every new model to the edge, automatically.
 *
 * An EventBridge rule matches S3 `Object Created` events under the deployment's models prefix of the
 * artifacts zone (which sends events to EventBridge; the `DataLake` zones do) and invokes a function
 * (pre-bundled, @aws-sdk/client-greengrassv2) that creates the next component version for the model and
 * revises the thing group's deployment, keeping its other components. Releases are idempotent (the same
 * model twice gives one version) and serialized (reserved concurrency 1; CreateComponentVersion conflicts
 * are retried with the next number). Failed releases go to an encrypted dead-letter queue (the event) and
 * an encrypted SNS topic (the failure record); events the rule cannot deliver go to the same queue.
 */
export class EdgeModelRelease extends Construct {
  /** The release function. */
  public readonly releaseFunction: lambda.Function;
  /** The rule that starts a release when a model lands. */
  public readonly rule: events.Rule;
  /** Failed release events (after Lambda's retries) and events the rule could not deliver. */
  public readonly deadLetterQueue: sqs.Queue;
  /** Receives a record of each failed release. */
  public readonly topic: sns.ITopic;
  /** The function's log group. */
  public readonly logGroup: logs.LogGroup;
  /** The key of the queue, the topic and the log group. */
  public readonly encryptionKey: kms.IKey;
  /** The first version of the automatic line. */
  public readonly baseVersion: string;

  /**
   * Defines a `EdgeModelRelease` in `scope`.
   *
   * @param scope the scope to define the construct in
   * @param id the construct's id, unique in `scope`
   * @param props the construct's configuration, see `EdgeModelReleaseProps`
   */
  constructor(scope: Construct, id: string, props: EdgeModelReleaseProps) {
    super(scope, id);
    const deployment = props.deployment;
    const stack = Stack.of(this);
    this.baseVersion = props.baseVersion ?? '1.0.0';
    if (Token.isUnresolved(this.baseVersion) || !SEMVER.test(this.baseVersion)) {
      throw invalidProp(this, 'baseVersion', 'must be a semantic version major.minor.patch such as 1.0.0', this.baseVersion);
    }
    const suffix = props.modelSuffix ?? '.json';
    if (Token.isUnresolved(suffix) || /[*?/]/.test(suffix)) throw invalidProp(this, 'modelSuffix', 'must be a plain file name ending without /, * or ?', suffix);
    const lookback = props.idempotencyLookback ?? 10;
    validateNumber(this, 'idempotencyLookback', lookback, { integer: true, min: 1, max: 100 });
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const retention = logRetention(this, 'logRetention', props.logRetention);

    this.encryptionKey =
      props.encryptionKey ??
      restrictGrantsToAwsServices(new kms.Key(this, 'Key', { description: `Encrypts the failures and logs of the edge releases of ${deployment.componentName}`, enableKeyRotation: true, removalPolicy }));
    if (!props.encryptionKey) allowCloudWatchLogs(this.encryptionKey);

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      // SQS's default, made explicit: it marks the queue as a dead-letter queue (Control Tower CT.SQS.PR.1).
      redriveAllowPolicy: { redrivePermission: sqs.RedrivePermission.ALLOW_ALL },
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.encryptionKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      // The failed events it holds are the only record of what failed.
      removalPolicy,
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is itself the dead-letter queue of the release function and rule; a dead-letter queue of a dead-letter queue adds nothing.',
    });
    this.topic = props.topic ?? new sns.Topic(this, 'Topic', { displayName: `Failed edge releases of ${deployment.componentName}`, masterKey: this.encryptionKey, enforceSSL: true });

    this.logGroup = new logs.LogGroup(this, 'Logs', { encryptionKey: this.encryptionKey, retention, removalPolicy });
    const artifacts = deployment.dataLake.bucket(DataLakeZone.ARTIFACTS);
    const r = deployment.rollout;
    const iotJobConfiguration = {
      jobExecutionsRolloutConfig: {
        exponentialRate: {
          baseRatePerMinute: r.baseRatePerMinute,
          incrementFactor: r.incrementFactor,
          rateIncreaseCriteria: { numberOfSucceededThings: r.rateIncreaseAfterSucceededThings },
        },
      },
      abortConfig: {
        criteriaList: [{ action: 'CANCEL', failureType: 'ALL', thresholdPercentage: r.abortThresholdPercentage, minNumberOfExecutedThings: r.abortMinExecutedThings }],
      },
      timeoutConfig: { inProgressTimeoutInMinutes: r.deviceTimeoutMinutes },
    };
    const componentArn = `arn:${stack.partition}:greengrass:${stack.region}:${stack.account}:components:${deployment.componentName}`;

    this.releaseFunction = new lambda.Function(this, 'Function', {
      code: runtimeCode('edge-release'),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      description: `Edge release: creates the next component version of ${deployment.componentName} for a new model and deploys it`,
      memorySize: 256,
      timeout: Duration.minutes(2),
      // One release at a time: no two invocations compute the same next version.
      reservedConcurrentExecutions: 1,
      retryAttempts: 2,
      deadLetterQueue: this.deadLetterQueue,
      onFailure: new destinations.SnsDestination(this.topic),
      tracing: lambda.Tracing.ACTIVE,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        COMPONENT_NAME: deployment.componentName,
        COMPONENT_ARN: componentArn,
        THING_GROUP_ARN: deployment.thingGroupArn,
        MODELS_BUCKET: artifacts.bucketName,
        MODELS_PREFIX: deployment.modelsPrefix,
        RUNNER_URI: deployment.runnerUri,
        RUNNER_SHA256: deployment.runnerSha256,
        BASE_VERSION: this.baseVersion,
        LOOKBACK: String(lookback),
        CONFIGURATION: JSON.stringify(props.configuration ?? {}),
        IOT_JOB_CONFIGURATION: JSON.stringify(iotJobConfiguration),
      },
    });
    const role = this.releaseFunction.role!;
    // The queue, the topic and the log group share the key; sending to the first two needs it.
    this.encryptionKey.grant(this.releaseFunction, 'kms:GenerateDataKey', 'kms:Decrypt');

    // Greengrass reads the artifacts with the caller's permissions when it creates a version; the function
    // also reads the model's checksum. Models prefix only, and the runner object only.
    const modelObjects = artifacts.arnForObjects(`${deployment.modelsPrefix}*`);
    this.releaseFunction.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:GetObjectVersion'], resources: [modelObjects] }));
    this.releaseFunction.addToRolePolicy(new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [deployment.dataLake.encryptionKey.keyArn] }));
    this.releaseFunction.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [deployment.runnerUri.replace(/^s3:\/\//, `arn:${stack.partition}:s3:::`)] }),
    );
    grantReleaseTo(this.releaseFunction, deployment);
    // Greengrass creates an IoT job for a thing-group deployment on the caller's behalf.
    const jobs = `arn:${stack.partition}:iot:${stack.region}:${stack.account}:job/*`;
    this.releaseFunction.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['iot:CreateJob', 'iot:DescribeJob', 'iot:UpdateJob', 'iot:CancelJob'],
        resources: [jobs, deployment.thingGroupArn],
      }),
    );
    this.releaseFunction.addToRolePolicy(new iam.PolicyStatement({ actions: ['iot:DescribeThingGroup'], resources: [deployment.thingGroupArn] }));

    const component = `${componentArn}:versions:*`;
    acknowledgeWildcardResources(role, [modelObjects], `Models land under '${deployment.modelsPrefix}' at keys chosen when they are trained; the function reads only that prefix.`);
    acknowledgeWildcardResources(role, [component], 'Component versions are numbered at run time; the grant names this one component.');
    acknowledgeWildcardResources(role, [jobs], 'Greengrass names the IoT job of each deployment at run time; the job actions also name the thing group.');
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'greengrass:CreateDeployment, ListDeployments and GetDeployment act on deployments whose IDs Greengrass assigns at run time, and X-Ray tracing actions take no resource; every S3, KMS, IoT and component grant names its resources.',
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason: 'aws-cdk-lib grants kms:GenerateDataKey* on the topic\u2019s key for publishing to an encrypted topic; it names that one key.',
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'The AWS-managed Lambda execution policy grants only the CloudWatch Logs actions every function needs.',
    });

    acknowledgeInlinePolicy(role);
    const outsideVpc =
      'The function calls only AWS APIs (Greengrass, IoT, and S3 for the one model it releases) with IAM authentication over TLS; in a VPC it would need a NAT gateway or interface endpoints for Greengrass and IoT, which the edge stack does not own.';
    acknowledgeRegulatedRule(this.releaseFunction, 'LambdaInsideVPC', outsideVpc);
    acknowledgeControlTowerRule(this.releaseFunction, 'lambda_inside_vpc_check', outsideVpc);

    this.rule = new events.Rule(this, 'ModelCreated', {
      description: `Releases a new model under ${deployment.modelsPrefix} of the artifacts zone to the fleet of ${deployment.componentName}`,
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [artifacts.bucketName] },
          object: { key: suffix ? events.Match.wildcard(`${deployment.modelsPrefix}*${suffix}`) : events.Match.prefix(deployment.modelsPrefix) },
        },
      },
    });
    this.rule.addTarget(new targets.LambdaFunction(this.releaseFunction, { deadLetterQueue: this.deadLetterQueue, retryAttempts: 8, maxEventAge: Duration.hours(24) }));
    // EventBridge puts undeliverable events in the queue itself, so it needs the queue's key. The rule's own
    // ARN would make a cycle (key, queue, function, rule), so the condition names this account's rules.
    this.encryptionKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowEventBridgeDeadLetters',
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:events:${stack.region}:${stack.account}:rule/*` },
        },
      }),
    );
  }
}

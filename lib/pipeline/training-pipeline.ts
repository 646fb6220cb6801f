import { ArnFormat, Aws, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { invalidProp, requireLiteral, validateNumber } from '../common/errors';
import { allowCloudWatchLogs, logRetention, validateStateMachineTimeout } from '../common/logging';
import { acknowledgeInlinePolicy, acknowledgeWildcardResources } from '../common/nag';
import { ISparkEtlJob } from '../etl/spark-etl-job';
import { IDatasetSharder } from '../sharding/dataset-sharder';
import { ITrainingCluster, TrainingJob, TrainingQueue } from '../training/training-cluster';
import { jsonataDescribe } from '../sharding/jsonata';
import { restrictGrantsToAwsServices } from '../common/kms';

/** AWS Batch array jobs have 2 to 10,000 children: past that, each child preprocesses every `SHARD_STRIDE`-th shard. */
const MAX_ARRAY_SIZE = 10000;
/**
 * Most shards of one run: the sharder's plan cap (lib/sharding/runtime/core/plan.ts, `maxTasks`). The
 * Distributed Map itself runs up to 10,000 child executions at once and takes at most 256 KiB per item
 * (Step Functions quotas); it sets no lower bound on the items of a run.
 */
const MAX_SHARDS = 100000;
/** AWS Batch multi-node parallel jobs have up to 1,000 nodes. */
const MAX_NODES = 1000;

/** How the training step runs. */
export enum TrainingJobType {
  /** One container on one instance (the job definition is an ECS or EKS container job). */
  SINGLE_NODE = 'SINGLE_NODE',
  /** A multi-node parallel job (the job definition is a multi-node job definition). */
  MULTI_NODE = 'MULTI_NODE',
}

/**
 * The settings of a {@link TrainingPipeline}: its props without the sharder and the cluster that it drives. A stack that builds one takes this bag.
 */
export interface TrainingPipelineOptions {
  /**
   * Whether training runs the cluster's single-node or multi-node job definition.
   * @default - MULTI_NODE when the cluster has a multi-node job definition, else SINGLE_NODE
   */
  readonly trainingJobType?: TrainingJobType;
  /**
   * The largest `gpus` input accepted. At most the GPUs of the largest instance in the GPU queue: a job
   * that asks for more waits in RUNNABLE forever.
   * @default - the cluster's `maxGpusPerInstance`
   */
  readonly maxGpus?: number;
  /**
   * The largest `nodes` input accepted for multi-node training. At most what the GPU environment holds.
   * @default - the cluster's `maxNodes`
   */
  readonly maxNodes?: number;
  /**
   * The fair-share identifier of every job the pipeline submits. Required when the cluster's queues
   * have a fair-share scheduling policy (Batch rejects a submission without one there), and refused
   * when they have none.
   * @default - none (queues without a fair-share policy)
   */
  readonly shareIdentifier?: string;
  /**
   * Start a run for every object created under `triggerPrefix` in the sharder's source bucket (which
   * must send events to Amazon EventBridge). Such runs use the job definitions' commands and GPUs.
   * @default false
   */
  readonly triggerOnNewData?: boolean;
  /**
   * The key prefix that starts runs when `triggerOnNewData` is set. Must lie within the sharder's source prefix.
   * @default - the sharder's source prefix
   */
  readonly triggerPrefix?: string;
  /**
   * The topic that receives a message when a run succeeds or fails.
   * @default - a new topic encrypted with `encryptionKey`
   */
  readonly topic?: sns.ITopic;
  /**
   * The key that encrypts the topic created here and the log group. A key passed in must allow
   * CloudWatch Logs (`logs.<region>.amazonaws.com`) to use it.
   * @default - a new customer-managed key with rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * How long a whole run may take.
   * @default Duration.days(7)
   */
  readonly timeout?: Duration;
  /**
   * How long the state machine's logs are kept. At least a year.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * A Glue job to run first and wait for (`glue:startJobRun.sync`), before sharding, so that one execution
   * goes from raw data to a trained model. The job's own arguments decide what it reads and writes; the
   * run's `datasetUri` names what it writes, under the sharder's source.
   * @default - no ETL step
   */
  readonly etlJob?: ISparkEtlJob;
  /**
   * What happens to the log group and the key created here when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Properties of a {@link TrainingPipeline}. */
export interface TrainingPipelineProps extends TrainingPipelineOptions {
  /**
   * The sharder that splits the dataset (a `DatasetSharder`, or one imported with
   * `DatasetSharder.fromDatasetSharderAttributes`); its source bucket and prefix bound the `datasetUri` input.
   */
  readonly sharder: IDatasetSharder;
  /**
   * The cluster whose queues and job definitions the pipeline drives (a `TrainingCluster`, or one
   * imported with `TrainingCluster.fromTrainingClusterAttributes`). The preprocessing array job runs
   * on its CPU queue and the training job on its GPU queue. The pipeline takes from it the job type
   * (multi-node when the cluster has a multi-node job), the GPU and node ceilings, and whether jobs
   * need a share identifier.
   */
  readonly cluster: ITrainingCluster;
}

/**
 * The producer/consumer flow of the whitepaper as one Step Functions state machine: shard the
 * dataset (a nested run of the {@link DatasetSharder}), preprocess the shards on the CPU queue (an
 * AWS Batch array job, one child per shard), train on the GPU queue (single-node or multi-node), and
 * notify an SNS topic of success or failure. Every step waits for its job (`.sync`).
 *
 * Execution input (validated first, each problem failing with its own state and cause):
 * - `datasetUri` (required): `s3://<source bucket>/<source prefix>...`, an object, or a prefix ending in `/`;
 * - `targetShardBytes`, `format`: passed to the sharder;
 * - `preprocessCommand`, `trainCommand`: command overrides, arrays of strings;
 * - `gpus`: GPUs per training container, 1 to `maxGpus`;
 * - `nodes`: nodes of a multi-node training job, 2 to `maxNodes`.
 *
 * The container image is the job definition's: AWS Batch `SubmitJob` cannot override it.
 * The containers get `DATASET_URI`, `SHARD_MANIFEST_URI`, `SHARD_OUTPUT_URI`, `SHARD_COUNT` and `SHARD_STRIDE`.
 */
export class TrainingPipeline extends Construct {
  /** The state machine. */
  public readonly stateMachine: sfn.StateMachine;
  /** The topic that receives success and failure messages. */
  public readonly topic: sns.ITopic;
  /** The key of the log group and of the topic created here. */
  public readonly encryptionKey: kms.IKey;
  /** The state machine's log group. */
  public readonly logGroup: logs.LogGroup;
  /** The rule that starts runs when new data lands, when `triggerOnNewData` is set. */
  public readonly rule?: events.Rule;

  private readonly props: TrainingPipelineProps;
  private readonly trainingJobType: TrainingJobType;
  private readonly maxGpus: number;
  private readonly maxNodes: number;
  private readonly preprocessJobQueue: batch.IJobQueue;
  private readonly preprocessJobDefinition: batch.IJobDefinition;
  private readonly trainingJobQueue: batch.IJobQueue;
  private readonly trainingJobDefinition: batch.IJobDefinition;

  /**
   * Defines a `TrainingPipeline` in `scope`.
   *
   * @param scope the scope to define the construct in
   * @param id the construct's id, unique in `scope`
   * @param props the construct's configuration, see `TrainingPipelineProps`
   */
  constructor(scope: Construct, id: string, props: TrainingPipelineProps) {
    super(scope, id);
    this.props = props;
    const cluster = props.cluster;
    const multiNodeDefinition = cluster.jobDefinition(TrainingJob.MULTI_NODE_TRAINING);
    this.trainingJobType = props.trainingJobType ?? (multiNodeDefinition ? TrainingJobType.MULTI_NODE : TrainingJobType.SINGLE_NODE);
    const multiNode = this.trainingJobType === TrainingJobType.MULTI_NODE;
    if (multiNode && !multiNodeDefinition) {
      throw invalidProp(this, 'trainingJobType', 'must be SINGLE_NODE: the cluster has no multi-node job definition (set its multiNodeCount)', this.trainingJobType);
    }
    // The ceilings are written into the state machine's input checks: they must be literals.
    requireLiteral(this, 'maxGpus', props.maxGpus, 'it is written into the state machine\u2019s input check');
    requireLiteral(this, 'maxNodes', props.maxNodes, 'it is written into the state machine\u2019s input check');
    this.maxGpus = props.maxGpus ?? cluster.maxGpusPerInstance;
    validateNumber(this, 'maxGpus', this.maxGpus, { integer: true, min: 1, max: cluster.maxGpusPerInstance });
    if (props.maxNodes !== undefined && !multiNode) {
      throw invalidProp(this, 'maxNodes', 'applies only to multi-node training', props.maxNodes);
    }
    const nodeCeiling = Math.min(MAX_NODES, cluster.maxNodes ?? MAX_NODES);
    this.maxNodes = props.maxNodes ?? nodeCeiling;
    if (multiNode) validateNumber(this, 'maxNodes', this.maxNodes, { integer: true, min: 2, max: nodeCeiling });
    if (cluster.fairShareScheduling && props.shareIdentifier === undefined) {
      throw invalidProp(this, 'shareIdentifier', 'must be given: the cluster\u2019s queues have a fair-share policy, and Batch rejects jobs without one', undefined);
    }
    if (!cluster.fairShareScheduling && props.shareIdentifier !== undefined) {
      throw invalidProp(this, 'shareIdentifier', 'applies only to a cluster with fair-share scheduling (Batch rejects a share identifier elsewhere)', props.shareIdentifier);
    }
    if (props.shareIdentifier !== undefined && !Token.isUnresolved(props.shareIdentifier) && !/^[A-Za-z0-9]{1,255}$/.test(props.shareIdentifier)) {
      throw invalidProp(this, 'shareIdentifier', 'must be 1 to 255 letters and digits (no wildcard when submitting)', props.shareIdentifier);
    }
    this.preprocessJobQueue = cluster.jobQueue(TrainingQueue.CPU);
    this.preprocessJobDefinition = cluster.jobDefinition(TrainingJob.PREPROCESS)!;
    this.trainingJobQueue = cluster.jobQueue(TrainingQueue.GPU);
    this.trainingJobDefinition = multiNode ? multiNodeDefinition! : cluster.jobDefinition(TrainingJob.SINGLE_NODE_TRAINING)!;
    const timeout = props.timeout ?? Duration.days(7);
    validateStateMachineTimeout(this, 'timeout', timeout);
    const retention = logRetention(this, 'logRetention', props.logRetention);
    if (props.triggerPrefix !== undefined && !props.triggerOnNewData) {
      throw invalidProp(this, 'triggerPrefix', 'applies only with triggerOnNewData: true', props.triggerPrefix);
    }
    const triggerPrefix = props.triggerPrefix ?? props.sharder.sourcePrefix;
    if (Token.isUnresolved(triggerPrefix) || !triggerPrefix.startsWith(props.sharder.sourcePrefix)) {
      throw invalidProp(this, 'triggerPrefix', `must lie within the sharder's source prefix '${props.sharder.sourcePrefix}'`, triggerPrefix);
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const stack = Stack.of(this);

    this.encryptionKey =
      props.encryptionKey ??
      restrictGrantsToAwsServices(new kms.Key(this, 'Key', {
        description: `Encrypts the logs and notifications of the training pipeline ${this.node.path}`,
        enableKeyRotation: true,
        removalPolicy,
      }));
    if (!props.encryptionKey) allowCloudWatchLogs(this.encryptionKey);
    this.topic = props.topic ?? new sns.Topic(this, 'Topic', { masterKey: this.encryptionKey, enforceSSL: true });
    this.logGroup = new logs.LogGroup(this, 'Logs', { encryptionKey: this.encryptionKey, retention, removalPolicy });

    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment: 'Training pipeline: validate input, shard, preprocess shards (Batch array job), train (Batch GPU job), notify',
      queryLanguage: sfn.QueryLanguage.JSONATA,
      definitionBody: sfn.DefinitionBody.fromChainable(this.definition()),
      timeout,
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    acknowledgeInlinePolicy(this.stateMachine);
    // SnsPublish grants sns:Publish only; an SSE-KMS topic also needs its key.
    this.topic.masterKey?.grant(this.stateMachine, 'kms:Decrypt', 'kms:GenerateDataKey');
    this.grantBatch(this.preprocessJobQueue, this.preprocessJobDefinition);
    this.grantBatch(this.trainingJobQueue, this.trainingJobDefinition);

    const role = this.stateMachine.role;
    acknowledgeWildcardResources(
      role,
      [
        stack.formatArn({
          service: 'states',
          resource: 'execution',
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          resourceName: `${stack.splitArn(props.sharder.stateMachineArn, ArnFormat.COLON_RESOURCE_NAME).resourceName}*`,
        }),
      ],
      'aws-cdk-lib\u2019s StepFunctionsStartExecution (.sync) describes and stops the executions it starts, whose names are chosen at run time; the wildcard covers only executions of the sharder\u2019s state machine.',
    );
    acknowledgeWildcardResources(
      role,
      [stack.formatArn({ service: 'batch', resource: 'job', resourceName: '*' })],
      'A .sync Batch task terminates the job it submitted when the run is stopped; job IDs are chosen by AWS Batch at run time.',
    );
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'batch:DescribeJobs (how a .sync task follows its job), CloudWatch Logs log-delivery actions (logging level ALL) and X-Ray actions (tracing) do not support resource-level permissions.',
    });

    if (props.triggerOnNewData) {
      const bucket = props.sharder.sourceBucket;
      this.rule = new events.Rule(this, 'NewDataRule', {
        description: `Starts the training pipeline when an object lands under '${triggerPrefix}'`,
        eventPattern: {
          source: ['aws.s3'],
          detailType: ['Object Created'],
          detail: {
            bucket: { name: [bucket.bucketName] },
            // Folder markers (empty keys ending in '/') hold no data.
            object: { key: [{ prefix: triggerPrefix }], size: [{ numeric: ['>', 0] }] },
          },
        },
      });
      this.rule.addTarget(
        new targets.SfnStateMachine(this.stateMachine, {
          input: events.RuleTargetInput.fromObject({
            datasetUri: `s3://${events.EventField.fromPath('$.detail.bucket.name')}/${events.EventField.fromPath('$.detail.object.key')}`,
          }),
        }),
      );
    }
  }

  /**
   * Lets `grantee` start runs of the pipeline.
   *
   * @param grantee the principal to grant to (a role, a user, a function)
   */
  public grantStartExecution(grantee: iam.IGrantable): iam.Grant {
    return this.stateMachine.grantStartExecution(grantee);
  }

  private grantBatch(queue: batch.IJobQueue, definition: batch.IJobDefinition): void {
    const stack = Stack.of(this);
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['batch:SubmitJob'], resources: [queue.jobQueueArn, definition.jobDefinitionArn] }),
    );
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['batch:TerminateJob'], resources: [stack.formatArn({ service: 'batch', resource: 'job', resourceName: '*' })] }),
    );
    this.stateMachine.addToRolePolicy(new iam.PolicyStatement({ actions: ['batch:DescribeJobs'], resources: ['*'] }));
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
        resources: [stack.formatArn({ service: 'events', resource: 'rule', resourceName: 'StepFunctionsGetEventsForBatchJobsRule' })],
      }),
    );
  }

  private definition(): sfn.IChainable {
    const sharder = this.props.sharder;
    const base = `s3://${sharder.sourceBucket.bucketName}/${sharder.sourcePrefix}`;
    const multiNode = this.trainingJobType === TrainingJobType.MULTI_NODE;
    const input = '$states.input';
    const fail = (failId: string, cause: string) => sfn.Fail.jsonata(this, failId, { error: 'InvalidInput', cause });
    const stringArray = (v: string) =>
      `($type(${v}) != 'array' or $count(${v}) = 0 or $count($filter(${v}, function($c) { $type($c) != 'string' })) > 0)`;

    const validate = sfn.Choice.jsonata(this, 'ValidateInput', { comment: 'Reject bad input with a clear cause before any job starts' })
      .when(
        sfn.Condition.jsonata(
          `{% ($u := ${input}.datasetUri; $b := '${base}'; $not($exists($u)) or $type($u) != 'string' or $length($u) <= $length($b) or $substring($u, 0, $length($b)) != $b) %}`,
        ),
        fail(
          'InvalidDatasetUri',
          `{% 'datasetUri must be an object or a prefix ending in / under ${base}, got ' & ${jsonataDescribe('$states.input.datasetUri')} %}`,
        ),
      )
      .when(
        sfn.Condition.jsonata(
          `{% $exists(${input}.targetShardBytes) and ($type(${input}.targetShardBytes) != 'number' or ${input}.targetShardBytes != $floor(${input}.targetShardBytes) or ${input}.targetShardBytes < 1048576 or ${input}.targetShardBytes > 5368709120) %}`,
        ),
        fail(
          'InvalidTargetShardBytes',
          `{% 'targetShardBytes must be an integer from 1048576 (1 MiB) to 5368709120 (5 GiB), got ' & ${jsonataDescribe('$states.input.targetShardBytes')} %}`,
        ),
      )
      .when(
        sfn.Condition.jsonata(
          `{% $exists(${input}.gpus) and ($type(${input}.gpus) != 'number' or ${input}.gpus != $floor(${input}.gpus) or ${input}.gpus < 1 or ${input}.gpus > ${this.maxGpus}) %}`,
        ),
        fail(
          'InvalidGpus',
          `{% 'gpus must be an integer from 1 to ${this.maxGpus} (the GPUs of the largest instance in the queue; more would wait in RUNNABLE forever), got ' & ${jsonataDescribe('$states.input.gpus')} %}`,
        ),
      )
      .when(
        sfn.Condition.jsonata(
          multiNode
            ? `{% $exists(${input}.nodes) and ($type(${input}.nodes) != 'number' or ${input}.nodes != $floor(${input}.nodes) or ${input}.nodes < 2 or ${input}.nodes > ${this.maxNodes}) %}`
            : `{% $exists(${input}.nodes) %}`,
        ),
        fail(
          'InvalidNodes',
          multiNode
            ? `{% 'nodes must be an integer from 2 to ${this.maxNodes}, got ' & ${jsonataDescribe('$states.input.nodes')} %}`
            : `{% 'nodes applies only to multi-node training; this pipeline trains on a single node, got ' & ${jsonataDescribe('$states.input.nodes')} %}`,
        ),
      )
      .when(
        sfn.Condition.jsonata(`{% $exists(${input}.preprocessCommand) and ${stringArray(`${input}.preprocessCommand`)} %}`),
        fail('InvalidPreprocessCommand', `{% 'preprocessCommand must be a non-empty array of strings, got ' & ${jsonataDescribe('$states.input.preprocessCommand')} %}`),
      )
      .when(
        sfn.Condition.jsonata(`{% $exists(${input}.trainCommand) and ${stringArray(`${input}.trainCommand`)} %}`),
        fail('InvalidTrainCommand', `{% 'trainCommand must be a non-empty array of strings, got ' & ${jsonataDescribe('$states.input.trainCommand')} %}`),
      );

    const prepare = sfn.Pass.jsonata(this, 'Prepare', {
      comment: 'Keep the input, and name the jobs after the execution (Batch job names: letters, digits, - and _)',
      assign: {
        input: `{% ${input} %}`,
        datasetPath: `{% $substring(${input}.datasetUri, $length('s3://${sharder.sourceBucket.bucketName}/')) %}`,
        jobSuffix: "{% $substring($replace($states.context.Execution.Name, /[^A-Za-z0-9_-]/, '_'), 0, 100) %}",
      },
    });

    const failed = sfn.Fail.jsonata(this, 'Failed', {
      error: "{% $type($failure.Error) = 'string' ? $failure.Error : 'PipelineFailed' %}",
      cause: "{% $type($failure.Cause) = 'string' ? $failure.Cause : $string($failure) %}",
    });
    const notifyFailure = tasks.SnsPublish.jsonata(this, 'NotifyFailure', {
      comment: 'Tell the topic which step failed and why',
      topic: this.topic,
      subject: 'Training pipeline failed',
      message: sfn.TaskInput.fromText(
        "{% $string({'status': 'FAILED', 'execution': $states.context.Execution.Id, 'datasetUri': $input.datasetUri, 'error': $failure.Error, 'cause': $failure.Cause}) %}",
      ),
    }).next(failed);
    const onError = { assign: { failure: '{% $states.errorOutput %}' } };

    const shard = tasks.StepFunctionsStartExecution.jsonata(this, 'Shard', {
      comment: 'Run the dataset sharder and wait for its manifest',
      stateMachine: sfn.StateMachine.fromStateMachineArn(this, 'SharderStateMachine', sharder.stateMachineArn),
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      input: sfn.TaskInput.fromText(
        "{% $merge([$substring($datasetPath, -1) = '/' ? {'sourcePrefix': $datasetPath} : {'sourceKey': $datasetPath}, " +
          "$exists($input.targetShardBytes) ? {'targetShardBytes': $input.targetShardBytes} : {}, " +
          "$exists($input.format) ? {'format': $input.format} : {}, " +
          "{'AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID': $states.context.Execution.Id}]) %}",
      ),
      assign: {
        shards: '{% $states.result.Output %}',
        environment:
          "{% [{'Name': 'DATASET_URI', 'Value': $input.datasetUri}, " +
          "{'Name': 'SHARD_MANIFEST_URI', 'Value': 's3://' & $states.result.Output.manifestBucket & '/' & $states.result.Output.manifestKey}, " +
          "{'Name': 'SHARD_OUTPUT_URI', 'Value': 's3://' & $states.result.Output.outputBucket & '/' & $states.result.Output.outputPrefix}, " +
          "{'Name': 'SHARD_COUNT', 'Value': $string($states.result.Output.shardCount)}, " +
          `{'Name': 'SHARD_STRIDE', 'Value': $string($min([$states.result.Output.shardCount, ${MAX_ARRAY_SIZE}]))}] %}`,
      },
    }).addCatch(notifyFailure, onError);

    const noShards = sfn.Pass.jsonata(this, 'NoShards', {
      assign: { failure: "{% {'Error': 'EmptyDataset', 'Cause': 'The dataset ' & $input.datasetUri & ' holds no records: there is nothing to preprocess or train on'} %}" },
    }).next(notifyFailure);
    const tooManyShards = sfn.Pass.jsonata(this, 'TooManyShards', {
      assign: {
        failure: `{% {'Error': 'TooManyShards', 'Cause': 'A run holds at most ${MAX_SHARDS} shards, got ' & $string($shards.shardCount) & ' shards: use a larger targetShardBytes'} %}`,
      },
    }).next(notifyFailure);

    const preprocessOverrides = (extra: string) =>
      `{% $merge([{'Environment': $environment}, $exists($input.preprocessCommand) ? {'Command': $input.preprocessCommand} : {}${extra}]) %}`;
    const preprocess = (stateId: string, array: boolean) =>
      this.batchTask(stateId, array ? `Preprocess the shards: one array child per shard, up to ${MAX_ARRAY_SIZE} children that each take every SHARD_STRIDE-th shard (CPU queue)` : 'Preprocess the only shard (CPU queue)', {
        JobName: "{% 'preprocess-' & $jobSuffix %}",
        JobQueue: this.preprocessJobQueue.jobQueueArn,
        JobDefinition: this.preprocessJobDefinition.jobDefinitionArn,
        ...this.shareArguments(),
        ...(array ? { ArrayProperties: { Size: `{% $min([$shards.shardCount, ${MAX_ARRAY_SIZE}]) %}` } } : {}),
        ContainerOverrides: preprocessOverrides(''),
      }).addCatch(notifyFailure, onError);
    const preprocessArray = preprocess('PreprocessArray', true);
    const preprocessSingle = preprocess('PreprocessSingle', false);

    const trainContainer =
      "$merge([{'Environment': $environment}, " +
      "$exists($input.trainCommand) ? {'Command': $input.trainCommand} : {}, " +
      "$exists($input.gpus) ? {'ResourceRequirements': [{'Type': 'GPU', 'Value': $string($input.gpus)}]} : {}])";
    const train = this.batchTask(
      'Train',
      multiNode ? 'Train on the GPU queue: a multi-node parallel job' : 'Train on the GPU queue: a single-node job',
      {
        JobName: "{% 'train-' & $jobSuffix %}",
        JobQueue: this.trainingJobQueue.jobQueueArn,
        JobDefinition: this.trainingJobDefinition.jobDefinitionArn,
        ...this.shareArguments(),
        ...(multiNode
          ? {
              NodeOverrides: `{% $merge([$exists($input.nodes) ? {'NumNodes': $input.nodes} : {}, {'NodePropertyOverrides': [{'TargetNodes': '0:', 'ContainerOverrides': ${trainContainer}}]}]) %}`,
            }
          : { ContainerOverrides: `{% ${trainContainer} %}` }),
      },
      { trainingJobId: '{% $states.result.JobId %}' },
    ).addCatch(notifyFailure, onError);

    const notifySuccess = tasks.SnsPublish.jsonata(this, 'NotifySuccess', {
      comment: 'Tell the topic the model is trained',
      topic: this.topic,
      subject: 'Training pipeline succeeded',
      message: sfn.TaskInput.fromText(
        "{% $string({'status': 'SUCCEEDED', 'execution': $states.context.Execution.Id, 'datasetUri': $input.datasetUri, 'manifest': 's3://' & $shards.manifestBucket & '/' & $shards.manifestKey, 'shardCount': $shards.shardCount, 'trainingJobId': $trainingJobId}) %}",
      ),
      outputs:
        "{% {'datasetUri': $input.datasetUri, 'manifestBucket': $shards.manifestBucket, 'manifestKey': $shards.manifestKey, 'shardCount': $shards.shardCount, 'trainingJobId': $trainingJobId} %}",
    });
    const trainAndNotify = train.next(notifySuccess);

    const route = sfn.Choice.jsonata(this, 'RouteByShardCount', {
      comment: `Batch array jobs take 2 to ${MAX_ARRAY_SIZE} children (more shards are strided over them); one shard runs as a single job`,
    })
      .when(sfn.Condition.jsonata('{% $shards.shardCount = 0 %}'), noShards)
      .when(sfn.Condition.jsonata(`{% $shards.shardCount > ${MAX_SHARDS} %}`), tooManyShards)
      .when(sfn.Condition.jsonata('{% $shards.shardCount = 1 %}'), preprocessSingle.next(trainAndNotify))
      .otherwise(preprocessArray.next(trainAndNotify));

    const etlJob = this.props.etlJob;
    const start = etlJob
      ? prepare
        .next(
          tasks.GlueStartJobRun.jsonata(this, 'Etl', {
            comment: 'Run the ETL job (raw to curated) and wait for it',
            glueJobName: etlJob.jobName,
            integrationPattern: sfn.IntegrationPattern.RUN_JOB,
          }).addCatch(notifyFailure, onError),
        )
        .next(shard)
      : prepare.next(shard);
    return validate.otherwise(start.next(route));
  }

  /** A `.sync` AWS Batch SubmitJob task, written out because aws-cdk-lib's task has no node overrides or JSONata overrides. */
  /** `ShareIdentifier` for queues with a fair-share policy; nothing otherwise. */
  private shareArguments(): Record<string, string> {
    return this.props.shareIdentifier === undefined ? {} : { ShareIdentifier: this.props.shareIdentifier };
  }

  private batchTask(stateId: string, comment: string, args: Record<string, unknown>, assign?: Record<string, string>): sfn.CustomState {
    const task = new sfn.CustomState(this, stateId, {
      stateJson: {
        Type: 'Task',
        Comment: comment,
        Resource: `arn:${Aws.PARTITION}:states:::batch:submitJob.sync`,
        Arguments: args,
        ...(assign ? { Assign: assign } : {}),
      },
    });
    // Retry only the submission (throttling, service errors); a failed job is not retried here: the job
    // definition's retry strategy decides which exits (Spot reclaims, host terminations) deserve another attempt.
    task.addRetry({
      errors: ['Batch.AWSBatchException', 'Batch.TooManyRequestsException', 'Batch.ServerException'],
      interval: Duration.seconds(5),
      backoffRate: 2,
      maxAttempts: 5,
      jitterStrategy: sfn.JitterType.FULL,
    });
    return task;
  }
}

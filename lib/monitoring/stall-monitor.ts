import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { invalidProp, validateNumber } from '../common/errors';
import { allowCloudWatchLogs, logRetention } from '../common/logging';
import { runtimeCode } from '../common/runtime-assets';
import { ILustreCache } from '../storage/lustre-cache';
import { ITrainingCluster, TrainingQueue } from '../training/training-cluster';
import { restrictGrantsToAwsServices } from '../common/kms';
import { acknowledgeControlTowerRule, acknowledgeInlinePolicy, acknowledgeRegulatedRule } from '../common/nag';

/** The namespace of the queue metrics that the monitor's function publishes. */
const DEFAULT_QUEUE_METRICS_NAMESPACE = 'CdkMlAtScale/Batch';
const FIVE_MINUTES = Duration.minutes(5);

/** What a {@link StallMonitor} can be told, besides what it watches (the option bag a stack takes). */
export interface StallMonitorOptions {
  /**
   * The topic that every alarm notifies.
   * @default - a new topic encrypted with `encryptionKey`
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * An e-mail address subscribed to the alarm topic (the subscription must be confirmed from the mail).
   * @default - no subscription
   */
  readonly alarmEmail?: string;
  /**
   * The key of the new alarm topic and of the queue-metrics function's logs.
   * @default - a new customer-managed key with rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * GPU utilisation, percent, below which busy storage means the GPUs wait for data.
   * @default 50
   */
  readonly gpuStarvedUtilizationPercent?: number;
  /**
   * Share of the file system's throughput, percent, above which it counts as the bottleneck.
   * @default 80
   */
  readonly storageNearLimitPercent?: number;
  /**
   * How long the GPUs must be starved before the alarm fires: a whole number of 5-minute periods.
   * @default Duration.minutes(15)
   */
  readonly starvedFor?: Duration;
  /**
   * How long a job may wait in RUNNABLE before "stuck in RUNNABLE" fires. Keep it below the cluster's
   * `stuckJobTimeout` to hear of a job before Batch cancels it.
   * @default Duration.minutes(20)
   */
  readonly stuckRunnableAfter?: Duration;
  /**
   * The CloudWatch namespace of the queue metrics (jobs by state, oldest RUNNABLE age).
   * @default 'CdkMlAtScale/Batch'
   */
  readonly queueMetricsNamespace?: string;
  /**
   * What happens to the key and log group created here when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Properties of a {@link StallMonitor}: what it watches, and its options. */
export interface StallMonitorProps extends StallMonitorOptions {
  /**
   * The training cluster whose GPUs and queues are watched: a `TrainingCluster`, or one imported with
   * `TrainingCluster.fromTrainingClusterAttributes` (its GPU metrics are read in its `metricsNamespace`).
   */
  readonly cluster: ITrainingCluster;
  /**
   * The file system that feeds the GPUs. Without one there is no "GPUs starved" alarm: low GPU
   * utilisation alone cannot tell a stall from a job that computes little. A file system imported with
   * `LustreCache.fromLustreCacheAttributes` must be given its `throughputMBps`; it brings no export-backlog
   * or free-capacity alarm, so the monitor has none for it.
   * @default - no file system panels and no stall alarm
   */
  readonly lustre?: ILustreCache;
  /**
   * The pipeline whose failed executions alarm.
   * @default - no pipeline panel or alarm
   */
  readonly pipeline?: sfn.IStateMachine;
}

/**
 * Makes the stall visible and alarmed: a CloudWatch dashboard of one training cluster (GPU
 * utilisation and memory, file system throughput against what is provisioned, metadata operations,
 * export backlog, Batch jobs by state, Spot interruptions, pipeline runs) and alarms to an encrypted
 * SNS topic: GPUs starved, stuck in RUNNABLE, export backlog, free capacity and failed pipeline runs.
 *
 * AWS Batch publishes no queue metrics, so a function run once a minute counts each queue's jobs by
 * state and the age of the oldest RUNNABLE job, and publishes them. Spot interruptions and failed
 * jobs are counted by EventBridge rules (`AWS/Events` `MatchedEvents`).
 */
export class StallMonitor extends Construct {
  /** The dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;
  /** The topic every alarm notifies. */
  public readonly alarmTopic: sns.ITopic;
  /** The key of the topic and logs, when one was created or given. */
  public readonly encryptionKey: kms.IKey;
  /** GPUs below the utilisation threshold while the file system runs near its limit. */
  public readonly gpusStarvedAlarm?: cloudwatch.Alarm;
  /** A job has waited in RUNNABLE longer than `stuckRunnableAfter`, per queue (GPU, CPU). */
  public readonly stuckInRunnableAlarms: cloudwatch.Alarm[];
  /** The pipeline has failed executions. */
  public readonly pipelineFailedAlarm?: cloudwatch.Alarm;
  /**
   * The file system's export-backlog and free-capacity alarms, notifying the topic: its own when they
   * are in this stack, else copies made here. Empty for an imported file system, which has no alarms.
   */
  public readonly storageAlarms: cloudwatch.Alarm[];
  /** The queue-metrics function fails (its metrics would stop). */
  public readonly queueMetricsFailingAlarm: cloudwatch.Alarm;
  /** The function that publishes the queue metrics. */
  public readonly queueMetricsFunction: lambda.Function;
  /** The namespace of the queue metrics. */
  public readonly queueMetricsNamespace: string;

  /**
   * Defines a `StallMonitor` in `scope`.
   *
   * @param scope the scope to define the construct in
   * @param id the construct's id, unique in `scope`
   * @param props the construct's configuration, see `StallMonitorProps`
   */
  constructor(scope: Construct, id: string, props: StallMonitorProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const gpuThreshold = props.gpuStarvedUtilizationPercent ?? 50;
    const nearLimit = props.storageNearLimitPercent ?? 80;
    validateNumber(this, 'gpuStarvedUtilizationPercent', gpuThreshold, { min: 1, max: 99 });
    validateNumber(this, 'storageNearLimitPercent', nearLimit, { min: 1, max: 100 });
    for (const [prop, value] of [['gpuStarvedUtilizationPercent', gpuThreshold], ['storageNearLimitPercent', nearLimit]] as const) {
      if (Token.isUnresolved(value)) throw invalidProp(this, prop, 'must be a literal number (it is written into alarm expressions)', value);
    }
    const starvedFor = props.starvedFor ?? Duration.minutes(15);
    const stuckAfter = props.stuckRunnableAfter ?? Duration.minutes(20);
    for (const [prop, value] of [['starvedFor', starvedFor], ['stuckRunnableAfter', stuckAfter]] as const) {
      if (value.isUnresolved()) throw invalidProp(this, prop, 'must be a literal Duration (it sets alarm periods)', value.toString());
    }
    const starvedMinutes = starvedFor.toMinutes({ integral: false });
    if (starvedMinutes < 5 || starvedMinutes > 24 * 60 || starvedMinutes % 5 !== 0) {
      throw invalidProp(this, 'starvedFor', 'must be a whole number of 5-minute periods from 5 minutes to 24 hours', starvedFor.toHumanString());
    }
    const stuckSeconds = stuckAfter.toSeconds({ integral: false });
    if (stuckSeconds < 60 || stuckSeconds > 86_400) {
      throw invalidProp(this, 'stuckRunnableAfter', 'must be from 1 minute to 24 hours', stuckAfter.toHumanString());
    }
    this.queueMetricsNamespace = props.queueMetricsNamespace ?? DEFAULT_QUEUE_METRICS_NAMESPACE;

    // ---- notifications
    this.encryptionKey =
      props.encryptionKey ??
      restrictGrantsToAwsServices(new kms.Key(this, 'Key', {
        description: `Encrypts the alarm topic and logs of the stall monitor ${this.node.path}`,
        enableKeyRotation: true,
        removalPolicy,
      }));
    if (!props.encryptionKey) allowCloudWatchLogs(this.encryptionKey);
    if (props.alarmTopic) {
      this.alarmTopic = props.alarmTopic;
    } else {
      this.alarmTopic = new sns.Topic(this, 'AlarmTopic', { masterKey: this.encryptionKey, enforceSSL: true, displayName: 'ML at scale: stall alarms' });
      // CloudWatch publishes alarms to the encrypted topic on its own behalf: the key must let it.
      this.encryptionKey.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowCloudWatchAlarmsToPublish',
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
        }),
      );
    }
    if (props.alarmEmail !== undefined) {
      if (!Token.isUnresolved(props.alarmEmail) && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(props.alarmEmail)) {
        throw invalidProp(this, 'alarmEmail', 'must be an e-mail address', props.alarmEmail);
      }
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }
    const action = new cwActions.SnsAction(this.alarmTopic);
    const notify = (alarm: cloudwatch.Alarm) => {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      return alarm;
    };

    // ---- queue metrics (Batch publishes none)
    const queues = [props.cluster.jobQueue(TrainingQueue.GPU), props.cluster.jobQueue(TrainingQueue.CPU)];
    const logGroup = new logs.LogGroup(this, 'QueueMetricsLogs', { encryptionKey: this.encryptionKey, retention: logRetention(this, 'logRetention', undefined), removalPolicy });
    this.queueMetricsFunction = new lambda.Function(this, 'QueueMetricsFunction', {
      code: runtimeCode('monitoring-queue-metrics'),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      description: 'Stall monitor: publishes Batch jobs by state and the oldest RUNNABLE job age per queue',
      memorySize: 256,
      timeout: Duration.seconds(50),
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: {
        QUEUES: Stack.of(this).toJsonString(queues.map((q) => q.jobQueueArn)),
        METRICS_NAMESPACE: this.queueMetricsNamespace,
        NODE_OPTIONS: '--enable-source-maps',
      },
    });
    const role = this.queueMetricsFunction.role!;
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['batch:ListJobs'], resources: ['*'] }));
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': this.queueMetricsNamespace } },
      }),
    );
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'batch:ListJobs and cloudwatch:PutMetricData support no resource-level permissions; PutMetricData is limited to the monitor\u2019s namespace by condition, and the function only reads job summaries.',
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'The AWS-managed Lambda execution policy grants only the CloudWatch Logs actions every function needs.',
    });
    acknowledgeInlinePolicy(role);
    acknowledgeRegulatedRule(
      this.queueMetricsFunction,
      'LambdaConcurrency',
      'A schedule invokes the function once a minute, for 50 s at most: it never runs more than two at once, and a reservation would only take from the account\u2019s unreserved pool.',
    );
    acknowledgeRegulatedRule(
      this.queueMetricsFunction,
      'LambdaDLQ',
      'A failed run has nothing worth retrying: the next run a minute later publishes the current values, and QueueMetricsFailingAlarm notifies the topic when runs keep failing.',
    );
    const outsideVpc = 'The function calls only AWS APIs (Batch ListJobs, CloudWatch PutMetricData) with IAM authentication over TLS, and handles no data of the lake; in a VPC it would need a NAT gateway or interface endpoints for Batch and CloudWatch, which an isolated VPC may not have.';
    acknowledgeRegulatedRule(this.queueMetricsFunction, 'LambdaInsideVPC', outsideVpc);
    acknowledgeControlTowerRule(this.queueMetricsFunction, 'lambda_inside_vpc_check', outsideVpc);
    new events.Rule(this, 'QueueMetricsSchedule', {
      description: 'Runs the stall monitor\u2019s queue metrics function once a minute',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [new targets.LambdaFunction(this.queueMetricsFunction, { retryAttempts: 0 })],
    });
    this.queueMetricsFailingAlarm = notify(
      new cloudwatch.Alarm(this, 'QueueMetricsFailingAlarm', {
        metric: this.queueMetricsFunction.metricErrors({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: `The queue metrics function of ${this.node.path} has failed for 15 minutes: the stuck-in-RUNNABLE alarms are blind.`,
      }),
    );

    // ---- events counted by EventBridge rules (AWS/Events MatchedEvents)
    const spotRule = new events.Rule(this, 'SpotInterruptions', {
      description: 'Counts EC2 Spot interruption warnings in this account and Region (MatchedEvents)',
      eventPattern: { source: ['aws.ec2'], detailType: ['EC2 Spot Instance Interruption Warning'] },
    });
    const failedJobsRule = new events.Rule(this, 'FailedJobs', {
      description: 'Counts failed jobs of the training cluster\u2019s queues (MatchedEvents)',
      eventPattern: {
        source: ['aws.batch'],
        detailType: ['Batch Job State Change'],
        detail: { status: ['FAILED'], jobQueue: queues.map((q) => q.jobQueueArn) },
      },
    });
    const matched = (rule: events.Rule, label: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/Events',
        metricName: 'MatchedEvents',
        dimensionsMap: { RuleName: rule.ruleName },
        statistic: cloudwatch.Stats.SUM,
        period: FIVE_MINUTES,
        label,
      });

    // ---- alarms
    this.storageAlarms = [];
    if (props.lustre) {
      const lustre = props.lustre;
      const limitMBps = lustre.throughputMBps;
      this.gpusStarvedAlarm = notify(
        new cloudwatch.Alarm(this, 'GpusStarvedAlarm', {
          metric: new cloudwatch.MathExpression({
            expression: starvedExpression(gpuThreshold, (limitMBps * nearLimit) / 100),
            usingMetrics: { gpu: props.cluster.metricGpuUtilization(), read: lustre.metricDataReadBytes() },
            period: FIVE_MINUTES,
            label: 'GPUs starved (1) or not (0)',
          }),
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: starvedMinutes / 5,
          datapointsToAlarm: starvedMinutes / 5,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          alarmDescription:
            `GPUs of ${props.cluster.node.path} are below ${gpuThreshold}% utilisation while ${lustre.node.path} reads above ` +
            `${nearLimit}% of its ${limitMBps} MB/s, for ${starvedMinutes} minutes: training waits for data. Raise the file system's ` +
            'throughput (capacity or tier), or feed fewer GPUs from it.',
        }),
      );
      // The file system's own alarms notify this topic. An alarm in another stack is mirrored here
      // instead: adding this topic to it would make that stack depend on this one (a cycle when this
      // stack already reads the cluster's queues from a stack that mounts the file system).
      const mirrored: Array<[cloudwatch.Alarm | undefined, string, cloudwatch.Metric]> = [
        [lustre.exportBacklogAlarm, 'ExportBacklogAlarm', lustre.metricExportBacklogAge()],
        [lustre.freeCapacityAlarm, 'FreeCapacityAlarm', lustre.metricFreeCapacityBytes()],
      ];
      this.storageAlarms = mirrored.flatMap(([alarm, alarmId, metric]) => {
        if (!alarm) return [];
        if (Stack.of(alarm) === Stack.of(this)) return [notify(alarm)];
        const cfn = alarm.node.defaultChild as cloudwatch.CfnAlarm;
        return [
          notify(
            new cloudwatch.Alarm(this, alarmId, {
              metric,
              threshold: cfn.threshold!,
              comparisonOperator: cfn.comparisonOperator as cloudwatch.ComparisonOperator,
              evaluationPeriods: cfn.evaluationPeriods ?? 1,
              treatMissingData: cfn.treatMissingData as cloudwatch.TreatMissingData,
              alarmDescription: cfn.alarmDescription,
            }),
          ),
        ];
      });
    }
    this.stuckInRunnableAlarms = queues.map((queue, i) =>
      notify(
        new cloudwatch.Alarm(this, i === 0 ? 'GpuStuckInRunnableAlarm' : 'CpuStuckInRunnableAlarm', {
          metric: this.metricOldestRunnableAge(queue.jobQueueName),
          threshold: stuckSeconds,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          alarmDescription:
            `A job has waited in RUNNABLE on the ${i === 0 ? 'GPU' : 'CPU'} queue of ${props.cluster.node.path} for more than ${stuckAfter.toHumanString()}. ` +
            'Check its statusReason: a vCPU quota (run npm run preflight), instance types that cannot fit it, or no capacity.',
        }),
      ),
    );
    if (props.pipeline) {
      this.pipelineFailedAlarm = notify(
        new cloudwatch.Alarm(this, 'PipelineFailedAlarm', {
          metric: props.pipeline.metricFailed({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM }),
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          alarmDescription: 'A training pipeline execution failed.',
        }),
      );
    }

    // ---- dashboard
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(6) });
    const half = 12;
    const rows: cloudwatch.IWidget[][] = [
      [
        new cloudwatch.GraphWidget({
          title: 'GPU utilisation and GPU memory (%)',
          left: [props.cluster.metricGpuUtilization({ label: 'GPU utilisation' }), props.cluster.metricGpuMemoryUtilization({ label: 'GPU memory' })],
          leftYAxis: { min: 0, max: 100 },
          leftAnnotations: [{ value: gpuThreshold, label: 'starved below', color: cloudwatch.Color.RED }],
          width: half,
        }),
        new cloudwatch.GraphWidget({
          title: 'Batch jobs by state',
          left: ['RUNNABLE', 'STARTING', 'RUNNING'].flatMap((state) =>
            queues.map((q, i) => this.metricJobs(q.jobQueueName, state, { label: `${i === 0 ? 'GPU' : 'CPU'} ${state}` })),
          ),
          right: [matched(failedJobsRule, 'failed jobs'), matched(spotRule, 'Spot interruptions')],
          width: half,
        }),
      ],
    ];
    if (props.lustre) {
      const lustre = props.lustre;
      rows.push([
        new cloudwatch.GraphWidget({
          title: 'File system reads vs provisioned throughput (MB/s)',
          left: [
            new cloudwatch.MathExpression({
              expression: 'read / PERIOD(read) / 1000000',
              usingMetrics: { read: lustre.metricDataReadBytes() },
              label: 'read MB/s',
              period: FIVE_MINUTES,
            }),
          ],
          leftAnnotations: [
            { value: lustre.throughputMBps, label: 'provisioned', color: cloudwatch.Color.RED },
            { value: (lustre.throughputMBps * nearLimit) / 100, label: `${nearLimit}%`, color: cloudwatch.Color.ORANGE },
          ],
          width: half,
        }),
        new cloudwatch.GraphWidget({
          title: 'Metadata operations and export backlog',
          left: [lustre.metricMetadataOperations({ label: 'metadata operations / 5 min' })],
          right: [lustre.metricExportBacklogAge({ label: 'oldest unexported change (s)' })],
          width: half,
        }),
      ]);
    }
    rows.push([
      new cloudwatch.GraphWidget({
        title: 'Oldest RUNNABLE job (s)',
        left: queues.map((q, i) => this.metricOldestRunnableAge(q.jobQueueName, { label: i === 0 ? 'GPU queue' : 'CPU queue' })),
        leftAnnotations: [{ value: stuckSeconds, label: 'stuck after', color: cloudwatch.Color.RED }],
        width: half,
      }),
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms',
        alarms: [
          ...(this.gpusStarvedAlarm ? [this.gpusStarvedAlarm] : []),
          ...this.stuckInRunnableAlarms,
          ...(this.pipelineFailedAlarm ? [this.pipelineFailedAlarm] : []),
          this.queueMetricsFailingAlarm,
        ],
        width: half,
      }),
    ]);
    if (props.pipeline) {
      rows.push([
        new cloudwatch.GraphWidget({
          title: 'Pipeline executions',
          left: [
            props.pipeline.metricSucceeded({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM, label: 'succeeded' }),
            props.pipeline.metricFailed({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM, label: 'failed' }),
          ],
          width: 2 * half,
        }),
      ]);
    }
    for (const row of rows) this.dashboard.addWidgets(...row);
  }

  /**
   * Jobs of a queue in a state (Maximum per 5 minutes), as the queue-metrics function publishes them.
   *
   * @param jobQueueName the name of the AWS Batch job queue
   * @param state the job state, as AWS Batch names it: `SUBMITTED`, `PENDING`, `RUNNABLE`, `STARTING` or `RUNNING`
   * @param props options that override the metric's period, statistic, label or unit
   */
  public metricJobs(jobQueueName: string, state: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.queueMetricsNamespace,
      metricName: 'Jobs',
      dimensionsMap: { JobQueue: jobQueueName, State: state },
      statistic: cloudwatch.Stats.MAXIMUM,
      period: FIVE_MINUTES,
      ...props,
    });
  }

  /**
   * Seconds since the oldest RUNNABLE job of a queue was submitted (Maximum per 5 minutes).
   *
   * @param jobQueueName the name of the AWS Batch job queue
   * @param props options that override the metric's period, statistic, label or unit
   */
  public metricOldestRunnableAge(jobQueueName: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.queueMetricsNamespace,
      metricName: 'OldestRunnableJobAgeSeconds',
      dimensionsMap: { JobQueue: jobQueueName },
      statistic: cloudwatch.Stats.MAXIMUM,
      period: FIVE_MINUTES,
      ...props,
    });
  }
}

/**
 * The "GPUs starved" expression: 1 when GPU utilisation is below `gpuPercent` while the file system
 * reads more than `readMBps`, else 0. No GPU data (no host running) gives no data, not 0 or 1.
 */
export function starvedExpression(gpuPercent: number, readMBps: number): string {
  return `IF(gpu < ${gpuPercent} AND read / PERIOD(read) / 1000000 > ${Math.round(readMBps * 1000) / 1000}, 1, 0)`;
}

import { Duration, Lazy, Stack } from 'aws-cdk-lib';
import { Capture, Match, Template } from 'aws-cdk-lib/assertions';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ILustreCache, ITrainingCluster, LustreCache, StallMonitor, StallMonitorProps, TrainingCluster, TrainingClusterAttributes } from '../../lib';
import { starvedExpression } from '../../lib/monitoring/stall-monitor';
import { nagFindings, testStack } from '../util/app';

function fixture() {
  const stack = testStack();
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-1',
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    privateSubnetIds: ['subnet-1', 'subnet-2'],
    privateSubnetRouteTableIds: ['rtb-1', 'rtb-2'],
    vpcCidrBlock: '10.0.0.0/16',
  });
  const cluster = new TrainingCluster(stack, 'Cluster', { vpc });
  const lustre = new LustreCache(stack, 'Cache', { vpc });
  const pipeline = new sfn.StateMachine(stack, 'Pipeline', { definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'P')) });
  return { stack, cluster, lustre, pipeline };
}

/** A monitor over a created cluster, file system and pipeline: built once, read by two describes. */
let concrete: (ReturnType<typeof fixture> & { monitor: StallMonitor; template: Template }) | undefined;
function concreteMonitor() {
  if (!concrete) {
    const built = fixture();
    const monitor = new StallMonitor(built.stack, 'Monitor', { cluster: built.cluster, lustre: built.lustre, pipeline: built.pipeline, alarmEmail: 'ml-platform@example.com' });
    concrete = { ...built, monitor, template: Template.fromStack(built.stack) };
  }
  return concrete;
}

const ARN = 'arn:aws:batch:eu-west-1:123456789012';
const FS_ID = 'fs-0123456789abcdef0';

/** The attributes of a cluster created elsewhere: queues and job definitions by ARN. */
function importedClusterAttributes(stack: Stack): TrainingClusterAttributes {
  return {
    gpuQueue: batch.JobQueue.fromJobQueueArn(stack, 'GpuQueue', `${ARN}:job-queue/gpu`),
    cpuQueue: batch.JobQueue.fromJobQueueArn(stack, 'CpuQueue', `${ARN}:job-queue/cpu`),
    preprocessJobDefinition: batch.EcsJobDefinition.fromJobDefinitionArn(stack, 'PrepDef', `${ARN}:job-definition/prep:1`),
    trainingJobDefinition: batch.EcsJobDefinition.fromJobDefinitionArn(stack, 'TrainDef', `${ARN}:job-definition/train:1`),
    maxGpusPerInstance: 8,
    jobRole: iam.Role.fromRoleName(stack, 'JobRole', 'team-jobs'),
  };
}

/** A cluster and a file system imported by their attributes (nothing of them is created). */
function importedFixture(lustreThroughputMBps: number | undefined) {
  const stack = testStack();
  const cluster = TrainingCluster.fromTrainingClusterAttributes(stack, 'Cluster', importedClusterAttributes(stack));
  const lustre = LustreCache.fromLustreCacheAttributes(stack, 'Cache', {
    fileSystemId: FS_ID,
    dnsName: `${FS_ID}.fsx.eu-west-1.amazonaws.com`,
    mountName: 'abcdefgh',
    securityGroups: [ec2.SecurityGroup.fromSecurityGroupId(stack, 'FsGroup', 'sg-0123456789abcdef0', { allowAllOutbound: false })],
    throughputMBps: lustreThroughputMBps,
  });
  return { stack, cluster, lustre };
}

/**
 * What each alarm of the monitor reads, by alarm logical id: namespace, metric name, dimensions,
 * statistic and period of a metric alarm, or of each metric of a math alarm (with its expression).
 * `names` swaps the resolved identifiers of the watched resources for what they stand for, so that
 * alarms over different queues and file systems compare.
 */
function alarmMetrics(template: Template, names: Map<string, string>): Record<string, unknown> {
  const swap = (dimensions: Array<{ Name: string; Value: unknown }> | undefined) =>
    dimensions?.map((d) => ({ Name: d.Name, Value: names.get(JSON.stringify(d.Value)) ?? d.Value }));
  const alarms = template.findResources('AWS::CloudWatch::Alarm');
  return Object.fromEntries(
    Object.entries(alarms)
      .filter(([id]) => id.startsWith('Monitor'))
      .map(([id, { Properties: p }]) => [
        id,
        p.Metrics
          ? p.Metrics.map((m: { Id: string; Expression?: string; MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions?: Array<{ Name: string; Value: unknown }> }; Period: number; Stat: string } }) =>
              m.MetricStat
                ? { Id: m.Id, Namespace: m.MetricStat.Metric.Namespace, MetricName: m.MetricStat.Metric.MetricName, Dimensions: swap(m.MetricStat.Metric.Dimensions), Stat: m.MetricStat.Stat, Period: m.MetricStat.Period }
                : { Id: m.Id, Expression: m.Expression },
            )
          : { Namespace: p.Namespace, MetricName: p.MetricName, Dimensions: swap(p.Dimensions), Statistic: p.Statistic, Period: p.Period },
      ]),
  );
}

/**
 * Evaluates the alarm's metric math on one period's data points, as CloudWatch would for this grammar
 * (IF, AND, comparisons, arithmetic, PERIOD): undefined when a metric has no data point.
 */
function evaluate(expression: string, data: Record<string, number | undefined>, periodSeconds: number): number | undefined {
  if (Object.values(data).some((v) => v === undefined)) return undefined;
  const js = expression
    .replace(/PERIOD\((\w+)\)/g, String(periodSeconds))
    .replace(/\bAND\b/g, '&&')
    .replace(/^IF\((.*), (\S+), (\S+)\)$/, '(($1) ? $2 : $3)');
  expect(js).not.toMatch(/[A-Z]{2,}/); // nothing of the grammar left untranslated
  return new Function(...Object.keys(data), `return ${js};`)(...Object.values(data)) as number;
}

describe('StallMonitor with a cluster, a file system and a pipeline', () => {
  const { stack, cluster, lustre, monitor, template } = concreteMonitor();
  const topicRef = { Ref: stack.getLogicalId(monitor.alarmTopic.node.defaultChild as sns.CfnTopic) };

  test('sends every alarm to one KMS-encrypted topic, with the e-mail subscribed', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ml-platform@example.com' });
    const alarms = template.findResources('AWS::CloudWatch::Alarm');
    // starved, stuck (GPU and CPU queues), pipeline, queue metrics, and the file system's free capacity
    // (it has no export backlog alarm: the default file system exports nothing automatically).
    expect(Object.keys(alarms)).toHaveLength(6);
    for (const alarm of Object.values(alarms)) {
      expect(alarm.Properties.AlarmActions).toEqual([topicRef]);
      expect(alarm.Properties.OKActions).toEqual([topicRef]);
    }
  });

  test('lets CloudWatch publish to the encrypted topic through the key policy', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Sid: 'AllowCloudWatchAlarmsToPublish', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] }),
        ]),
      },
    });
  });

  test('"GPUs starved": low GPU utilisation while the file system reads near its limit, for 15 minutes', () => {
    const expression = new Capture();
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([
        Match.objectLike({ Id: 'expr_1', Expression: expression }),
        Match.objectLike({ Id: 'gpu', MetricStat: Match.objectLike({ Metric: { Namespace: 'CdkMlAtScale/Training', MetricName: 'nvidia_smi_utilization_gpu' }, Period: 300, Stat: 'Average' }) }),
        Match.objectLike({ Id: 'read', MetricStat: Match.objectLike({ Metric: Match.objectLike({ Namespace: 'AWS/FSx', MetricName: 'DataReadBytes' }), Period: 300, Stat: 'Sum' }) }),
      ]),
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      TreatMissingData: 'notBreaching',
    });
    // 1200 GiB at 250 MB/s/TiB: the file system gives lustre.throughputMBps; 80% of it is the limit.
    const limit = lustre.throughputMBps * 0.8;
    expect(expression.asString()).toBe(starvedExpression(50, limit));
    const bytesPer5Min = (mbps: number) => mbps * 1e6 * 300;
    expect(evaluate(expression.asString(), { gpu: 20, read: bytesPer5Min(limit + 10) }, 300)).toBe(1); // the stall
    expect(evaluate(expression.asString(), { gpu: 20, read: bytesPer5Min(limit / 4) }, 300)).toBe(0); // slow job, idle storage
    expect(evaluate(expression.asString(), { gpu: 95, read: bytesPer5Min(limit + 10) }, 300)).toBe(0); // busy and fed
    expect(evaluate(expression.asString(), { gpu: undefined, read: bytesPer5Min(limit + 10) }, 300)).toBeUndefined(); // no GPU host
  });

  test('"stuck in RUNNABLE": per queue, the oldest RUNNABLE job older than 20 minutes', () => {
    for (const queue of [cluster.gpuQueue, cluster.cpuQueue]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'CdkMlAtScale/Batch',
        MetricName: 'OldestRunnableJobAgeSeconds',
        Dimensions: [{ Name: 'JobQueue', Value: stack.resolve(queue.jobQueueName) }],
        Statistic: 'Maximum',
        Period: 300,
        Threshold: 1200,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
      });
    }
  });

  test('failed pipeline executions, and a failing queue-metrics function, alarm', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/States',
      MetricName: 'ExecutionsFailed',
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      EvaluationPeriods: 3,
      TreatMissingData: 'notBreaching',
    });
  });

  test('the file system\u2019s own alarms (export backlog, free capacity) now notify the topic', () => {
    expect(lustre.freeCapacityAlarm).toBeDefined();
    for (const alarm of [lustre.exportBacklogAlarm, lustre.freeCapacityAlarm].filter((a) => a !== undefined)) {
      expect(stack.resolve((alarm.node.defaultChild as import('aws-cdk-lib').aws_cloudwatch.CfnAlarm).alarmActions)).toEqual([topicRef]);
    }
  });

  test('publishes queue metrics once a minute from a function that may only list jobs and put its own metrics', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
      Environment: { Variables: Match.objectLike({ METRICS_NAMESPACE: 'CdkMlAtScale/Batch' }) },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'batch:ListJobs', Resource: '*' }),
          Match.objectLike({ Action: 'cloudwatch:PutMetricData', Condition: { StringEquals: { 'cloudwatch:namespace': 'CdkMlAtScale/Batch' } } }),
        ]),
      },
    });
  });

  test('counts failed jobs of the cluster\u2019s queues and Spot interruptions with EventBridge rules', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.batch'], 'detail-type': ['Batch Job State Change'], detail: { status: ['FAILED'], jobQueue: Match.anyValue() } },
    });
    template.hasResourceProperties('AWS::Events::Rule', { EventPattern: { source: ['aws.ec2'], 'detail-type': ['EC2 Spot Instance Interruption Warning'] } });
  });

  test('draws a dashboard with the GPU, storage, queue and pipeline panels', () => {
    const body = JSON.stringify(stack.resolve((monitor.dashboard.node.defaultChild as import('aws-cdk-lib').aws_cloudwatch.CfnDashboard).dashboardBody));
    for (const title of [
      'GPU utilisation and GPU memory (%)',
      'Batch jobs by state',
      'File system reads vs provisioned throughput (MB/s)',
      'Metadata operations and export backlog',
      'Oldest RUNNABLE job (s)',
      'Pipeline executions',
    ]) {
      expect(body).toContain(title);
    }
    expect(body).toContain('MetadataOperations');
    expect(body).toContain('AgeOfOldestQueuedMessage');
    expect(body).toContain('MatchedEvents');
  });

  test('keeps its key and log group when removed (RETAIN)', () => {
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    template.allResources('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain' });
  });

  test('has no unacknowledged cdk-nag finding', () => {
    expect(nagFindings(monitor)).toEqual([]);
  });
});

describe('StallMonitor over an imported cluster and an imported file system', () => {
  const { stack, cluster, lustre } = importedFixture(300); // 1200 GiB at 250 MB/s/TiB, as the created one
  const pipeline = sfn.StateMachine.fromStateMachineArn(stack, 'Pipeline', 'arn:aws:states:eu-west-1:123456789012:stateMachine:training');
  const monitor = new StallMonitor(stack, 'Monitor', { cluster, lustre, pipeline, alarmEmail: 'ml-platform@example.com' });
  const template = Template.fromStack(stack);

  test('synthesizes the alarms and panels of a created cluster and file system, on the imported ones', () => {
    expect(Object.keys(template.findResources('AWS::CloudWatch::Alarm')).sort()).toEqual([
      expect.stringMatching(/^MonitorCpuStuckInRunnableAlarm/),
      expect.stringMatching(/^MonitorGpuStuckInRunnableAlarm/),
      expect.stringMatching(/^MonitorGpusStarvedAlarm/),
      expect.stringMatching(/^MonitorPipelineFailedAlarm/),
      expect.stringMatching(/^MonitorQueueMetricsFailingAlarm/),
    ]);
    const body = JSON.stringify(stack.resolve((monitor.dashboard.node.defaultChild as import('aws-cdk-lib').aws_cloudwatch.CfnDashboard).dashboardBody));
    expect(body).toContain('File system reads vs provisioned throughput (MB/s)');
    expect(body).toContain('\\"value\\":300,\\"label\\":\\"provisioned\\"');
    expect(body).toContain(`\\"FileSystemId\\",\\"${FS_ID}\\"`);
  });

  test('its alarms read the same metrics as over a created cluster and file system (namespace, name, dimensions, statistic, period)', () => {
    const created = concreteMonitor();
    const createdNames = new Map([
      [JSON.stringify(created.stack.resolve(created.cluster.gpuQueue.jobQueueName)), 'the GPU queue'],
      [JSON.stringify(created.stack.resolve(created.cluster.cpuQueue.jobQueueName)), 'the CPU queue'],
      [JSON.stringify(created.stack.resolve(created.lustre.fileSystemId)), 'the file system'],
      [JSON.stringify(created.stack.resolve(created.pipeline.stateMachineArn)), 'the pipeline'],
    ]);
    const importedNames = new Map([
      [JSON.stringify('gpu'), 'the GPU queue'],
      [JSON.stringify('cpu'), 'the CPU queue'],
      [JSON.stringify(FS_ID), 'the file system'],
      [JSON.stringify(pipeline.stateMachineArn), 'the pipeline'],
    ]);
    const expected = alarmMetrics(created.template, createdNames);
    const actual = alarmMetrics(template, importedNames);
    expect(Object.keys(actual)).toHaveLength(5);
    expect(actual).toEqual(expected);
  });

  test('"GPUs starved" reads the cluster’s GPU metric and the file system’s reads, against the throughput given', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([
        Match.objectLike({ Id: 'expr_1', Expression: starvedExpression(50, 240) }),
        Match.objectLike({ Id: 'gpu', MetricStat: { Metric: { Namespace: 'CdkMlAtScale/Training', MetricName: 'nvidia_smi_utilization_gpu' }, Period: 300, Stat: 'Average' } }),
        Match.objectLike({
          Id: 'read',
          MetricStat: { Metric: { Namespace: 'AWS/FSx', MetricName: 'DataReadBytes', Dimensions: [{ Name: 'FileSystemId', Value: FS_ID }] }, Period: 300, Stat: 'Sum' },
        }),
      ]),
    });
  });

  test('"stuck in RUNNABLE", the queue metrics and the failed-job rule follow the imported queues', () => {
    for (const name of ['gpu', 'cpu']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'CdkMlAtScale/Batch',
        MetricName: 'OldestRunnableJobAgeSeconds',
        Dimensions: [{ Name: 'JobQueue', Value: name }],
        Statistic: 'Maximum',
        Period: 300,
      });
    }
    const queues = [`${ARN}:job-queue/gpu`, `${ARN}:job-queue/cpu`];
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ QUEUES: JSON.stringify(queues) }) } });
    template.hasResourceProperties('AWS::Events::Rule', { EventPattern: { source: ['aws.batch'], detail: { status: ['FAILED'], jobQueue: queues } } });
  });

  test('has no storage alarms: an imported file system brings none', () => {
    expect(lustre.exportBacklogAlarm).toBeUndefined();
    expect(lustre.freeCapacityAlarm).toBeUndefined();
    expect(monitor.storageAlarms).toEqual([]);
  });

  test('has no unacknowledged cdk-nag finding', () => {
    expect(nagFindings(monitor)).toEqual([]);
  });
});

describe('StallMonitor over an imported cluster whose hosts publish in a namespace of their own', () => {
  const stack = testStack();
  const cluster: ITrainingCluster = TrainingCluster.fromTrainingClusterAttributes(stack, 'Cluster', { ...importedClusterAttributes(stack), metricsNamespace: 'Team/Gpus' });
  const lustre: ILustreCache = LustreCache.fromLustreCacheAttributes(stack, 'Cache', {
    fileSystemId: FS_ID,
    dnsName: 'd',
    mountName: 'm',
    throughputMBps: 1000,
    securityGroups: [ec2.SecurityGroup.fromSecurityGroupId(stack, 'FsGroup', 'sg-0123456789abcdef0')],
  });
  new StallMonitor(stack, 'Monitor', { cluster, lustre });
  const template = Template.fromStack(stack);

  test('reads GPU utilisation in that namespace, and the near-limit line from the throughput given', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: starvedExpression(50, 800) }),
        Match.objectLike({ Id: 'gpu', MetricStat: Match.objectLike({ Metric: { Namespace: 'Team/Gpus', MetricName: 'nvidia_smi_utilization_gpu' } }) }),
      ]),
    });
  });
});

describe('StallMonitor without a file system or pipeline, with a topic of its own', () => {
  const { stack, cluster } = fixture();
  const topic = new sns.Topic(stack, 'Topic');
  const monitor = new StallMonitor(stack, 'Monitor', { cluster, alarmTopic: topic, stuckRunnableAfter: Duration.minutes(45), starvedFor: Duration.minutes(30) });
  const template = Template.fromStack(stack);

  test('has no stall alarm (low GPUs alone cannot tell a stall) and uses the given topic', () => {
    expect(monitor.gpusStarvedAlarm).toBeUndefined();
    expect(monitor.alarmTopic).toBe(topic);
    template.resourceCountIs('AWS::SNS::Topic', 1);
    const notifying = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((a) => a.Properties.AlarmActions !== undefined);
    expect(notifying).toHaveLength(3); // stuck (GPU, CPU) and queue metrics; the file system was not given, so its alarm is left alone
    for (const alarm of notifying) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: stack.getLogicalId(topic.node.defaultChild as sns.CfnTopic) }]);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'OldestRunnableJobAgeSeconds', Threshold: 2700 });
  });
});

describe('StallMonitor fails when', () => {
  const fails = (props: Partial<StallMonitorProps>, message: RegExp) => {
    const { stack, cluster } = fixture();
    expect(() => new StallMonitor(stack, 'Monitor', { cluster, ...props })).toThrow(message);
  };
  test('gpuStarvedUtilizationPercent is outside 1-99', () =>
    fails({ gpuStarvedUtilizationPercent: 100 }, /gpuStarvedUtilizationPercent must be a number from 1 to 99, got 100 \(at Test\/Monitor\)/));
  test('storageNearLimitPercent is outside 1-100', () => fails({ storageNearLimitPercent: 0 }, /storageNearLimitPercent must be a number from 1 to 100, got 0/));
  test('starvedFor is not whole 5-minute periods', () =>
    fails({ starvedFor: Duration.minutes(7) }, /starvedFor must be a whole number of 5-minute periods from 5 minutes to 24 hours, got '7 minutes'/));
  test('stuckRunnableAfter is over a day', () => fails({ stuckRunnableAfter: Duration.hours(25) }, /stuckRunnableAfter must be from 1 minute to 24 hours, got '1 day 1 hour'/));
  test('alarmEmail is not an address', () => fails({ alarmEmail: 'ops' }, /alarmEmail must be an e-mail address, got 'ops'/));
  test('a threshold is a token (it is written into the alarm expression)', () =>
    fails({ gpuStarvedUtilizationPercent: Lazy.number({ produce: () => 50 }) }, /gpuStarvedUtilizationPercent must be a literal number .*, got an unresolved token/));
  test('the file system is imported without its throughput (the stall alarm compares reads with it)', () => {
    const { stack, cluster, lustre } = importedFixture(undefined);
    expect(() => new StallMonitor(stack, 'Monitor', { cluster, lustre })).toThrow(
      'throughputMBps must be given to LustreCache.fromLustreCacheAttributes to compare reads with the provisioned throughput (as StallMonitor does), got undefined (at Test/Cache)',
    );
  });
});

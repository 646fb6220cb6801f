import { Duration, Lazy } from 'aws-cdk-lib';
import { Capture, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { LustreCache, StallMonitor, StallMonitorProps, TrainingCluster } from '../../lib';
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
  const { stack, cluster, lustre, pipeline } = fixture();
  const monitor = new StallMonitor(stack, 'Monitor', { cluster, lustre, pipeline, alarmEmail: 'ml-platform@example.com' });
  const template = Template.fromStack(stack);
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
});

import { Template } from 'aws-cdk-lib/assertions';
import { referenceApp } from './fixture';

const { stacks } = referenceApp({ 'ml-at-scale.monitoring.alarmEmail': 'ml-platform@example.com' });
const template = Template.fromStack(stacks.monitoring);

test('is named from the stack prefix', () => {
  expect(stacks.monitoring.stackName).toBe('MlAtScale-Monitoring');
});

test('watches the training cluster, the Lustre cache and the pipeline: the stall alarm is there', () => {
  const monitor = stacks.monitoring.monitor;
  expect(monitor.gpusStarvedAlarm).toBeDefined();
  expect(monitor.pipelineFailedAlarm).toBeDefined();
  expect(monitor.stuckInRunnableAlarms).toHaveLength(2);
  template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
});

test('subscribes the configured e-mail to the encrypted alarm topic', () => {
  template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ml-platform@example.com' });
  template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: {} });
});

test('mirrors the Lustre cache\u2019s alarms of the storage stack here, notifying the topic (no cross-stack cycle)', () => {
  const storageAlarms = Object.values(Template.fromStack(stacks.storage).findResources('AWS::CloudWatch::Alarm'));
  expect(storageAlarms.length).toBeGreaterThan(0);
  const mirrored = stacks.monitoring.monitor.storageAlarms;
  expect(mirrored).toHaveLength(storageAlarms.length);
  const metricNames = storageAlarms.map((a) => a.Properties.MetricName).sort();
  const here = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((a) => metricNames.includes(a.Properties.MetricName));
  expect(here.map((a) => a.Properties.MetricName).sort()).toEqual(metricNames);
  for (const alarm of here) {
    const twin = storageAlarms.find((a) => a.Properties.MetricName === alarm.Properties.MetricName)!;
    expect(alarm.Properties).toMatchObject({ Threshold: twin.Properties.Threshold, ComparisonOperator: twin.Properties.ComparisonOperator, EvaluationPeriods: twin.Properties.EvaluationPeriods });
    expect(alarm.Properties.AlarmActions).toHaveLength(1);
  }
});

test('retains its key and log group', () => {
  for (const type of ['AWS::KMS::Key', 'AWS::Logs::LogGroup']) {
    for (const r of Object.values(template.findResources(type))) expect(r.DeletionPolicy).toBe('Retain');
  }
});

test('matches the snapshot', () => {
  expect(template.toJSON()).toMatchSnapshot();
});

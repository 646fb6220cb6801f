import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { DataLake, PipelineStack, PipelineStackProps } from '../../lib';
import { definitionOf } from '../pipeline/state-machine';
import { testApp } from '../util/app';
import { referenceApp, sharedReferenceApp } from './fixture';

const { stacks } = sharedReferenceApp();
const stack = stacks.pipeline;
const template = Template.fromStack(stack);
const logicalId = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);

test('is named from the stack prefix', () => {
  expect(stack.stackName).toBe('MlAtScale-Pipeline');
});

test('holds the sharder\u2019s three functions and both state machines, without a trigger by default', () => {
  const fns = Object.keys(template.findResources('AWS::Lambda::Function')).filter((id) => id.startsWith('Sharder'));
  expect(fns).toHaveLength(3);
  template.resourceCountIs('AWS::StepFunctions::StateMachine', 2);
  template.resourceCountIs('AWS::Events::Rule', 0);
  expect(stack.pipeline).toBeDefined();
});

test('shards from the raw zone into the curated zone\u2019s shards/ prefix', () => {
  const text = JSON.stringify(template.findResources('AWS::IAM::Policy'));
  expect(text).toContain('/shards/*');
  expect(stack.sharder.destinationPrefix).toBe('shards/');
  expect(stack.sharder.sourcePrefix).toBe('');
  expect(stack.sharder.sourceBucket).toBe(stacks.dataLake.dataLake.rawBucket);
  expect(stack.sharder.destinationBucket).toBe(stacks.dataLake.dataLake.curatedBucket);
});

test('preprocesses on the training stack\u2019s CPU queue and trains on its GPU queue', () => {
  const states = definitionOf(template, logicalId(stack.pipeline!.stateMachine)).States;
  expect(states.PreprocessArray.Resource).toBe('arn:aws:states:::batch:submitJob.sync');
  expect(states.PreprocessArray.Arguments.JobQueue).toMatch(/ClusterCpuQueue.*JobQueueArn/);
  expect(states.PreprocessArray.Arguments.JobDefinition).toMatch(/ClusterPreprocessJob/);
  expect(states.Train.Arguments.JobQueue).toMatch(/ClusterGpuQueue.*JobQueueArn/);
  expect(states.Train.Arguments.ContainerOverrides).toBeDefined();
});

test('bounds the gpus input by the largest GPU instance of the cluster (p4d.24xlarge: 8)', () => {
  const states = definitionOf(template, logicalId(stack.pipeline!.stateMachine)).States;
  expect(states.ValidateInput.Choices.find((c: { Next: string }) => c.Next === 'InvalidGpus').Condition).toContain('> 8');
});

test('starts runs when data lands in the raw zone when the config asks for it', () => {
  const { stacks: triggered } = referenceApp({
    'ml-at-scale.pipeline.triggerOnNewData': 'true',
    'ml-at-scale.pipeline.sourcePrefix': 'incoming/',
  });
  const t = Template.fromStack(triggered.pipeline);
  t.hasResourceProperties('AWS::Events::Rule', {
    EventPattern: { source: ['aws.s3'], 'detail-type': ['Object Created'], detail: { object: { key: [{ prefix: 'incoming/' }] } } },
  });
});

test('matches the snapshot', () => {
  expect(template.toJSON()).toMatchSnapshot();
});

describe('PipelineStack fails when', () => {
  const build = (extra: Partial<PipelineStackProps>) => () => {
    const app = testApp({ context: { 'aws:cdk:bundling-stacks': [] } });
    const base = new Stack(app, 'Base');
    const vpc = new ec2.Vpc(base, 'Vpc');
    const dataLake = new DataLake(base, 'Lake');
    new PipelineStack(app, 'Pipeline', { vpc, dataLake, ...extra });
  };

  test('fails when pipeline settings are given without the cluster they drive', () => {
    expect(build({ pipeline: { triggerOnNewData: true } })).toThrow(
      'cluster must be given with pipeline settings: the training pipeline drives its queues, got undefined (at Pipeline)',
    );
  });

  test('holds the sharder alone without a cluster', () => {
    const app = testApp({ context: { 'aws:cdk:bundling-stacks': [] } });
    const base = new Stack(app, 'Base');
    const alone = new PipelineStack(app, 'Pipeline', { vpc: new ec2.Vpc(base, 'Vpc'), dataLake: new DataLake(base, 'Lake') });
    expect(alone.pipeline).toBeUndefined();
    Template.fromStack(alone).resourceCountIs('AWS::StepFunctions::StateMachine', 1);
  });
});

test('submits under the pipeline\u2019s share when the config turns fair-share scheduling on, and the cluster defines that share', () => {
  const { stacks: fair } = referenceApp({ 'ml-at-scale.training.fairShareScheduling': 'true' });
  const t = Template.fromStack(fair.pipeline);
  const states = definitionOf(t, fair.pipeline.getLogicalId(fair.pipeline.pipeline!.stateMachine.node.defaultChild as never)).States;
  expect(states.PreprocessArray.Arguments.ShareIdentifier).toBe('pipeline');
  expect(states.Train.Arguments.ShareIdentifier).toBe('pipeline');
  Template.fromStack(fair.training).hasResourceProperties('AWS::Batch::SchedulingPolicy', {
    FairsharePolicy: { ShareDistribution: [{ ShareIdentifier: 'pipeline', WeightFactor: 1 }] },
  });
  expect(states.PreprocessSingle.Arguments.ShareIdentifier).toBe('pipeline');
});

test('submits without a share when fair-share scheduling is off', () => {
  const states = definitionOf(template, logicalId(stack.pipeline!.stateMachine)).States;
  expect(states.Train.Arguments.ShareIdentifier).toBeUndefined();
});

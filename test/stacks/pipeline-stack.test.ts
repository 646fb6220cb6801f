import { Template } from 'aws-cdk-lib/assertions';
import { definitionOf } from '../pipeline/state-machine';
import { referenceApp } from './fixture';

const { stacks } = referenceApp();
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

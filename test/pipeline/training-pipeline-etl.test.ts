import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DatasetSharder, SparkEtlJob, TrainingPipeline } from '../../lib';
import { nagFindings, testApp } from '../util/app';
import { importedCluster } from './imported-cluster';
import { definitionOf, reachableStates } from './state-machine';

// The optional first step: the ETL job runs (and is waited for) before the sharder.
describe('TrainingPipeline with an ETL job', () => {
  const stack = new Stack(testApp({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const raw = new s3.Bucket(stack, 'Raw', { encryption: s3.BucketEncryption.KMS, enforceSSL: true });
  const curated = new s3.Bucket(stack, 'Curated', { encryption: s3.BucketEncryption.KMS, enforceSSL: true });
  const sharder = new DatasetSharder(stack, 'Sharder', { vpc, sourceBucket: curated, sourcePrefix: 'datasets/', destinationBucket: curated, destinationPrefix: 'shards/' });
  const pipeline = new TrainingPipeline(stack, 'Pipeline', {
    sharder,
    etlJob: SparkEtlJob.fromJobName(stack, 'Etl', 'raw-to-curated'),
    cluster: importedCluster(stack),
  });
  void raw;
  const template = Template.fromStack(stack);
  const definition = definitionOf(template, stack.getLogicalId(pipeline.stateMachine.node.defaultChild as never));
  const states = definition.States;

  test('runs the Glue job synchronously between Prepare and Shard', () => {
    expect(states.Prepare.Next).toBe('Etl');
    expect(states.Etl).toMatchObject({ Type: 'Task', Resource: 'arn:aws:states:::glue:startJobRun.sync', Arguments: { JobName: 'raw-to-curated' }, Next: 'Shard' });
    expect(reachableStates(definition).indexOf('Etl')).toBeLessThan(reachableStates(definition).indexOf('Shard'));
  });

  test('notifies the topic when the ETL job fails', () => {
    expect(states.Etl.Catch).toEqual([expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'NotifyFailure' })]);
  });

  test('may start and follow that job only', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyName: Match.stringLikeRegexp('PipelineStateMachineRole'),
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['glue:GetJobRun', 'glue:StartJobRun']),
            Resource: { 'Fn::Join': ['', Match.arrayWith([':job/raw-to-curated'])] },
          }),
        ]),
      },
    });
  });

  test('has no unacknowledged cdk-nag finding in the pipeline', () => {
    expect(nagFindings(stack).filter((f) => f.includes('Test/Pipeline/'))).toEqual([]);
  });
});

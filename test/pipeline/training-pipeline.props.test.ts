import { Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import fc from 'fast-check';
import { DatasetSharder, TrainingClusterAttributes, TrainingPipeline, TrainingPipelineProps } from '../../lib';
import { assertAccepts, assertRejects, badNumbers, runStack } from '../util/props';
import { importedCluster, multiNodeAttributes } from './imported-cluster';

// Property-based checks of the validated props of TrainingPipeline (see test/util/props.ts), on an
// imported sharder and an imported cluster of 8 GPUs per instance and, when multi-node, 64 nodes at most.
function pipeline(props: Partial<TrainingPipelineProps>, cluster: Partial<TrainingClusterAttributes> = {}, multiNode = false): { stack: Stack; pipeline: TrainingPipeline } {
  const stack = runStack();
  const sharder = DatasetSharder.fromDatasetSharderAttributes(stack, 'Sharder', {
    stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:sharder',
    sourceBucket: s3.Bucket.fromBucketName(stack, 'Raw', 'raw-zone'),
    sourcePrefix: 'incoming/',
    destinationBucket: s3.Bucket.fromBucketName(stack, 'Curated', 'curated-zone'),
    destinationPrefix: 'shards/',
  });
  const imported = importedCluster(stack, { ...(multiNode ? multiNodeAttributes(stack) : {}), ...cluster });
  return { stack, pipeline: new TrainingPipeline(stack, 'Pipeline', { sharder, cluster: imported, ...props }) };
}
const definition = (p: { stack: Stack; pipeline: TrainingPipeline }) => JSON.stringify(p.stack.resolve((p.pipeline.stateMachine.node.defaultChild as sfn.CfnStateMachine).definitionString));

describe('TrainingPipeline props', () => {
  test('maxGpus: rejects values outside 1 to the cluster\u2019s GPUs per instance (8), writes valid ones into the input check', () => {
    assertRejects(badNumbers({ integer: true, min: 1, max: 8 }), 'maxGpus', (v) => pipeline({ maxGpus: v }));
    assertAccepts(fc.integer({ min: 1, max: 8 }), (v) => expect(definition(pipeline({ maxGpus: v }))).toContain(`$states.input.gpus > ${v})`), 8);
  });

  test('maxNodes: rejects values outside 2 to the cluster\u2019s node ceiling (64), writes valid ones into the input check', () => {
    assertRejects(badNumbers({ integer: true, min: 2, max: 64 }), 'maxNodes', (v) => pipeline({ maxNodes: v }, {}, true));
    assertAccepts(fc.integer({ min: 2, max: 64 }), (v) => expect(definition(pipeline({ maxNodes: v }, {}, true))).toContain(`$states.input.nodes > ${v})`), 8);
  });

  test('shareIdentifier: rejects what is not 1 to 255 letters and digits on a fair-share cluster, submits valid ones', () => {
    const bad = fc.oneof(fc.constantFrom('', 'team*', 'team-a', 'team a'), fc.stringMatching(/^[a-z]{256,258}$/));
    assertRejects(bad, 'shareIdentifier', (v) => pipeline({ shareIdentifier: v }, { fairShareScheduling: true }));
    assertAccepts(fc.stringMatching(/^[A-Za-z0-9]{1,255}$/), (v) => expect(definition(pipeline({ shareIdentifier: v }, { fairShareScheduling: true }))).toContain(`ShareIdentifier\\":\\"${v}\\"`), 8);
  });

  test('triggerPrefix: rejects prefixes outside the sharder\u2019s source prefix', () => {
    assertRejects(fc.stringMatching(/^(raw|datasets|shards)\/[a-z]{0,8}$/), 'triggerPrefix', (v) => pipeline({ triggerOnNewData: true, triggerPrefix: v }));
  });
});

import { Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { DatasetSharder, DatasetSharderProps } from '../../lib';
import { assertAccepts, assertRejects, badNumbers, goodNumbers, importedVpc, runStack } from '../util/props';

// Property-based checks of every validated number of DatasetSharder (see test/util/props.ts). A valid
// sharder builds three functions and a state machine: the accepting properties run fewer times.
const VALID_RUNS = 8;

function sharder(props: Partial<DatasetSharderProps>): { stack: Stack; sharder: DatasetSharder } {
  const stack = runStack();
  const sourceBucket = s3.Bucket.fromBucketName(stack, 'Raw', 'raw-zone');
  const destinationBucket = s3.Bucket.fromBucketName(stack, 'Curated', 'curated-zone');
  return { stack, sharder: new DatasetSharder(stack, 'Sharder', { vpc: importedVpc(stack), sourceBucket, destinationBucket, ...props }) };
}
const fn = (f: lambda.Function) => f.node.defaultChild as lambda.CfnFunction;
const definition = (stack: Stack, s: DatasetSharder) => JSON.stringify(stack.resolve((s.stateMachine.node.defaultChild as sfn.CfnStateMachine).definitionString));

describe('DatasetSharder props', () => {
  test('targetShardSizeMiB: rejects values outside 1 to 5120 MiB, writes valid ones into the state machine in bytes', () => {
    const rule = { integer: true, min: 1, max: 5120 };
    assertRejects(badNumbers(rule), 'targetShardSizeMiB', (v) => sharder({ targetShardSizeMiB: v }));
    assertAccepts(goodNumbers(rule), (v) => {
      const { stack, sharder: s } = sharder({ targetShardSizeMiB: v });
      expect(s.targetShardBytes).toBe(v * 1024 * 1024);
      expect(definition(stack, s)).toContain(String(v * 1024 * 1024));
    }, VALID_RUNS);
  });

  test('maxConcurrency: rejects values outside 1 to 10000, writes valid ones into the distributed map', () => {
    const rule = { integer: true, min: 1, max: 10000 };
    assertRejects(badNumbers(rule), 'maxConcurrency', (v) => sharder({ maxConcurrency: v }));
    assertAccepts(goodNumbers(rule), (v) => {
      const { stack, sharder: s } = sharder({ maxConcurrency: v });
      expect(definition(stack, s)).toMatch(new RegExp(`MaxConcurrency\\\\+":${v}\\b`));
    }, VALID_RUNS);
  });

  test('shardReservedConcurrency: rejects values under 1 or fractional, reserves valid ones for the shard function', () => {
    const rule = { integer: true, min: 1 };
    assertRejects(badNumbers(rule), 'shardReservedConcurrency', (v) => sharder({ shardReservedConcurrency: v }));
    assertAccepts(goodNumbers({ ...rule, max: 1000 }), (v) => {
      const { stack, sharder: s } = sharder({ shardReservedConcurrency: v, maxConcurrency: 1 });
      expect(stack.resolve(fn(s.shardFunction).reservedConcurrentExecutions)).toBe(v);
    }, VALID_RUNS);
  });

  test('controlReservedConcurrency: rejects values under 1 or fractional, reserves valid ones for the plan and finalize functions', () => {
    const rule = { integer: true, min: 1 };
    assertRejects(badNumbers(rule), 'controlReservedConcurrency', (v) => sharder({ controlReservedConcurrency: v }));
    assertAccepts(goodNumbers({ ...rule, max: 1000 }), (v) => {
      const { stack, sharder: s } = sharder({ controlReservedConcurrency: v });
      expect(stack.resolve(fn(s.planFunction).reservedConcurrentExecutions)).toBe(v);
      expect(stack.resolve(fn(s.finalizeFunction).reservedConcurrentExecutions)).toBe(v);
    }, VALID_RUNS);
  });

  test('shardMemoryMiB: rejects values outside 512 to 10240 MiB, gives valid ones to the shard function', () => {
    const rule = { integer: true, min: 512, max: 10240 };
    assertRejects(badNumbers(rule), 'shardMemoryMiB', (v) => sharder({ shardMemoryMiB: v }));
    assertAccepts(goodNumbers(rule), (v) => {
      const { stack, sharder: s } = sharder({ shardMemoryMiB: v });
      expect(stack.resolve(fn(s.shardFunction).memorySize)).toBe(v);
    }, VALID_RUNS);
  });
});

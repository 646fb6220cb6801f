import { S3Client } from '@aws-sdk/client-s3';
import { handler as finalizeHandler } from '../../../lib/sharding/runtime/finalize';
import { planShards } from '../../../lib/sharding/runtime/core/plan';
import { handler as planHandler } from '../../../lib/sharding/runtime/plan';
import { getJson, s3ClientConfigFromEnv, sharedS3Client } from '../../../lib/sharding/runtime/s3';
import { handler as shardHandler } from '../../../lib/sharding/runtime/shard';
import { PlanEvent, ShardTask } from '../../../lib/sharding/runtime/types';
import { LocalS3, startLocalS3 } from '../../util/s3-server';
import { DEST_BUCKET, put, reassemble, SOURCE_BUCKET } from './helpers';

let s3: LocalS3;
let client: S3Client;
const savedEnv = { ...process.env };

beforeAll(async () => {
  s3 = await startLocalS3([SOURCE_BUCKET, DEST_BUCKET]);
  client = s3.client();
  await put(client, SOURCE_BUCKET, 'data/part-1.csv', 'a,b\n1,2\n3,4\n');
});
afterAll(async () => {
  process.env = savedEnv;
  await s3.stop();
});

const event: PlanEvent = {
  source: { bucket: SOURCE_BUCKET, key: 'data/part-1.csv' },
  destination: { bucket: DEST_BUCKET, prefix: 'contract' },
  targetShardBytes: 4,
  format: { type: 'newline', csvHeader: true },
};

test('the handlers run a whole job with a client from the environment', async () => {
  // GIVEN the environment of a Lambda function pointed at the local server
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    S3_ENDPOINT: s3.endpoint,
    S3_MAX_ATTEMPTS: '3',
  });
  // WHEN plan, each shard, then finalize run, each on the previous output as Step Functions passes it
  const plan = await planHandler(event);
  const tasks = (await getJson<ShardTask[]>(client, plan.planBucket, plan.planKey))!;
  const results = [];
  for (const task of tasks) results.push(await shardHandler(JSON.parse(JSON.stringify(task)) as ShardTask));
  const result = await finalizeHandler(JSON.parse(JSON.stringify(plan)) as typeof plan);
  // THEN the manifest commits every record
  expect(result).toEqual({
    manifestBucket: DEST_BUCKET,
    manifestKey: `contract/${plan.runId}/manifest.json`,
    shardCount: 2,
    recordCount: 2,
    bytes: 16,
  });
  expect(results.map((r) => r.records)).toEqual([1, 1]);
});

test('the plan is a JSON array of self-contained tasks, and its result stays small', async () => {
  const plan = await planShards(client, event);
  const tasks = (await getJson<ShardTask[]>(client, plan.planBucket, plan.planKey))!;
  expect(plan).toEqual({
    planBucket: DEST_BUCKET,
    planKey: `contract/${plan.runId}/plan/tasks.json`,
    taskCount: 2,
    outputBucket: DEST_BUCKET,
    outputPrefix: `contract/${plan.runId}/`,
    jobKey: `contract/${plan.runId}/plan/job.json`,
    manifestKey: `contract/${plan.runId}/manifest.json`,
    runId: expect.stringMatching(/^[0-9a-f]{32}$/),
    sourceCount: 1,
    sourceBytes: 12,
  });
  expect(tasks[1]).toEqual({
    v: 1,
    runId: plan.runId,
    index: 1,
    sourceIndex: 0,
    source: {
      bucket: SOURCE_BUCKET,
      key: 'data/part-1.csv',
      etag: expect.stringMatching(/^".+"$/),
      size: 12,
      headerBytes: 4,
    },
    rangeStart: 8,
    rangeEnd: 12,
    format: { type: 'newline', csvHeader: true },
    bucket: DEST_BUCKET,
    shardKey: `contract/${plan.runId}/shards/shard-000001.csv`,
    sidecarKey: `contract/${plan.runId}/sidecars/shard-000001.json`,
    writeIfEmpty: false,
  });
});

test('the manifest lists shards, sizes, counts, hashes and the source version', async () => {
  const plan = await planShards(client, { ...event, destination: { bucket: DEST_BUCKET, prefix: 'contract2/' } });
  const tasks = (await getJson<ShardTask[]>(client, plan.planBucket, plan.planKey))!;
  const { shardRange } = await import('../../../lib/sharding/runtime/core/shard');
  const { finalizeShards } = await import('../../../lib/sharding/runtime/core/finalize');
  for (const task of tasks) await shardRange(client, task);
  await finalizeShards(client, plan);
  const manifest = (await getJson<import('../../../lib/sharding/runtime/types').Manifest>(client, DEST_BUCKET, plan.manifestKey))!;
  expect(manifest).toMatchObject({
    v: 1,
    runId: plan.runId,
    targetShardBytes: 4,
    sources: [{ key: 'data/part-1.csv', size: 12, headerBytes: 4, etag: tasks[0].source.etag }],
    shards: [
      { key: tasks[0].shardKey, bytes: 8, records: 1, headerBytes: 4, sourceStart: 4, sourceEnd: 8 },
      { key: tasks[1].shardKey, bytes: 8, records: 1, headerBytes: 4, sourceStart: 8, sourceEnd: 12 },
    ],
    shardCount: 2,
    recordCount: 2,
    bytes: 16,
  });
  expect(manifest.shards[0].sha256).toMatch(/^[0-9a-f]{64}$/);
  const [rebuilt] = await reassemble(client, manifest);
  expect(rebuilt.toString()).toBe('a,b\n1,2\n3,4\n');
});

describe('plan validation', () => {
  test.each([
    [{ ...event, targetShardBytes: 0 }, 'targetShardBytes must be a positive integer, got 0'],
    [{ ...event, targetShardBytes: 1.5 }, 'targetShardBytes must be a positive integer, got 1.5'],
    [
      { ...event, source: { bucket: SOURCE_BUCKET, key: 'k', prefix: 'p' } },
      'source must have exactly one of key and prefix, got {"bucket":"source","key":"k","prefix":"p"}',
    ],
    [{ ...event, destination: { bucket: '', prefix: 'x' } }, 'destination.bucket must be a non-empty string, got ""'],
    [
      { ...event, source: { bucket: SOURCE_BUCKET, prefix: 'data/' }, destination: { bucket: SOURCE_BUCKET, prefix: 'data/out' } },
      'destination.prefix must keep every run folder (<prefix><runId>/) apart from the source in the same bucket, got destination "data/out" and source "data/"',
    ],
    [{ ...event, format: { type: 'fixed', recordLengthBytes: -1 } }, 'format.recordLengthBytes must be a positive integer, got -1'],
  ])('fails when the event is invalid (%#)', async (bad, message) => {
    await expect(planShards(client, bad as PlanEvent)).rejects.toThrow(message);
  });

  test('fails when a prefix names no object', async () => {
    await expect(
      planShards(client, { ...event, source: { bucket: SOURCE_BUCKET, prefix: 'nothing/' } }),
    ).rejects.toThrow('source.prefix must name at least one object, got none under s3://source/nothing/');
  });

  test('fails when the plan would hold too many tasks', async () => {
    await expect(planShards(client, { ...event, targetShardBytes: 1 }, { maxTasks: 3 })).rejects.toThrow(
      'targetShardBytes 1 gives more than 3 shards; choose a larger size',
    );
  });
});

describe('client settings from the environment', () => {
  test('standard retries with 8 attempts by default, on AWS', () => {
    expect(s3ClientConfigFromEnv({ AWS_REGION: 'eu-west-1' })).toEqual({
      region: 'eu-west-1',
      retryMode: 'standard',
      maxAttempts: 8,
    });
  });

  test('an S3-compatible endpoint gets path-style addressing and checksums only when required', () => {
    expect(s3ClientConfigFromEnv({ S3_ENDPOINT: 'http://127.0.0.1:1', S3_MAX_ATTEMPTS: '2' })).toMatchObject({
      endpoint: 'http://127.0.0.1:1',
      forcePathStyle: true,
      maxAttempts: 2,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  });

  test('one shared client per configuration: the same environment reuses it, another endpoint gets its own', () => {
    const saved = process.env.S3_ENDPOINT;
    try {
      process.env.S3_ENDPOINT = 'http://127.0.0.1:1';
      const first = sharedS3Client();
      expect(sharedS3Client()).toBe(first);
      process.env.S3_ENDPOINT = 'http://127.0.0.1:2';
      expect(sharedS3Client()).not.toBe(first);
    } finally {
      if (saved === undefined) delete process.env.S3_ENDPOINT;
      else process.env.S3_ENDPOINT = saved;
    }
  });

  test('fails when S3_MAX_ATTEMPTS is not a positive integer', () => {
    expect(() => s3ClientConfigFromEnv({ S3_MAX_ATTEMPTS: 'many' })).toThrow(
      'S3_MAX_ATTEMPTS must be a positive integer, got many',
    );
  });
});

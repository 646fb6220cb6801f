import { DeleteObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { finalizeShards } from '../../../lib/sharding/runtime/core/finalize';
import { planShards } from '../../../lib/sharding/runtime/core/plan';
import { shardRange } from '../../../lib/sharding/runtime/core/shard';
import { getJson, SourceChangedError } from '../../../lib/sharding/runtime/s3';
import { PlanEvent, ShardTask } from '../../../lib/sharding/runtime/types';
import { FaultProxy, startFaultProxy } from '../../util/fault-proxy';
import { LocalS3, startLocalS3 } from '../../util/s3-server';
import { DEST_BUCKET, put, reassemble, runJob, SOURCE_BUCKET } from './helpers';

let s3: LocalS3;
let client: S3Client;
let proxy: FaultProxy;

const data = Buffer.from(Array.from({ length: 30 }, (_, i) => `{"id":${i},"v":"${'z'.repeat(i % 9)}"}\n`).join(''));
const job = (key: string, prefix = 'consistent'): PlanEvent => ({
  source: { bucket: SOURCE_BUCKET, key },
  destination: { bucket: DEST_BUCKET, prefix },
  targetShardBytes: 200,
  format: { type: 'newline' },
});

beforeAll(async () => {
  s3 = await startLocalS3([SOURCE_BUCKET, DEST_BUCKET]);
  client = s3.client();
  proxy = await startFaultProxy({ target: s3.endpoint, enforceIfMatch: true });
});
afterAll(async () => {
  await proxy.stop();
  await s3.stop();
});

async function exists(key: string): Promise<boolean> {
  try {
    await client.send(new HeadObjectCommand({ Bucket: DEST_BUCKET, Key: key }));
    return true;
  } catch {
    return false;
  }
}

async function planTasks(event: PlanEvent): Promise<ShardTask[]> {
  const plan = await planShards(client, event);
  return (await getJson<ShardTask[]>(client, plan.planBucket, plan.planKey))!;
}

test('concurrent runs of the same job write the same manifest, byte for byte', async () => {
  // GIVEN one source object
  await put(client, SOURCE_BUCKET, 'same.jsonl', data);
  // WHEN two runs of the same job overlap, and a third runs after them
  const [a, b] = await Promise.all([runJob(client, job('same.jsonl')), runJob(client, job('same.jsonl'))]);
  const c = await runJob(client, job('same.jsonl'));
  // THEN all three commit the same manifest at the same key, and it is exact
  expect(a.plan.runId).toBe(b.plan.runId);
  expect(a.manifestText).toBe(b.manifestText);
  expect(c.manifestText).toBe(a.manifestText);
  expect(c.result.manifestKey).toBe(a.result.manifestKey);
  const [rebuilt] = await reassemble(client, c.manifest);
  expect(rebuilt.equals(data)).toBe(true);
});

test('a changed source gets a new run id, so an old manifest is never overwritten by new data', async () => {
  await put(client, SOURCE_BUCKET, 'evolving.jsonl', data);
  const first = await planShards(client, job('evolving.jsonl'));
  await put(client, SOURCE_BUCKET, 'evolving.jsonl', Buffer.concat([data, Buffer.from('{"id":30}\n')]));
  const second = await planShards(client, job('evolving.jsonl'));
  expect(second.runId).not.toBe(first.runId);
  expect(second.manifestKey).not.toBe(first.manifestKey);
});

test('fails when the source changes between plan and shard, naming the key and both ETags', async () => {
  // GIVEN a planned run, then a new version of the source
  await put(client, SOURCE_BUCKET, 'changing.jsonl', data);
  const [task] = await planTasks(job('changing.jsonl', 'changing'));
  await put(client, SOURCE_BUCKET, 'changing.jsonl', Buffer.from(data.toString().toUpperCase()));
  const head = await client.send(new HeadObjectCommand({ Bucket: SOURCE_BUCKET, Key: 'changing.jsonl' }));
  // WHEN a shard runs straight against s3rver, which ignores If-Match: the response's ETag is checked
  const error = await shardRange(client, task).catch((e: unknown) => e);
  // THEN it fails clearly and writes nothing
  expect(error).toBeInstanceOf(SourceChangedError);
  expect((error as Error).message).toBe(
    `source s3://source/changing.jsonl changed since it was planned: expected ETag ${task.source.etag}, ` +
      `found ${head.ETag}. Plan the job again.`,
  );
  expect(await exists(task.shardKey)).toBe(false);
  expect(await exists(task.sidecarKey)).toBe(false);
});

test('fails when S3 refuses the If-Match condition (412), naming the key and both ETags', async () => {
  // GIVEN a proxy that enforces If-Match as S3 does
  await put(client, SOURCE_BUCKET, 'guarded.jsonl', data);
  const [task] = await planTasks(job('guarded.jsonl', 'guarded'));
  await put(client, SOURCE_BUCKET, 'guarded.jsonl', Buffer.from('other\n'));
  const head = await client.send(new HeadObjectCommand({ Bucket: SOURCE_BUCKET, Key: 'guarded.jsonl' }));
  const viaProxy = s3.client({ endpoint: proxy.endpoint });
  const before = proxy.log.length;
  // WHEN the shard runs
  const error = await shardRange(viaProxy, task).catch((e: unknown) => e);
  // THEN the GET carried If-Match, got 412, and the error names both ETags
  const get = proxy.log.slice(before).find((r) => r.method === 'GET');
  expect(get?.headers['if-match']).toBe(task.source.etag);
  expect(get?.status).toBe(412);
  expect(error).toBeInstanceOf(SourceChangedError);
  expect((error as SourceChangedError).actualEtag).toBe(head.ETag);
  expect((error as Error).message).toContain(`s3://source/guarded.jsonl changed since it was planned: expected ETag ${task.source.etag}`);
});

test('fails when a deleted source is read, saying so', async () => {
  await put(client, SOURCE_BUCKET, 'vanishing.jsonl', data);
  const [task] = await planTasks(job('vanishing.jsonl', 'vanishing'));
  await client.send(new DeleteObjectCommand({ Bucket: SOURCE_BUCKET, Key: 'vanishing.jsonl' }));
  await expect(shardRange(client, task)).rejects.toThrow(/vanishing.jsonl changed since it was planned: .* found no object/);
});

test('finalize fails when a shard has not run', async () => {
  // GIVEN a plan of which every shard but the last has run
  await put(client, SOURCE_BUCKET, 'partial.jsonl', data);
  const plan = await planShards(client, job('partial.jsonl', 'partial'));
  const tasks = (await getJson<ShardTask[]>(client, plan.planBucket, plan.planKey))!;
  for (const task of tasks.slice(0, -1)) await shardRange(client, task);
  // WHEN finalize runs THEN it names the missing shard, and no manifest is written
  const last = tasks[tasks.length - 1];
  await expect(finalizeShards(client, plan)).rejects.toThrow(
    `shard ${last.index} of run ${plan.runId} is missing: no sidecar at s3://dest/${last.sidecarKey}`,
  );
  expect(await exists(plan.manifestKey)).toBe(false);
});

test('finalize fails when a shard object was deleted after its sidecar was written', async () => {
  await put(client, SOURCE_BUCKET, 'deleted-shard.jsonl', data);
  const plan = await planShards(client, job('deleted-shard.jsonl', 'deleted'));
  const tasks = (await getJson<ShardTask[]>(client, plan.planBucket, plan.planKey))!;
  for (const task of tasks) await shardRange(client, task);
  await client.send(new DeleteObjectCommand({ Bucket: DEST_BUCKET, Key: tasks[1].shardKey }));
  await expect(finalizeShards(client, plan)).rejects.toThrow(`shard 1 is missing: no object at s3://dest/${tasks[1].shardKey}`);
});

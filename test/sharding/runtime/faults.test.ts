import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { planShards } from '../../../lib/sharding/runtime/core/plan';
import { shardRange } from '../../../lib/sharding/runtime/core/shard';
import { getJson } from '../../../lib/sharding/runtime/s3';
import { ShardTask } from '../../../lib/sharding/runtime/types';
import { FaultProxy, startFaultProxy } from '../../util/fault-proxy';
import { LocalS3, startLocalS3 } from '../../util/s3-server';
import { DEST_BUCKET, put, reassemble, runJob, SOURCE_BUCKET } from './helpers';

const MiB = 1024 * 1024;
let s3: LocalS3;
let direct: S3Client;
let proxy: FaultProxy;
let viaProxy: S3Client;
/** 12 MiB of lines: enough for a three-part multipart upload at the 5 MiB minimum part size. */
let big: Buffer;

beforeAll(async () => {
  s3 = await startLocalS3([SOURCE_BUCKET, DEST_BUCKET]);
  direct = s3.client();
  proxy = await startFaultProxy({ target: s3.endpoint, truncateAfterBytes: 7 * MiB });
  // The SDK's standard retry decisions (which errors retry, its retry quota), four attempts, but a 10 ms
  // backoff instead of the standard one (up to 500 ms after a 503, doubling per attempt), which only
  // made this file wait: about 3 s of its 7 s.
  viaProxy = s3.client({ endpoint: proxy.endpoint, retryStrategy: new ConfiguredRetryStrategy(4, () => 10) });
  const line = Buffer.from('0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n');
  big = Buffer.concat(new Array((12 * MiB) / line.length).fill(line));
  await put(direct, SOURCE_BUCKET, 'big.txt', big);
});
afterEach(() => proxy.setRule(undefined));
afterAll(async () => {
  await proxy.stop();
  await s3.stop();
});

async function planBig(prefix: string): Promise<ShardTask> {
  const plan = await planShards(direct, {
    source: { bucket: SOURCE_BUCKET, key: 'big.txt' },
    destination: { bucket: DEST_BUCKET, prefix },
    targetShardBytes: 64 * MiB,
    format: { type: 'newline' },
  });
  const tasks = (await getJson<ShardTask[]>(direct, plan.planBucket, plan.planKey))!;
  expect(tasks).toHaveLength(1);
  return tasks[0];
}

async function exists(bucket: string, key: string): Promise<boolean> {
  try {
    await direct.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch {
    return false;
  }
}

test('a run succeeds through throttling and connection resets, by the SDK retries', async () => {
  // GIVEN a proxy that answers some requests with 503 SlowDown and resets some connections
  const data = Buffer.from(Array.from({ length: 40 }, (_, i) => `row ${i}\n`).join(''));
  await put(direct, SOURCE_BUCKET, 'small.txt', data);
  const before = proxy.log.length;
  const slowdowns = new Set([2, 9, 17]);
  const resets = new Set([4, 12, 20]);
  proxy.setRule(({ n }) => (slowdowns.has(n - before) ? 'slowdown' : resets.has(n - before) ? 'reset' : undefined));
  // WHEN the whole job runs through the proxy
  const run = await runJob(viaProxy, {
    source: { bucket: SOURCE_BUCKET, key: 'small.txt' },
    destination: { bucket: DEST_BUCKET, prefix: 'retry' },
    targetShardBytes: 60,
    format: { type: 'newline' },
  });
  // THEN faults were injected, and the output is still exact
  const faults = proxy.log.slice(before).filter((r) => r.fault);
  expect(faults.filter((r) => r.fault === 'slowdown')).toHaveLength(3);
  expect(faults.filter((r) => r.fault === 'reset')).toHaveLength(3);
  const [rebuilt] = await reassemble(direct, run.manifest);
  expect(rebuilt.equals(data)).toBe(true);
  expect(run.result.recordCount).toBe(40);
});

test('a multipart shard survives failed parts, by the SDK retries', async () => {
  // GIVEN the first attempt at each part fails (503, then a reset, then a 500)
  const seen = new Set<string>();
  const faults = ['slowdown', 'reset', 'internal'] as const;
  proxy.setRule(({ method, query }) => {
    const part = query.get('partNumber');
    if (method !== 'PUT' || part === null || seen.has(part)) return undefined;
    seen.add(part);
    return faults[(Number(part) - 1) % faults.length];
  });
  const task = await planBig('mpu-retry');
  // WHEN the shard is written with 5 MiB parts
  const result = await shardRange(viaProxy, task, { partSizeBytes: 5 * MiB });
  // THEN all three parts were retried and the shard is whole
  expect([...seen].sort()).toEqual(['1', '2', '3']);
  expect(result.bytes).toBe(big.length);
  expect(await exists(DEST_BUCKET, task.shardKey)).toBe(true);
});

test('fails when a part keeps failing, and aborts the multipart upload: no partial shard, no sidecar', async () => {
  // GIVEN part 2 always fails
  proxy.setRule(({ method, query }) => (method === 'PUT' && query.get('partNumber') === '2' ? 'internal' : undefined));
  const task = await planBig('mpu-abort');
  const before = proxy.log.length;
  // WHEN the shard is written
  await expect(shardRange(viaProxy, task, { partSizeBytes: 5 * MiB })).rejects.toThrow(/internal error/);
  // THEN the upload was aborted, and neither the shard nor its sidecar exists
  const aborts = proxy.log.slice(before).filter((r) => r.method === 'DELETE' && r.query.has('uploadId'));
  expect(aborts.map((r) => r.status)).toEqual([204]);
  expect(await s3.pendingMultipartUploads(DEST_BUCKET)).toEqual([]);
  expect(await exists(DEST_BUCKET, task.shardKey)).toBe(false);
  expect(await exists(DEST_BUCKET, task.sidecarKey)).toBe(false);
});

test('fails when the source read breaks mid-stream, and aborts the multipart upload', async () => {
  // GIVEN the source GET is cut after 7 MiB, when the first 5 MiB part is already uploaded
  proxy.setRule(({ method, path }) => (method === 'GET' && path.endsWith('/big.txt') ? 'truncate' : undefined));
  const task = await planBig('read-abort');
  const before = proxy.log.length;
  // WHEN the shard is written
  await expect(shardRange(viaProxy, task, { partSizeBytes: 5 * MiB })).rejects.toThrow();
  // THEN a part had been uploaded, the upload was aborted, and nothing is visible
  const log = proxy.log.slice(before);
  expect(log.some((r) => r.method === 'PUT' && r.query.get('partNumber') === '1')).toBe(true);
  expect(log.filter((r) => r.method === 'DELETE' && r.query.has('uploadId')).map((r) => r.status)).toEqual([204]);
  expect(await s3.pendingMultipartUploads(DEST_BUCKET)).toEqual([]);
  expect(await exists(DEST_BUCKET, task.shardKey)).toBe(false);
  expect(await exists(DEST_BUCKET, task.sidecarKey)).toBe(false);
});

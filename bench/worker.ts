/**
 * One benchmark case, in its own process so that its peak RSS is its own. Started by sharder.bench.ts
 * with fork(); reports one BenchResult over IPC.
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable } from 'node:stream';
import { finalizeShards } from '../lib/sharding/runtime/core/finalize';
import { planShards } from '../lib/sharding/runtime/core/plan';
import { DEFAULT_PART_SIZE_BYTES, shardRange } from '../lib/sharding/runtime/core/shard';
import { getJson } from '../lib/sharding/runtime/s3';
import { ShardTask } from '../lib/sharding/runtime/types';
import { localS3ClientConfig } from '../test/util/s3-server';

/** What the parent asks for. */
export interface BenchCase {
  readonly kind: 'copy' | 'shard';
  readonly endpoint: string;
  readonly bucket: string;
  readonly key: string;
  readonly destPrefix: string;
  readonly targetShardBytes: number;
  /** Shard tasks run at once (1: one range at a time). */
  readonly parallel: number;
}

/** What the child reports. */
export interface BenchResult {
  readonly seconds: number;
  readonly sourceBytes: number;
  readonly outputBytes: number;
  readonly shards: number;
  readonly records: number;
  /** Peak resident set size of this process, in KiB. */
  readonly maxRssKiB: number;
  /** CPU time (user + system) of this process during the case, in seconds. */
  readonly cpuSeconds: number;
}

async function copy(client: S3Client, c: BenchCase): Promise<Omit<BenchResult, 'seconds' | 'maxRssKiB' | 'cpuSeconds'>> {
  const response = await client.send(new GetObjectCommand({ Bucket: c.bucket, Key: c.key }));
  const upload = new Upload({
    client,
    params: { Bucket: c.bucket, Key: `${c.destPrefix}copy`, Body: response.Body as Readable },
    partSize: DEFAULT_PART_SIZE_BYTES,
    queueSize: 4,
    leavePartsOnError: false,
  });
  await upload.done();
  const bytes = response.ContentLength ?? 0;
  return { sourceBytes: bytes, outputBytes: bytes, shards: 1, records: 0 };
}

async function shard(client: S3Client, c: BenchCase): Promise<Omit<BenchResult, 'seconds' | 'maxRssKiB' | 'cpuSeconds'>> {
  const plan = await planShards(client, {
    source: { bucket: c.bucket, key: c.key },
    destination: { bucket: c.bucket, prefix: c.destPrefix },
    targetShardBytes: c.targetShardBytes,
    format: { type: 'newline' },
  });
  const tasks = (await getJson<ShardTask[]>(client, plan.planBucket, plan.planKey)) ?? [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) await shardRange(client, tasks[next++]);
  };
  await Promise.all(Array.from({ length: c.parallel }, worker));
  const result = await finalizeShards(client, plan);
  return { sourceBytes: plan.sourceBytes, outputBytes: result.bytes, shards: result.shardCount, records: result.recordCount };
}

process.once('message', (message: BenchCase) => {
  void (async () => {
    const client = new S3Client({ ...localS3ClientConfig(message.endpoint), maxAttempts: 8 });
    const started = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const outcome = message.kind === 'copy' ? await copy(client, message) : await shard(client, message);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const used = process.cpuUsage(cpu);
    const result: BenchResult = {
      ...outcome,
      seconds,
      maxRssKiB: process.resourceUsage().maxRSS,
      cpuSeconds: (used.user + used.system) / 1e6,
    };
    client.destroy();
    process.send?.(result, () => process.exit(0));
  })().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
});

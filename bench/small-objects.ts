/**
 * The small-object cases of `npm run bench` (the tar / WebDataset format):
 *
 * - 20,000 objects of 1 to 16 KiB on a local s3rver: packed into 64 MiB tar shards (plan, shards one
 *   task at a time with the default 16 fetches in flight, finalize) against a plain copy of the same
 *   objects (GetObject then PutObject, 16 at a time) on the same server, in the same run: objects/s and
 *   bytes/s of each, and the tar members checked against the source count.
 * - Planning 100,000 objects: time to plan and S3 requests per object. The listing is served in
 *   process from a synthetic sorted key list (s3rver re-reads every key of the prefix for each page, so
 *   its listing time would swamp the plan's); the plan's writes go to s3rver.
 */
import { GetObjectCommand, ListObjectsV2CommandOutput, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { finalizeShards } from '../lib/sharding/runtime/core/finalize';
import { planShards } from '../lib/sharding/runtime/core/plan';
import { shardTar } from '../lib/sharding/runtime/core/tar-shard';
import { getJson } from '../lib/sharding/runtime/s3';
import { TarShardTask } from '../lib/sharding/runtime/types';
import { LocalS3 } from '../test/util/s3-server';

const MiB = 1024 * 1024;

async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

/** Counts the requests a client sends, by command. */
function countRequests(client: S3Client): Map<string, number> {
  const counts = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      counts.set(context.commandName ?? '?', (counts.get(context.commandName ?? '?') ?? 0) + 1);
      return next(args);
    },
    { step: 'finalizeRequest' },
  );
  return counts;
}

export interface SmallObjectFigures {
  readonly lines: string[];
}

export async function smallObjectBench(s3: LocalS3, bucket: string, count = 20_000): Promise<string[]> {
  const client = s3.client({ maxAttempts: 8 });
  const lines: string[] = [];
  // Sizes 1 to 16 KiB from a xorshift PRNG: the same data every run.
  let state = 0x2545f491;
  const rand = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
  const objects = Array.from({ length: count }, (_, i) => {
    const id = String(i).padStart(6, '0');
    return { key: `small/train/${id}.${i % 2 === 0 ? 'jpg' : 'json'}`, size: 1024 + (rand() % (15 * 1024)) };
  });
  const totalBytes = objects.reduce((sum, o) => sum + o.size, 0);
  console.log(`uploading ${count} small objects (${(totalBytes / MiB).toFixed(1)} MiB) ...`);
  await mapLimit(objects, 32, async (o) => {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: o.key, Body: Buffer.alloc(o.size, o.size & 0xff) }));
  });

  // Plain copy: every object read and written once, 16 at a time.
  console.log('running: copy 20,000 objects (floor)');
  let started = process.hrtime.bigint();
  await mapLimit(objects, 16, async (o) => {
    const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: o.key }));
    const body = Buffer.from(await response.Body!.transformToByteArray());
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: `copy/${o.key}`, Body: body }));
  });
  const copySeconds = Number(process.hrtime.bigint() - started) / 1e9;

  console.log('running: tar 20,000 objects into 64 MiB shards');
  const counted = s3.client({ maxAttempts: 8 });
  const requests = countRequests(counted);
  started = process.hrtime.bigint();
  const plan = await planShards(counted, {
    source: { bucket, prefix: 'small/' },
    destination: { bucket, prefix: 'tar/' },
    targetShardBytes: 64 * MiB,
    format: { type: 'tar' },
  });
  const planSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const tasks = (await getJson<TarShardTask[]>(counted, plan.planBucket, plan.planKey))!;
  for (const task of tasks) await shardTar(counted, task);
  const result = await finalizeShards(counted, plan);
  const tarSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.recordCount !== count) throw new Error(`tar: ${result.recordCount} members, expected ${count}`);

  const row = (name: string, seconds: number, shards: number | string) =>
    `| ${name.padEnd(30)} | ${(count / seconds).toFixed(0).padStart(9)} | ${(totalBytes / 1e6 / seconds).toFixed(2).padStart(6)} | ${seconds.toFixed(2).padStart(7)} | ${String(shards).padStart(6)} |`;
  lines.push(`small objects: ${count} objects, ${totalBytes} bytes, same s3rver, same run`);
  lines.push('| case                           | objects/s | MB/s   | seconds | shards |');
  lines.push('| ------------------------------ | --------- | ------ | ------- | ------ |');
  lines.push(row('copy (GET + PUT, 16 at once)', copySeconds, '-'));
  lines.push(row('tar, 1 task at a time', tarSeconds, result.shardCount));
  lines.push(`tar / copy objects per second: ${(copySeconds / tarSeconds).toFixed(2)}; plan of ${count} objects: ${planSeconds.toFixed(2)} s`);
  lines.push(`tar requests: ${[...requests.entries()].map(([k, v]) => `${k.replace('Command', '')} ${v}`).join(', ')}`);
  return lines;
}

/** Plans 100,000 objects from a synthetic listing; counts requests per object. */
export async function planningBench(s3: LocalS3, bucket: string, count = 100_000): Promise<string[]> {
  const keys = Array.from({ length: count }, (_, i) => `imagenet/train/n${String(Math.floor(i / 1300)).padStart(8, '0')}/${String(i).padStart(8, '0')}.JPEG`);
  const client = s3.client({ maxAttempts: 8 });
  const requests = countRequests(client);
  // Serve ListObjectsV2 in process: pages of up to 1,000 keys, continuation token = last key.
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'ListObjectsV2Command') return next(args);
      // Served here, before the counting middleware: count it as the request it stands for.
      requests.set('ListObjectsV2Command', (requests.get('ListObjectsV2Command') ?? 0) + 1);
      const input = args.input as { Prefix?: string; MaxKeys?: number; ContinuationToken?: string };
      const from = input.ContinuationToken ? Number(input.ContinuationToken) : 0;
      const size = Math.min(input.MaxKeys ?? 1000, 1000);
      const page = keys.slice(from, from + size).filter((k) => k.startsWith(input.Prefix ?? ''));
      const more = from + size < keys.length;
      const output: ListObjectsV2CommandOutput = {
        $metadata: { httpStatusCode: 200 },
        Contents: page.map((Key, i) => ({ Key, ETag: `"${(from + i).toString(16).padStart(32, '0')}"`, Size: 110_000 })),
        IsTruncated: more,
        NextContinuationToken: more ? String(from + size) : undefined,
      };
      return { output, response: {} };
    },
    { step: 'initialize', priority: 'high' },
  );
  const started = process.hrtime.bigint();
  const plan = await planShards(client, {
    source: { bucket, prefix: 'imagenet/' },
    destination: { bucket, prefix: 'plan100k/' },
    targetShardBytes: 64 * MiB,
    format: { type: 'tar' },
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const total = [...requests.values()].reduce((a, b) => a + b, 0);
  return [
    `plan of ${count} objects of 110 kB (tar, 64 MiB shards): ${seconds.toFixed(2)} s, ${plan.taskCount} tasks, ` +
      `${total} requests (${[...requests.entries()].map(([k, v]) => `${k.replace('Command', '')} ${v}`).join(', ')}) = ` +
      `${(total / count).toFixed(4)} requests per object`,
  ];
}

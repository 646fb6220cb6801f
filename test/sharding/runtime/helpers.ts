import { createHash } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { finalizeShards } from '../../../lib/sharding/runtime/core/finalize';
import { planShards } from '../../../lib/sharding/runtime/core/plan';
import { shardRange, ShardOptions } from '../../../lib/sharding/runtime/core/shard';
import { getJson } from '../../../lib/sharding/runtime/s3';
import { FinalizeResult, Manifest, PlanEvent, PlanResult, ShardTask } from '../../../lib/sharding/runtime/types';

export const SOURCE_BUCKET = 'source';
export const DEST_BUCKET = 'dest';

export async function put(client: S3Client, bucket: string, key: string, body: Buffer | string): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

export async function get(client: S3Client, bucket: string, key: string): Promise<Buffer> {
  const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await response.Body!.transformToByteArray());
}

/** The result of a whole run: plan, every task, finalize. */
export interface RunOutcome {
  readonly plan: PlanResult;
  readonly tasks: ShardTask[];
  readonly result: FinalizeResult;
  readonly manifest: Manifest;
  readonly manifestText: string;
}

/** Runs plan, then every shard task (`parallel` at a time), then finalize, as the state machine would. */
export async function runJob(
  client: S3Client,
  event: PlanEvent,
  options: { parallel?: number; shard?: ShardOptions } = {},
): Promise<RunOutcome> {
  const plan = await planShards(client, event);
  const tasks = (await getJson<ShardTask[]>(client, plan.planBucket, plan.planKey))!;
  const parallel = options.parallel ?? 8;
  for (let i = 0; i < tasks.length; i += parallel) {
    await Promise.all(tasks.slice(i, i + parallel).map((task) => shardRange(client, task, options.shard)));
  }
  const result = await finalizeShards(client, plan);
  const manifestText = (await get(client, result.manifestBucket, result.manifestKey)).toString('utf-8');
  return { plan, tasks, result, manifest: JSON.parse(manifestText) as Manifest, manifestText };
}

/**
 * Rebuilds each source object from the shards: every shard after the first of its source loses its
 * repeated header. Checks each shard's SHA-256 and size against the manifest on the way.
 */
export async function reassemble(client: S3Client, manifest: Manifest): Promise<Buffer[]> {
  const parts: Buffer[][] = manifest.sources.map(() => []);
  for (const shard of manifest.shards) {
    const bytes = await get(client, manifest.bucket, shard.key);
    expect(bytes.length).toBe(shard.bytes);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(shard.sha256);
    const own = parts[shard.sourceIndex];
    own.push(own.length === 0 ? bytes : bytes.subarray(shard.headerBytes));
  }
  return parts.map((p) => Buffer.concat(p));
}

/** Reference record count for newline data: LFs, plus an unterminated last line. */
export function newlineRecords(data: Buffer, headerBytes = 0): number {
  const body = data.subarray(headerBytes);
  let count = 0;
  for (const byte of body) if (byte === 0x0a) count++;
  return count + (body.length > 0 && body[body.length - 1] !== 0x0a ? 1 : 0);
}

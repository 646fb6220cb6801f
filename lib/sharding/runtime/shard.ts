import { DEFAULT_PART_SIZE_BYTES, shardRange } from './core/shard';
import { sharedS3Client } from './s3';
import { ShardResult, ShardTask } from './types';

function positiveIntegerFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return value;
}

/**
 * Lambda handler: writes the shard and sidecar of one plan item.
 *
 * Environment: `AWS_REGION`, and optionally `S3_MAX_ATTEMPTS`, `S3_ENDPOINT` (see s3.ts),
 * `SHARD_PART_SIZE_BYTES` (default 8 MiB, at least 5 MiB) and `SHARD_UPLOAD_QUEUE_SIZE` (default 4).
 * Memory needed is about part size x (queue size + 2), plus the runtime.
 */
export async function handler(event: ShardTask): Promise<ShardResult> {
  return shardRange(sharedS3Client(), event, {
    partSizeBytes: positiveIntegerFromEnv('SHARD_PART_SIZE_BYTES', DEFAULT_PART_SIZE_BYTES),
    queueSize: positiveIntegerFromEnv('SHARD_UPLOAD_QUEUE_SIZE', 4),
  });
}

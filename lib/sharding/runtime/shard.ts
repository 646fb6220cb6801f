import { DEFAULT_PART_SIZE_BYTES, shardRange } from './core/shard';
import { shardTar } from './core/tar-shard';
import { sharedS3Client } from './s3';
import { ShardResult, ShardTask, TarShardTask } from './types';

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
 * `SHARD_PART_SIZE_BYTES` (default 8 MiB, at least 5 MiB), `SHARD_UPLOAD_QUEUE_SIZE` (default 4) and, for tar
 * tasks, `SHARD_FETCH_CONCURRENCY` (objects read at once, default 16).
 * Memory needed is about part size x (queue size + 2), plus the runtime.
 */
export async function handler(event: ShardTask | TarShardTask): Promise<ShardResult> {
  const upload = {
    partSizeBytes: positiveIntegerFromEnv('SHARD_PART_SIZE_BYTES', DEFAULT_PART_SIZE_BYTES),
    queueSize: positiveIntegerFromEnv('SHARD_UPLOAD_QUEUE_SIZE', 4),
  };
  if (event?.format?.type === 'tar') {
    return shardTar(sharedS3Client(), event as TarShardTask, {
      ...upload,
      fetchConcurrency: positiveIntegerFromEnv('SHARD_FETCH_CONCURRENCY', 16),
    });
  }
  return shardRange(sharedS3Client(), event as ShardTask, upload);
}

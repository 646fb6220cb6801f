import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { layout } from '../layout';
import { getJson, httpStatusOf, mapLimit } from '../s3';
import { FinalizeResult, JobDescription, Manifest, ManifestShard, PlanResult, ShardSidecar } from '../types';

/** Options of {@link finalizeShards}. */
export interface FinalizeOptions {
  /**
   * Sidecar reads and shard HEADs in flight.
   * @default 16
   */
  readonly concurrency?: number;
}

/**
 * Commits a run: checks that every task left a sidecar, that every shard exists with its recorded size,
 * and that the shards of each source object tile it without gap or overlap; then writes the manifest.
 */
export async function finalizeShards(
  client: S3Client,
  plan: PlanResult,
  options: FinalizeOptions = {},
): Promise<FinalizeResult> {
  const bucket = plan.outputBucket;
  const job = await getJson<JobDescription>(client, bucket, plan.jobKey);
  if (!job) throw new Error(`job description s3://${bucket}/${plan.jobKey} is missing: run plan first`);
  if (job.runId !== plan.runId || job.taskCount !== plan.taskCount) {
    throw new Error(`job description s3://${bucket}/${plan.jobKey} does not match run ${plan.runId}`);
  }

  const indexes = Array.from({ length: job.taskCount }, (_, i) => i);
  const sidecars = await mapLimit(indexes, options.concurrency ?? 16, async (index) => {
    const sidecarKey = layout.sidecarKey(plan.outputPrefix, index);
    const sidecar = await getJson<ShardSidecar>(client, bucket, sidecarKey);
    if (!sidecar) {
      throw new Error(`shard ${index} of run ${plan.runId} is missing: no sidecar at s3://${bucket}/${sidecarKey}`);
    }
    if (sidecar.runId !== plan.runId || sidecar.index !== index) {
      throw new Error(`sidecar s3://${bucket}/${sidecarKey} belongs to another run or shard`);
    }
    if (sidecar.key !== null) await checkShardObject(client, bucket, sidecar.key, sidecar);
    return sidecar;
  });

  checkCoverage(job, sidecars);

  const shards: ManifestShard[] = sidecars
    .filter((s): s is ShardSidecar & { key: string } => s.key !== null)
    .map((s) => ({
      key: s.key,
      bytes: s.bytes,
      records: s.records,
      sha256: s.sha256,
      headerBytes: s.headerBytes,
      sourceIndex: s.sourceIndex,
      sourceStart: s.sourceStart,
      sourceEnd: s.sourceEnd,
    }));
  const manifest: Manifest = {
    v: 1,
    runId: job.runId,
    bucket,
    format: job.format,
    targetShardBytes: job.targetShardBytes,
    sources: job.sources,
    shards,
    shardCount: shards.length,
    recordCount: shards.reduce((sum, s) => sum + s.records, 0),
    bytes: shards.reduce((sum, s) => sum + s.bytes, 0),
  };
  // Written last and only now: the manifest is the commit point of the run.
  await client.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: plan.manifestKey,
      Body: JSON.stringify(manifest, null, 2),
      ContentType: 'application/json',
    }),
  );
  return {
    manifestBucket: bucket,
    manifestKey: plan.manifestKey,
    shardCount: manifest.shardCount,
    recordCount: manifest.recordCount,
    bytes: manifest.bytes,
  };
}

async function checkShardObject(client: S3Client, bucket: string, key: string, sidecar: ShardSidecar): Promise<void> {
  try {
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    if (head.ContentLength !== sidecar.bytes) {
      throw new Error(
        `shard s3://${bucket}/${key} has ${head.ContentLength} bytes, its sidecar says ${sidecar.bytes}`,
      );
    }
  } catch (err) {
    if (httpStatusOf(err) === 404) {
      throw new Error(`shard ${sidecar.index} is missing: no object at s3://${bucket}/${key}`);
    }
    throw err;
  }
}

/** The record-aligned ranges of each source must follow one another from its header to its end. */
function checkCoverage(job: JobDescription, sidecars: readonly ShardSidecar[]): void {
  const next = job.sources.map((s) => s.headerBytes);
  for (const sidecar of sidecars) {
    const expected = next[sidecar.sourceIndex];
    if (sidecar.sourceStart !== expected || sidecar.sourceEnd < sidecar.sourceStart) {
      throw new Error(
        `shard ${sidecar.index} covers bytes ${sidecar.sourceStart}-${sidecar.sourceEnd} of source ` +
          `${sidecar.sourceIndex}, expected it to start at ${expected}`,
      );
    }
    next[sidecar.sourceIndex] = sidecar.sourceEnd;
  }
  job.sources.forEach((source, i) => {
    if (next[i] !== source.size) {
      throw new Error(`shards of s3://${source.bucket}/${source.key} end at byte ${next[i]}, expected ${source.size}`);
    }
  });
}

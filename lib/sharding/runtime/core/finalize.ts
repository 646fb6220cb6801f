import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { layout, RUN_ID } from '../layout';
import { getJson, httpStatusOf, mapLimit, markCommitted } from '../s3';
import {
  FinalizeResult,
  JobDescription,
  Manifest,
  ManifestShard,
  PlanResult,
  ShardSidecar,
  TarJobDescription,
  TarManifest,
  TarShardSidecar,
} from '../types';

/** Refuses a plan result that the plan could never have produced (keys outside the run folder, a manifest over job.json). */
export function validatePlanResult(plan: PlanResult): void {
  const fail = (message: string): never => {
    throw new Error(`invalid plan result: ${message}`);
  };
  if (typeof plan !== 'object' || plan === null) fail(`must be an object, got ${JSON.stringify(plan)}`);
  if (typeof plan.runId !== 'string' || !RUN_ID.test(plan.runId)) fail(`runId must be 32 hex digits, got ${JSON.stringify(plan.runId)}`);
  if (typeof plan.outputPrefix !== 'string' || !plan.outputPrefix.endsWith(`${plan.runId}/`)) {
    fail(`outputPrefix must end with the run folder ${plan.runId}/, got ${JSON.stringify(plan.outputPrefix)}`);
  }
  const expected = {
    planKey: layout.tasksKey(plan.outputPrefix),
    jobKey: layout.jobKey(plan.outputPrefix),
    manifestKey: layout.manifestKey(plan.outputPrefix),
  };
  for (const [field, key] of Object.entries(expected)) {
    const actual = (plan as unknown as Record<string, unknown>)[field];
    if (actual !== key) fail(`${field} must be ${JSON.stringify(key)}, got ${JSON.stringify(actual)}`);
  }
  if (plan.planBucket !== plan.outputBucket) fail(`planBucket must be the output bucket ${plan.outputBucket}, got ${JSON.stringify(plan.planBucket)}`);
  if (!Number.isSafeInteger(plan.taskCount) || plan.taskCount < 0) fail(`taskCount must be a non-negative integer, got ${JSON.stringify(plan.taskCount)}`);
}

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
  validatePlanResult(plan);
  const bucket = plan.outputBucket;
  const anyJob = await getJson<JobDescription | TarJobDescription>(client, bucket, plan.jobKey);
  if (!anyJob) throw new Error(`job description s3://${bucket}/${plan.jobKey} is missing: run plan first`);
  if (anyJob.runId !== plan.runId || anyJob.taskCount !== plan.taskCount) {
    throw new Error(`job description s3://${bucket}/${plan.jobKey} does not match run ${plan.runId}`);
  }
  if (anyJob.format.type === 'tar') return finalizeTar(client, plan, anyJob as TarJobDescription, options);
  const job = anyJob as JobDescription;

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
  await commitObjects(client, bucket, [plan.jobKey, ...shards.map((s) => s.key)], options.concurrency ?? 16);
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

async function checkShardObject(
  client: S3Client,
  bucket: string,
  key: string,
  sidecar: Pick<ShardSidecar, 'index' | 'bytes'>,
): Promise<void> {
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
    if (sidecar.key === null && sidecar.records === 0 && sidecar.sourceStart === sidecar.sourceEnd) {
      // A range where no record starts: the shard before it must reach past its end.
      if (expected < sidecar.sourceEnd) {
        throw new Error(
          `shard ${sidecar.index} found no record start before byte ${sidecar.sourceEnd} of source ` +
            `${sidecar.sourceIndex}, but the shards before it end at byte ${expected}`,
        );
      }
      continue;
    }
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

/** Commits a tar run: each task's sidecar, with the objects and bytes the plan gave it, then the manifest. */
async function finalizeTar(client: S3Client, plan: PlanResult, job: TarJobDescription, options: FinalizeOptions): Promise<FinalizeResult> {
  const bucket = plan.outputBucket;
  const indexes = Array.from({ length: job.taskCount }, (_, i) => i);
  const sidecars = await mapLimit(indexes, options.concurrency ?? 16, async (index) => {
    const sidecarKey = layout.sidecarKey(plan.outputPrefix, index);
    const sidecar = await getJson<TarShardSidecar>(client, bucket, sidecarKey);
    if (!sidecar) throw new Error(`shard ${index} of run ${plan.runId} is missing: no sidecar at s3://${bucket}/${sidecarKey}`);
    if (sidecar.runId !== plan.runId || sidecar.index !== index) {
      throw new Error(`sidecar s3://${bucket}/${sidecarKey} belongs to another run or shard`);
    }
    const expected = job.tasks[index];
    if (sidecar.records !== expected.objects || sidecar.sourceBytes !== expected.sourceBytes) {
      throw new Error(
        `shard ${index} packed ${sidecar.records} objects (${sidecar.sourceBytes} bytes), the plan gave it ` +
          `${expected.objects} (${expected.sourceBytes} bytes)`,
      );
    }
    await checkShardObject(client, bucket, sidecar.key, sidecar);
    return sidecar;
  });
  const shards = sidecars.map((s) => ({
    key: s.key,
    bytes: s.bytes,
    records: s.records,
    samples: s.samples,
    sha256: s.sha256,
    sourceBytes: s.sourceBytes,
    firstKey: s.firstKey,
    lastKey: s.lastKey,
  }));
  const manifest: TarManifest = {
    v: 1,
    runId: job.runId,
    bucket,
    format: job.format,
    targetShardBytes: job.targetShardBytes,
    source: job.source,
    listingSha256: job.listingSha256,
    sourceCount: job.sourceCount,
    sourceBytes: job.sourceBytes,
    shards,
    shardCount: shards.length,
    recordCount: shards.reduce((sum, s) => sum + s.records, 0),
    sampleCount: shards.reduce((sum, s) => sum + s.samples, 0),
    bytes: shards.reduce((sum, s) => sum + s.bytes, 0),
  };
  if (manifest.recordCount !== job.sourceCount) {
    throw new Error(`the shards of run ${plan.runId} hold ${manifest.recordCount} objects, the plan listed ${job.sourceCount}`);
  }
  await commitObjects(client, bucket, [plan.jobKey, ...shards.map((s) => s.key)], options.concurrency ?? 16);
  await client.send(
    new PutObjectCommand({ Bucket: bucket, Key: plan.manifestKey, Body: JSON.stringify(manifest, null, 2), ContentType: 'application/json' }),
  );
  return {
    manifestBucket: bucket,
    manifestKey: plan.manifestKey,
    shardCount: manifest.shardCount,
    recordCount: manifest.recordCount,
    bytes: manifest.bytes,
  };
}

/**
 * Tags the shards and the job description as committed, before the manifest is written: a run that
 * stops in between keeps its shards (it only leaks them), and a committed run never has a shard that
 * the lifecycle rule of abandoned runs could expire. Plan, sidecars and the task list stay pending:
 * the manifest holds what they said, and they expire with the rule.
 */
async function commitObjects(client: S3Client, bucket: string, keys: readonly string[], concurrency: number): Promise<void> {
  await mapLimit(keys, concurrency, (key) => markCommitted(client, bucket, key));
}

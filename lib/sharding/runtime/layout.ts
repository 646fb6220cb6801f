import { createHash } from 'node:crypto';
import { FormatSpec, RecordFormatSpec, SourceObject } from './types';

/**
 * The S3 key layout of a run, all under `<destination prefix><runId>/`:
 *
 * - `plan/tasks.json`: the JSON array of shard tasks (the Distributed Map's ItemReader input)
 * - `plan/job.json`: the job description that finalize reads
 * - `shards/shard-NNNNNN[.ext]`: the shards (`.ext` is the source object's extension, if any)
 * - `sidecars/shard-NNNNNN.json`: one per task, written once its shard is complete
 * - `manifest.json`: written last; the commit point
 */
export const layout = {
  tasksKey: (outputPrefix: string): string => `${outputPrefix}plan/tasks.json`,
  jobKey: (outputPrefix: string): string => `${outputPrefix}plan/job.json`,
  manifestKey: (outputPrefix: string): string => `${outputPrefix}manifest.json`,
  shardKey: (outputPrefix: string, index: number, extension: string): string =>
    `${outputPrefix}shards/shard-${pad(index)}${extension}`,
  sidecarKey: (outputPrefix: string, index: number): string => `${outputPrefix}sidecars/shard-${pad(index)}.json`,
};

function pad(index: number): string {
  return String(index).padStart(6, '0');
}

/** The extension of the last path segment of a key (`.csv`, `.jsonl`), or '' when it has none. */
export function extensionOf(key: string): string {
  const match = /\.[A-Za-z0-9]{1,10}$/.exec(key.slice(key.lastIndexOf('/') + 1));
  return match && match.index > 0 ? match[0] : '';
}

/** A destination prefix with a trailing `/` (or '' for the bucket root). */
export function normalizePrefix(prefix: string): string {
  return prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
}

/** A format spec with its defaults filled in, so that equal formats hash the same. */
export function canonicalFormat(spec: RecordFormatSpec): RecordFormatSpec {
  if (spec.type === 'fixed') return { type: 'fixed', recordLengthBytes: spec.recordLengthBytes };
  // `csv` appears only when set, so that the run ids of existing jobs do not change.
  return spec.csv === true && spec.csvHeader !== true
    ? { type: 'newline', csvHeader: false, csv: true }
    : { type: 'newline', csvHeader: spec.csvHeader === true };
}

/** A run id: 32 lowercase hex digits. */
export const RUN_ID = /^[0-9a-f]{32}$/;

/**
 * Whether a key under `sourcePrefix` could be written by a run whose folders are `<destinationPrefix><runId>/`
 * in the same bucket, or the reverse: the run ids are not known before planning, so any run id counts.
 */
export function outputMayOverlapSource(sourcePrefix: string, destinationPrefix: string): boolean {
  const destination = normalizePrefix(destinationPrefix);
  // Output under the source: every run folder starts with the destination prefix.
  if (destination.startsWith(sourcePrefix)) return true;
  if (!sourcePrefix.startsWith(destination)) return false;
  // Source under the destination: only if what follows could be (the start of) a run folder.
  const rest = sourcePrefix.slice(destination.length);
  return /^[0-9a-f]{0,32}$/.test(rest) || /^[0-9a-f]{32}\//.test(rest);
}

/** Whether a spec names the tar format. */
export function isTarFormat(spec: FormatSpec): spec is Extract<FormatSpec, { type: 'tar' }> {
  return spec.type === 'tar';
}

/**
 * The run id: a hash of everything that decides the output, so that a rerun of the same job on the
 * same source versions writes the same keys and the same manifest.
 */
export function computeRunId(
  sources: readonly SourceObject[],
  targetShardBytes: number,
  format: RecordFormatSpec,
): string {
  const identity = {
    v: 1,
    format: canonicalFormat(format),
    targetShardBytes,
    sources: sources.map((s) => [s.bucket, s.key, s.etag, s.versionId ?? null, s.size]),
  };
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 32);
}

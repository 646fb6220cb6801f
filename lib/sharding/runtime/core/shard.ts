import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { RecordFormat, RecordFormatResolver, resolveBuiltInFormat } from '../record-format';
import { extensionOf, layout, RUN_ID } from '../layout';
import { getSourceRange, putJson, PENDING_TAGGING, readSourceRange } from '../s3';
import { ShardResult, ShardSidecar, ShardTask, SourceObject } from '../types';

/** Options of {@link shardRange}. */
export interface ShardOptions {
  /**
   * Turns the task's format spec into a format: the way to add a format of your own.
   * @default - the built-in formats
   */
  readonly resolveFormat?: RecordFormatResolver;
  /**
   * Multipart part size. Memory use is about `partSizeBytes * (queueSize + 2)`.
   * @default 8 MiB
   */
  readonly partSizeBytes?: number;
  /**
   * Parts uploaded at once.
   * @default 4
   */
  readonly queueSize?: number;
  /**
   * Bytes read past the range's end in the first GET, so that the record that crosses it usually needs no
   * second request. Longer records are read in further GETs that double in size up to 8 MiB.
   * @default 64 KiB
   */
  readonly lookaheadBytes?: number;
}

/** Default multipart part size of a shard. */
export const DEFAULT_PART_SIZE_BYTES = 8 * 1024 * 1024;
const MAX_READ_STEP_BYTES = 8 * 1024 * 1024;

/** Where the records of a range start and end, once the scan has found them. */
interface Bounds {
  start: number;
  end: number;
}

/**
 * Contiguous chunks of a source object from `from` on, in ranged GETs: the first up to `firstEnd`,
 * then further ones until the consumer stops or the object ends.
 */
async function* sourceChunks(
  client: S3Client,
  source: SourceObject,
  from: number,
  firstEnd: number,
  lookaheadBytes: number,
): AsyncGenerator<{ chunk: Buffer; offset: number }> {
  let offset = from;
  let end = firstEnd;
  let step = Math.max(lookaheadBytes, 1);
  while (offset < source.size) {
    const stream = await getSourceRange(client, source, offset, end - 1);
    // Leaving this loop early (the consumer's return()) destroys the response stream.
    for await (const chunk of stream) {
      const buffer = chunk as Buffer;
      yield { chunk: buffer, offset };
      offset += buffer.length;
    }
    if (offset !== end) {
      throw new Error(`GetObject s3://${source.bucket}/${source.key} ended at byte ${offset}, expected ${end}`);
    }
    end = Math.min(offset + step, source.size);
    step = Math.min(step * 2, MAX_READ_STEP_BYTES);
  }
}

/**
 * The bytes of the records that start in the task's range, as slices of the response chunks (no copy),
 * filling in `bounds` as it finds them.
 */
async function* recordBytes(
  client: S3Client,
  task: ShardTask,
  format: RecordFormat,
  lookaheadBytes: number,
  bounds: Bounds,
): AsyncGenerator<Buffer> {
  const { source, rangeStart, rangeEnd } = task;
  const size = source.size;
  // The data start (0, or the end of the header) is a boundary by definition: no need to look.
  let start = rangeStart <= source.headerBytes ? source.headerBytes : -1;
  const readFrom = start !== -1 ? start : Math.max(0, rangeStart - format.lookbehindBytes);
  bounds.start = bounds.end = size;
  if (readFrom >= size) return;
  const firstEnd = Math.min(size, rangeEnd + lookaheadBytes);

  for await (const { chunk, offset } of sourceChunks(client, source, readFrom, firstEnd, lookaheadBytes)) {
    let from: number;
    if (start === -1) {
      const b = format.findBoundary(chunk, offset, rangeStart);
      if (b === -1 ? offset + chunk.length >= rangeEnd : b >= rangeEnd) {
        // No record starts in the range: the record that covers it belongs to an earlier shard. Stop
        // here rather than read on to its end, so that a record longer than many ranges is read about
        // twice in all (once by its shard, once across the empty ranges), not once per range.
        bounds.start = bounds.end = rangeEnd;
        return;
      }
      if (b === -1) continue;
      start = b;
      from = start - offset;
    } else {
      from = Math.max(0, start - offset);
    }
    bounds.start = start;
    if (rangeEnd >= size) {
      if (from < chunk.length) yield chunk.subarray(from);
      continue;
    }
    const b = format.findBoundary(chunk, offset, Math.max(rangeEnd, offset + from));
    if (b === -1) {
      if (from < chunk.length) yield chunk.subarray(from);
      continue;
    }
    if (b - offset > from) yield chunk.subarray(from, b - offset);
    bounds.end = b;
    return;
  }
  // The object ended first: its end is the last boundary.
  if (start === -1) bounds.start = size;
  bounds.end = size;
}

/**
 * Writes the shard of one task: the header (if any) and the records that start in its range, streamed
 * from ranged GETs into a multipart upload, hashed and counted on the way. Then writes its sidecar.
 *
 * A failed upload is aborted (`leavePartsOnError: false`), so no partial shard becomes visible.
 */
export async function shardRange(client: S3Client, task: ShardTask, options: ShardOptions = {}): Promise<ShardResult> {
  validateShardTask(task);
  const format = (options.resolveFormat ?? resolveBuiltInFormat)(task.format);
  const lookaheadBytes = options.lookaheadBytes ?? 64 * 1024;
  const { source } = task;

  const bounds: Bounds = { start: -1, end: -1 };
  const body = recordBytes(client, task, format, lookaheadBytes, bounds);
  const hash = createHash('sha256');
  const counter = format.createCounter();
  let bytes = 0;
  let key: string | null = null;
  let headerBytes = 0;

  try {
    // Look at the first bytes before starting an upload: a range with no record writes no shard.
    const first = await body.next();
    if (!first.done || task.writeIfEmpty) {
      const header =
        source.headerBytes > 0 ? await readSourceRange(client, source, 0, source.headerBytes - 1) : Buffer.alloc(0);
      headerBytes = header.length;
      async function* shardBytes(): AsyncGenerator<Buffer> {
        if (header.length > 0) {
          hash.update(header);
          bytes += header.length;
          yield header;
        }
        if (!first.done) {
          let chunk: Buffer = first.value;
          for (;;) {
            hash.update(chunk);
            counter.push(chunk);
            bytes += chunk.length;
            yield chunk;
            const next = await body.next();
            if (next.done) break;
            chunk = next.value;
          }
        }
        // Thrown before the body ends, so that the upload aborts and no shard is written.
        const problem = counter.check?.();
        if (problem) {
          throw new Error(
            `shard ${task.index} of s3://${source.bucket}/${source.key} (source bytes from ${bounds.start}): ${problem}`,
          );
        }
      }
      const upload = new Upload({
        client,
        params: {
        Tagging: PENDING_TAGGING,
        Bucket: task.bucket, Key: task.shardKey, Body: Readable.from(shardBytes(), { objectMode: false }) },
        partSize: options.partSizeBytes ?? DEFAULT_PART_SIZE_BYTES,
        queueSize: options.queueSize ?? 4,
        // Abort the multipart upload on any failure: no parts left behind, no partial shard.
        leavePartsOnError: false,
      });
      await upload.done();
      key = task.shardKey;
    }
  } finally {
    // Closes the source stream if the upload stopped reading early.
    await body.return(undefined);
  }

  const sidecar: ShardSidecar = {
    v: 1,
    runId: task.runId,
    index: task.index,
    sourceIndex: task.sourceIndex,
    key,
    bytes,
    records: counter.total(),
    sha256: hash.digest('hex'),
    headerBytes,
    sourceStart: bounds.start,
    sourceEnd: bounds.end,
    sourceEtag: source.etag,
  };
  // The multipart upload cannot carry a hash known only at its end: the sidecar does.
  await putJson(client, task.bucket, task.sidecarKey, sidecar);
  return { index: sidecar.index, key, bytes, records: sidecar.records, sha256: sidecar.sha256 };
}

/** The run folder (`<destination prefix><runId>/`) that a task's shard key names, or undefined. */
export function runFolderOf(shardKey: string, runId: string): string | undefined {
  const marker = `${runId}/shards/`;
  const at = shardKey.lastIndexOf(marker);
  return at === -1 ? undefined : shardKey.slice(0, at + runId.length + 1);
}

/**
 * Refuses a task that the plan could never have produced: the plan is trusted, but a handler that
 * anyone can invoke must not write outside its run folder or read a range that does not exist.
 */
export function validateShardTask(task: ShardTask): void {
  const fail = (message: string): never => {
    throw new Error(`invalid shard task: ${message}`);
  };
  if (typeof task !== 'object' || task === null) fail(`task must be an object, got ${JSON.stringify(task)}`);
  if (task.v !== 1) fail(`v must be 1, got ${JSON.stringify(task.v)}`);
  if (typeof task.runId !== 'string' || !RUN_ID.test(task.runId)) fail(`runId must be 32 hex digits, got ${JSON.stringify(task.runId)}`);
  if (!Number.isSafeInteger(task.index) || task.index < 0) fail(`index must be a non-negative integer, got ${JSON.stringify(task.index)}`);
  const source = task.source;
  if (typeof source !== 'object' || source === null || typeof source.key !== 'string' || typeof source.bucket !== 'string') {
    fail(`source must name a bucket and key, got ${JSON.stringify(source)}`);
  }
  if (!Number.isSafeInteger(source.size) || source.size < 0) fail(`source.size must be a non-negative integer, got ${JSON.stringify(source.size)}`);
  if (!Number.isSafeInteger(source.headerBytes) || source.headerBytes < 0 || source.headerBytes > source.size) {
    fail(`source.headerBytes must be an integer from 0 to source.size, got ${JSON.stringify(source.headerBytes)}`);
  }
  const { rangeStart, rangeEnd } = task;
  if (!Number.isSafeInteger(rangeStart) || !Number.isSafeInteger(rangeEnd) || rangeStart < 0 || rangeStart > rangeEnd || rangeEnd > source.size) {
    fail(`rangeStart and rangeEnd must be integers with 0 <= rangeStart <= rangeEnd <= ${source.size}, got ${JSON.stringify([rangeStart, rangeEnd])}`);
  }
  const folder = typeof task.shardKey === 'string' ? runFolderOf(task.shardKey, task.runId) : undefined;
  if (folder === undefined || task.shardKey !== layout.shardKey(folder, task.index, extensionOf(source.key))) {
    fail(`shardKey must be <run folder>shards/shard-<index><ext> of run ${task.runId}, got ${JSON.stringify(task.shardKey)}`);
  }
  if (task.sidecarKey !== layout.sidecarKey(folder!, task.index)) {
    fail(`sidecarKey must be ${JSON.stringify(layout.sidecarKey(folder!, task.index))}, got ${JSON.stringify(task.sidecarKey)}`);
  }
  if (source.bucket === task.bucket && source.key.startsWith(folder!)) {
    fail(`source s3://${source.bucket}/${source.key} lies inside the run folder ${folder}`);
  }
}

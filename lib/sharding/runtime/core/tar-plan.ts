import { createHash, Hash } from 'node:crypto';
import { Readable } from 'node:stream';
import { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { layout, normalizePrefix } from '../layout';
import { listObjects, ListedObject, putJson, PENDING_TAGGING } from '../s3';
import { memberBytes } from '../tar';
import { PlanResult, TarJobDescription, TarObject, TarShardTask, TarTaskSummary } from '../types';
import { BLOCK } from '../tar';

/** Options of {@link planTarShards}. */
export interface TarPlanOptions {
  /**
   * Most tasks one plan may hold.
   * @default 100000
   */
  readonly maxTasks?: number;
  /**
   * Largest JSON size of one task. A Distributed Map child execution takes at most 256 KiB of input
   * (the Step Functions payload quota), so a task closes before its object list reaches this size.
   * @default 200 KiB
   */
  readonly maxTaskJsonBytes?: number;
  /**
   * Keys per ListObjectsV2 page.
   * @default 1000
   */
  readonly listPageSize?: number;
}

/**
 * The WebDataset key of an object: its key up to the first `.` of the last path segment. The objects
 * of one sample (`a/0001.jpg`, `a/0001.json`) share it, and, sharing a prefix, are adjacent in key order.
 */
export function sampleKey(key: string): string {
  const slash = key.lastIndexOf('/');
  const dot = key.indexOf('.', slash + 1);
  return dot === -1 ? key : key.slice(0, dot);
}

/** A member's name in the tar: the key relative to the source prefix (the key itself if that leaves nothing). */
export function memberName(key: string, sourcePrefix: string): string {
  const relative = key.startsWith(sourcePrefix) ? key.slice(sourcePrefix.length) : key;
  return relative.replace(/^\/+/, '') || key;
}

/** Bytes that an object adds to a task's JSON, with its comma. */
function objectJsonBytes(object: TarObject): number {
  return Buffer.byteLength(JSON.stringify(object)) + 1;
}

/** Fixed part of a task's JSON (everything but its objects), with room for long keys and indexes. */
function taskOverheadBytes(prefix: string, bucket: string, sourcePrefix: string): number {
  return 600 + 3 * Buffer.byteLength(prefix) + Buffer.byteLength(bucket) * 2 + Buffer.byteLength(sourcePrefix) * 2;
}

/**
 * Cuts a listing into tasks: samples in key order, a new task when the next sample would take the
 * shard past the target (or the task's JSON past its limit). A sample is never split, and an object
 * bigger than the target gets a shard of its own.
 *
 * It keeps one sample in memory at a time and calls `onTask` as each task closes.
 */
class TaskCutter {
  private current: TarObject[] = [];
  private currentTarBytes = 0;
  private currentJsonBytes = 0;
  private sample: TarObject[] = [];
  private sampleId: string | undefined;
  public readonly hash: Hash = createHash('sha256');
  public count = 0;
  public bytes = 0;

  public constructor(
    private readonly targetShardBytes: number,
    private readonly maxJsonBytes: number,
    private readonly sourcePrefix: string,
    private readonly onTask: (objects: TarObject[]) => void,
  ) {}

  public push(object: ListedObject): void {
    const entry: TarObject = [object.key, object.etag, object.size];
    this.hash.update(JSON.stringify(entry)).update('\n');
    this.count++;
    this.bytes += object.size;
    const id = sampleKey(object.key);
    if (id !== this.sampleId) this.flushSample();
    this.sampleId = id;
    this.sample.push(entry);
  }

  public end(): void {
    this.flushSample();
    if (this.current.length > 0) this.onTask(this.current);
    this.current = [];
  }

  private flushSample(): void {
    if (this.sample.length === 0) return;
    const tarBytes = this.sample.reduce((sum, o) => sum + memberBytes(memberName(o[0], this.sourcePrefix), o[2]), 0);
    const jsonBytes = this.sample.reduce((sum, o) => sum + objectJsonBytes(o), 0);
    if (jsonBytes > this.maxJsonBytes) {
      throw new Error(
        `sample ${this.sampleId} has ${this.sample.length} objects whose keys take ${jsonBytes} bytes of task JSON, ` +
          `more than the ${this.maxJsonBytes} a task may hold`,
      );
    }
    const full =
      this.current.length > 0 &&
      (this.currentTarBytes + tarBytes + 2 * BLOCK > this.targetShardBytes || this.currentJsonBytes + jsonBytes > this.maxJsonBytes);
    if (full) {
      this.onTask(this.current);
      this.current = [];
      this.currentTarBytes = 0;
      this.currentJsonBytes = 0;
    }
    this.current.push(...this.sample);
    this.currentTarBytes += tarBytes;
    this.currentJsonBytes += jsonBytes;
    this.sample = [];
  }
}

/**
 * Plans a tar run over every object under a prefix, in two listing passes so that memory grows with
 * the number of tasks, not of objects:
 *
 * 1. list the prefix page by page, hash the listing and count the objects of each task;
 * 2. list it again and stream the tasks (each with its objects' keys, ETags and sizes) to S3 as one
 *    JSON array, checking that the second listing hashes the same.
 *
 * Requests: two ListObjectsV2 calls per 1,000 objects, plus the writes of the plan. No HEAD per object:
 * each object is pinned by the ETag the listing returns.
 */
export async function planTarShards(
  client: S3Client,
  source: { readonly bucket: string; readonly prefix: string },
  destination: { readonly bucket: string; readonly prefix: string },
  targetShardBytes: number,
  options: TarPlanOptions = {},
): Promise<PlanResult> {
  const maxTasks = options.maxTasks ?? 100_000;
  const maxJsonBytes = options.maxTaskJsonBytes ?? 200 * 1024;
  const listOptions = { pageSize: options.listPageSize };
  const destinationPrefix = normalizePrefix(destination.prefix);
  // Room for the fixed fields of each task, whose keys hold the run folder.
  const objectsBudget = maxJsonBytes - taskOverheadBytes(destinationPrefix, destination.bucket, source.prefix);

  const summaries: TarTaskSummary[] = [];
  const first = new TaskCutter(targetShardBytes, objectsBudget, source.prefix, (objects) => {
    if (summaries.length >= maxTasks) {
      throw new Error(`targetShardBytes ${targetShardBytes} gives more than ${maxTasks} shards; choose a larger size`);
    }
    summaries.push({ objects: objects.length, sourceBytes: objects.reduce((sum, o) => sum + o[2], 0) });
  });
  for await (const object of listObjects(client, source.bucket, source.prefix, listOptions)) first.push(object);
  first.end();
  if (first.count === 0) {
    throw new Error(`source.prefix must name at least one object, got none under s3://${source.bucket}/${source.prefix}`);
  }
  const listingSha256 = first.hash.digest('hex');
  const runId = createHash('sha256')
    .update(JSON.stringify({ v: 1, format: { type: 'tar' }, targetShardBytes, bucket: source.bucket, prefix: source.prefix, listingSha256 }))
    .digest('hex')
    .slice(0, 32);
  const outputPrefix = `${destinationPrefix}${runId}/`;
  const planKey = layout.tasksKey(outputPrefix);
  const jobKey = layout.jobKey(outputPrefix);

  const job: TarJobDescription = {
    v: 1,
    runId,
    bucket: destination.bucket,
    format: { type: 'tar' },
    targetShardBytes,
    source: { bucket: source.bucket, prefix: source.prefix },
    listingSha256,
    sourceCount: first.count,
    sourceBytes: first.bytes,
    taskCount: summaries.length,
    tasks: summaries,
  };
  await putJson(client, destination.bucket, jobKey, job);

  async function* planJson(): AsyncGenerator<Buffer> {
    const ready: TarObject[][] = [];
    let index = 0;
    const second = new TaskCutter(targetShardBytes, objectsBudget, source.prefix, (objects) => ready.push(objects));
    yield Buffer.from('[');
    const emit = function* (): Generator<Buffer> {
      while (ready.length > 0) {
        const objects = ready.shift()!;
        const expected = summaries[index];
        if (!expected || expected.objects !== objects.length) break;
        const task: TarShardTask = {
          v: 1,
          runId,
          index,
          format: { type: 'tar' },
          sourceBucket: source.bucket,
          sourcePrefix: source.prefix,
          objects,
          bucket: destination.bucket,
          shardKey: layout.shardKey(outputPrefix, index, '.tar'),
          sidecarKey: layout.sidecarKey(outputPrefix, index),
        };
        yield Buffer.from(`${index === 0 ? '' : ','}${JSON.stringify(task)}`);
        index++;
      }
    };
    for await (const object of listObjects(client, source.bucket, source.prefix, listOptions)) {
      second.push(object);
      yield* emit();
    }
    second.end();
    yield* emit();
    if (second.hash.digest('hex') !== listingSha256 || index !== summaries.length) {
      // Thrown inside the body: the upload aborts and no plan is written.
      throw new Error(`the objects under s3://${source.bucket}/${source.prefix} changed while the run was planned: plan again`);
    }
    yield Buffer.from(']');
  }
  const upload = new Upload({
    client,
    params: {
        Tagging: PENDING_TAGGING,
        Bucket: destination.bucket, Key: planKey, Body: Readable.from(planJson(), { objectMode: false }), ContentType: 'application/json' },
    leavePartsOnError: false,
  });
  await upload.done();

  return {
    planBucket: destination.bucket,
    planKey,
    taskCount: summaries.length,
    outputBucket: destination.bucket,
    outputPrefix,
    jobKey,
    manifestKey: layout.manifestKey(outputPrefix),
    runId,
    sourceCount: first.count,
    sourceBytes: first.bytes,
  };
}

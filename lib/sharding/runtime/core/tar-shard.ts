import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getPinnedObject, ListedObject, putJson, PENDING_TAGGING } from '../s3';
import { endOfArchive, header, padding } from '../tar';
import { ShardResult, TarShardSidecar, TarShardTask } from '../types';
import { memberName, sampleKey } from './tar-plan';
import { DEFAULT_PART_SIZE_BYTES, runFolderOf } from './shard';
import { layout, RUN_ID } from '../layout';

/** Options of {@link shardTar}. */
export interface TarShardOptions {
  /**
   * Objects fetched at once. Objects up to `prefetchMaxObjectBytes` are read whole ahead of the writer;
   * larger ones are streamed when their turn comes.
   * @default 16
   */
  readonly fetchConcurrency?: number;
  /**
   * Largest object read ahead whole; larger objects stream straight into the upload.
   * @default 1 MiB
   */
  readonly prefetchMaxObjectBytes?: number;
  /**
   * Most bytes held by objects read ahead and not yet written.
   * @default 32 MiB
   */
  readonly prefetchBudgetBytes?: number;
  /**
   * Multipart part size. Memory use is about `partSizeBytes * (queueSize + 2)` plus the prefetch budget.
   * @default 8 MiB
   */
  readonly partSizeBytes?: number;
  /**
   * Parts uploaded at once.
   * @default 4
   */
  readonly queueSize?: number;
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Reads small objects ahead with bounded concurrency and a byte budget, in task order. It never reads
 * past an object too big to prefetch: that one is streamed when the writer reaches it.
 */
class Prefetcher {
  private readonly pending = new Map<number, Promise<Buffer>>();
  private next = 0;
  private heldBytes = 0;
  private inFlight = 0;

  public constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly objects: readonly ListedObject[],
    private readonly concurrency: number,
    private readonly maxObjectBytes: number,
    private readonly budgetBytes: number,
  ) {}

  public isPrefetched(i: number): boolean {
    return this.objects[i].size <= this.maxObjectBytes;
  }

  /** Starts reads up to the limits, from the first object not yet started. */
  public fill(from: number): void {
    if (this.next < from) this.next = from;
    while (this.next < this.objects.length && this.inFlight < this.concurrency) {
      const object = this.objects[this.next];
      if (object.size > this.maxObjectBytes) return;
      // Always allow one read, so that an object as big as the budget still moves.
      if (this.heldBytes > 0 && this.heldBytes + object.size > this.budgetBytes) return;
      this.heldBytes += object.size;
      this.inFlight++;
      const promise = getPinnedObject(this.client, this.bucket, object)
        .then(readAll)
        .finally(() => {
          this.inFlight--;
        });
      // The writer awaits it later; until then a failure must not be an unhandled rejection.
      promise.catch(() => undefined);
      this.pending.set(this.next, promise);
      this.next++;
    }
  }

  /** The bytes of a prefetched object; the writer gives the budget back once they are written. */
  public async take(i: number): Promise<Buffer> {
    this.fill(i);
    const promise = this.pending.get(i);
    if (!promise) throw new Error(`object ${i} was not prefetched`);
    this.pending.delete(i);
    return promise;
  }

  public release(bytes: number): void {
    this.heldBytes -= bytes;
  }

  /** Lets reads still in flight finish quietly after a failure. */
  public abandon(): void {
    for (const promise of this.pending.values()) promise.catch(() => undefined);
    this.pending.clear();
  }
}

/**
 * Writes one tar shard: the task's objects as members, in order, streamed into a multipart upload and
 * hashed on the way; then its sidecar. Small objects are fetched ahead with bounded concurrency, large
 * ones streamed, so memory stays flat whatever the shard size.
 *
 * Each object is read with If-Match on the ETag the plan pinned, and its length is checked: an object
 * that changed since the plan fails the task, and the upload is aborted.
 */
export async function shardTar(client: S3Client, task: TarShardTask, options: TarShardOptions = {}): Promise<ShardResult> {
  validateTarTask(task);
  const objects: ListedObject[] = task.objects.map(([key, etag, size]) => ({ key, etag, size }));
  const prefetch = new Prefetcher(
    client,
    task.sourceBucket,
    objects,
    options.fetchConcurrency ?? 16,
    options.prefetchMaxObjectBytes ?? 1024 * 1024,
    options.prefetchBudgetBytes ?? 32 * 1024 * 1024,
  );
  const hash = createHash('sha256');
  let bytes = 0;
  let sourceBytes = 0;
  let samples = 0;
  let lastSample: string | undefined;

  async function* archive(): AsyncGenerator<Buffer> {
    const emit = (chunk: Buffer): Buffer => {
      hash.update(chunk);
      bytes += chunk.length;
      return chunk;
    };
    prefetch.fill(0);
    for (let i = 0; i < objects.length; i++) {
      const object = objects[i];
      const id = sampleKey(object.key);
      if (id !== lastSample) samples++;
      lastSample = id;
      yield emit(header(memberName(object.key, task.sourcePrefix), object.size));
      let written = 0;
      if (prefetch.isPrefetched(i)) {
        const body = await prefetch.take(i);
        written = body.length;
        if (body.length > 0) yield emit(body);
        prefetch.release(object.size);
        prefetch.fill(i + 1);
      } else {
        for await (const chunk of await getPinnedObject(client, task.sourceBucket, object)) {
          const buffer = chunk as Buffer;
          written += buffer.length;
          if (written > object.size) break;
          yield emit(buffer);
        }
        prefetch.fill(i + 1);
      }
      if (written !== object.size) {
        throw new Error(`GetObject s3://${task.sourceBucket}/${object.key} returned ${written} bytes, the plan pinned ${object.size}`);
      }
      sourceBytes += object.size;
      const pad = padding(object.size);
      if (pad.length > 0) yield emit(pad);
    }
    yield emit(endOfArchive());
  }

  try {
    const upload = new Upload({
      client,
      params: {
        Tagging: PENDING_TAGGING,
        Bucket: task.bucket, Key: task.shardKey, Body: Readable.from(archive(), { objectMode: false }), ContentType: 'application/x-tar' },
      partSize: options.partSizeBytes ?? DEFAULT_PART_SIZE_BYTES,
      queueSize: options.queueSize ?? 4,
      leavePartsOnError: false,
    });
    await upload.done();
  } finally {
    prefetch.abandon();
  }

  const sidecar: TarShardSidecar = {
    v: 1,
    runId: task.runId,
    index: task.index,
    key: task.shardKey,
    bytes,
    records: objects.length,
    samples,
    sha256: hash.digest('hex'),
    sourceBytes,
    firstKey: objects[0].key,
    lastKey: objects[objects.length - 1].key,
  };
  await putJson(client, task.bucket, task.sidecarKey, sidecar);
  return { index: task.index, key: task.shardKey, bytes, records: objects.length, sha256: sidecar.sha256 };
}

/** Refuses a tar task that the plan could never have produced. */
export function validateTarTask(task: TarShardTask): void {
  const fail = (message: string): never => {
    throw new Error(`invalid tar shard task: ${message}`);
  };
  if (typeof task !== 'object' || task === null) fail(`task must be an object, got ${JSON.stringify(task)}`);
  if (task.v !== 1) fail(`v must be 1, got ${JSON.stringify(task.v)}`);
  if (typeof task.runId !== 'string' || !RUN_ID.test(task.runId)) fail(`runId must be 32 hex digits, got ${JSON.stringify(task.runId)}`);
  if (!Number.isSafeInteger(task.index) || task.index < 0) fail(`index must be a non-negative integer, got ${JSON.stringify(task.index)}`);
  if (typeof task.sourceBucket !== 'string' || typeof task.sourcePrefix !== 'string') fail('sourceBucket and sourcePrefix must be strings');
  const folder = typeof task.shardKey === 'string' ? runFolderOf(task.shardKey, task.runId) : undefined;
  if (folder === undefined || task.shardKey !== layout.shardKey(folder, task.index, '.tar')) {
    fail(`shardKey must be <run folder>shards/shard-<index>.tar of run ${task.runId}, got ${JSON.stringify(task.shardKey)}`);
  }
  if (task.sidecarKey !== layout.sidecarKey(folder!, task.index)) {
    fail(`sidecarKey must be ${JSON.stringify(layout.sidecarKey(folder!, task.index))}, got ${JSON.stringify(task.sidecarKey)}`);
  }
  if (!Array.isArray(task.objects) || task.objects.length === 0) fail('objects must be a non-empty array');
  let previous: Buffer | undefined;
  for (const object of task.objects) {
    const [key, etag, size] = (Array.isArray(object) ? object : []) as unknown[];
    if (typeof key !== 'string' || typeof etag !== 'string' || !Number.isSafeInteger(size) || (size as number) < 0) {
      return fail(`each object must be [key, etag, size], got ${JSON.stringify(object)}`);
    }
    if (!key.startsWith(task.sourcePrefix)) fail(`object ${JSON.stringify(key)} is not under the source prefix ${JSON.stringify(task.sourcePrefix)}`);
    if (task.sourceBucket === task.bucket && key.startsWith(folder!)) fail(`object ${JSON.stringify(key)} lies inside the run folder ${folder}`);
    const current = Buffer.from(key);
    if (previous && Buffer.compare(previous, current) >= 0) fail(`objects must be in strictly increasing key order, got ${JSON.stringify(key)}`);
    previous = current;
  }
}

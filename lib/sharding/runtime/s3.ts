import { Readable } from 'node:stream';
import {
  GetObjectCommand,
  GetObjectCommandOutput,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectsV2CommandOutput,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
  S3ClientConfig,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { SourceObject } from './types';

/** Default attempts per S3 request (the SDK's default is 3): throttling under a wide Map is expected. */
export const DEFAULT_MAX_ATTEMPTS = 8;

/**
 * The handlers' S3 client settings, from the environment.
 *
 * - `AWS_REGION`: set by Lambda.
 * - `S3_MAX_ATTEMPTS`: attempts per request with the SDK's standard retry mode (default 8).
 * - `S3_ENDPOINT`: an S3-compatible endpoint (tests, local runs). Implies path-style addressing and
 *   checksums only when required, which such servers need for streamed bodies.
 */
export function s3ClientConfigFromEnv(env: NodeJS.ProcessEnv = process.env): S3ClientConfig {
  const maxAttempts = env.S3_MAX_ATTEMPTS ? Number(env.S3_MAX_ATTEMPTS) : DEFAULT_MAX_ATTEMPTS;
  if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1) {
    throw new Error(`S3_MAX_ATTEMPTS must be a positive integer, got ${env.S3_MAX_ATTEMPTS}`);
  }
  const config: S3ClientConfig = { region: env.AWS_REGION, retryMode: 'standard', maxAttempts };
  if (env.S3_ENDPOINT) {
    return {
      ...config,
      endpoint: env.S3_ENDPOINT,
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    };
  }
  return config;
}

let cached: { readonly key: string; readonly client: S3Client } | undefined;

/**
 * One client per Lambda container: it keeps its connections alive across invocations. A container's
 * environment never changes; a process that changes it (a test that starts another local S3 server) gets
 * a new client for the new configuration rather than one pointed at the old endpoint.
 */
export function sharedS3Client(): S3Client {
  const config = s3ClientConfigFromEnv();
  const key = JSON.stringify(config);
  if (cached?.key !== key) cached = { key, client: new S3Client(config) };
  return cached.client;
}

/** Thrown when a source object no longer matches the ETag (or version) pinned at plan time. */
export class SourceChangedError extends Error {
  public constructor(
    public readonly bucket: string,
    public readonly key: string,
    public readonly expectedEtag: string,
    public readonly actualEtag: string | undefined,
  ) {
    super(
      `source s3://${bucket}/${key} changed since it was planned: expected ETag ${expectedEtag}, ` +
        `found ${actualEtag ?? 'no object'}. Plan the job again.`,
    );
    this.name = 'SourceChangedError';
  }
}

/** The HTTP status of an SDK error, if any. */
export function httpStatusOf(err: unknown): number | undefined {
  if (err instanceof S3ServiceException) return err.$metadata.httpStatusCode;
  if (typeof err === 'object' && err !== null && '$metadata' in err) {
    const meta = (err as { $metadata?: { httpStatusCode?: number } }).$metadata;
    return meta?.httpStatusCode;
  }
  return undefined;
}

/** The current ETag of an object, or undefined when it is gone: for error messages only. */
async function currentEtag(client: S3Client, bucket: string, key: string): Promise<string | undefined> {
  try {
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return head.ETag;
  } catch (err) {
    if (httpStatusOf(err) === 404) return undefined;
    throw err;
  }
}

/**
 * Opens `[start, endInclusive]` of a pinned source object as a stream.
 *
 * Sends `If-Match` with the pinned ETag (and the pinned version, when there is one), so that S3 refuses a
 * changed object with 412. It also checks the ETag and length of the response itself: some
 * S3-compatible servers (s3rver among them) ignore `If-Match`.
 */
export async function getSourceRange(
  client: S3Client,
  source: SourceObject,
  start: number,
  endInclusive: number,
): Promise<Readable> {
  let response: GetObjectCommandOutput;
  try {
    response = await client.send(
      new GetObjectCommand({
        Bucket: source.bucket,
        Key: source.key,
        Range: `bytes=${start}-${endInclusive}`,
        IfMatch: source.etag,
        VersionId: source.versionId,
      }),
    );
  } catch (err) {
    const status = httpStatusOf(err);
    if (status === 412 || status === 404) {
      throw new SourceChangedError(
        source.bucket,
        source.key,
        source.etag,
        await currentEtag(client, source.bucket, source.key),
      );
    }
    throw err;
  }
  const body = response.Body;
  if (!(body instanceof Readable)) {
    throw new Error(`GetObject s3://${source.bucket}/${source.key} returned no Node.js stream`);
  }
  if (response.ETag !== source.etag) {
    body.destroy();
    throw new SourceChangedError(source.bucket, source.key, source.etag, response.ETag);
  }
  const expectedLength = endInclusive - start + 1;
  if (
    response.ContentLength !== undefined &&
    response.ContentLength > expectedLength &&
    response.ContentRange?.startsWith(`bytes ${start}-`)
  ) {
    // s3rver 3.7 ignores a range end of 0 ("bytes=0-0") and sends the rest of the object from `start`.
    return Readable.from(take(body, expectedLength), { objectMode: false });
  }
  if (response.ContentLength !== undefined && response.ContentLength !== expectedLength) {
    body.destroy();
    throw new Error(
      `GetObject s3://${source.bucket}/${source.key} bytes=${start}-${endInclusive} returned ` +
        `${response.ContentLength} bytes, expected ${expectedLength}`,
    );
  }
  return body;
}

/** The first `length` bytes of a stream; then the stream is destroyed. */
async function* take(stream: Readable, length: number): AsyncGenerator<Buffer> {
  let left = length;
  for await (const chunk of stream) {
    const buffer = chunk as Buffer;
    if (buffer.length >= left) {
      if (left > 0) yield buffer.subarray(0, left);
      return;
    }
    left -= buffer.length;
    yield buffer;
  }
}

/** Reads a whole small range into memory (headers only: never a shard). */
export async function readSourceRange(
  client: S3Client,
  source: SourceObject,
  start: number,
  endInclusive: number,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await getSourceRange(client, source, start, endInclusive)) {
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/**
 * The object tag that marks what a run writes before it commits (`<key>=pending`), and what finalize
 * sets on the shards and job description it commits (`<key>=committed`). A lifecycle rule on
 * `<key>=pending` lets the folders of abandoned runs expire; committed shards never match it.
 */
export const RUN_STATE_TAG = 'ml-at-scale-sharder-run';
/** The `Tagging` header of every object a run writes before its manifest. */
export const PENDING_TAGGING = `${RUN_STATE_TAG}=pending`;

/** Writes a small JSON document, tagged as pending. */
export async function putJson(client: S3Client, bucket: string, key: string, value: unknown): Promise<void> {
  await client.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: JSON.stringify(value),
      ContentType: 'application/json',
      Tagging: PENDING_TAGGING,
    }),
  );
}

/** Marks a run's object as committed, so that the lifecycle rule of abandoned runs never expires it. */
export async function markCommitted(client: S3Client, bucket: string, key: string): Promise<void> {
  await client.send(
    new PutObjectTaggingCommand({ Bucket: bucket, Key: key, Tagging: { TagSet: [{ Key: RUN_STATE_TAG, Value: 'committed' }] } }),
  );
}

/** Reads a small JSON document, or undefined when it does not exist. */
export async function getJson<T>(client: S3Client, bucket: string, key: string): Promise<T | undefined> {
  try {
    const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (!response.Body) throw new Error(`GetObject s3://${bucket}/${key} returned no body`);
    return JSON.parse(await response.Body.transformToString('utf-8')) as T;
  } catch (err) {
    if (httpStatusOf(err) === 404) return undefined;
    throw err;
  }
}

/** Runs `fn` over `items` with at most `concurrency` at a time, keeping the order of results. */
export async function mapLimit<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

/** An object as listed: pinned by its ETag at plan time. */
export interface ListedObject {
  readonly key: string;
  readonly etag: string;
  readonly size: number;
}

/** Options of {@link listObjects}. */
export interface ListOptions {
  /**
   * Keys per ListObjectsV2 page (S3's own maximum and default is 1000).
   * @default 1000
   */
  readonly pageSize?: number;
}

/**
 * The objects under a prefix in UTF-8 binary key order, page by page, without holding the listing.
 * Folder markers (keys ending in `/` with no bytes) are skipped.
 */
export async function* listObjects(
  client: S3Client,
  bucket: string,
  prefix: string,
  options: ListOptions = {},
): AsyncGenerator<ListedObject> {
  let previous: Buffer | undefined;
  let token: string | undefined;
  do {
    let page: ListObjectsV2CommandOutput;
    try {
      page = await client.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: options.pageSize, ContinuationToken: token }),
      );
    } catch (err) {
      throw describeS3Error(err, `ListObjectsV2 s3://${bucket}/${prefix}`);
    }
    for (const object of page.Contents ?? []) {
      if (!object.Key) continue;
      if (object.Key.endsWith('/') && (object.Size ?? 0) === 0) continue;
      if (!object.ETag || object.Size === undefined) {
        throw new Error(`ListObjectsV2 s3://${bucket}/${prefix} returned ${object.Key} without ETag or size`);
      }
      const current = Buffer.from(object.Key);
      // The plan streams the listing and never sorts it: it relies on S3's UTF-8 binary order.
      if (previous && Buffer.compare(previous, current) >= 0) {
        throw new Error(`ListObjectsV2 s3://${bucket}/${prefix} is not in UTF-8 binary key order at ${object.Key}`);
      }
      previous = current;
      yield { key: object.Key, etag: object.ETag, size: object.Size };
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
    if (page.IsTruncated && !token) throw new Error(`ListObjectsV2 s3://${bucket}/${prefix} is truncated but has no continuation token`);
  } while (token);
}

/**
 * An S3 error rewritten to name what failed: an error without a body (HEAD) reaches the SDK as
 * `NotFound: UnknownError`, which names neither the bucket nor the key.
 */
export function describeS3Error(err: unknown, what: string): Error {
  const status = httpStatusOf(err);
  const code = typeof err === 'object' && err !== null && 'name' in err ? String((err as { name: unknown }).name) : '';
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'NoSuchBucket') return new Error(`${what}: the bucket does not exist (NoSuchBucket)`, { cause: err });
  if (status === 404) return new Error(`${what}: not found (404 ${code || 'NotFound'})`, { cause: err });
  if (status === 403) return new Error(`${what}: access denied (403)`, { cause: err });
  if (status === undefined) return err instanceof Error ? err : new Error(message);
  return new Error(`${what}: ${code || 'error'} ${status}: ${message}`, { cause: err });
}

/**
 * Opens a whole pinned object as a stream: `If-Match` with the pinned ETag, then a check of the
 * response's ETag and length (for servers that ignore If-Match), so that a changed object fails.
 */
export async function getPinnedObject(client: S3Client, bucket: string, object: ListedObject): Promise<Readable> {
  let response: GetObjectCommandOutput;
  try {
    response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: object.key, IfMatch: object.etag }));
  } catch (err) {
    const status = httpStatusOf(err);
    if (status === 412 || status === 404) {
      throw new SourceChangedError(bucket, object.key, object.etag, await currentEtag(client, bucket, object.key));
    }
    throw err;
  }
  const body = response.Body;
  if (!(body instanceof Readable)) throw new Error(`GetObject s3://${bucket}/${object.key} returned no Node.js stream`);
  if (response.ETag !== object.etag || (response.ContentLength !== undefined && response.ContentLength !== object.size)) {
    body.destroy();
    throw new SourceChangedError(bucket, object.key, object.etag, response.ETag);
  }
  return body;
}

import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { canonicalFormat, computeRunId, extensionOf, layout, normalizePrefix, outputMayOverlapSource } from '../layout';
import { RecordFormat, RecordFormatResolver, resolveBuiltInFormat } from '../record-format';
import { describeS3Error, getSourceRange, listObjects, mapLimit, putJson } from '../s3';
import { JobDescription, PlanEvent, PlanResult, RecordFormatSpec, ShardTask, SourceObject } from '../types';
import { planTarShards, TarPlanOptions } from './tar-plan';

/** Options of {@link planShards}. */
export interface PlanOptions extends TarPlanOptions {
  /**
   * Turns the event's format spec into a format: the way to add a format of your own.
   * @default - the built-in formats
   */
  readonly resolveFormat?: RecordFormatResolver;
  /**
   * Most tasks one plan may hold; past it the plan fails and asks for a bigger shard size.
   * @default 100000
   */
  readonly maxTasks?: number;
  /**
   * Longest header record accepted, in bytes.
   * @default 1 MiB
   */
  readonly maxHeaderBytes?: number;
  /**
   * HeadObject calls in flight while pinning the objects of a prefix.
   * @default 16
   */
  readonly headConcurrency?: number;
  /**
   * Keys per ListObjectsV2 page.
   * @default 1000
   */
  readonly listPageSize?: number;
}

/**
 * Plans a sharding run: pins each source object's ETag and version, cuts it into ranges, and writes
 * the task list and the job description to S3.
 */
export async function planShards(client: S3Client, event: PlanEvent, options: PlanOptions = {}): Promise<PlanResult> {
  validatePlanEvent(event);
  if (event.format.type === 'tar') {
    const source = 'prefix' in event.source ? event.source : { bucket: event.source.bucket, prefix: event.source.key };
    return planTarShards(client, source, event.destination, event.targetShardBytes, options);
  }
  const recordFormat: RecordFormatSpec = event.format;
  const format = (options.resolveFormat ?? resolveBuiltInFormat)(recordFormat);
  const maxTasks = options.maxTasks ?? 100_000;

  const located = await locateSources(client, event, options.headConcurrency ?? 16, options.listPageSize);
  const sources: SourceObject[] = [];
  for (const object of located) {
    const problem = format.checkObject(object.size);
    if (problem) throw new Error(`source s3://${object.bucket}/${object.key}: ${problem}`);
    const headerBytes = format.hasHeader
      ? await findHeaderEnd(client, object, format, options.maxHeaderBytes ?? 1024 * 1024)
      : 0;
    sources.push({ ...object, headerBytes });
  }

  const runId = computeRunId(sources, event.targetShardBytes, recordFormat);
  const outputBucket = event.destination.bucket;
  const outputPrefix = `${normalizePrefix(event.destination.prefix)}${runId}/`;
  const step = format.rangeStep(event.targetShardBytes);

  const tasks: ShardTask[] = [];
  const addTask = (sourceIndex: number, rangeStart: number, rangeEnd: number, writeIfEmpty: boolean): void => {
    if (tasks.length >= maxTasks) {
      throw new Error(
        `targetShardBytes ${event.targetShardBytes} gives more than ${maxTasks} shards; choose a larger size`,
      );
    }
    const source = sources[sourceIndex];
    const index = tasks.length;
    tasks.push({
      v: 1,
      runId,
      index,
      sourceIndex,
      source,
      rangeStart,
      rangeEnd,
      format: canonicalFormat(recordFormat),
      bucket: outputBucket,
      shardKey: layout.shardKey(outputPrefix, index, extensionOf(source.key)),
      sidecarKey: layout.sidecarKey(outputPrefix, index),
      writeIfEmpty,
    });
  };
  sources.forEach((source, sourceIndex) => {
    if (source.size === 0) return;
    // With a header, the first range is always written: a header-only object still yields its header.
    const headerFirst = source.headerBytes > 0;
    if (source.headerBytes === source.size && headerFirst) {
      addTask(sourceIndex, source.size, source.size, true);
      return;
    }
    for (let start = source.headerBytes; start < source.size; start += step) {
      addTask(sourceIndex, start, Math.min(start + step, source.size), headerFirst && start === source.headerBytes);
    }
  });

  const job: JobDescription = {
    v: 1,
    runId,
    bucket: outputBucket,
    format: canonicalFormat(recordFormat),
    targetShardBytes: event.targetShardBytes,
    sources,
    taskCount: tasks.length,
  };
  const planKey = layout.tasksKey(outputPrefix);
  const jobKey = layout.jobKey(outputPrefix);
  await putJson(client, outputBucket, jobKey, job);
  await putJson(client, outputBucket, planKey, tasks);

  return {
    planBucket: outputBucket,
    planKey,
    taskCount: tasks.length,
    outputBucket,
    outputPrefix,
    jobKey,
    manifestKey: layout.manifestKey(outputPrefix),
    runId,
    sourceCount: sources.length,
    sourceBytes: sources.reduce((sum, s) => sum + s.size, 0),
  };
}

/** Checks the event's shape, with messages in the form `<field> <rule>, got <value>`. */
export function validatePlanEvent(event: PlanEvent): void {
  const fail = (message: string): never => {
    throw new Error(message);
  };
  if (typeof event !== 'object' || event === null) fail(`event must be an object, got ${JSON.stringify(event)}`);
  const { source, destination, targetShardBytes, format } = event;
  if (typeof source !== 'object' || source === null) fail(`source must be an object, got ${JSON.stringify(source)}`);
  if (typeof source.bucket !== 'string' || source.bucket === '') {
    fail(`source.bucket must be a non-empty string, got ${JSON.stringify(source.bucket)}`);
  }
  const hasKey = 'key' in source;
  const hasPrefix = 'prefix' in source;
  if (hasKey === hasPrefix) fail(`source must have exactly one of key and prefix, got ${JSON.stringify(source)}`);
  if (hasKey && (typeof source.key !== 'string' || source.key === '')) {
    fail(`source.key must be a non-empty string, got ${JSON.stringify(source.key)}`);
  }
  if (hasPrefix && typeof source.prefix !== 'string') {
    fail(`source.prefix must be a string, got ${JSON.stringify(source.prefix)}`);
  }
  if (typeof destination !== 'object' || destination === null) {
    fail(`destination must be an object, got ${JSON.stringify(destination)}`);
  }
  if (typeof destination.bucket !== 'string' || destination.bucket === '') {
    fail(`destination.bucket must be a non-empty string, got ${JSON.stringify(destination.bucket)}`);
  }
  if (typeof destination.prefix !== 'string') {
    fail(`destination.prefix must be a string, got ${JSON.stringify(destination.prefix)}`);
  }
  if (!Number.isSafeInteger(targetShardBytes) || targetShardBytes < 1) {
    fail(`targetShardBytes must be a positive integer, got ${JSON.stringify(targetShardBytes)}`);
  }
  validateFormat(format, fail);
  const sourcePrefix = 'prefix' in source ? source.prefix : source.key;
  if (source.bucket === destination.bucket && outputMayOverlapSource(sourcePrefix, destination.prefix)) {
    // Otherwise a run could shard an earlier run's plan, shards and manifest as data, or write where it reads.
    fail(
      `destination.prefix must keep every run folder (<prefix><runId>/) apart from the source in the same bucket, got ` +
        `destination ${JSON.stringify(destination.prefix)} and source ${JSON.stringify(sourcePrefix)}`,
    );
  }
}

/** Checks a format spec as the plan receives it (from JSON: a string where a boolean belongs is an error). */
function validateFormat(format: unknown, fail: (message: string) => never): void {
  if (typeof format !== 'object' || format === null) fail(`format must be an object, got ${JSON.stringify(format)}`);
  const spec = format as Record<string, unknown>;
  const allowed: Record<string, string[]> = {
    newline: ['type', 'csvHeader', 'csv'],
    fixed: ['type', 'recordLengthBytes'],
    tar: ['type'],
  };
  if (typeof spec.type !== 'string' || !(spec.type in allowed)) {
    fail(`format.type must be 'newline', 'fixed' or 'tar', got ${JSON.stringify(spec.type)}`);
  }
  const extra = Object.keys(spec).filter((k) => !allowed[spec.type as string].includes(k));
  if (extra.length > 0) fail(`format of type '${spec.type}' takes no ${extra.join(', ')}, got ${JSON.stringify(format)}`);
  for (const flag of ['csvHeader', 'csv']) {
    if (flag in spec && typeof spec[flag] !== 'boolean') fail(`format.${flag} must be a boolean, got ${JSON.stringify(spec[flag])}`);
  }
  if (spec.type === 'fixed' && (!Number.isSafeInteger(spec.recordLengthBytes) || (spec.recordLengthBytes as number) < 1)) {
    fail(`format.recordLengthBytes must be a positive integer, got ${JSON.stringify(spec.recordLengthBytes)}`);
  }
}

/** The source objects in key order, each pinned by a HEAD (ETag, version, size). */
async function locateSources(
  client: S3Client,
  event: PlanEvent,
  headConcurrency: number,
  listPageSize: number | undefined,
): Promise<Omit<SourceObject, 'headerBytes'>[]> {
  const { source } = event;
  let keys: string[];
  if ('key' in source) {
    keys = [source.key];
  } else {
    keys = [];
    // Pages in UTF-8 binary key order (listObjects checks it), folder markers skipped.
    for await (const object of listObjects(client, source.bucket, source.prefix, { pageSize: listPageSize })) {
      keys.push(object.key);
    }
    if (keys.length === 0) {
      throw new Error(`source.prefix must name at least one object, got none under s3://${source.bucket}/${source.prefix}`);
    }
  }
  return mapLimit(keys, headConcurrency, async (key) => {
    let head;
    try {
      head = await client.send(new HeadObjectCommand({ Bucket: source.bucket, Key: key }));
    } catch (err) {
      throw describeS3Error(err, `source s3://${source.bucket}/${key}`);
    }
    if (!head.ETag || head.ContentLength === undefined) {
      throw new Error(`HeadObject s3://${source.bucket}/${key} returned no ETag or size`);
    }
    return {
      bucket: source.bucket,
      key,
      etag: head.ETag,
      ...(head.VersionId && head.VersionId !== 'null' ? { versionId: head.VersionId } : {}),
      size: head.ContentLength,
    };
  });
}

/** Length of the first record (the header), read in growing ranges. */
async function findHeaderEnd(
  client: S3Client,
  object: Omit<SourceObject, 'headerBytes'>,
  format: RecordFormat,
  maxHeaderBytes: number,
): Promise<number> {
  if (object.size === 0) return 0;
  const pinned: SourceObject = { ...object, headerBytes: 0 };
  const tooLong = (): Error =>
    new Error(`source s3://${object.bucket}/${object.key}: header must be at most ${maxHeaderBytes} bytes, got more`);
  let offset = 0;
  let step = 64 * 1024;
  // Read at most one byte past the limit: enough to tell a header of exactly maxHeaderBytes from a longer one.
  const limit = Math.min(object.size, maxHeaderBytes + 1);
  while (offset < limit) {
    const end = Math.min(offset + step, limit);
    for await (const chunk of await getSourceRange(client, pinned, offset, end - 1)) {
      const buffer = chunk as Buffer;
      const boundary = format.findBoundary(buffer, offset, 1);
      if (boundary !== -1) {
        if (boundary > maxHeaderBytes) throw tooLong();
        return boundary;
      }
      offset += buffer.length;
    }
    step *= 2;
  }
  if (object.size > maxHeaderBytes) throw tooLong();
  // No record end: the whole object is its header.
  return object.size;
}

/**
 * The findings of issue #9 (bad input and awkward data against the runtime), one test each.
 */
import { GetObjectTaggingCommand, S3Client } from '@aws-sdk/client-s3';
import { finalizeShards } from '../../../lib/sharding/runtime/core/finalize';
import { planShards, validatePlanEvent } from '../../../lib/sharding/runtime/core/plan';
import { shardRange } from '../../../lib/sharding/runtime/core/shard';
import { getJson } from '../../../lib/sharding/runtime/s3';
import { PlanEvent, ShardTask } from '../../../lib/sharding/runtime/types';
import { LocalS3, startLocalS3 } from '../../util/s3-server';
import { DEST_BUCKET, get, put, reassemble, runJob, SOURCE_BUCKET } from './helpers';

let s3: LocalS3;
let client: S3Client;

beforeAll(async () => {
  s3 = await startLocalS3([SOURCE_BUCKET, DEST_BUCKET]);
  client = s3.client();
});
afterAll(async () => {
  await s3.stop();
});

const event = (source: PlanEvent['source'], destinationPrefix: string, bucket = DEST_BUCKET): PlanEvent => ({
  source,
  destination: { bucket, prefix: destinationPrefix },
  targetShardBytes: 1024,
  format: { type: 'newline' },
});

describe('1. a run never reads its own output', () => {
  test.each([
    ['a destination at the root and a source prefix that a run id may start with', 'a', ''],
    ['a source prefix inside a possible run folder', 'out/0123abcd', 'out/'],
    ['a source prefix inside a run folder, past the run id', 'out/0123456789abcdef0123456789abcdef/shards/', 'out'],
    ['a destination under the source prefix', 'data/', 'data/shards/'],
    ['a destination equal to the source prefix', 'data/', 'data'],
  ])('fails with %s', (_, sourcePrefix, destinationPrefix) => {
    expect(() => validatePlanEvent(event({ bucket: DEST_BUCKET, prefix: sourcePrefix }, destinationPrefix))).toThrow(
      'destination.prefix must keep every run folder (<prefix><runId>/) apart from the source in the same bucket',
    );
  });

  test('fails when a source key lies in a possible run folder', () => {
    expect(() => validatePlanEvent(event({ bucket: DEST_BUCKET, key: '0123456789abcdef0123456789abcdef/plan/job.json' }, ''))).toThrow('apart from the source');
  });

  test('accepts a source beside the run folders, or in another bucket', () => {
    expect(() => validatePlanEvent(event({ bucket: DEST_BUCKET, prefix: 'raw/' }, ''))).not.toThrow();
    expect(() => validatePlanEvent(event({ bucket: DEST_BUCKET, prefix: 'out/raw/' }, 'out/'))).not.toThrow();
    expect(() => validatePlanEvent(event({ bucket: SOURCE_BUCKET, prefix: 'a' }, ''))).not.toThrow();
  });

  test('a second run at the root does not shard the first run (issue: runId starting with the source prefix)', async () => {
    // GIVEN a first run whose output lies at the bucket root of the source bucket
    await put(client, SOURCE_BUCKET, 'selfdata/x.txt', 'a\nb\n');
    const first = await planShards(client, event({ bucket: SOURCE_BUCKET, key: 'selfdata/x.txt' }, '', SOURCE_BUCKET));
    // WHEN a prefix run names the first letters of that run id THEN it is refused before any listing
    await expect(
      planShards(client, event({ bucket: SOURCE_BUCKET, prefix: first.runId.slice(0, 2) }, '', SOURCE_BUCKET)),
    ).rejects.toThrow('apart from the source');
  });
});

describe('2. CSV with quoted line breaks is never cut silently', () => {
  const header = 'id,comment\n';
  const rows = Array.from({ length: 20 }, (_, i) => `${i},"line one of ${i}\nline two, with ""quotes"""\n`).join('');
  const data = Buffer.from(header + rows);

  test('one shard per object counts RFC 4180 rows, not lines', async () => {
    await put(client, SOURCE_BUCKET, 'quoted/whole.csv', data);
    const run = await runJob(client, {
      source: { bucket: SOURCE_BUCKET, key: 'quoted/whole.csv' },
      destination: { bucket: DEST_BUCKET, prefix: 'quoted-whole' },
      targetShardBytes: data.length,
      format: { type: 'newline', csvHeader: true },
    });
    expect(run.result.recordCount).toBe(20);
    const [rebuilt] = await reassemble(client, run.manifest);
    expect(rebuilt.equals(data)).toBe(true);
  });

  test('fails with a clear error when a range is cut inside a quoted field, and writes no manifest', async () => {
    await put(client, SOURCE_BUCKET, 'quoted/cut.csv', data);
    await expect(
      runJob(client, {
        source: { bucket: SOURCE_BUCKET, key: 'quoted/cut.csv' },
        destination: { bucket: DEST_BUCKET, prefix: 'quoted-cut' },
        targetShardBytes: 100,
        format: { type: 'newline', csv: true },
      }),
    ).rejects.toThrow(/s3:\/\/source\/quoted\/cut.csv .*ends inside a quoted CSV field/);
    expect(await s3.pendingMultipartUploads(DEST_BUCKET)).toEqual([]);
  });
});

describe('3. a record longer than the target is read about twice, not once per range', () => {
  test('bytes read stay under 2.5 x the object', async () => {
    // GIVEN one 40,000-byte line and 1,000-byte ranges
    const data = Buffer.from(`${'j'.repeat(40_000)}\nshort\n`);
    await put(client, SOURCE_BUCKET, 'long/one-line.jsonl', data);
    let bytesRead = 0;
    const counting = s3.client();
    counting.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        // Ranged GETs are the source reads (the plan and sidecars are read whole).
        const request = args.request as { headers?: Record<string, string> };
        if (context.commandName === 'GetObjectCommand' && request.headers?.range) {
          const response = result.response as { headers?: Record<string, string> };
          bytesRead += Number(response.headers?.['content-length'] ?? 0);
        }
        return result;
      },
      { step: 'deserialize', priority: 'low' },
    );
    // WHEN sharded with a small read-ahead
    const run = await runJob(
      counting,
      { ...event({ bucket: SOURCE_BUCKET, key: 'long/one-line.jsonl' }, 'long'), targetShardBytes: 1000 },
      { shard: { lookaheadBytes: 64 } },
    );
    // THEN the round trip holds and reads stay near two passes (about 20 x before: each range read to the line's end)
    const [rebuilt] = await reassemble(client, run.manifest);
    expect(rebuilt.equals(data)).toBe(true);
    expect(run.result.recordCount).toBe(2);
    expect(bytesRead).toBeLessThan(2.5 * data.length);
  });
});

describe('4. small bugs', () => {
  test('fails when csvHeader is the string "true"', () => {
    expect(() => validatePlanEvent({ ...event({ bucket: SOURCE_BUCKET, key: 'k' }, 'out'), format: { type: 'newline', csvHeader: 'true' as unknown as boolean } })).toThrow(
      'format.csvHeader must be a boolean, got "true"',
    );
  });

  test('fails naming the bucket and key when the source key is missing', async () => {
    await expect(planShards(client, event({ bucket: SOURCE_BUCKET, key: 'no/such/key.txt' }, 'out'))).rejects.toThrow(
      'source s3://source/no/such/key.txt: not found (404 NotFound)',
    );
  });

  test('fails naming the bucket when the source bucket is missing', async () => {
    await expect(planShards(client, event({ bucket: 'no-such-bucket', prefix: 'x/' }, 'out'))).rejects.toThrow(
      'ListObjectsV2 s3://no-such-bucket/x/: the bucket does not exist (NoSuchBucket)',
    );
  });

  test('fails when the header is longer than maxHeaderBytes, even by less than a doubling', async () => {
    // GIVEN a 100-byte header and a 64-byte limit (the header used to pass up to about 2 x the first read)
    await put(client, SOURCE_BUCKET, 'hdr/long.csv', `${'h'.repeat(99)}\n1\n`);
    await put(client, SOURCE_BUCKET, 'hdr/exact.csv', `${'h'.repeat(63)}\n1\n`);
    const csv = (key: string): PlanEvent => ({ ...event({ bucket: SOURCE_BUCKET, key }, 'hdr'), format: { type: 'newline', csvHeader: true } });
    await expect(planShards(client, csv('hdr/long.csv'), { maxHeaderBytes: 64 })).rejects.toThrow('header must be at most 64 bytes, got more');
    await expect(planShards(client, csv('hdr/exact.csv'), { maxHeaderBytes: 64 })).resolves.toMatchObject({ taskCount: 1 });
  });

  describe('the handlers refuse what the plan could never produce', () => {
    let task: ShardTask;
    let plan: Awaited<ReturnType<typeof planShards>>;
    beforeAll(async () => {
      await put(client, SOURCE_BUCKET, 'tamper/x.txt', 'a\nb\nc\n');
      plan = await planShards(client, { ...event({ bucket: SOURCE_BUCKET, key: 'tamper/x.txt' }, 'tamper'), targetShardBytes: 2 });
      [task] = (await getJson<ShardTask[]>(client, plan.planBucket, plan.planKey))!;
    });

    test('fails when rangeStart is negative', async () => {
      await expect(shardRange(client, { ...task, rangeStart: -5 })).rejects.toThrow('invalid shard task: rangeStart and rangeEnd must be integers');
    });

    test('fails when the shard key lies outside the run folder', async () => {
      await expect(shardRange(client, { ...task, shardKey: 'elsewhere/shard-000000.txt' })).rejects.toThrow('invalid shard task: shardKey must be');
      await expect(shardRange(client, { ...task, sidecarKey: `tamper/${task.runId}/plan/job.json` })).rejects.toThrow('invalid shard task: sidecarKey must be');
    });

    test('fails when the manifest key would overwrite job.json', async () => {
      await expect(finalizeShards(client, { ...plan, manifestKey: plan.jobKey })).rejects.toThrow(
        `invalid plan result: manifestKey must be "tamper/${plan.runId}/manifest.json"`,
      );
      expect((await get(client, DEST_BUCKET, plan.jobKey)).toString()).toContain('"sources"');
    });
  });
});

describe('5. listings of several pages', () => {
  // s3rver makes continuation tokens with DES: this needs its process's legacy OpenSSL provider.
  test('a prefix of 60 keys listed 7 per page: every object is planned, in order, by both kinds of plan', async () => {
    const keys = Array.from({ length: 60 }, (_, i) => `pages/${String(i).padStart(3, '0')}.txt`);
    await Promise.all(keys.map((k) => put(client, SOURCE_BUCKET, k, 'x\n')));
    const tar = await planShards(
      client,
      { source: { bucket: SOURCE_BUCKET, prefix: 'pages/' }, destination: { bucket: DEST_BUCKET, prefix: 'pages-out' }, targetShardBytes: 1 << 20, format: { type: 'tar' } },
      { listPageSize: 7 },
    );
    const tasks = (await getJson<Array<{ objects: [string][] }>>(client, tar.planBucket, tar.planKey))!;
    expect(tasks.flatMap((t) => t.objects.map((o) => o[0]))).toEqual(keys);
    const lines = await planShards(client, event({ bucket: SOURCE_BUCKET, prefix: 'pages/' }, 'pages-nl'), { listPageSize: 7 });
    expect(lines.sourceCount).toBe(60);
    const job = (await getJson<{ sources: Array<{ key: string }> }>(client, lines.outputBucket, lines.jobKey))!;
    expect(job.sources.map((s) => s.key)).toEqual(keys);
  });
});

describe('6. abandoned runs expire, committed runs never', () => {
  test('everything a run writes is tagged pending until finalize tags its shards committed, then writes the manifest', async () => {
    // GIVEN a client that records each write
    const writes: Array<{ command: string; key: string; tagging?: string }> = [];
    const recording = s3.client();
    recording.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { Key?: string; Tagging?: unknown };
        const request = args.request as { headers?: Record<string, string> };
        if (/^(Put|CreateMultipart)/.test(context.commandName ?? '')) {
          writes.push({ command: context.commandName ?? '', key: input.Key ?? '', tagging: request.headers?.['x-amz-tagging'] });
        }
        return next(args);
      },
      { step: 'finalizeRequest' },
    );
    await put(client, SOURCE_BUCKET, 'expire/x.txt', 'a\nb\nc\nd\n');
    // WHEN a whole run goes through
    const run = await runJob(recording, { ...event({ bucket: SOURCE_BUCKET, key: 'expire/x.txt' }, 'expire'), targetShardBytes: 4 });
    // THEN every object written before the commit carries the pending tag
    const commitAt = writes.findIndex((w) => w.command === 'PutObjectTaggingCommand');
    const manifestAt = writes.findIndex((w) => w.key === run.plan.manifestKey);
    for (const w of writes.slice(0, commitAt)) expect(w.tagging).toBe('ml-at-scale-sharder-run=pending');
    // AND the shards and job description are tagged committed before the manifest is written, which is not tagged
    const committed = writes.filter((w) => w.command === 'PutObjectTaggingCommand').map((w) => w.key);
    expect(committed.sort()).toEqual([run.plan.jobKey, ...run.manifest.shards.map((s) => s.key)].sort());
    expect(manifestAt).toBeGreaterThan(writes.map((w) => w.command).lastIndexOf('PutObjectTaggingCommand'));
    expect(writes[manifestAt].tagging).toBeUndefined();
    const tags = await client.send(new GetObjectTaggingCommand({ Bucket: DEST_BUCKET, Key: run.manifest.shards[0].key }));
    expect(tags.TagSet).toEqual([{ Key: 'ml-at-scale-sharder-run', Value: 'committed' }]);
  });
});

import { S3Client } from '@aws-sdk/client-s3';
import fc from 'fast-check';
import { LocalS3, startLocalS3 } from '../../util/s3-server';
import { DEST_BUCKET, newlineRecords, put, reassemble, runJob, SOURCE_BUCKET } from './helpers';
import { RecordFormatSpec } from '../../../lib/sharding/runtime/types';

let s3: LocalS3;
let client: S3Client;
let keyCounter = 0;

beforeAll(async () => {
  s3 = await startLocalS3([SOURCE_BUCKET, DEST_BUCKET]);
  client = s3.client();
});
afterAll(async () => {
  await s3.stop();
});

/** Uploads `data`, shards it, and checks the round trip and the record count. */
async function roundTrip(data: Buffer, targetShardBytes: number, format: RecordFormatSpec = { type: 'newline' }) {
  const key = `in/object-${++keyCounter}.txt`;
  await put(client, SOURCE_BUCKET, key, data);
  const run = await runJob(client, {
    source: { bucket: SOURCE_BUCKET, key },
    destination: { bucket: DEST_BUCKET, prefix: 'out' },
    targetShardBytes,
    format,
  });
  const [rebuilt] = await reassemble(client, run.manifest);
  expect(rebuilt.equals(data)).toBe(true);
  return run;
}

describe('newline-delimited round trips', () => {
  test('LF records split across several shards', async () => {
    // GIVEN 100 lines of varying length
    const data = Buffer.from(Array.from({ length: 60 }, (_, i) => `line ${i} ${'x'.repeat(i % 17)}\n`).join(''));
    // WHEN sharded into ~200-byte ranges
    const run = await roundTrip(data, 300);
    // THEN every record is in exactly one shard, and no shard is empty
    expect(run.result.recordCount).toBe(60);
    expect(run.manifest.shards.length).toBeGreaterThan(2);
    expect(run.manifest.shards.every((s) => s.bytes > 0 && s.records > 0)).toBe(true);
  });

  test('CRLF line endings stay intact', async () => {
    const data = Buffer.from('a,b\r\nc,d\r\ne,f\r\ng,h\r\n');
    const run = await roundTrip(data, 5);
    expect(run.result.recordCount).toBe(4);
    expect(run.manifest.shards.map((s) => s.records)).toEqual([1, 1, 1, 1]);
  });

  test('a file without a trailing newline keeps its last record', async () => {
    const data = Buffer.from('alpha\nbeta\ngamma');
    const run = await roundTrip(data, 4);
    expect(run.result.recordCount).toBe(3);
  });

  test('an empty object yields no shard and an empty manifest', async () => {
    const run = await roundTrip(Buffer.alloc(0), 10);
    expect(run.plan.taskCount).toBe(0);
    expect(run.result).toMatchObject({ shardCount: 0, recordCount: 0, bytes: 0 });
    expect(run.manifest.sources).toHaveLength(1);
  });

  test('records longer than a range go whole to the shard where they start', async () => {
    // GIVEN a 700-byte record among short ones, and 100-byte ranges
    const data = Buffer.from(`a\n${'L'.repeat(700)}\nb\nc\n${'M'.repeat(120)}`);
    // WHEN sharded with a small read-ahead, so that the long record needs further GETs
    const key = `in/long-${++keyCounter}.txt`;
    await put(client, SOURCE_BUCKET, key, data);
    const run = await runJob(
      client,
      { source: { bucket: SOURCE_BUCKET, key }, destination: { bucket: DEST_BUCKET, prefix: 'out' }, targetShardBytes: 100, format: { type: 'newline' } },
      { shard: { lookaheadBytes: 16 } },
    );
    // THEN the ranges inside the long record write no shard, and the bytes round-trip
    const [rebuilt] = await reassemble(client, run.manifest);
    expect(rebuilt.equals(data)).toBe(true);
    expect(run.result.recordCount).toBe(5);
    expect(run.manifest.shards.length).toBeLessThan(run.plan.taskCount);
  });

  test('boundaries exactly at range ends', async () => {
    // GIVEN 10-byte records and 10-byte ranges: every range end is a record boundary
    const data = Buffer.from(Array.from({ length: 8 }, (_, i) => `rec-${String(i).padStart(5, '0')}\n`).join(''));
    const run = await roundTrip(data, 10);
    // THEN each shard holds exactly one record
    expect(run.manifest.shards.map((s) => s.records)).toEqual(new Array(8).fill(1));
  });

  test('a range that ends one byte after an LF', async () => {
    const data = Buffer.from('abc\ndefgh\nij\n');
    const run = await roundTrip(data, 5);
    expect(run.result.recordCount).toBe(3);
  });

  test('empty lines are records', async () => {
    const data = Buffer.from('\n\n\nx\n\n');
    const run = await roundTrip(data, 1);
    expect(run.result.recordCount).toBe(5);
  });
});

describe('CSV header', () => {
  test('the header is repeated at the top of every shard and counted as no record', async () => {
    const header = 'id,name\r\n';
    const rows = Array.from({ length: 12 }, (_, i) => `${i},name-${i}\r\n`).join('');
    const data = Buffer.from(header + rows);
    const run = await roundTrip(data, 40, { type: 'newline', csvHeader: true });
    expect(run.result.recordCount).toBe(12);
    for (const shard of run.manifest.shards) expect(shard.headerBytes).toBe(header.length);
    expect(run.manifest.sources[0].headerBytes).toBe(header.length);
    expect(run.manifest.shards[0].key.endsWith('.txt')).toBe(true);
  });

  test('a header-only object yields one shard holding the header', async () => {
    const run = await roundTrip(Buffer.from('id,name'), 10, { type: 'newline', csvHeader: true });
    expect(run.result).toMatchObject({ shardCount: 1, recordCount: 0, bytes: 7 });
  });
});

describe('fixed-length records', () => {
  test('ranges are whole records', async () => {
    const data = Buffer.alloc(16 * 37);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7919) & 0xff;
    const run = await roundTrip(data, 100, { type: 'fixed', recordLengthBytes: 16 });
    expect(run.result.recordCount).toBe(37);
    expect(run.manifest.shards.every((s) => s.bytes % 16 === 0)).toBe(true);
  });

  test('fails when the size is not a whole number of records', async () => {
    await put(client, SOURCE_BUCKET, 'in/partial.bin', Buffer.alloc(33));
    await expect(
      runJob(client, {
        source: { bucket: SOURCE_BUCKET, key: 'in/partial.bin' },
        destination: { bucket: DEST_BUCKET, prefix: 'out' },
        targetShardBytes: 64,
        format: { type: 'fixed', recordLengthBytes: 16 },
      }),
    ).rejects.toThrow('source s3://source/in/partial.bin: size 33 is not a multiple of format.recordLengthBytes 16');
  });
});

describe('prefix of several objects', () => {
  test('every object round-trips, in key order, and empty objects and folder markers add no shard', async () => {
    const objects: Record<string, Buffer> = {
      'multi/b.csv': Buffer.from('h1,h2\n1,2\n3,4\n5,6\n'),
      'multi/a.csv': Buffer.from('h1,h2\n7,8\n9,10'),
      'multi/c.csv': Buffer.alloc(0),
      'multi/sub/': Buffer.alloc(0),
    };
    for (const [key, body] of Object.entries(objects)) await put(client, SOURCE_BUCKET, key, body);
    const run = await runJob(client, {
      source: { bucket: SOURCE_BUCKET, prefix: 'multi/' },
      destination: { bucket: DEST_BUCKET, prefix: 'out/multi' },
      targetShardBytes: 5,
      format: { type: 'newline', csvHeader: true },
    });
    expect(run.manifest.sources.map((s) => s.key)).toEqual(['multi/a.csv', 'multi/b.csv', 'multi/c.csv']);
    const rebuilt = await reassemble(client, run.manifest);
    expect(rebuilt.map((b) => b.toString())).toEqual(
      ['multi/a.csv', 'multi/b.csv', 'multi/c.csv'].map((k) => objects[k].toString()),
    );
    expect(run.result.recordCount).toBe(5);
  });
});

describe('property: any newline data, any shard size', () => {
  test('concatenated shards less repeated headers reproduce the source, with every record counted once', async () => {
    const line = fc.oneof(
      fc.string({ unit: fc.constantFrom('a', 'b', ',', '\r', ' ', 'é'), maxLength: 16 }),
      fc.constant(''),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(line, { maxLength: 10 }),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 6, max: 64 }),
        async (lines, trailingNewline, csvHeader, targetShardBytes) => {
          const text = lines.join('\n') + (trailingNewline && lines.length > 0 ? '\n' : '');
          const data = Buffer.from(text);
          const run = await roundTrip(data, targetShardBytes, { type: 'newline', csvHeader });
          const headerBytes = run.manifest.sources[0].headerBytes;
          expect(run.result.recordCount).toBe(newlineRecords(data, headerBytes));
        },
      ),
      { numRuns: 10, seed: 42 },
    );
  });
});

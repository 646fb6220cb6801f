import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { extract } from 'tar-stream';
import { finalizeShards } from '../../../lib/sharding/runtime/core/finalize';
import { planShards, PlanOptions } from '../../../lib/sharding/runtime/core/plan';
import { shardTar, TarShardOptions } from '../../../lib/sharding/runtime/core/tar-shard';
import { getJson, SourceChangedError } from '../../../lib/sharding/runtime/s3';
import { header } from '../../../lib/sharding/runtime/tar';
import { PlanResult, TarManifest, TarShardTask } from '../../../lib/sharding/runtime/types';
import { LocalS3, startLocalS3 } from '../../util/s3-server';
import { DEST_BUCKET, get, put, SOURCE_BUCKET } from './helpers';

let s3: LocalS3;
let client: S3Client;

beforeAll(async () => {
  s3 = await startLocalS3([SOURCE_BUCKET, DEST_BUCKET]);
  client = s3.client();
});
afterAll(async () => {
  await s3.stop();
});

/** Reads a tar with tar-stream: each member's name and bytes, in order. */
async function readTar(bytes: Buffer): Promise<Array<{ name: string; body: Buffer }>> {
  const members: Array<{ name: string; body: Buffer }> = [];
  const reader = extract();
  const done = new Promise<void>((resolve, reject) => {
    reader.on('entry', (headers, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        members.push({ name: headers.name, body: Buffer.concat(chunks) });
        next();
      });
    });
    reader.on('finish', resolve);
    reader.on('error', reject);
  });
  Readable.from([bytes]).pipe(reader);
  await done;
  return members;
}

interface TarRun {
  plan: PlanResult;
  tasks: TarShardTask[];
  manifest: TarManifest;
}

async function runTar(prefix: string, target: number, opts: { plan?: PlanOptions; shard?: TarShardOptions; dest?: string } = {}): Promise<TarRun> {
  const plan = await planShards(
    client,
    { source: { bucket: SOURCE_BUCKET, prefix }, destination: { bucket: DEST_BUCKET, prefix: opts.dest ?? 'tar-out/' }, targetShardBytes: target, format: { type: 'tar' } },
    opts.plan,
  );
  const tasks = (await getJson<TarShardTask[]>(client, plan.planBucket, plan.planKey))!;
  for (const task of tasks) await shardTar(client, task, opts.shard);
  await finalizeShards(client, plan);
  const manifest = (await getJson<TarManifest>(client, DEST_BUCKET, plan.manifestKey))!;
  return { plan, tasks, manifest };
}

/** Every member of every shard, read back with tar-stream, checked against the manifest's hash and size. */
async function members(manifest: TarManifest): Promise<Array<{ shard: number; name: string; body: Buffer }>> {
  const all: Array<{ shard: number; name: string; body: Buffer }> = [];
  for (const [i, shard] of manifest.shards.entries()) {
    const bytes = await get(client, DEST_BUCKET, shard.key);
    expect(bytes.length).toBe(shard.bytes);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(shard.sha256);
    for (const m of await readTar(bytes)) all.push({ shard: i, ...m });
  }
  return all;
}

describe('tar (WebDataset) round trips', () => {
  const objects: Record<string, Buffer> = {};
  const longName = `${'deep/'.repeat(25)}sample-0001`;
  beforeAll(async () => {
    for (let i = 0; i < 30; i++) {
      const id = String(i).padStart(4, '0');
      objects[`wds/train/${id}.jpg`] = Buffer.alloc(300 + i * 37, i);
      objects[`wds/train/${id}.json`] = Buffer.from(JSON.stringify({ label: i }));
    }
    objects['wds/train/empty.txt'] = Buffer.alloc(0);
    objects[`wds/${longName}.cls`] = Buffer.from('7');
    objects['wds/unicode/échantillon-日本.txt'] = Buffer.from('unicode');
    objects['wds/zz/big.bin'] = Buffer.alloc(9000, 0x5a);
    objects['wds/folder/'] = Buffer.alloc(0);
    for (const [key, body] of Object.entries(objects)) await put(client, SOURCE_BUCKET, key, body);
    // Packed into ~4 KiB shards, listed 7 keys per page.
    run = await runTar('wds/', 4096, { plan: { listPageSize: 7 } });
  });
  let run: TarRun;

  test('every object is one member, byte for byte, named by its key under the prefix, in key order', async () => {
    // GIVEN 64 objects (pairs of one sample, a 0-byte object, a key over 100 bytes, a unicode key, a big object)
    // WHEN packed into ~4 KiB shards, listed 7 keys per page (beforeAll)
    // THEN tar-stream reads back every source object exactly, and nothing else
    const read = await members(run.manifest);
    const expected = Object.keys(objects)
      .filter((k) => !k.endsWith('/'))
      .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect(read.map((m) => `wds/${m.name}`)).toEqual(expected);
    for (const m of read) expect(m.body.equals(objects[`wds/${m.name}`])).toBe(true);
    expect(run.manifest.recordCount).toBe(expected.length);
    expect(run.manifest.sourceCount).toBe(expected.length);
  });

  test('shards are about the target size, samples are never split, and a big object has a shard of its own', async () => {
    const read = await members(run.manifest);
    const shardOf = new Map<string, Set<number>>();
    for (const m of read) {
      const sample = m.name.replace(/\.[^/]*$/, '');
      shardOf.set(sample, (shardOf.get(sample) ?? new Set()).add(m.shard));
    }
    for (const shards of shardOf.values()) expect(shards.size).toBe(1);
    const big = read.find((m) => m.name === 'zz/big.bin')!;
    expect(read.filter((m) => m.shard === big.shard)).toHaveLength(1);
    const others = run.manifest.shards.filter((_, i) => i !== big.shard);
    expect(others.length).toBeGreaterThan(3);
    for (const shard of others) expect(shard.bytes).toBeLessThanOrEqual(4096 + 2 * 1024);
    expect(run.manifest.sampleCount).toBe(shardOf.size);
    expect(run.manifest.shards.map((s) => s.samples).reduce((a, b) => a + b)).toBe(shardOf.size);
  });

  test('a rerun of the same listing writes the same run id, shards and manifest', async () => {
    const again = await runTar('wds/', 4096);
    expect(again.plan.runId).toBe(run.plan.runId);
    expect(again.manifest).toEqual(run.manifest);
  });

  test('tasks stay under their JSON limit and shard fetches are bounded', async () => {
    // GIVEN a 2 KiB task JSON limit and at most 3 GETs at once
    let inFlight = 0;
    let peak = 0;
    const counting = s3.client();
    counting.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'GetObjectCommand') return next(args);
        inFlight++;
        peak = Math.max(peak, inFlight);
        try {
          return await next(args);
        } finally {
          inFlight--;
        }
      },
      { step: 'finalizeRequest' },
    );
    const plan = await planShards(
      client,
      { source: { bucket: SOURCE_BUCKET, prefix: 'wds/train/' }, destination: { bucket: DEST_BUCKET, prefix: 'tar-json/' }, targetShardBytes: 1 << 20, format: { type: 'tar' } },
      { maxTaskJsonBytes: 3000 },
    );
    const tasks = (await getJson<TarShardTask[]>(client, plan.planBucket, plan.planKey))!;
    // THEN the plan splits by JSON size, not only by bytes
    expect(tasks.length).toBeGreaterThan(1);
    for (const task of tasks) expect(Buffer.byteLength(JSON.stringify(task))).toBeLessThanOrEqual(3000);
    // WHEN a task runs THEN its GETs overlap, but never more than 3 at a time
    await shardTar(counting, tasks[0], { fetchConcurrency: 3 });
    expect(peak).toBe(3);
  });

  test('fails when an object changed or vanished between plan and shard, writing no shard', async () => {
    await put(client, SOURCE_BUCKET, 'changing/a.txt', 'one');
    await put(client, SOURCE_BUCKET, 'changing/b.txt', 'two');
    const plan = await planShards(client, {
      source: { bucket: SOURCE_BUCKET, prefix: 'changing/' },
      destination: { bucket: DEST_BUCKET, prefix: 'tar-changed/' },
      targetShardBytes: 1 << 20,
      format: { type: 'tar' },
    });
    const [task] = (await getJson<TarShardTask[]>(client, plan.planBucket, plan.planKey))!;
    await put(client, SOURCE_BUCKET, 'changing/b.txt', 'TWO');
    await expect(shardTar(client, task)).rejects.toBeInstanceOf(SourceChangedError);
    await client.send(new DeleteObjectCommand({ Bucket: SOURCE_BUCKET, Key: 'changing/b.txt' }));
    await expect(shardTar(client, task)).rejects.toThrow(/changing\/b.txt changed since it was planned: .* found no object/);
    await expect(get(client, DEST_BUCKET, task.shardKey)).rejects.toThrow();
    expect(await s3.pendingMultipartUploads(DEST_BUCKET)).toEqual([]);
  });

  test('fails when a task was tampered with: a shard key outside its run folder', async () => {
    const plan = await planShards(client, {
      source: { bucket: SOURCE_BUCKET, prefix: 'wds/train/' },
      destination: { bucket: DEST_BUCKET, prefix: 'tar-tamper/' },
      targetShardBytes: 1 << 20,
      format: { type: 'tar' },
    });
    const [task] = (await getJson<TarShardTask[]>(client, plan.planBucket, plan.planKey))!;
    await expect(shardTar(client, { ...task, shardKey: 'elsewhere/x.tar' })).rejects.toThrow('invalid tar shard task: shardKey must be');
  });
});

describe('tar headers', () => {
  test('a member over 8 GiB gets a pax size record, and a short ASCII name a plain ustar block', () => {
    expect(header('a.bin', 10).length).toBe(512);
    const big = header('a.bin', 8 * 1024 ** 3).toString('latin1');
    expect(big).toContain(`size=${8 * 1024 ** 3}\n`);
    expect(big.length).toBe(512 * 3);
  });
});

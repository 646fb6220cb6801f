import { aws_fsx as fsx } from 'aws-cdk-lib';
import * as fc from 'fast-check';
import { MlAtScaleError } from '../../lib/common/errors';
import { validateLustreConfiguration } from '../../lib/storage/fsx-rules';
import { EFS_ELASTIC, LUSTRE, LUSTRE_OFFERINGS, LustreOffering, S3_DIRECT, StorageCatalog } from '../../lib/storage/storage-catalog';
import {
  FileSystemLifecycle,
  LustreSizing,
  ReadPattern,
  SizingLimit,
  SizingOptions,
  StorageKind,
  StorageSizing,
  TrainingDemand,
  checkLustre,
  demandMBps,
  efsMeteredBytes,
  lustreCandidates,
  recommendStorage,
  sizeLustre,
} from '../../lib/storage/throughput-sizing';

const { SCRATCH_1, SCRATCH_2, PERSISTENT_1, PERSISTENT_2 } = fsx.LustreDeploymentType;
const { SSD, HDD } = fsx.StorageType;
const EVERYTHING: SizingOptions = { deploymentTypes: [SCRATCH_1, SCRATCH_2, PERSISTENT_1, PERSISTENT_2], storageTypes: [SSD, HDD] };
const DEFAULT_OFFERINGS = LUSTRE_OFFERINGS.filter((o) => o.storageType === SSD && o.deploymentType !== SCRATCH_1);

// ---------------------------------------------------------------------------------------------
// Brute force, written independently of the code under test, from AWS's figures: capacity steps
// from the API reference; throughput = GiB / 1000 x MB/s/TiB ("a 2.4-TiB file system ... 50 MB/s/TiB
// yields 120 MB/s"); 10% of the capacity kept free; cost = GiB x price x hours / 730.
// ---------------------------------------------------------------------------------------------
const MiB = 2 ** 20;
const GiB = 2 ** 30;

function capacityOk(o: LustreOffering, gib: number): boolean {
  if (o.deploymentType === SCRATCH_1) return gib === 1200 || gib === 2400 || gib % 3600 === 0;
  if (o.storageType === HDD) return o.perUnitStorageThroughput === 12 ? gib % 6000 === 0 : gib % 1800 === 0;
  return gib === 1200 || gib % 2400 === 0;
}

interface Config { offering: LustreOffering; gib: number; mbps: number; cost: number }

/**
 * The cheapest valid configuration kept all month that meets the demand, by trying every capacity
 * step of every offering up to `maxCost / cheapest price per GiB`: no configuration beyond that
 * bound can cost less than `maxCost`, so the search is exhaustive.
 */
function bruteForce(offerings: readonly LustreOffering[], mbps: number, datasetGiB: number, maxCost: number): Config {
  const cheapestPerGiB = Math.min(...offerings.map((o) => o.priceUsdPerGBMonth));
  const bound = Math.ceil(maxCost / cheapestPerGiB) + 3600;
  let best: Config | undefined;
  for (const offering of offerings) {
    // Every valid capacity is a multiple of 600 GiB (1200, 1800, 2400, 3600, 6000 all are).
    for (let gib = 600; gib <= bound; gib += 600) {
      if (!capacityOk(offering, gib)) continue;
      const got = (gib / 1000) * offering.baselineMBpsPerTiB;
      const cost = gib * offering.priceUsdPerGBMonth;
      if (got < mbps || gib * 0.9 < datasetGiB) continue;
      // No shortcut on purpose: every step is tried, so the test does not borrow the
      // monotonicity argument that the code under test relies on.
      if (!best || cost < best.cost) best = { offering, gib, mbps: got, cost };
    }
  }
  if (!best) throw new Error('bound too small');
  return best;
}

function expectValidAndMeets(l: LustreSizing, mbps: number, datasetGiB: number): void {
  expect(() => validateLustreConfiguration({
    deploymentType: l.deploymentType,
    storageType: l.storageType,
    perUnitStorageThroughput: l.perUnitStorageThroughput,
    storageCapacityGiB: l.storageCapacityGiB,
  })).not.toThrow();
  expect(l.throughputMBps).toBeGreaterThanOrEqual(mbps);
  expect(l.storageCapacityGiB * 0.9).toBeGreaterThanOrEqual(datasetGiB);
}

const GRID: { mbps: number; datasetGiB: number }[] = [];
for (const gpus of [1, 8, 64, 256]) {
  for (const sps of [10, 1200]) {
    for (const bytes of [1_000, 110_000, 1_000_000]) {
      for (const datasetGiB of [1, 1000, 2160, 4000, 50_000]) { // 2160: exactly 90% of a step
        GRID.push({ mbps: (gpus * sps * bytes) / 1e6, datasetGiB });
      }
    }
  }
}

describe('sizeLustre: exact against a brute-force search', () => {
  test.each([
    ['every deployment and storage type', EVERYTHING],
    ['the default offerings (SCRATCH_2, PERSISTENT_1 and PERSISTENT_2 on SSD)', {}],
    ['PERSISTENT_2 only', { deploymentTypes: [PERSISTENT_2] }],
  ])('no cheaper valid configuration meets any demand of the grid: %s', (_name, options: SizingOptions) => {
    const offerings = LUSTRE_OFFERINGS.filter((o) =>
      (options.deploymentTypes ?? [SCRATCH_2, PERSISTENT_1, PERSISTENT_2]).includes(o.deploymentType) &&
      (options.storageTypes ?? [SSD]).includes(o.storageType));
    for (const { mbps, datasetGiB } of GRID) {
      const got = sizeLustre(mbps, datasetGiB, options);
      expectValidAndMeets(got, mbps, datasetGiB);
      const best = bruteForce(offerings, mbps, datasetGiB, got.monthlyCostUsd);
      expect(got.monthlyCostUsd).toBeCloseTo(best.cost, 9);
    }
  });

  test('random demands agree with the brute force too', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.001, max: 50_000, noNaN: true }),
        fc.double({ min: 0.001, max: 100_000, noNaN: true }),
        (mbps, datasetGiB) => {
          const got = sizeLustre(mbps, datasetGiB, EVERYTHING);
          expectValidAndMeets(got, mbps, datasetGiB);
          expect(got.monthlyCostUsd).toBeCloseTo(bruteForce(LUSTRE_OFFERINGS, mbps, datasetGiB, got.monthlyCostUsd).cost, 9);
        },
      ),
      { numRuns: 150 },
    );
  });

  test('AWS\'s arithmetic: a demand exactly on a step is met by that step (2.4 TiB x 1000 = 2,400 MB/s)', () => {
    const got = sizeLustre(2400, 1, { deploymentTypes: [PERSISTENT_2] });
    expect(got).toMatchObject({ storageCapacityGiB: 2400, perUnitStorageThroughput: 1000, throughputMBps: 2400 });
  });

  test('keeps 10% of the capacity free: 1,080 GiB fits 1,200 GiB, 1,081 GiB does not', () => {
    expect(sizeLustre(1, 1080, { deploymentTypes: [PERSISTENT_2] }).storageCapacityGiB).toBe(1200);
    expect(sizeLustre(1, 1081, { deploymentTypes: [PERSISTENT_2] }).storageCapacityGiB).toBe(2400);
  });

  test('the candidates list holds the cheapest configuration of each offering, cheapest first', () => {
    const list = lustreCandidates(1000, 100, EVERYTHING);
    expect(list).toHaveLength(LUSTRE_OFFERINGS.length);
    const costs = list.map((l) => l.monthlyCostUsd);
    expect([...costs].sort((a, b) => a - b)).toEqual(costs);
  });

  test('fails when the options select no offering', () => {
    expect(() => sizeLustre(100, 100, { deploymentTypes: [PERSISTENT_2], storageTypes: [HDD] })).toThrow(
      'deploymentTypes and storageTypes must select at least one FSx offering, got {"deploymentTypes":["PERSISTENT_2"],"storageTypes":["HDD"]}');
    expect(() => sizeLustre(100, 100, { deploymentTypes: [] })).toThrow('deploymentTypes must not be empty, got []');
  });
});

// ---------------------------------------------------------------------------------------------
// The whole recommendation against an independent brute force: every option, every FSx capacity
// step, both lifecycles, every limit, each written out again from the catalog's figures.
// ---------------------------------------------------------------------------------------------
interface Brute { fits: boolean; cost: number; shortfall: number }

function efsMeteredBrute(bytes: number): number {
  let metered = 0;
  for (let left = bytes; left > 0; left -= MiB) metered += Math.max(32 * 1024, Math.ceil(Math.min(left, MiB) / 1024) * 1024);
  return metered;
}

function bruteRecommend(demand: TrainingDemand, maxCost: number): Brute {
  const epochs = demand.epochs ?? 1;
  const runs = demand.trainingRunsPerMonth ?? 1;
  const perInstanceGpus = Math.min(demand.gpusPerInstance ?? 8, demand.gpuCount);
  const objectBytes = demand.readPattern === ReadPattern.SHARDS ? (demand.shardSizeMiB ?? 64) * MiB : demand.bytesPerSample;
  const total = (demand.gpuCount * demand.samplesPerSecondPerGpu * demand.bytesPerSample) / 1e6;
  const perInstance = (perInstanceGpus * demand.samplesPerSecondPerGpu * demand.bytesPerSample) / 1e6;
  const datasetBytes = demand.datasetGiB * GiB;
  const objects = datasetBytes / objectBytes;
  const requests = (total * 1e6) / objectBytes;
  const copy = demand.datasetGiB * 0.023;
  const options: Brute[] = [];
  const add = (shortfall: number, cost: number) => options.push({ fits: shortfall <= 1, cost, shortfall });

  // S3: 12,500 MB/s per instance (100 Gb/s); 5,500 GET/s per prefix; $0.0004 per 1,000 GETs.
  add(Math.max(perInstance / 12_500, requests / (5500 * (demand.s3Prefixes ?? 1))), copy + (objects * epochs * runs / 1000) * 0.0004);
  // EFS: 1,500 MiB/s per client, 20 GiB/s per file system, 250,000 read IOPS; reads of at most 1 MiB metered at >= 32 KiB.
  const efsIops = requests * Math.max(1, Math.ceil(objectBytes / MiB));
  add(Math.max(perInstance / (1500 * MiB / 1e6), total / (20 * GiB / 1e6), efsIops / 250_000),
    copy + demand.datasetGiB * (0.3 + 0.06) + (objects * efsMeteredBrute(objectBytes) / GiB) * epochs * runs * 0.03);
  // FSx: every step of every default offering, kept or created per run.
  const hours = demand.fileSystemHoursPerMonth ?? 730;
  const fastestRun = (datasetBytes / (total * 1e6) / 3600) * epochs;
  const cheapestPerGiBHour = Math.min(...DEFAULT_OFFERINGS.map((o) => o.priceUsdPerGBMonth)) / 730;
  // Beyond the cost bound nothing can cost less than `maxCost`; up to the throughput bound every
  // offering is tried at every step that can meet the demand, so that a shortfall is found too.
  // The cap (12 million GiB) lies above the throughput bound of every demand the generator makes.
  const costBound = Math.ceil(maxCost / (cheapestPerGiBHour * Math.min(hours, fastestRun * runs)));
  const throughputBound = Math.ceil((total * 1000) / Math.min(...DEFAULT_OFFERINGS.map((o) => o.baselineMBpsPerTiB))) + 3600;
  const bound = Math.min(12_000_000, Math.max(costBound, throughputBound) + 3600);
  for (const o of DEFAULT_OFFERINGS) {
    for (let gib = 600; gib <= bound; gib += 600) {
      if (!capacityOk(o, gib)) continue;
      const read = (gib / 1000) * o.baselineMBpsPerTiB;
      if (read < total || gib * 0.9 < demand.datasetGiB) continue;
      const write = o.deploymentType === SCRATCH_2 ? (gib / 1000) * 100 : read;
      const runHours = datasetBytes / (Math.min(total, write) * 1e6) / 3600 + (datasetBytes / (total * 1e6) / 3600) * (epochs - 1);
      const perHour = (gib * o.priceUsdPerGBMonth) / 730;
      const load = (objects / 1000) * 0.0004;
      const kept = perHour * Math.min(744, Math.max(hours, runHours * runs)) + load;
      const perRun = perHour * runHours * runs + load * runs;
      const opens = o.deploymentType === PERSISTENT_2 ? 192_000 * 2 : 24_000;
      add(Math.max(total / read, perInstance / 12_500, requests / opens), copy + Math.min(kept, perRun));
    }
  }
  const fitting = options.filter((b) => b.fits);
  if (fitting.length > 0) return fitting.reduce((a, b) => (b.cost < a.cost ? b : a));
  return options.reduce((a, b) => (b.shortfall < a.shortfall ? b : a));
}

const demandArb = fc.record({
  gpuCount: fc.integer({ min: 1, max: 256 }),
  samplesPerSecondPerGpu: fc.double({ min: 1, max: 2000, noNaN: true }),
  bytesPerSample: fc.integer({ min: 500, max: 1_000_000 }),
  datasetGiB: fc.double({ min: 10, max: 20_000, noNaN: true }),
  epochs: fc.integer({ min: 1, max: 30 }),
  gpusPerInstance: fc.constantFrom(4, 8),
  trainingRunsPerMonth: fc.constantFrom(1, 4, 30),
  readPattern: fc.constantFrom(ReadPattern.OBJECT_PER_SAMPLE, ReadPattern.SHARDS),
  s3Prefixes: fc.constantFrom(1, 4),
  fileSystemHoursPerMonth: fc.constantFrom(730, 100),
});

describe('recommendStorage: exact against a brute force over every option, limit and lifecycle', () => {
  test('the recommendation fits when any option fits, costs the least of those that fit, and is valid', () => {
    fc.assert(
      fc.property(demandArb, (demand) => {
        const rec = recommendStorage(demand);
        const brute = bruteRecommend(demand, rec.monthlyCostUsd);
        expect(rec.fits).toBe(brute.fits);
        if (brute.fits) {
          // Relative 1e-6: the two sum the same terms in different orders.
          expect(Math.abs(rec.monthlyCostUsd - brute.cost)).toBeLessThanOrEqual(1e-6 * Math.max(1, brute.cost));
          for (const l of rec.options[0].limits) expect(l.demanded).toBeLessThanOrEqual(l.available);
        } else {
          expect(rec.shortfallFactor).toBeCloseTo(brute.shortfall, 9);
        }
        if (rec.lustre) expectValidAndMeets(rec.lustre, rec.demandMBps, demand.datasetGiB);
      }),
      { numRuns: 80 },
    );
  });
});

const run = (demand: TrainingDemand) => {
  const rec = recommendStorage(demand);
  const find = (storage: StorageKind, deploymentType?: fsx.LustreDeploymentType, perUnit?: number) => rec.options.find((o) =>
    o.storage === storage && o.lustre?.deploymentType === deploymentType && o.lustre?.perUnitStorageThroughput === perUnit)!;
  return { rec, find };
};

describe('every demand quoted in issue 16 fits, or marks the option that does not fit with its binding limit', () => {
  test('8 GPUs x 300 x 1 MB, 1,000 GiB, 5 epochs: PERSISTENT_2 at 1000 on 2,400 GiB gives 2,400 MB/s ($1,440 a month kept)', () => {
    const { rec, find } = run({ gpuCount: 8, samplesPerSecondPerGpu: 300, bytesPerSample: 1_000_000, datasetGiB: 1000, epochs: 5 });
    expect(rec.fits).toBe(true);
    expect(rec.lustre).toMatchObject({ deploymentType: PERSISTENT_2, perUnitStorageThroughput: 1000, storageCapacityGiB: 2400, throughputMBps: 2400 });
    expect(rec.lustre!.monthlyCostUsd).toBeCloseTo(1440, 9);
    // Created per run (0.62 h) it costs hours, not a month; kept, it costs the month.
    expect(rec.lifecycle).toBe(FileSystemLifecycle.PER_RUN);
    expect(rec.options[0].otherLifecycleCostUsd).toBeGreaterThan(1440);
    expect(find(StorageKind.FSX_LUSTRE, SCRATCH_2).lustre!.storageCapacityGiB).toBe(12000);
  });

  test('588.25 MB/s over 17.31 GiB: PERSISTENT_2 at 500 on 1,200 GiB gives 600 MB/s for $408', () => {
    const l = sizeLustre(588.25, 17.31);
    expect(l).toMatchObject({ deploymentType: PERSISTENT_2, perUnitStorageThroughput: 500, storageCapacityGiB: 1200, throughputMBps: 600 });
    expect(l.monthlyCostUsd).toBeCloseTo(408, 9);
  });

  test('2,048 GPUs x 3,000 x 1 kB, 5,000 GiB, one object per sample: S3 does not fit on its request rate (1,117x), nothing does', () => {
    const { rec, find } = run({ gpuCount: 2048, samplesPerSecondPerGpu: 3000, bytesPerSample: 1000, datasetGiB: 5000 });
    const s3 = find(StorageKind.S3_DIRECT);
    expect(s3.feasible).toBe(false);
    expect(s3.bindingLimit).toBe(SizingLimit.S3_REQUEST_RATE);
    expect(s3.shortfallFactor).toBeCloseTo(6_144_000 / 5500, 9);
    // The GETs are counted: 5,000 GiB of 1 kB objects is 5.37 billion GETs, about $2,147 a run.
    expect(s3.requestCostUsd).toBeCloseTo((5000 * GiB / 1000 / 1000) * 0.0004, 6);
    expect(rec.fits).toBe(false);
    expect(rec.options.every((o) => !o.feasible)).toBe(true);
    expect(rec.reason).toMatch(/^No option fits: .*stream samples from shards/);
  });

  test('the same demand streamed from 64 MiB shards: S3 directly fits, at little more than the S3 copy', () => {
    const { rec } = run({ gpuCount: 2048, samplesPerSecondPerGpu: 3000, bytesPerSample: 1000, datasetGiB: 5000, readPattern: ReadPattern.SHARDS });
    expect(rec.fits).toBe(true);
    expect(rec.storage).toBe(StorageKind.S3_DIRECT);
    expect(rec.requestsPerSecond).toBeCloseTo(6144e6 / (64 * MiB), 9);
    expect(rec.monthlyCostUsd).toBeCloseTo(5000 * 0.023 + (80_000 / 1000) * 0.0004, 9);
  });

  test('64 GPUs x 5,000 x 4 kB, 200 GiB, 10 epochs: EFS does not fit on read IOPS (320,000 of 250,000), and meters $491 of reads', () => {
    const { rec, find } = run({ gpuCount: 64, samplesPerSecondPerGpu: 5000, bytesPerSample: 4000, datasetGiB: 200, epochs: 10 });
    const efs = find(StorageKind.EFS_ELASTIC);
    expect(efs).toMatchObject({ feasible: false, bindingLimit: SizingLimit.EFS_READ_IOPS });
    expect(efs.shortfallFactor).toBeCloseTo(1.28, 9);
    // Each 4,000-byte read is metered as 32 KiB: 53.7 million reads x 10 epochs x 32 KiB x $0.03/GB.
    expect(efs.requestCostUsd).toBeCloseTo((200 * GiB / 4000) * 10 * 32 * 1024 / GiB * 0.03, 6);
    expect(efs.requestCostUsd).toBeGreaterThan(490);
    expect(rec.fits).toBe(true);
    expect(rec.storage).toBe(StorageKind.FSX_LUSTRE);
  });

  test('8 GPUs x 2,000 x 2 MB: one instance asks 32,000 MB/s, every option falls short on the instance (2.56x)', () => {
    const { rec } = run({ gpuCount: 8, samplesPerSecondPerGpu: 2000, bytesPerSample: 2_000_000, datasetGiB: 2000, epochs: 10 });
    const fsxOptions = rec.options.filter((o) => o.storage === StorageKind.FSX_LUSTRE);
    for (const o of fsxOptions) expect(o).toMatchObject({ feasible: false, bindingLimit: SizingLimit.INSTANCE_NETWORK });
    expect(fsxOptions[0].shortfallFactor).toBeCloseTo(32_000 / 12_500, 9);
    expect(rec.fits).toBe(false);
    expect(rec.reason).toMatch(/spread the GPUs over more instances/);
  });

  test('64 GPUs x 1,200 x 110 kB, 4,000 GiB, 10 epochs: a 1.4-hour run pays FSx for hours, created per run', () => {
    const { rec } = run({ gpuCount: 64, samplesPerSecondPerGpu: 1200, bytesPerSample: 110_000, datasetGiB: 4000, epochs: 10 });
    expect(rec.fits).toBe(true);
    expect(rec.lifecycle).toBe(FileSystemLifecycle.PER_RUN);
    expect(rec.options[0].runHours).toBeCloseTo((4000 * GiB * 10) / 8448e6 / 3600, 9);
    expect(rec.monthlyCostUsd).toBeLessThan(rec.options[0].otherLifecycleCostUsd!);
    expect(rec.reason).toMatch(/created per run, costs \$[\d,.]+ a month \(kept all month: \$[\d,.]+\)/);
  });
});

describe('recommendStorage: limits, costs and lifecycles', () => {
  const base: TrainingDemand = { gpuCount: 64, samplesPerSecondPerGpu: 1200, bytesPerSample: 110_000, datasetGiB: 4000 };

  test('demand is GPUs x samples/s x bytes/sample, in MB/s', () => {
    expect(demandMBps(base)).toBe(8448);
    const r = recommendStorage(base);
    expect(r.demandMBps).toBe(8448);
    expect(r.perInstanceDemandMBps).toBe(1056);
    expect(r.requestsPerSecond).toBe(76_800);
  });

  test('more S3 prefixes lift the request-rate limit', () => {
    const one = recommendStorage({ ...base, readPattern: ReadPattern.OBJECT_PER_SAMPLE });
    const many = recommendStorage({ ...base, s3Prefixes: 14 });
    const s3 = (r: typeof one) => r.options.find((o) => o.storage === StorageKind.S3_DIRECT)!;
    expect(s3(one).feasible).toBe(false);
    expect(s3(many).feasible).toBe(true);
    expect(many.storage).toBe(StorageKind.S3_DIRECT);
  });

  test('a file system kept all month is chosen when runs fill the month', () => {
    // 30 runs of 28 hours fill more than the month: a kept file system costs at most the month.
    const r = recommendStorage({ ...base, readPattern: ReadPattern.SHARDS, epochs: 200, trainingRunsPerMonth: 30 });
    const lustre = r.options.filter((o) => o.storage === StorageKind.FSX_LUSTRE);
    expect(lustre.every((o) => o.lifecycle === FileSystemLifecycle.KEPT)).toBe(true);
  });

  test('SCRATCH_2 loads its first epoch at its write rate, 100 MB/s/TiB', () => {
    const r = recommendStorage({ ...base, readPattern: ReadPattern.SHARDS, epochs: 10 }, { deploymentTypes: [SCRATCH_2] });
    const o = r.options.find((x) => x.lustre)!;
    expect(o.lustre!.writeThroughputMBps).toBe(o.lustre!.storageCapacityGiB / 10);
    expect(o.note).toMatch(/first epoch loads from S3 at [\d,]+ MB\/s \(the write rate\)/);
    const epoch = (4000 * GiB) / 8448e6 / 3600;
    expect(o.runHours).toBeCloseTo((4000 * GiB) / (o.lustre!.writeThroughputMBps * 1e6) / 3600 + 9 * epoch, 9);
  });

  test('EFS meters each read as at least 32 KiB, in 1 KiB steps, at most 1 MiB a read', () => {
    expect(efsMeteredBytes(4000)).toBe(32 * 1024);
    expect(efsMeteredBytes(40_000)).toBe(40 * 1024);
    expect(efsMeteredBytes(MiB + 1)).toBe(MiB + 32 * 1024);
    fc.assert(fc.property(fc.integer({ min: 1, max: 20 * MiB }), (b) => expect(efsMeteredBytes(b)).toBe(efsMeteredBrute(b))));
  });

  test('checkLustre applies the same limits to a given configuration', () => {
    const fit = checkLustre(base, PERSISTENT_2, 2400, 250);
    expect(fit).toMatchObject({ fits: false, bindingLimit: SizingLimit.THROUGHPUT, holdsDataset: false });
    expect(fit.shortfallFactor).toBeCloseTo(8448 / 600, 9);
    expect(checkLustre(base, PERSISTENT_2, 9600, 1000).fits).toBe(true);
  });
});

describe('recommendStorage: bad demand', () => {
  const ok: TrainingDemand = { gpuCount: 8, samplesPerSecondPerGpu: 100, bytesPerSample: 1000, datasetGiB: 10 };
  test.each([
    ['gpuCount', 0, 'gpuCount must be a positive integer, got 0'],
    ['gpuCount', 2.5, 'gpuCount must be a positive integer, got 2.5'],
    ['gpuCount', -8, 'gpuCount must be a positive integer, got -8'],
    ['samplesPerSecondPerGpu', Number.POSITIVE_INFINITY, 'samplesPerSecondPerGpu must be a positive finite number, got Infinity'],
    ['samplesPerSecondPerGpu', Number.NaN, 'samplesPerSecondPerGpu must be a positive finite number, got NaN'],
    ['bytesPerSample', 0, 'bytesPerSample must be a positive finite number, got 0'],
    ['datasetGiB', -1, 'datasetGiB must be a positive finite number, got -1'],
    ['epochs', 1.5, 'epochs must be a positive integer, got 1.5'],
    ['gpusPerInstance', 0, 'gpusPerInstance must be a positive integer, got 0'],
    ['trainingRunsPerMonth', 0, 'trainingRunsPerMonth must be a positive finite number, got 0'],
    ['shardSizeMiB', 0, 'shardSizeMiB must be a positive finite number, got 0'],
    ['s3Prefixes', 1.5, 's3Prefixes must be a positive integer, got 1.5'],
    ['fileSystemHoursPerMonth', 745, 'fileSystemHoursPerMonth must be a positive finite number up to 744, got 745'],
    ['readPattern', 'FILES', 'readPattern must be OBJECT_PER_SAMPLE or SHARDS, got "FILES"'],
  ])('fails when %s is %p', (field, value, message) => {
    expect(() => recommendStorage({ ...ok, [field]: value })).toThrow(message);
  });

  test('fails when a field is missing or not a number', () => {
    expect(() => recommendStorage({ ...ok, datasetGiB: undefined as unknown as number })).toThrow(
      'datasetGiB must be a positive finite number, got undefined');
    expect(() => recommendStorage({ ...ok, gpuCount: '8' as unknown as number })).toThrow(
      "gpuCount must be a positive integer, got '8'");
  });

  test('fails with the library\'s one error type', () => {
    expect(() => recommendStorage({ ...ok, gpuCount: 0 })).toThrow(MlAtScaleError);
    expect(() => sizeLustre(100, 100, { deploymentTypes: [] })).toThrow(MlAtScaleError);
  });
});

describe('StorageSizing and StorageCatalog (the jsii facades)', () => {
  test('delegate to the functions and constants', () => {
    const demand: TrainingDemand = { gpuCount: 8, samplesPerSecondPerGpu: 100, bytesPerSample: 1000, datasetGiB: 10 };
    expect(StorageSizing.recommend(demand)).toEqual(recommendStorage(demand));
    expect(StorageSizing.sizeLustre(1000, 10)).toEqual(sizeLustre(1000, 10));
    expect(StorageSizing.demandMBps(demand)).toBe(0.8);
    expect(StorageSizing.checkLustre(demand, PERSISTENT_2, 1200, 125)).toEqual(checkLustre(demand, PERSISTENT_2, 1200, 125));
    expect(StorageCatalog.LUSTRE_OFFERINGS).toEqual(LUSTRE_OFFERINGS);
    expect(StorageCatalog.EFS_ELASTIC).toBe(EFS_ELASTIC);
    expect(StorageCatalog.S3_DIRECT).toBe(S3_DIRECT);
    expect(StorageCatalog.LUSTRE).toBe(LUSTRE);
  });

  test('every catalog figure names its source, and says whether an AWS page confirmed it', () => {
    const sources = [
      ...LUSTRE_OFFERINGS.flatMap((o) => [o.priceSource, o.throughputSource]),
      EFS_ELASTIC.priceSource, EFS_ELASTIC.throughputSource, EFS_ELASTIC.iopsSource, EFS_ELASTIC.meteringSource, EFS_ELASTIC.maxReadSource,
      S3_DIRECT.priceSource, S3_DIRECT.throughputSource, S3_DIRECT.requestRateSource, S3_DIRECT.requestPriceSource,
      LUSTRE.arithmeticSource, LUSTRE.freeSpaceSource, LUSTRE.quotaSource, LUSTRE.billingSource, LUSTRE.lazyLoadSource,
      LUSTRE.metadataSource, LUSTRE.singleMdtSource,
    ];
    for (const s of sources) {
      expect(s.url).toMatch(/^https:\/\/((docs\.)?aws\.amazon\.com|repost\.aws)\//);
      expect(typeof s.confirmed).toBe('boolean');
      expect(s.read).toMatch(/^\d{4}-\d\d-\d\d$/);
    }
  });
});

import { aws_fsx as fsx } from 'aws-cdk-lib';
import * as fc from 'fast-check';
import { MlAtScaleError } from '../../lib/common/errors';
import { validateLustreConfiguration } from '../../lib/storage/fsx-rules';
import { EFS_ELASTIC, LUSTRE_OFFERINGS, LustreOffering, S3_DIRECT, StorageCatalog } from '../../lib/storage/storage-catalog';
import {
  LustreSizing,
  SizingOptions,
  StorageKind,
  StorageSizing,
  TrainingDemand,
  demandMBps,
  lustreCandidates,
  recommendStorage,
  sizeLustre,
} from '../../lib/storage/throughput-sizing';

const { SCRATCH_1, SCRATCH_2, PERSISTENT_1, PERSISTENT_2 } = fsx.LustreDeploymentType;
const { SSD, HDD } = fsx.StorageType;
const EVERYTHING: SizingOptions = { deploymentTypes: [SCRATCH_1, SCRATCH_2, PERSISTENT_1, PERSISTENT_2], storageTypes: [SSD, HDD] };

// ---------------------------------------------------------------------------------------------
// Brute force, written independently of the code under test: capacity steps from the API
// reference, throughput = GiB / 1024 * MB/s/TiB, cost = GiB * price.
// ---------------------------------------------------------------------------------------------
function capacityOk(o: LustreOffering, gib: number): boolean {
  if (o.deploymentType === SCRATCH_1) return gib === 1200 || gib === 2400 || gib % 3600 === 0;
  if (o.storageType === HDD) return o.perUnitStorageThroughput === 12 ? gib % 6000 === 0 : gib % 1800 === 0;
  return gib === 1200 || gib % 2400 === 0;
}

interface Config { offering: LustreOffering; gib: number; mbps: number; cost: number }

/**
 * The cheapest valid configuration that meets the demand, by trying every capacity step of every
 * offering up to `maxCost / cheapest price per GiB`: no configuration beyond that bound can cost
 * less than `maxCost`, so the search is exhaustive.
 */
function bruteForce(offerings: readonly LustreOffering[], mbps: number, datasetGiB: number, maxCost: number): Config {
  const cheapestPerGiB = Math.min(...offerings.map((o) => o.priceUsdPerGBMonth));
  const bound = Math.ceil(maxCost / cheapestPerGiB) + 3600;
  let best: Config | undefined;
  for (const offering of offerings) {
    // Every valid capacity is a multiple of 600 GiB (1200, 1800, 2400, 3600, 6000 all are).
    for (let gib = 600; gib <= bound; gib += 600) {
      if (!capacityOk(offering, gib)) continue;
      const got = (gib / 1024) * offering.baselineMBpsPerTiB;
      const cost = gib * offering.priceUsdPerGBMonth;
      if (got < mbps || gib < datasetGiB) continue;
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
  expect(l.storageCapacityGiB).toBeGreaterThanOrEqual(datasetGiB);
}

const GRID: { mbps: number; datasetGiB: number }[] = [];
for (const gpus of [1, 8, 64, 256]) {
  for (const sps of [10, 1200]) {
    for (const bytes of [1_000, 110_000, 1_000_000]) {
      for (const datasetGiB of [1, 1000, 2400, 4000, 50_000]) { // 2400: exactly on a step
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
      // WHEN
      const got = sizeLustre(mbps, datasetGiB, options);
      // THEN
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

  test('demand exactly on a capacity step is met by that step, not the next', () => {
    // 2400 GiB at 1000 MB/s/TiB is exactly 2343.75 MB/s.
    const got = sizeLustre(2343.75, 1, { deploymentTypes: [PERSISTENT_2] });
    expect(got).toMatchObject({ storageCapacityGiB: 2400, perUnitStorageThroughput: 1000, throughputMBps: 2343.75 });
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

describe('recommendStorage: the decision rule', () => {
  const base: TrainingDemand = { gpuCount: 64, samplesPerSecondPerGpu: 1200, bytesPerSample: 110_000, datasetGiB: 4000 };

  test('demand is GPUs x samples/s x bytes/sample, in MB/s', () => {
    expect(demandMBps(base)).toBe(8448);
    const r = recommendStorage(base);
    expect(r.demandMBps).toBe(8448);
    expect(r.perInstanceDemandMBps).toBe(1056);
  });

  test('data read once within what an instance streams from S3: S3 directly', () => {
    const r = recommendStorage(base);
    expect(r.storage).toBe(StorageKind.S3_DIRECT);
    expect(r.lustre).toBeUndefined();
    expect(r.reason).toMatch(/read once/);
    expect(r.monthlyCostUsd).toBeCloseTo(4000 * S3_DIRECT.storageUsdPerGBMonth, 9);
    expect(r.headroomMBps).toBeCloseTo(r.achievedMBps - r.demandMBps, 9);
  });

  test('data read once but an instance needs more than S3 gives it: not S3', () => {
    // 8 GPUs x 10,000 samples/s x 200 kB = 16,000 MB/s per instance, over 12,500 MB/s.
    const r = recommendStorage({ gpuCount: 8, samplesPerSecondPerGpu: 10_000, bytesPerSample: 200_000, datasetGiB: 1000 });
    expect(r.storage).toBe(StorageKind.FSX_LUSTRE);
    expect(r.reason).toMatch(/more than the 12,500 MB\/s one instance streams from S3/);
    expect(r.reason).toMatch(/more than EFS's 1,573 MB\/s per client/);
  });

  test('small shared data at moderate throughput, read many times: EFS', () => {
    const r = recommendStorage({ gpuCount: 8, samplesPerSecondPerGpu: 100, bytesPerSample: 100_000, datasetGiB: 50, epochs: 20 });
    expect(r.storage).toBe(StorageKind.EFS_ELASTIC);
    const expected = 50 * S3_DIRECT.storageUsdPerGBMonth +
      50 * EFS_ELASTIC.storageUsdPerGBMonth + 50 * 20 * EFS_ELASTIC.readUsdPerGB + 50 * EFS_ELASTIC.writeUsdPerGB;
    expect(r.monthlyCostUsd).toBeCloseTo(expected, 9);
    expect(r.reason).toMatch(/less than the cheapest FSx for Lustre/);
  });

  test('a large dataset read many times: FSx, because it costs less than EFS', () => {
    const r = recommendStorage({ gpuCount: 8, samplesPerSecondPerGpu: 100, bytesPerSample: 100_000, datasetGiB: 4000, epochs: 10 });
    expect(r.storage).toBe(StorageKind.FSX_LUSTRE);
    expect(r.lustre).toMatchObject({ deploymentType: SCRATCH_2, storageCapacityGiB: 4800 });
    expect(r.reason).toMatch(/costs less than EFS \(\$2,732 a month\)/);
  });

  test('more throughput than EFS serves: FSx, cheapest configuration, and it says why', () => {
    const r = recommendStorage({ ...base, gpuCount: 512, epochs: 3 });
    expect(r.storage).toBe(StorageKind.FSX_LUSTRE);
    expect(r.reason).toMatch(/more than EFS's 21,475 MB\/s per file system/);
    expect(r.lustre).toEqual(sizeLustre(r.demandMBps, 4000));
    expect(r.achievedMBps).toBe(r.lustre!.throughputMBps);
    expect(r.headroomMBps).toBeGreaterThanOrEqual(0);
    expect(r.monthlyCostUsd).toBeCloseTo(4000 * S3_DIRECT.storageUsdPerGBMonth + r.lustre!.monthlyCostUsd, 9);
  });

  test('the chosen option is the cheapest feasible one once S3 is ruled out', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 512 }), fc.double({ min: 1, max: 5000, noNaN: true }),
        fc.integer({ min: 1000, max: 2_000_000 }), fc.double({ min: 1, max: 100_000, noNaN: true }), fc.integer({ min: 2, max: 50 }),
        (gpuCount, samplesPerSecondPerGpu, bytesPerSample, datasetGiB, epochs) => {
          const r = recommendStorage({ gpuCount, samplesPerSecondPerGpu, bytesPerSample, datasetGiB, epochs });
          const feasible = r.options.filter((o) => o.feasible);
          expect(r.monthlyCostUsd).toBeLessThanOrEqual(Math.min(...feasible.map((o) => o.monthlyCostUsd)));
          expect(r.achievedMBps).toBeGreaterThanOrEqual(r.demandMBps);
        },
      ),
      { numRuns: 200 },
    );
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
    expect(StorageCatalog.LUSTRE_OFFERINGS).toEqual(LUSTRE_OFFERINGS);
    expect(StorageCatalog.EFS_ELASTIC).toBe(EFS_ELASTIC);
    expect(StorageCatalog.S3_DIRECT).toBe(S3_DIRECT);
  });

  test('every catalog figure names its source', () => {
    for (const o of LUSTRE_OFFERINGS) {
      for (const s of [o.priceSource, o.throughputSource]) expect(s.url).toMatch(/^https:\/\/(docs\.)?aws\.amazon\.com\//);
    }
  });
});

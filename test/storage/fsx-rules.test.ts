import { Lazy, Token, aws_fsx as fsx } from 'aws-cdk-lib';
import * as fc from 'fast-check';
import {
  LustreRules,
  MAX_DATA_REPOSITORY_ASSOCIATIONS,
  isValidStorageCapacity,
  nextValidCapacityGiB,
  perUnitThroughputOptions,
  throughputMBps,
  validCapacitiesGiB,
  validateDataRepositoryAssociations,
  validateLustreConfiguration,
  validatePerUnitStorageThroughput,
  validateStorageCapacity,
  validateStorageType,
} from '../../lib/storage/fsx-rules';

const { SCRATCH_1, SCRATCH_2, PERSISTENT_1, PERSISTENT_2 } = fsx.LustreDeploymentType;
const { SSD, HDD, INTELLIGENT_TIERING } = fsx.StorageType;
const DEPLOYMENT_TYPES = [SCRATCH_1, SCRATCH_2, PERSISTENT_1, PERSISTENT_2];

// ---------------------------------------------------------------------------------------------
// An independent oracle, written plainly from the FSx API reference (CreateFileSystem
// StorageCapacity and CreateFileSystemLustreConfiguration PerUnitStorageThroughput).
// ---------------------------------------------------------------------------------------------
function oracleStorageTypeOk(type: fsx.LustreDeploymentType, storage: fsx.StorageType): boolean {
  if (storage === SSD) return true;
  if (storage === HDD) return type === PERSISTENT_1;
  return false;
}

function oracleThroughputOk(type: fsx.LustreDeploymentType, storage: fsx.StorageType, perUnit: number | undefined): boolean {
  if (type === SCRATCH_1 || type === SCRATCH_2) return perUnit === undefined;
  if (type === PERSISTENT_2) return perUnit === 125 || perUnit === 250 || perUnit === 500 || perUnit === 1000;
  if (storage === HDD) return perUnit === 12 || perUnit === 40;
  return perUnit === 50 || perUnit === 100 || perUnit === 200;
}

function oracleCapacityOk(type: fsx.LustreDeploymentType, storage: fsx.StorageType, perUnit: number | undefined, gib: number): boolean {
  if (!Number.isInteger(gib) || gib <= 0) return false;
  if (type === SCRATCH_1) return gib === 1200 || gib === 2400 || gib % 3600 === 0;
  if (storage === HDD) return perUnit === 12 ? gib % 6000 === 0 : gib % 1800 === 0;
  return gib === 1200 || gib === 2400 || gib % 2400 === 0;
}

function oracleValid(type: fsx.LustreDeploymentType, storage: fsx.StorageType, perUnit: number | undefined, gib: number): boolean {
  return oracleStorageTypeOk(type, storage) && oracleThroughputOk(type, storage, perUnit) && oracleCapacityOk(type, storage, perUnit, gib);
}

const anyType = fc.constantFrom(...DEPLOYMENT_TYPES);
const anyStorage = fc.constantFrom(SSD, HDD, INTELLIGENT_TIERING);
const anyPerUnit = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom(12, 40, 50, 100, 200, 125, 250, 500, 1000),
  fc.integer({ min: -10, max: 2000 }),
  fc.double({ noNaN: false }),
);
const anyCapacity = fc.oneof(
  fc.constantFrom(0, 600, 1200, 1800, 2400, 3000, 3600, 4800, 6000, 7200, 10800, 12000),
  fc.integer({ min: 1, max: 200 }).chain((k) => fc.constantFrom(k * 1200, k * 1800, k * 2400, k * 3600, k * 6000)),
  fc.integer({ min: -5000, max: 500000 }),
  fc.double({ min: -1, max: 1e6 }),
);

const MESSAGE = /^(storageCapacityGiB|perUnitStorageThroughput|storageType) .+, got .+$/;

describe('storage configuration: property tests', () => {
  test('any combination is accepted exactly when the oracle says it is valid, and a rejection names prop, rule and value', () => {
    fc.assert(
      fc.property(anyType, anyStorage, anyPerUnit, anyCapacity, (type, storage, perUnit, gib) => {
        // WHEN
        let error: Error | undefined;
        try {
          validateLustreConfiguration({ deploymentType: type, storageType: storage, perUnitStorageThroughput: perUnit, storageCapacityGiB: gib });
        } catch (e) {
          error = e as Error;
        }
        // THEN
        expect(error === undefined).toBe(oracleValid(type, storage, perUnit, gib));
        if (error) expect(error.message).toMatch(MESSAGE);
      }),
      { numRuns: 3000 },
    );
  });

  // Valid by construction: every documented (type, storage, tier) and a capacity built from its steps.
  const validConfig = fc.constantFrom(
    ...DEPLOYMENT_TYPES.flatMap((type) => [SSD, HDD].flatMap((storage) => {
      if (!oracleStorageTypeOk(type, storage)) return [];
      const tiers = perUnitThroughputOptions(type, storage);
      return (tiers.length ? tiers : [undefined]).map((perUnit) => ({ type, storage, perUnit }));
    })),
  ).chain(({ type, storage, perUnit }) => {
    const step = type === SCRATCH_1 ? 3600 : storage === HDD ? (perUnit === 12 ? 6000 : 1800) : 2400;
    const extras = storage === HDD ? [] : [1200, 2400];
    const capacity = fc.oneof(fc.integer({ min: 1, max: 400 }).map((k) => k * step), ...(extras.length ? [fc.constantFrom(...extras)] : []));
    return capacity.map((gib) => ({ type, storage, perUnit, gib }));
  });

  test('every valid configuration built from the documented steps is accepted', () => {
    fc.assert(
      fc.property(validConfig, ({ type, storage, perUnit, gib }) => {
        expect(() => validateLustreConfiguration({
          deploymentType: type, storageType: storage, perUnitStorageThroughput: perUnit, storageCapacityGiB: gib,
        })).not.toThrow();
        expect(isValidStorageCapacity(type, gib, storage, perUnit)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  test('a valid capacity plus a non-multiple of its step is rejected', () => {
    fc.assert(
      fc.property(validConfig, fc.integer({ min: 1, max: 1199 }), ({ type, storage, perUnit, gib }, offset) => {
        const bad = gib + offset;
        fc.pre(!oracleCapacityOk(type, storage, perUnit, bad));
        expect(() => validateStorageCapacity(type, bad, storage, perUnit)).toThrow(/^storageCapacityGiB must be .+, got \d+$/);
      }),
      { numRuns: 500 },
    );
  });

  test('nextValidCapacityGiB returns the smallest valid capacity at or above the minimum', () => {
    fc.assert(
      fc.property(validConfig, fc.integer({ min: -100, max: 100000 }), ({ type, storage, perUnit }, min) => {
        const next = nextValidCapacityGiB(type, min, storage, perUnit);
        expect(next).toBeGreaterThanOrEqual(min);
        expect(oracleCapacityOk(type, storage, perUnit, next)).toBe(true);
        // Nothing valid in between, checked against the oracle on the same grid (every 600 GiB).
        for (let g = Math.max(600, Math.ceil(min / 600) * 600); g < next; g += 600) {
          expect(oracleCapacityOk(type, storage, perUnit, g)).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('storage configuration: examples', () => {
  test('fails when a PERSISTENT_2 capacity is not 1200, 2400 or a multiple of 2400', () => {
    expect(() => validateStorageCapacity(PERSISTENT_2, 3000)).toThrow(
      'storageCapacityGiB must be 1200, 2400 or a multiple of 2400 for PERSISTENT_2, got 3000');
  });

  test('fails when a SCRATCH_1 capacity is not 1200, 2400 or a multiple of 3600', () => {
    expect(() => validateStorageCapacity(SCRATCH_1, 4800)).toThrow(
      'storageCapacityGiB must be 1200, 2400 or a multiple of 3600 for SCRATCH_1, got 4800');
  });

  test('fails when a PERSISTENT_1 SSD capacity is off its steps, naming the caller\'s prop', () => {
    expect(() => validateStorageCapacity(PERSISTENT_1, 1300, SSD, 50, 'sizeGiB')).toThrow(
      'sizeGiB must be 1200, 2400 or a multiple of 2400 for PERSISTENT_1 SSD, got 1300');
  });

  test('fails when a PERSISTENT_1 HDD capacity at 12 MB/s/TiB is not a multiple of 6000', () => {
    expect(() => validateStorageCapacity(PERSISTENT_1, 1800, HDD, 12)).toThrow(
      'storageCapacityGiB must be a multiple of 6000 for PERSISTENT_1 HDD at 12 MB/s/TiB, got 1800');
  });

  test('fails when a PERSISTENT_1 HDD capacity at 40 MB/s/TiB is not a multiple of 1800', () => {
    expect(() => validateStorageCapacity(PERSISTENT_1, 6000, HDD, 40)).toThrow(
      'storageCapacityGiB must be a multiple of 1800 for PERSISTENT_1 HDD at 40 MB/s/TiB, got 6000');
  });

  test('fails when the capacity is zero, negative or fractional', () => {
    expect(() => validateStorageCapacity(SCRATCH_2, 0)).toThrow(/got 0$/);
    expect(() => validateStorageCapacity(SCRATCH_2, -2400)).toThrow(/got -2400$/);
    expect(() => validateStorageCapacity(SCRATCH_2, 2400.5)).toThrow(/got 2400.5$/);
    expect(() => validateStorageCapacity(SCRATCH_2, Number.NaN)).toThrow(/got NaN$/);
  });

  test('fails when throughput is set on a SCRATCH type', () => {
    expect(() => validatePerUnitStorageThroughput(SCRATCH_2, 200)).toThrow(
      'perUnitStorageThroughput cannot be set for SCRATCH_2, got 200');
  });

  test('fails when a PERSISTENT_2 throughput is not a PERSISTENT_2 tier', () => {
    expect(() => validatePerUnitStorageThroughput(PERSISTENT_2, 200, SSD, 'throughputMBpsPerTiB')).toThrow(
      'throughputMBpsPerTiB must be 125, 250, 500 or 1000 MB/s/TiB for PERSISTENT_2, got 200');
  });

  test('fails when a PERSISTENT type has no throughput', () => {
    expect(() => validatePerUnitStorageThroughput(PERSISTENT_1, undefined)).toThrow(
      'perUnitStorageThroughput must be 50, 100 or 200 MB/s/TiB for PERSISTENT_1 SSD, got undefined');
  });

  test('fails when a PERSISTENT_1 HDD throughput is not 12 or 40', () => {
    expect(() => validatePerUnitStorageThroughput(PERSISTENT_1, 50, HDD)).toThrow(
      'perUnitStorageThroughput must be 12 or 40 MB/s/TiB for PERSISTENT_1 HDD, got 50');
  });

  test('fails when HDD is asked of a type other than PERSISTENT_1', () => {
    expect(() => validateStorageType(PERSISTENT_2, HDD)).toThrow(
      "storageType must be SSD for PERSISTENT_2 (HDD is PERSISTENT_1 only), got 'HDD'");
    expect(() => validateStorageType(SCRATCH_2, INTELLIGENT_TIERING)).toThrow(
      "storageType must be SSD or HDD, got 'INTELLIGENT_TIERING'");
  });

  test('skips unresolved tokens', () => {
    const capacity = Token.asNumber(Lazy.number({ produce: () => 3000 }));
    const perUnit = Token.asNumber(Lazy.number({ produce: () => 7 }));
    expect(() => validateStorageCapacity(PERSISTENT_2, capacity)).not.toThrow();
    expect(() => validatePerUnitStorageThroughput(PERSISTENT_2, perUnit)).not.toThrow();
    expect(() => validateLustreConfiguration({ deploymentType: PERSISTENT_1, storageType: HDD, perUnitStorageThroughput: perUnit, storageCapacityGiB: 1 })).not.toThrow();
  });

  test('throughput is capacity in AWS\'s TiB (2,400 GiB is 2.4 TiB) times the per-unit throughput; SCRATCH is 200 MB/s/TiB', () => {
    // AWS's own example: "For a 2.4-TiB file system, provisioning 50 MB/s/TiB ... yields 120 MB/s".
    expect(throughputMBps(PERSISTENT_1, 2400, 50)).toBe(120);
    expect(throughputMBps(PERSISTENT_2, 2400, 1000)).toBe(2400);
    expect(throughputMBps(SCRATCH_2, 1200)).toBe(240);
    expect(throughputMBps(SCRATCH_2, 1200, 1000)).toBe(240);
    expect(() => throughputMBps(PERSISTENT_1, 1200)).toThrow('perUnitStorageThroughput is required for PERSISTENT_1, got undefined');
  });

  test('validCapacitiesGiB lists the steps in order', () => {
    expect(validCapacitiesGiB(SCRATCH_2, 10000)).toEqual([1200, 2400, 4800, 7200, 9600]);
    expect(validCapacitiesGiB(SCRATCH_1, 8000)).toEqual([1200, 2400, 3600, 7200]);
    expect(validCapacitiesGiB(PERSISTENT_1, 6000, HDD, 40)).toEqual([1800, 3600, 5400]);
  });

  test('fails when HDD capacities are asked for without a valid tier', () => {
    expect(() => nextValidCapacityGiB(PERSISTENT_1, 1, HDD)).toThrow(
      'perUnitStorageThroughput must be one of 12 or 40 for PERSISTENT_1 HDD, got undefined');
  });
});

// ---------------------------------------------------------------------------------------------
// Data repository associations
// ---------------------------------------------------------------------------------------------
function oracleNested(a: string, b: string): boolean {
  const strip = (p: string) => (p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p);
  const x = strip(a);
  const y = strip(b);
  if (x === '/' || y === '/') return true;
  return x === y || x.startsWith(y + '/') || y.startsWith(x + '/');
}

describe('data repository associations', () => {
  const V215 = fsx.FileSystemTypeVersion.V_2_15;
  const segment = fc.constantFrom('a', 'b', 'ab', 'data', 'd');
  const path = fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => '/' + s.join('/'));

  test('a set of paths is accepted exactly when none is equal to or nested in another', () => {
    fc.assert(
      fc.property(fc.array(path, { minLength: 1, maxLength: MAX_DATA_REPOSITORY_ASSOCIATIONS }), (paths) => {
        const clash = paths.some((p, i) => paths.some((q, j) => i < j && oracleNested(p, q)));
        let error: Error | undefined;
        try {
          validateDataRepositoryAssociations(PERSISTENT_2, V215, paths);
        } catch (e) {
          error = e as Error;
        }
        expect(error === undefined).toBe(!clash);
        if (error) expect(error.message).toMatch(/^dataRepositoryAssociations\[\d\]\.fileSystemPath must not (repeat|nest with) '.+', got '.+'$/);
      }),
      { numRuns: 1000 },
    );
  });

  test('accepts up to eight unique sibling paths on SCRATCH_2, PERSISTENT_1 and PERSISTENT_2 at 2.12 or 2.15', () => {
    const paths = ['/a', '/b', '/c', '/d', '/e', '/f', '/g', '/h/'];
    for (const type of [SCRATCH_2, PERSISTENT_1, PERSISTENT_2]) {
      expect(() => validateDataRepositoryAssociations(type, fsx.FileSystemTypeVersion.V_2_12, paths)).not.toThrow();
    }
    expect(() => validateDataRepositoryAssociations(PERSISTENT_2, undefined, ['/datasets', '/checkpoints'])).not.toThrow();
    expect(() => validateDataRepositoryAssociations(SCRATCH_1, undefined, [])).not.toThrow();
  });

  test('fails when associations are used on SCRATCH_1', () => {
    expect(() => validateDataRepositoryAssociations(SCRATCH_1, V215, ['/datasets'])).toThrow(
      "deploymentType must not be SCRATCH_1 when data repository associations are used, got 'SCRATCH_1'");
  });

  test('fails when associations are used on Lustre 2.10, explicit or by CDK default', () => {
    const message = "fileSystemTypeVersion must be 2.12 or newer when data repository associations are used (CDK defaults to 2.10), got '2.10'";
    expect(() => validateDataRepositoryAssociations(PERSISTENT_1, undefined, ['/datasets'])).toThrow(message);
    expect(() => validateDataRepositoryAssociations(PERSISTENT_2, fsx.FileSystemTypeVersion.V_2_10, ['/datasets'])).toThrow(message);
  });

  test('fails when there are more than eight associations', () => {
    const paths = Array.from({ length: 9 }, (_, i) => `/p${i}`);
    expect(() => validateDataRepositoryAssociations(PERSISTENT_2, V215, paths)).toThrow(
      'dataRepositoryAssociations must have at most 8 entries, got 9');
  });

  test('fails when two paths are the same', () => {
    expect(() => validateDataRepositoryAssociations(PERSISTENT_2, V215, ['/datasets', '/datasets/'])).toThrow(
      "dataRepositoryAssociations[1].fileSystemPath must not repeat '/datasets', got '/datasets/'");
  });

  test('fails when one path is nested in another', () => {
    expect(() => validateDataRepositoryAssociations(PERSISTENT_2, V215, ['/datasets', '/datasets/imagenet'], 'associations')).toThrow(
      "associations[1].fileSystemPath must not nest with '/datasets', got '/datasets/imagenet'");
    expect(() => validateDataRepositoryAssociations(PERSISTENT_2, V215, ['/', '/checkpoints'])).toThrow(/must not nest with '\/'/);
  });

  test('a shared prefix without a / boundary is not nesting', () => {
    expect(() => validateDataRepositoryAssociations(PERSISTENT_2, V215, ['/data', '/datasets'])).not.toThrow();
  });

  test('fails when a path is not absolute or has empty, . or .. segments', () => {
    for (const bad of ['datasets', '', '/a//b', '/a/../b', '/./a']) {
      expect(() => validateDataRepositoryAssociations(PERSISTENT_2, V215, [bad])).toThrow(
        `dataRepositoryAssociations[0].fileSystemPath must be an absolute path such as /datasets, got '${bad}'`);
    }
  });

  test('skips unresolved paths', () => {
    const token = Lazy.string({ produce: () => '/datasets' });
    expect(() => validateDataRepositoryAssociations(PERSISTENT_2, V215, [token, '/datasets'])).not.toThrow();
  });
});

describe('LustreRules (the jsii facade)', () => {
  test('delegates to the functions', () => {
    expect(LustreRules.perUnitThroughputOptions(PERSISTENT_2)).toEqual([125, 250, 500, 1000]);
    expect(LustreRules.isValidStorageCapacity(SCRATCH_2, 4800)).toBe(true);
    expect(LustreRules.nextValidCapacityGiB(SCRATCH_1, 2401)).toBe(3600);
    expect(LustreRules.throughputMBps(PERSISTENT_2, 1200, 500)).toBe(600);
    expect(LustreRules.writeThroughputMBps(SCRATCH_2, 1200)).toBe(120);
    expect(LustreRules.writeThroughputMBps(PERSISTENT_2, 1200, 500)).toBe(600);
    expect(() => LustreRules.validateConfiguration({ deploymentType: PERSISTENT_2, storageCapacityGiB: 3000, perUnitStorageThroughput: 125 }))
      .toThrow('storageCapacityGiB must be 1200, 2400 or a multiple of 2400 for PERSISTENT_2, got 3000');
    expect(() => LustreRules.validateDataRepositoryAssociations(PERSISTENT_1, ['/a'])).toThrow(/fileSystemTypeVersion must be 2.12 or newer/);
  });
});

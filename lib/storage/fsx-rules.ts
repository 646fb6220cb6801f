import { Token, aws_fsx as fsx } from 'aws-cdk-lib';
import { LUSTRE, SCRATCH_BASELINE_MBPS_PER_TIB } from './storage-catalog';
import { invalidProp } from '../common/errors';

/*
 * The FSx for Lustre rules that AWS enforces only at deploy time, checked at synth time instead.
 * Pure functions: no constructs. Each validator throws `<prop> <rule>, got <value>` and lets
 * unresolved tokens through, since their value is known only at deploy time.
 */

/** The most data repository associations one file system can have. */
export const MAX_DATA_REPOSITORY_ASSOCIATIONS = 8;

const { SCRATCH_1, SCRATCH_2, PERSISTENT_1, PERSISTENT_2 } = fsx.LustreDeploymentType;

function isScratch(deploymentType: fsx.LustreDeploymentType): boolean {
  return deploymentType === SCRATCH_1 || deploymentType === SCRATCH_2;
}

function unresolved(value: unknown): boolean {
  return value !== undefined && Token.isUnresolved(value);
}

/** The library's error shape; the construct that calls these adds its own path. */
function fail(prop: string, rule: string, got: unknown): Error {
  return invalidProp(undefined, prop, rule, got);
}

function orList(values: readonly number[]): string {
  return values.length === 1 ? String(values[0]) : `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`;
}

function label(deploymentType: fsx.LustreDeploymentType, storageType: fsx.StorageType): string {
  return deploymentType === PERSISTENT_1 ? `${deploymentType} ${storageType}` : deploymentType;
}

/**
 * The valid `PerUnitStorageThroughput` values, in MB/s per TiB, for a deployment and storage type.
 *
 * Empty for SCRATCH types, where throughput cannot be set.
 *
 * @param storageType SSD or HDD. @default fsx.StorageType.SSD
 * @see https://docs.aws.amazon.com/fsx/latest/APIReference/API_CreateFileSystemLustreConfiguration.html
 */
export function perUnitThroughputOptions(
  deploymentType: fsx.LustreDeploymentType,
  storageType: fsx.StorageType = fsx.StorageType.SSD,
): number[] {
  if (isScratch(deploymentType)) return [];
  if (deploymentType === PERSISTENT_2) return storageType === fsx.StorageType.SSD ? [125, 250, 500, 1000] : [];
  if (storageType === fsx.StorageType.HDD) return [12, 40];
  return storageType === fsx.StorageType.SSD ? [50, 100, 200] : [];
}

/**
 * The capacity rule for a configuration: the sizes below the first step, and the step.
 * HDD needs its throughput tier, since the step depends on it.
 */
interface CapacityRule {
  readonly extra: readonly number[];
  readonly step: number;
  readonly text: string;
}

function capacityRule(
  deploymentType: fsx.LustreDeploymentType,
  storageType: fsx.StorageType,
  perUnit: number | undefined,
): CapacityRule | undefined {
  if (deploymentType === SCRATCH_1) {
    return { extra: [1200, 2400], step: 3600, text: 'must be 1200, 2400 or a multiple of 3600 for SCRATCH_1' };
  }
  if (storageType === fsx.StorageType.HDD) {
    if (perUnit === 12) return { extra: [], step: 6000, text: 'must be a multiple of 6000 for PERSISTENT_1 HDD at 12 MB/s/TiB' };
    if (perUnit === 40) return { extra: [], step: 1800, text: 'must be a multiple of 1800 for PERSISTENT_1 HDD at 40 MB/s/TiB' };
    return undefined;
  }
  return {
    extra: [1200],
    step: 2400,
    text: `must be 1200, 2400 or a multiple of 2400 for ${label(deploymentType, storageType)}`,
  };
}

/**
 * Whether a storage capacity is one that FSx for Lustre accepts at creation.
 *
 * @param perUnit the throughput tier; needed for HDD, whose steps depend on it.
 * @see https://docs.aws.amazon.com/fsx/latest/APIReference/API_CreateFileSystem.html#FSx-CreateFileSystem-request-StorageCapacity
 */
export function isValidStorageCapacity(
  deploymentType: fsx.LustreDeploymentType,
  capacityGiB: number,
  storageType: fsx.StorageType = fsx.StorageType.SSD,
  perUnit?: number,
): boolean {
  const rule = capacityRule(deploymentType, storageType, perUnit);
  if (!rule || !Number.isInteger(capacityGiB) || capacityGiB <= 0) return false;
  return rule.extra.includes(capacityGiB) || capacityGiB % rule.step === 0;
}

/**
 * The smallest valid storage capacity of at least `minGiB`.
 *
 * @param perUnit the throughput tier; needed for HDD.
 * @throws if the configuration has no valid capacities (HDD without a valid tier, or a storage
 *   type the deployment type does not support)
 */
export function nextValidCapacityGiB(
  deploymentType: fsx.LustreDeploymentType,
  minGiB: number,
  storageType: fsx.StorageType = fsx.StorageType.SSD,
  perUnit?: number,
): number {
  if (!Number.isFinite(minGiB)) throw fail('minGiB', 'must be a finite number', minGiB);
  validateStorageType(deploymentType, storageType);
  const rule = capacityRule(deploymentType, storageType, perUnit);
  if (!rule) throw fail('perUnitStorageThroughput', `must be one of ${orList(perUnitThroughputOptions(deploymentType, storageType))} for ${label(deploymentType, storageType)}`, perUnit);
  const smallExtra = rule.extra.find((size) => size >= minGiB);
  const stepped = Math.max(1, Math.ceil(minGiB / rule.step)) * rule.step;
  return smallExtra !== undefined && smallExtra < stepped ? smallExtra : stepped;
}

/**
 * Every valid storage capacity up to and including `maxGiB`, ascending.
 * @param perUnit the throughput tier; needed for HDD.
 */
export function validCapacitiesGiB(
  deploymentType: fsx.LustreDeploymentType,
  maxGiB: number,
  storageType: fsx.StorageType = fsx.StorageType.SSD,
  perUnit?: number,
): number[] {
  const sizes: number[] = [];
  for (let size = nextValidCapacityGiB(deploymentType, 1, storageType, perUnit); size <= maxGiB;
    size = nextValidCapacityGiB(deploymentType, size + 1, storageType, perUnit)) {
    sizes.push(size);
  }
  return sizes;
}

/**
 * Baseline throughput of a file system, in MB/s: capacity in TiB times the per-unit throughput.
 *
 * SCRATCH types use their fixed 200 MB/s/TiB read baseline. The TiB is AWS's own: its worked example
 * of `PerUnitStorageThroughput` calls 2,400 GiB "2.4 TiB" (50 MB/s/TiB yields 120 MB/s), so capacity
 * is divided by 1000 (`LUSTRE.gibPerTiB` in storage-catalog.ts, with its source).
 *
 * @param perUnit the throughput tier, MB/s per TiB; ignored for SCRATCH types.
 * @see https://docs.aws.amazon.com/fsx/latest/APIReference/API_CreateFileSystemLustreConfiguration.html
 */
export function throughputMBps(
  deploymentType: fsx.LustreDeploymentType,
  capacityGiB: number,
  perUnit?: number,
): number {
  const perTiB = isScratch(deploymentType) ? SCRATCH_BASELINE_MBPS_PER_TIB : perUnit;
  if (perTiB === undefined) throw fail('perUnitStorageThroughput', `is required for ${deploymentType}`, perUnit);
  return (capacityGiB * perTiB) / LUSTRE.gibPerTiB;
}

/**
 * Write throughput of a file system, in MB/s: the rate at which first reads load files from S3
 * through a data repository association. SCRATCH types write at half their read baseline
 * (100 MB/s/TiB); PERSISTENT tiers provision read and write alike.
 *
 * @param perUnit the throughput tier, MB/s per TiB; ignored for SCRATCH types.
 * @see https://docs.aws.amazon.com/fsx/latest/LustreGuide/ssd-storage.html
 */
export function writeThroughputMBps(
  deploymentType: fsx.LustreDeploymentType,
  capacityGiB: number,
  perUnit?: number,
): number {
  if (isScratch(deploymentType)) return (capacityGiB * LUSTRE.scratchWriteMBpsPerTiB) / LUSTRE.gibPerTiB;
  return throughputMBps(deploymentType, capacityGiB, perUnit);
}

/**
 * Throws unless the storage type is one the deployment type supports: HDD only on PERSISTENT_1;
 * Intelligent-Tiering is not supported by this library.
 * @see https://docs.aws.amazon.com/fsx/latest/LustreGuide/using-fsx-lustre.html
 */
export function validateStorageType(
  deploymentType: fsx.LustreDeploymentType,
  storageType: fsx.StorageType | undefined,
  prop: string = 'storageType',
): void {
  if (storageType === undefined || unresolved(storageType) || storageType === fsx.StorageType.SSD) return;
  if (storageType === fsx.StorageType.HDD && deploymentType === PERSISTENT_1) return;
  if (storageType === fsx.StorageType.HDD) throw fail(prop, `must be SSD for ${deploymentType} (HDD is PERSISTENT_1 only)`, storageType);
  throw fail(prop, 'must be SSD or HDD', storageType);
}

/**
 * Throws unless the per-unit storage throughput fits the deployment type: absent on SCRATCH,
 * present and one of the listed values on PERSISTENT.
 *
 * @param prop the name of the prop that carries the value. @default 'perUnitStorageThroughput'
 * @see https://docs.aws.amazon.com/fsx/latest/LustreGuide/managing-throughput-capacity.html
 */
export function validatePerUnitStorageThroughput(
  deploymentType: fsx.LustreDeploymentType,
  perUnit: number | undefined,
  storageType: fsx.StorageType = fsx.StorageType.SSD,
  prop: string = 'perUnitStorageThroughput',
): void {
  if (unresolved(perUnit)) return;
  if (isScratch(deploymentType)) {
    if (perUnit !== undefined) throw fail(prop, `cannot be set for ${deploymentType}`, perUnit);
    return;
  }
  const options = perUnitThroughputOptions(deploymentType, storageType);
  if (perUnit === undefined || !options.includes(perUnit)) {
    throw fail(prop, `must be ${orList(options)} MB/s/TiB for ${label(deploymentType, storageType)}`, perUnit);
  }
}

/**
 * Throws unless the storage capacity is valid at creation for the configuration.
 *
 * Checks the throughput tier first when the capacity steps depend on it (HDD).
 *
 * @param prop the name of the prop that carries the value. @default 'storageCapacityGiB'
 * @see https://docs.aws.amazon.com/fsx/latest/APIReference/API_CreateFileSystem.html#FSx-CreateFileSystem-request-StorageCapacity
 */
export function validateStorageCapacity(
  deploymentType: fsx.LustreDeploymentType,
  capacityGiB: number,
  storageType: fsx.StorageType = fsx.StorageType.SSD,
  perUnit?: number,
  prop: string = 'storageCapacityGiB',
): void {
  if (unresolved(capacityGiB)) return;
  validateStorageType(deploymentType, storageType);
  if (storageType === fsx.StorageType.HDD) {
    if (unresolved(perUnit)) return;
    validatePerUnitStorageThroughput(deploymentType, perUnit, storageType);
  }
  const rule = capacityRule(deploymentType, storageType, perUnit);
  if (rule && !isValidStorageCapacity(deploymentType, capacityGiB, storageType, perUnit)) {
    throw fail(prop, rule.text, capacityGiB);
  }
}

/** A Lustre configuration to check as a whole. */
export interface LustreConfigurationCheck {
  /** The deployment type. */
  readonly deploymentType: fsx.LustreDeploymentType;
  /** Storage capacity, GiB. */
  readonly storageCapacityGiB: number;
  /**
   * Per-unit storage throughput, MB/s per TiB.
   * @default - none (required on PERSISTENT types)
   */
  readonly perUnitStorageThroughput?: number;
  /**
   * SSD or HDD.
   * @default fsx.StorageType.SSD
   */
  readonly storageType?: fsx.StorageType;
  /**
   * The prop name to put in an error about the capacity.
   * @default 'storageCapacityGiB'
   */
  readonly storageCapacityProp?: string;
  /**
   * The prop name to put in an error about the throughput.
   * @default 'perUnitStorageThroughput'
   */
  readonly throughputProp?: string;
}

/**
 * Checks storage type, throughput and capacity together, in that order, so that the first error
 * names the root cause.
 */
export function validateLustreConfiguration(config: LustreConfigurationCheck): void {
  const storageType = config.storageType ?? fsx.StorageType.SSD;
  validateStorageType(config.deploymentType, storageType);
  validatePerUnitStorageThroughput(config.deploymentType, config.perUnitStorageThroughput, storageType, config.throughputProp);
  if (unresolved(config.perUnitStorageThroughput)) return;
  validateStorageCapacity(config.deploymentType, config.storageCapacityGiB, storageType,
    config.perUnitStorageThroughput, config.storageCapacityProp);
}

function normalisePath(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

/** Whether `inner` is `outer` or lies below it, at a `/` boundary. */
function isWithin(inner: string, outer: string): boolean {
  return inner === outer || outer === '/' || inner.startsWith(`${outer}/`);
}

/**
 * Throws unless data repository associations are allowed on the file system and their file
 * system paths are valid: not on SCRATCH_1 or Lustre 2.10; one to eight of them; each path
 * absolute (`/datasets`), and no path equal to or nested inside another.
 *
 * Unresolved paths are skipped.
 *
 * @param fileSystemTypeVersion the Lustre version; `undefined` means CDK's default, which is 2.10
 *   except on PERSISTENT_2.
 * @param prop the name of the prop that carries the associations. @default 'dataRepositoryAssociations'
 * @see https://docs.aws.amazon.com/fsx/latest/APIReference/API_CreateDataRepositoryAssociation.html
 */
export function validateDataRepositoryAssociations(
  deploymentType: fsx.LustreDeploymentType,
  fileSystemTypeVersion: fsx.FileSystemTypeVersion | undefined,
  fileSystemPaths: string[],
  prop: string = 'dataRepositoryAssociations',
): void {
  if (fileSystemPaths.length === 0) return;
  if (deploymentType === SCRATCH_1) throw fail('deploymentType', 'must not be SCRATCH_1 when data repository associations are used', deploymentType);
  const version = fileSystemTypeVersion ?? (deploymentType === PERSISTENT_2 ? undefined : fsx.FileSystemTypeVersion.V_2_10);
  if (version === fsx.FileSystemTypeVersion.V_2_10) {
    throw fail('fileSystemTypeVersion', 'must be 2.12 or newer when data repository associations are used (CDK defaults to 2.10)', version);
  }
  if (fileSystemPaths.length > MAX_DATA_REPOSITORY_ASSOCIATIONS) {
    throw fail(prop, `must have at most ${MAX_DATA_REPOSITORY_ASSOCIATIONS} entries`, fileSystemPaths.length);
  }
  const seen: string[] = [];
  fileSystemPaths.forEach((raw, i) => {
    if (Token.isUnresolved(raw)) return;
    const path = normalisePath(raw);
    const segments = path.split('/').slice(1);
    const malformed = !path.startsWith('/') || path.length > 4096 ||
      (path !== '/' && segments.some((s) => s === '' || s === '.' || s === '..' || s.trim() !== s));
    if (malformed) throw fail(`${prop}[${i}].fileSystemPath`, 'must be an absolute path such as /datasets', raw);
    const clash = seen.find((other) => isWithin(path, other) || isWithin(other, path));
    if (clash !== undefined) {
      const rule = clash === path ? `must not repeat '${clash}'` : `must not nest with '${clash}'`;
      throw fail(`${prop}[${i}].fileSystemPath`, rule, raw);
    }
    seen.push(path);
  });
}

/**
 * The same rules as static methods, for Python, Java and .NET users: jsii publishes classes,
 * not free functions.
 */
export class LustreRules {
  /**
   * The valid `PerUnitStorageThroughput` values, in MB/s per TiB, for a deployment and storage type;
   * empty for SCRATCH types, where throughput cannot be set.
   *
   * @param deploymentType the file system's deployment type
   * @param storageType SSD or HDD; SSD when omitted
   * @see https://docs.aws.amazon.com/fsx/latest/APIReference/API_CreateFileSystemLustreConfiguration.html
   */
  public static perUnitThroughputOptions(deploymentType: fsx.LustreDeploymentType, storageType?: fsx.StorageType): number[] {
    return perUnitThroughputOptions(deploymentType, storageType);
  }

  /**
   * Whether a storage capacity is one that FSx for Lustre accepts at creation.
   *
   * @param deploymentType the file system's deployment type
   * @param capacityGiB the storage capacity, GiB
   * @param storageType SSD or HDD; SSD when omitted
   * @param perUnit the throughput tier, MB/s per TiB; needed for HDD, whose capacity steps depend on it
   * @see https://docs.aws.amazon.com/fsx/latest/APIReference/API_CreateFileSystem.html#FSx-CreateFileSystem-request-StorageCapacity
   */
  public static isValidStorageCapacity(deploymentType: fsx.LustreDeploymentType, capacityGiB: number, storageType?: fsx.StorageType, perUnit?: number): boolean {
    return isValidStorageCapacity(deploymentType, capacityGiB, storageType, perUnit);
  }

  /**
   * The smallest valid storage capacity, GiB, of at least `minGiB`; throws when the configuration
   * has no valid capacities (HDD without a valid tier, or a storage type the deployment type does not support).
   *
   * @param deploymentType the file system's deployment type
   * @param minGiB the least capacity wanted, GiB
   * @param storageType SSD or HDD; SSD when omitted
   * @param perUnit the throughput tier, MB/s per TiB; needed for HDD
   * @see https://docs.aws.amazon.com/fsx/latest/APIReference/API_CreateFileSystem.html#FSx-CreateFileSystem-request-StorageCapacity
   */
  public static nextValidCapacityGiB(deploymentType: fsx.LustreDeploymentType, minGiB: number, storageType?: fsx.StorageType, perUnit?: number): number {
    return nextValidCapacityGiB(deploymentType, minGiB, storageType, perUnit);
  }

  /**
   * Baseline read throughput of a file system, MB/s: capacity in TiB (1000 GiB, AWS's own) times the
   * per-unit throughput; SCRATCH types use their fixed 200 MB/s/TiB baseline.
   *
   * @param deploymentType the file system's deployment type
   * @param capacityGiB the storage capacity, GiB
   * @param perUnit the throughput tier, MB/s per TiB; required for PERSISTENT types, ignored for SCRATCH types
   * @see https://docs.aws.amazon.com/fsx/latest/APIReference/API_CreateFileSystemLustreConfiguration.html
   */
  public static throughputMBps(deploymentType: fsx.LustreDeploymentType, capacityGiB: number, perUnit?: number): number {
    return throughputMBps(deploymentType, capacityGiB, perUnit);
  }

  /**
   * Write throughput of a file system, MB/s: the rate at which first reads load files from S3 through a
   * data repository association; SCRATCH types write at half their read baseline.
   *
   * @param deploymentType the file system's deployment type
   * @param capacityGiB the storage capacity, GiB
   * @param perUnit the throughput tier, MB/s per TiB; required for PERSISTENT types, ignored for SCRATCH types
   * @see https://docs.aws.amazon.com/fsx/latest/LustreGuide/ssd-storage.html
   */
  public static writeThroughputMBps(deploymentType: fsx.LustreDeploymentType, capacityGiB: number, perUnit?: number): number {
    return writeThroughputMBps(deploymentType, capacityGiB, perUnit);
  }

  /**
   * Checks storage type, throughput and capacity together, in that order, so that the first error
   * names the root cause; throws `MlAtScaleError` (the host exception outside TypeScript) on the first rule broken.
   *
   * @param config the configuration to check
   * @see https://docs.aws.amazon.com/fsx/latest/APIReference/API_CreateFileSystemLustreConfiguration.html
   */
  public static validateConfiguration(config: LustreConfigurationCheck): void {
    validateLustreConfiguration(config);
  }

  /**
   * Throws unless data repository associations are allowed on the file system (not SCRATCH_1, not
   * Lustre 2.10) and their file system paths are valid: one to eight, each absolute, none nested in another.
   *
   * The paths come before the optional version here, unlike the TypeScript function, since jsii allows no
   * optional parameter before a required one.
   *
   * @param deploymentType the file system's deployment type
   * @param fileSystemPaths the `fileSystemPath` of each association; unresolved tokens are skipped
   * @param fileSystemTypeVersion the Lustre version; when omitted, CDK's default, which is 2.10 except on PERSISTENT_2
   * @param prop the prop name to put in an error; `dataRepositoryAssociations` when omitted
   * @see https://docs.aws.amazon.com/fsx/latest/APIReference/API_CreateDataRepositoryAssociation.html
   */
  public static validateDataRepositoryAssociations(
    deploymentType: fsx.LustreDeploymentType,
    fileSystemPaths: string[],
    fileSystemTypeVersion?: fsx.FileSystemTypeVersion,
    prop?: string,
  ): void {
    validateDataRepositoryAssociations(deploymentType, fileSystemTypeVersion, fileSystemPaths, prop);
  }

  private constructor() {}
}

import { aws_fsx as fsx } from 'aws-cdk-lib';
import { invalidProp } from '../common/errors';
import { nextValidCapacityGiB, throughputMBps, validateStorageType } from './fsx-rules';
import { EFS_ELASTIC, LUSTRE_OFFERINGS, LustreOffering, S3_DIRECT } from './storage-catalog';

/*
 * The whitepaper's "how to select storage", as an exact function of the training demand.
 *
 * Decision rule, in order:
 * 1. S3 directly, when the data is read once (one epoch) and each instance's share of the demand
 *    is within what one instance can stream from S3. A cache in front would only copy every byte
 *    once more; repeated, shuffled epochs are what a file system pays for.
 * 2. Otherwise the cheaper of EFS (elastic throughput) and the cheapest FSx for Lustre
 *    configuration, counting EFS only when it can serve the demand: per instance within its
 *    per-client limit, and in total within its per-file-system read limit. In practice EFS wins
 *    for small shared data at moderate throughput, and FSx wins as soon as throughput or size grows.
 * 3. The FSx configuration is the cheapest valid (deployment type, storage type, throughput tier,
 *    capacity) whose baseline throughput meets the demand and whose capacity holds the dataset.
 *    Price is linear in capacity and throughput grows with it, so within one offering the
 *    smallest valid capacity that meets both is the cheapest; the minimum over offerings is the
 *    global minimum.
 *
 * Costs are monthly, us-east-1 list prices from `storage-catalog.ts`, and count the dataset's
 * S3 copy (the lake keeps it whatever serves the training) plus what the serving tier costs.
 * Capacities in GiB are billed as GB-months, as AWS's own pricing examples do.
 */

/** Where the training data is read from. */
export enum StorageKind {
  /** Training instances read the shards straight from S3. */
  S3_DIRECT = 'S3_DIRECT',
  /** An EFS file system with elastic throughput. */
  EFS_ELASTIC = 'EFS_ELASTIC',
  /** An FSx for Lustre file system linked to S3. */
  FSX_LUSTRE = 'FSX_LUSTRE',
}

/** What a training job asks of storage. */
export interface TrainingDemand {
  /** Number of GPUs reading at once. A positive integer. */
  readonly gpuCount: number;
  /** Samples each GPU consumes per second. */
  readonly samplesPerSecondPerGpu: number;
  /** Average bytes read per sample. */
  readonly bytesPerSample: number;
  /** Size of the dataset, GiB. */
  readonly datasetGiB: number;
  /**
   * How many times the whole dataset is read in one training run (epochs). A positive integer.
   * @default 1
   */
  readonly epochs?: number;
  /**
   * GPUs per instance, to get each instance's share of the demand.
   * @default 8 (p4d, p5 and p6 instances)
   */
  readonly gpusPerInstance?: number;
  /**
   * Training runs per month, for per-GB charges (EFS reads).
   * @default 1
   */
  readonly trainingRunsPerMonth?: number;
}

/** Which FSx for Lustre offerings the sizing may choose from. */
export interface SizingOptions {
  /**
   * Deployment types to consider.
   * @default - SCRATCH_2, PERSISTENT_1 and PERSISTENT_2: those that can link to S3 by data
   *   repository associations (SCRATCH_1 cannot)
   */
  readonly deploymentTypes?: fsx.LustreDeploymentType[];
  /**
   * Storage types to consider.
   * @default - SSD only
   */
  readonly storageTypes?: fsx.StorageType[];
}

/** One FSx for Lustre configuration and what it delivers. */
export interface LustreSizing {
  /** The deployment type. */
  readonly deploymentType: fsx.LustreDeploymentType;
  /** SSD or HDD. */
  readonly storageType: fsx.StorageType;
  /** Storage capacity, GiB: a valid step that holds the dataset and meets the demand. */
  readonly storageCapacityGiB: number;
  /**
   * `PerUnitStorageThroughput`, MB/s per TiB.
   * @default - none on SCRATCH types
   */
  readonly perUnitStorageThroughput?: number;
  /** Baseline throughput of the file system, MB/s. */
  readonly throughputMBps: number;
  /** Storage cost per month, USD (without the S3 copy). */
  readonly monthlyCostUsd: number;
}

/** One storage option that was considered, whether or not it was chosen. */
export interface StorageOption {
  /** The kind of storage. */
  readonly storage: StorageKind;
  /**
   * The FSx configuration, for FSX_LUSTRE.
   * @default - none
   */
  readonly lustre?: LustreSizing;
  /** Whether it can serve the demand. */
  readonly feasible: boolean;
  /** Throughput it delivers to this job, MB/s. */
  readonly achievedMBps: number;
  /** Monthly cost, USD, including the dataset's S3 copy. */
  readonly monthlyCostUsd: number;
  /** Why it can or cannot serve the demand. */
  readonly note: string;
}

/** The recommendation for a training demand. */
export interface StorageRecommendation {
  /** Where to read the training data from. */
  readonly storage: StorageKind;
  /** Why, in words. */
  readonly reason: string;
  /** The FSx configuration, when `storage` is FSX_LUSTRE. @default - none */
  readonly lustre?: LustreSizing;
  /** Aggregate read throughput demanded, MB/s (10^6 bytes per second). */
  readonly demandMBps: number;
  /** One instance's share of the demand, MB/s. */
  readonly perInstanceDemandMBps: number;
  /** Throughput the recommended storage delivers to this job, MB/s. */
  readonly achievedMBps: number;
  /** `achievedMBps - demandMBps`. */
  readonly headroomMBps: number;
  /** Headroom as a percentage of the demand. */
  readonly headroomPercent: number;
  /** Monthly cost estimate, USD, including the dataset's S3 copy. */
  readonly monthlyCostUsd: number;
  /** Every option considered: S3, EFS, and the cheapest FSx configuration of each offering (deployment type, storage type and throughput tier), cheapest first. */
  readonly options: StorageOption[];
}

/** 1 MiB/s in MB/s. */
const MIB_IN_MB = 1.048576;
/** 1 GiB/s in MB/s. */
const GIB_IN_MB = 1073.741824;

const DEFAULT_DEPLOYMENT_TYPES = [
  fsx.LustreDeploymentType.SCRATCH_2,
  fsx.LustreDeploymentType.PERSISTENT_1,
  fsx.LustreDeploymentType.PERSISTENT_2,
];

function requireNumber(field: string, value: unknown, integer: boolean): number {
  const kind = integer ? 'a positive integer' : 'a positive finite number';
  const ok = typeof value === 'number' && Number.isFinite(value) && value > 0 && (!integer || Number.isInteger(value));
  if (!ok) throw invalidProp(undefined, field, `must be ${kind}`, value);
  return value as number;
}

/** A demand with every field checked and every default filled in. */
interface CheckedDemand {
  readonly gpuCount: number;
  readonly samplesPerSecondPerGpu: number;
  readonly bytesPerSample: number;
  readonly datasetGiB: number;
  readonly epochs: number;
  readonly gpusPerInstance: number;
  readonly trainingRunsPerMonth: number;
}

function checkDemand(demand: TrainingDemand): CheckedDemand {
  return {
    gpuCount: requireNumber('gpuCount', demand.gpuCount, true),
    samplesPerSecondPerGpu: requireNumber('samplesPerSecondPerGpu', demand.samplesPerSecondPerGpu, false),
    bytesPerSample: requireNumber('bytesPerSample', demand.bytesPerSample, false),
    datasetGiB: requireNumber('datasetGiB', demand.datasetGiB, false),
    epochs: requireNumber('epochs', demand.epochs ?? 1, true),
    gpusPerInstance: requireNumber('gpusPerInstance', demand.gpusPerInstance ?? 8, true),
    trainingRunsPerMonth: requireNumber('trainingRunsPerMonth', demand.trainingRunsPerMonth ?? 1, false),
  };
}

/**
 * Aggregate read throughput a training demand needs, MB/s (10^6 bytes per second).
 * @throws if a field is not a positive finite number (or not an integer where one is required)
 */
export function demandMBps(demand: TrainingDemand): number {
  const d = checkDemand(demand);
  return (d.gpuCount * d.samplesPerSecondPerGpu * d.bytesPerSample) / 1e6;
}

function offeringsFor(options: SizingOptions): LustreOffering[] {
  const types = options.deploymentTypes ?? DEFAULT_DEPLOYMENT_TYPES;
  const storageTypes = options.storageTypes ?? [fsx.StorageType.SSD];
  if (types.length === 0) throw invalidProp(undefined, 'deploymentTypes', 'must not be empty', types);
  if (storageTypes.length === 0) throw invalidProp(undefined, 'storageTypes', 'must not be empty', storageTypes);
  return LUSTRE_OFFERINGS.filter((o) => types.includes(o.deploymentType) && storageTypes.includes(o.storageType));
}

/** The cheapest configuration of one offering: its smallest valid capacity that meets both needs. */
function sizeOffering(offering: LustreOffering, mbps: number, datasetGiB: number): LustreSizing {
  const { deploymentType, storageType, perUnitStorageThroughput: perUnit } = offering;
  validateStorageType(deploymentType, storageType);
  const forThroughput = (mbps * 1024) / offering.baselineMBpsPerTiB;
  let capacity = nextValidCapacityGiB(deploymentType, Math.max(datasetGiB, forThroughput), storageType, perUnit);
  // The division above can round down by an ulp; step on until the throughput really meets it.
  while (throughputMBps(deploymentType, capacity, perUnit) < mbps) {
    capacity = nextValidCapacityGiB(deploymentType, capacity + 1, storageType, perUnit);
  }
  return {
    deploymentType,
    storageType,
    storageCapacityGiB: capacity,
    perUnitStorageThroughput: perUnit,
    throughputMBps: throughputMBps(deploymentType, capacity, perUnit),
    monthlyCostUsd: capacity * offering.priceUsdPerGBMonth,
  };
}

function cheaper(a: LustreSizing, b: LustreSizing): boolean {
  if (a.monthlyCostUsd !== b.monthlyCostUsd) return a.monthlyCostUsd < b.monthlyCostUsd;
  return a.throughputMBps > b.throughputMBps;
}

/**
 * The cheapest FSx for Lustre configuration of each offering that meets `mbps` and holds the
 * dataset, cheapest first (ties: more throughput first, then catalog order).
 *
 * @param mbps throughput to meet, MB/s.
 * @param datasetGiB data the file system must hold, GiB.
 */
export function lustreCandidates(mbps: number, datasetGiB: number, options: SizingOptions = {}): LustreSizing[] {
  requireNumber('mbps', mbps, false);
  requireNumber('datasetGiB', datasetGiB, false);
  const sized = offeringsFor(options).map((o) => sizeOffering(o, mbps, datasetGiB));
  return sized
    .map((s, i) => ({ s, i }))
    .sort((x, y) => (cheaper(x.s, y.s) ? -1 : cheaper(y.s, x.s) ? 1 : x.i - y.i))
    .map(({ s }) => s);
}

/**
 * The cheapest valid FSx for Lustre configuration that meets `mbps` and holds the dataset.
 *
 * This is what LustreCache calls to size itself from a demand.
 *
 * @param mbps throughput to meet, MB/s.
 * @param datasetGiB data the file system must hold, GiB.
 * @throws if no offering matches `options`
 */
export function sizeLustre(mbps: number, datasetGiB: number, options: SizingOptions = {}): LustreSizing {
  const [best] = lustreCandidates(mbps, datasetGiB, options);
  if (!best) throw invalidProp(undefined, 'deploymentTypes and storageTypes', 'must select at least one FSx offering', options);
  return best;
}

function fmt(n: number): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: 0 });
}

/**
 * Recommends where to read the training data from, and how to size it, at the lowest monthly
 * cost that meets the demand.
 *
 * @throws if a demand field is not a positive finite number, or not an integer where one is
 *   required (`gpuCount`, `epochs`, `gpusPerInstance`)
 * @see https://docs.aws.amazon.com/fsx/latest/LustreGuide/ssd-storage.html
 */
export function recommendStorage(demand: TrainingDemand, options: SizingOptions = {}): StorageRecommendation {
  const d = checkDemand(demand);
  const total = (d.gpuCount * d.samplesPerSecondPerGpu * d.bytesPerSample) / 1e6;
  const perInstance = (Math.min(d.gpusPerInstance, d.gpuCount) * d.samplesPerSecondPerGpu * d.bytesPerSample) / 1e6;
  const instances = Math.ceil(d.gpuCount / d.gpusPerInstance);
  const s3CopyUsd = d.datasetGiB * S3_DIRECT.storageUsdPerGBMonth;

  const s3PerInstance = (S3_DIRECT.perInstanceGbps * 1000) / 8;
  const s3Fits = perInstance <= s3PerInstance;
  const s3: StorageOption = {
    storage: StorageKind.S3_DIRECT,
    feasible: d.epochs === 1 && s3Fits,
    achievedMBps: instances * s3PerInstance,
    monthlyCostUsd: s3CopyUsd,
    note: !s3Fits
      ? `each instance needs ${fmt(perInstance)} MB/s, more than the ${fmt(s3PerInstance)} MB/s one instance streams from S3`
      : d.epochs === 1
        ? `data read once; each instance streams ${fmt(perInstance)} of up to ${fmt(s3PerInstance)} MB/s from S3`
        : `data read ${d.epochs} times: repeated shuffled epochs need a file system`,
  };

  const efsPerClient = EFS_ELASTIC.perClientMiBps * MIB_IN_MB;
  const efsPerFs = EFS_ELASTIC.perFileSystemReadGiBps * GIB_IN_MB;
  const readGBPerMonth = d.datasetGiB * d.epochs * d.trainingRunsPerMonth;
  const efsUsd = d.datasetGiB * EFS_ELASTIC.storageUsdPerGBMonth +
    readGBPerMonth * EFS_ELASTIC.readUsdPerGB + d.datasetGiB * EFS_ELASTIC.writeUsdPerGB;
  const efsFeasible = perInstance <= efsPerClient && total <= efsPerFs;
  const efs: StorageOption = {
    storage: StorageKind.EFS_ELASTIC,
    feasible: efsFeasible,
    achievedMBps: Math.min(efsPerFs, instances * efsPerClient),
    monthlyCostUsd: s3CopyUsd + efsUsd,
    note: perInstance > efsPerClient
      ? `each instance needs ${fmt(perInstance)} MB/s, more than EFS's ${fmt(efsPerClient)} MB/s per client`
      : total > efsPerFs
        ? `the job needs ${fmt(total)} MB/s, more than EFS's ${fmt(efsPerFs)} MB/s per file system`
        : `within EFS's ${fmt(efsPerClient)} MB/s per client and ${fmt(efsPerFs)} MB/s per file system`,
  };

  const candidates = lustreCandidates(total, d.datasetGiB, options);
  if (candidates.length === 0) {
    throw invalidProp(undefined, 'deploymentTypes and storageTypes', 'must select at least one FSx offering', options);
  }
  const lustreOptions: StorageOption[] = candidates.map((l) => ({
    storage: StorageKind.FSX_LUSTRE,
    lustre: l,
    feasible: true,
    achievedMBps: l.throughputMBps,
    monthlyCostUsd: s3CopyUsd + l.monthlyCostUsd,
    note: `${l.storageCapacityGiB} GiB ${describeLustre(l)}`,
  }));
  const bestLustre = lustreOptions[0];

  let chosen: StorageOption;
  let reason: string;
  if (s3.feasible) {
    chosen = s3;
    reason = `The data is read once and each instance needs ${fmt(perInstance)} MB/s, within the ${fmt(s3PerInstance)} MB/s ` +
      'one instance can stream from S3: a file system in front would only copy every byte once more.';
  } else if (efs.feasible && efs.monthlyCostUsd < bestLustre.monthlyCostUsd) {
    chosen = efs;
    reason = `${s3.note[0].toUpperCase()}${s3.note.slice(1)}. EFS elastic serves ${fmt(total)} MB/s ` +
      `(${efs.note}) for less than the cheapest FSx for Lustre configuration.`;
  } else {
    chosen = bestLustre;
    const why = efs.feasible
      ? `costs less than EFS ($${fmt(efs.monthlyCostUsd)} a month)`
      : `EFS is ruled out: ${efs.note}`;
    reason = `${s3.note[0].toUpperCase()}${s3.note.slice(1)}. FSx for Lustre ${describeLustre(bestLustre.lustre!)} ` +
      `is the cheapest valid configuration that holds ${fmt(d.datasetGiB)} GiB and meets ${fmt(total)} MB/s, and ${why}.`;
  }

  return {
    storage: chosen.storage,
    reason,
    lustre: chosen.lustre,
    demandMBps: total,
    perInstanceDemandMBps: perInstance,
    achievedMBps: chosen.achievedMBps,
    headroomMBps: chosen.achievedMBps - total,
    headroomPercent: ((chosen.achievedMBps - total) / total) * 100,
    monthlyCostUsd: chosen.monthlyCostUsd,
    options: [s3, efs, ...lustreOptions],
  };
}

/** `PERSISTENT_2 SSD at 1000 MB/s/TiB`, `SCRATCH_2`. */
export function describeLustre(l: LustreSizing): string {
  const type = l.deploymentType === fsx.LustreDeploymentType.PERSISTENT_1
    ? `${l.deploymentType} ${l.storageType}` : l.deploymentType;
  return l.perUnitStorageThroughput === undefined ? type : `${type} at ${l.perUnitStorageThroughput} MB/s/TiB`;
}

/**
 * The sizing functions as static methods, for Python, Java and .NET users: jsii publishes
 * classes, not free functions.
 */
export class StorageSizing {
  /** @see recommendStorage */
  public static recommend(demand: TrainingDemand, options?: SizingOptions): StorageRecommendation {
    return recommendStorage(demand, options);
  }

  /** @see sizeLustre */
  public static sizeLustre(mbps: number, datasetGiB: number, options?: SizingOptions): LustreSizing {
    return sizeLustre(mbps, datasetGiB, options);
  }

  /** @see demandMBps */
  public static demandMBps(demand: TrainingDemand): number {
    return demandMBps(demand);
  }

  private constructor() {}
}

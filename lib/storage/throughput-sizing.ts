import { aws_fsx as fsx } from 'aws-cdk-lib';
import { invalidProp } from '../common/errors';
import { nextValidCapacityGiB, throughputMBps, validateStorageType, writeThroughputMBps } from './fsx-rules';
import { EFS_ELASTIC, LUSTRE, LUSTRE_OFFERINGS, LustreOffering, S3_DIRECT } from './storage-catalog';

/*
 * The whitepaper's "how to select storage", as an exact function of the training demand.
 *
 * Every option (S3 directly, EFS elastic, and the cheapest configuration of each FSx for Lustre
 * offering) is checked against each limit that can stall the GPUs before the bill does:
 * - throughput: the FSx baseline (AWS's arithmetic: GiB / 1000 x MB/s/TiB), EFS's per-file-system read limit;
 * - the instance: what one instance reads over its network (S3, FSx) or as one EFS client;
 * - requests: S3 GETs per partitioned prefix, EFS read IOPS, FSx metadata operations (file opens),
 *   which depend on whether samples are read one object each or streamed from shards.
 * An option fits when every limit holds; otherwise its binding limit is the one with the largest
 * demanded / available ratio, and that ratio is its shortfall factor.
 *
 * Costs are us-east-1 list prices from `storage-catalog.ts`, per month, and count what each option
 * really bills: the dataset's S3 copy (the lake keeps it whatever serves the training), S3 GETs,
 * EFS storage and metered reads (at least 32 KiB each), and FSx capacity for the hours it exists,
 * plus the S3 GETs of its lazy load. An FSx file system is either kept (for `fileSystemHoursPerMonth`,
 * loaded once) or created for each run (for the run's hours, loaded every run): the cheaper is chosen.
 * Capacities in GiB are billed as GB, as AWS's own pricing examples do.
 *
 * The recommendation is the cheapest option that fits; when none fits, the one that falls short
 * the least, marked as not fitting.
 */

/** Where the training data is read from. */
export enum StorageKind {
  /** Training instances read the data straight from S3. */
  S3_DIRECT = 'S3_DIRECT',
  /** An EFS file system with elastic throughput. */
  EFS_ELASTIC = 'EFS_ELASTIC',
  /** An FSx for Lustre file system linked to S3. */
  FSX_LUSTRE = 'FSX_LUSTRE',
}

/** How a training job reads its samples. */
export enum ReadPattern {
  /** Each sample is its own object or file: one S3 GET, one EFS read, one file open per sample. */
  OBJECT_PER_SAMPLE = 'OBJECT_PER_SAMPLE',
  /** Samples are streamed from large shards, such as DatasetSharder's (64 MiB by default): one request per shard. */
  SHARDS = 'SHARDS',
}

/** How long an FSx for Lustre file system exists. */
export enum FileSystemLifecycle {
  /** Kept for `fileSystemHoursPerMonth` (all month by default) and loaded from S3 once. */
  KEPT = 'KEPT',
  /** Created for each training run and deleted after it, as a pipeline can do with SCRATCH_2: loaded every run. */
  PER_RUN = 'PER_RUN',
}

/** A limit that bounds what a storage option can deliver. */
export enum SizingLimit {
  /** Aggregate throughput: the FSx baseline, or EFS's per-file-system read throughput. */
  THROUGHPUT = 'THROUGHPUT',
  /** What one instance can read: its network (S3, FSx), or EFS's per-client limit. */
  INSTANCE_NETWORK = 'INSTANCE_NETWORK',
  /** S3 GET requests per second per partitioned prefix. */
  S3_REQUEST_RATE = 'S3_REQUEST_RATE',
  /** EFS read operations per second per file system. */
  EFS_READ_IOPS = 'EFS_READ_IOPS',
  /** FSx for Lustre metadata operations (file opens) per second. */
  METADATA_OPS = 'METADATA_OPS',
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
   * Training runs per month, for per-request charges and for file systems created per run.
   * @default 1
   */
  readonly trainingRunsPerMonth?: number;
  /**
   * Whether samples are read one object (file) each, or streamed from shards.
   * @default ReadPattern.OBJECT_PER_SAMPLE
   */
  readonly readPattern?: ReadPattern;
  /**
   * Size of one shard, MiB, when `readPattern` is SHARDS.
   * @default 64 (DatasetSharder's default)
   */
  readonly shardSizeMiB?: number;
  /**
   * Partitioned S3 prefixes the data is spread over; each serves 5,500 GET/s. A positive integer.
   * @default 1
   */
  readonly s3Prefixes?: number;
  /**
   * Hours a month a kept FSx for Lustre file system exists (1 to 744).
   * @default 730 (all month)
   */
  readonly fileSystemHoursPerMonth?: number;
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
  /** Storage capacity, GiB: a valid step that holds the dataset with free space and meets the demand. */
  readonly storageCapacityGiB: number;
  /**
   * `PerUnitStorageThroughput`, MB/s per TiB.
   * @default - none on SCRATCH types
   */
  readonly perUnitStorageThroughput?: number;
  /** Baseline read throughput of the file system, MB/s. */
  readonly throughputMBps: number;
  /** Write throughput, MB/s: the rate at which first reads load files from S3. */
  readonly writeThroughputMBps: number;
  /** Storage cost of a file system kept all month, USD (without the S3 copy). */
  readonly monthlyCostUsd: number;
}

/** One limit checked against the demand. */
export interface LimitCheck {
  /** Which limit. */
  readonly limit: SizingLimit;
  /** What the demand asks of it. */
  readonly demanded: number;
  /** What the option offers. */
  readonly available: number;
  /** The unit of both figures, such as `MB/s` or `GET/s`. */
  readonly unit: string;
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
  /**
   * Whether the file system is kept or created per run (the cheaper), for FSX_LUSTRE.
   * @default - none
   */
  readonly lifecycle?: FileSystemLifecycle;
  /**
   * Monthly cost with the other lifecycle, USD, for FSX_LUSTRE.
   * @default - none
   */
  readonly otherLifecycleCostUsd?: number;
  /** Whether it can serve the demand: every limit holds. */
  readonly feasible: boolean;
  /** Every limit checked. */
  readonly limits: LimitCheck[];
  /** The limit with the largest demanded / available ratio: the one that binds. */
  readonly bindingLimit: SizingLimit;
  /** Demanded / available of the binding limit: above 1, the factor by which it falls short; at most 1, the share used. */
  readonly shortfallFactor: number;
  /** Throughput its throughput limits allow this job, MB/s. */
  readonly achievedMBps: number;
  /** Throughput the job would get, MB/s: the demand, divided by the shortfall factor when it does not fit. */
  readonly deliveredMBps: number;
  /** Hours one training run takes on it, including a first epoch at the lazy-load rate on FSx. */
  readonly runHours: number;
  /** Request and metering charges per month, USD: S3 GETs, EFS reads, FSx import GETs. */
  readonly requestCostUsd: number;
  /** Monthly cost, USD, including the dataset's S3 copy and the request charges. */
  readonly monthlyCostUsd: number;
  /** Why it can or cannot serve the demand, and what it assumes. */
  readonly note: string;
}

/** The recommendation for a training demand. */
export interface StorageRecommendation {
  /** Where to read the training data from. */
  readonly storage: StorageKind;
  /** Whether the recommended option fits; false when no option can deliver the demand. */
  readonly fits: boolean;
  /** Why it won, in one sentence naming the limit or the price that decided it. */
  readonly reason: string;
  /** The FSx configuration, when `storage` is FSX_LUSTRE. @default - none */
  readonly lustre?: LustreSizing;
  /** Kept or created per run, when `storage` is FSX_LUSTRE. @default - none */
  readonly lifecycle?: FileSystemLifecycle;
  /** The recommended option's binding limit. */
  readonly bindingLimit: SizingLimit;
  /** The recommended option's shortfall factor (at most 1 when it fits). */
  readonly shortfallFactor: number;
  /** Aggregate read throughput demanded, MB/s (10^6 bytes per second). */
  readonly demandMBps: number;
  /** One instance's share of the demand, MB/s. */
  readonly perInstanceDemandMBps: number;
  /** Requests per second: S3 GETs or file opens (one per sample, or one per shard). */
  readonly requestsPerSecond: number;
  /** Throughput the recommended storage's throughput limits allow, MB/s. */
  readonly achievedMBps: number;
  /** `achievedMBps - demandMBps`. */
  readonly headroomMBps: number;
  /** Headroom as a percentage of the demand. */
  readonly headroomPercent: number;
  /** Monthly cost estimate, USD, including the dataset's S3 copy and the request charges. */
  readonly monthlyCostUsd: number;
  /** Every option considered: S3, EFS, and the cheapest FSx configuration of each offering, cheapest first. */
  readonly options: StorageOption[];
  /** What the model assumes, for the reader to check. */
  readonly assumptions: string[];
}

const MIB = 2 ** 20;
const GIB = 2 ** 30;
/** 1 MiB/s in MB/s. */
const MIB_IN_MB = MIB / 1e6;
/** 1 GiB/s in MB/s. */
const GIB_IN_MB = GIB / 1e6;
/** The most hours a month has. */
const MAX_HOURS_PER_MONTH = 744;

const DEFAULT_DEPLOYMENT_TYPES = [
  fsx.LustreDeploymentType.SCRATCH_2,
  fsx.LustreDeploymentType.PERSISTENT_1,
  fsx.LustreDeploymentType.PERSISTENT_2,
];

function describe(value: unknown): string {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : JSON.stringify(value) ?? 'undefined';
}

function requireNumber(field: string, value: unknown, integer: boolean, max?: number): number {
  const kind = integer ? 'a positive integer' : 'a positive finite number';
  const ok = typeof value === 'number' && Number.isFinite(value) && value > 0 && (!integer || Number.isInteger(value)) &&
    (max === undefined || value <= max);
  if (!ok) throw invalidProp(undefined, field, `must be ${kind}${max === undefined ? '' : ` up to ${max}`}`, value);
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
  readonly readPattern: ReadPattern;
  readonly shardSizeMiB: number;
  readonly s3Prefixes: number;
  readonly fileSystemHoursPerMonth: number;
}

function checkDemand(demand: TrainingDemand): CheckedDemand {
  const readPattern = demand.readPattern ?? ReadPattern.OBJECT_PER_SAMPLE;
  if (!Object.values(ReadPattern).includes(readPattern)) {
    throw new Error(`readPattern must be OBJECT_PER_SAMPLE or SHARDS, got ${describe(readPattern)}`);
  }
  return {
    gpuCount: requireNumber('gpuCount', demand.gpuCount, true),
    samplesPerSecondPerGpu: requireNumber('samplesPerSecondPerGpu', demand.samplesPerSecondPerGpu, false),
    bytesPerSample: requireNumber('bytesPerSample', demand.bytesPerSample, false),
    datasetGiB: requireNumber('datasetGiB', demand.datasetGiB, false),
    epochs: requireNumber('epochs', demand.epochs ?? 1, true),
    gpusPerInstance: requireNumber('gpusPerInstance', demand.gpusPerInstance ?? 8, true),
    trainingRunsPerMonth: requireNumber('trainingRunsPerMonth', demand.trainingRunsPerMonth ?? 1, false),
    readPattern,
    shardSizeMiB: requireNumber('shardSizeMiB', demand.shardSizeMiB ?? 64, false),
    s3Prefixes: requireNumber('s3Prefixes', demand.s3Prefixes ?? 1, true),
    fileSystemHoursPerMonth: requireNumber('fileSystemHoursPerMonth', demand.fileSystemHoursPerMonth ?? LUSTRE.hoursPerMonth, false, MAX_HOURS_PER_MONTH),
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

/** The least capacity that holds the dataset with `LUSTRE.freeSpaceFraction` kept free, GiB. */
export function capacityForDatasetGiB(datasetGiB: number): number {
  return datasetGiB / (1 - LUSTRE.freeSpaceFraction);
}

function offeringsFor(options: SizingOptions): LustreOffering[] {
  const types = options.deploymentTypes ?? DEFAULT_DEPLOYMENT_TYPES;
  const storageTypes = options.storageTypes ?? [fsx.StorageType.SSD];
  if (types.length === 0) throw invalidProp(undefined, 'deploymentTypes', 'must not be empty', types);
  if (storageTypes.length === 0) throw invalidProp(undefined, 'storageTypes', 'must not be empty', storageTypes);
  return LUSTRE_OFFERINGS.filter((o) => types.includes(o.deploymentType) && storageTypes.includes(o.storageType));
}

/**
 * The cheapest configuration of one offering: its smallest valid capacity that meets the
 * throughput and holds the dataset with free space. Cost grows with capacity whether the file
 * system is kept or created per run (a larger one loads faster, but never by enough to pay for
 * itself), so the smallest is the cheapest either way.
 */
function sizeOffering(offering: LustreOffering, mbps: number, datasetGiB: number): LustreSizing {
  const { deploymentType, storageType, perUnitStorageThroughput: perUnit } = offering;
  validateStorageType(deploymentType, storageType);
  const forThroughput = (mbps * LUSTRE.gibPerTiB) / offering.baselineMBpsPerTiB;
  let capacity = nextValidCapacityGiB(deploymentType, Math.max(capacityForDatasetGiB(datasetGiB), forThroughput), storageType, perUnit);
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
    writeThroughputMBps: writeThroughputMBps(deploymentType, capacity, perUnit),
    monthlyCostUsd: capacity * offering.priceUsdPerGBMonth,
  };
}

function cheaper(a: LustreSizing, b: LustreSizing): boolean {
  if (a.monthlyCostUsd !== b.monthlyCostUsd) return a.monthlyCostUsd < b.monthlyCostUsd;
  return a.throughputMBps > b.throughputMBps;
}

/**
 * The cheapest FSx for Lustre configuration of each offering that meets `mbps` and holds the
 * dataset with free space, cheapest (kept all month) first (ties: more throughput first, then catalog order).
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
 * The cheapest valid FSx for Lustre configuration that meets `mbps` and holds the dataset with
 * free space, for a file system kept all month.
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

/** The demand's derived rates, shared by every option. */
interface Rates {
  readonly d: CheckedDemand;
  readonly total: number;
  readonly perInstance: number;
  readonly instances: number;
  readonly datasetBytes: number;
  /** Objects (files) per epoch: samples, or shards. */
  readonly objectsPerEpoch: number;
  /** GETs or file opens per second. */
  readonly requestsPerSecond: number;
  readonly s3CopyUsd: number;
}

function ratesOf(d: CheckedDemand): Rates {
  const total = (d.gpuCount * d.samplesPerSecondPerGpu * d.bytesPerSample) / 1e6;
  const datasetBytes = d.datasetGiB * GIB;
  const shards = d.readPattern === ReadPattern.SHARDS;
  const objectBytes = shards ? d.shardSizeMiB * MIB : d.bytesPerSample;
  return {
    d,
    total,
    perInstance: (Math.min(d.gpusPerInstance, d.gpuCount) * d.samplesPerSecondPerGpu * d.bytesPerSample) / 1e6,
    instances: Math.ceil(d.gpuCount / d.gpusPerInstance),
    datasetBytes,
    objectsPerEpoch: datasetBytes / objectBytes,
    requestsPerSecond: (total * 1e6) / objectBytes,
    s3CopyUsd: d.datasetGiB * S3_DIRECT.storageUsdPerGBMonth,
  };
}

/**
 * Bytes that EFS meters for reading one object of `bytes`: reads of at most `maxReadKiB`, each
 * metered as at least `minimumMeteredReadKiB`, in 1 KiB increments.
 */
export function efsMeteredBytes(bytes: number): number {
  const max = EFS_ELASTIC.maxReadKiB * 1024;
  const min = EFS_ELASTIC.minimumMeteredReadKiB * 1024;
  const full = Math.floor(bytes / max);
  const rest = bytes - full * max;
  return full * max + (rest > 0 ? Math.max(min, Math.ceil(rest / 1024) * 1024) : 0);
}

/** EFS read operations for one object of `bytes`. */
function efsReadOps(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / (EFS_ELASTIC.maxReadKiB * 1024)));
}

function bindingOf(limits: LimitCheck[]): { bindingLimit: SizingLimit; shortfallFactor: number } {
  let best = limits[0];
  for (const l of limits) if (l.demanded / l.available > best.demanded / best.available) best = l;
  return { bindingLimit: best.limit, shortfallFactor: best.demanded / best.available };
}

function fmt(n: number): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: n < 10 ? 2 : 0 });
}

function money(usd: number): string {
  return `$${usd.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

const LIMIT_TEXT: Record<SizingLimit, string> = {
  [SizingLimit.THROUGHPUT]: 'throughput',
  [SizingLimit.INSTANCE_NETWORK]: 'per-instance read throughput',
  [SizingLimit.S3_REQUEST_RATE]: 'S3 request rate',
  [SizingLimit.EFS_READ_IOPS]: 'EFS read IOPS',
  [SizingLimit.METADATA_OPS]: 'metadata operations',
};

/** `S3 request rate: 6,144,000 of 5,500 GET/s`. */
export function describeLimit(l: LimitCheck): string {
  return `${LIMIT_TEXT[l.limit]}: ${fmt(l.demanded)} of ${fmt(l.available)} ${l.unit}`;
}

function option(
  storage: StorageKind,
  limits: LimitCheck[],
  r: Rates,
  achievedMBps: number,
  runHours: number,
  costs: { requestCostUsd: number; monthlyCostUsd: number },
  note: string,
  extra: Partial<StorageOption> = {},
): StorageOption {
  const { bindingLimit, shortfallFactor } = bindingOf(limits);
  return {
    storage,
    ...extra,
    feasible: shortfallFactor <= 1,
    limits,
    bindingLimit,
    shortfallFactor,
    achievedMBps,
    deliveredMBps: r.total / Math.max(1, shortfallFactor),
    runHours,
    requestCostUsd: costs.requestCostUsd,
    monthlyCostUsd: costs.monthlyCostUsd,
    note,
  };
}

function epochHours(r: Rates, mbps: number): number {
  return r.datasetBytes / (mbps * 1e6) / 3600;
}

function s3Option(r: Rates): StorageOption {
  const { d } = r;
  const network = (S3_DIRECT.perInstanceGbps * 1000) / 8;
  const gets = r.objectsPerEpoch * d.epochs * d.trainingRunsPerMonth;
  const requestCostUsd = (gets / 1000) * S3_DIRECT.readRequestUsdPer1000;
  const limits: LimitCheck[] = [
    { limit: SizingLimit.INSTANCE_NETWORK, demanded: r.perInstance, available: network, unit: 'MB/s per instance' },
    { limit: SizingLimit.S3_REQUEST_RATE, demanded: r.requestsPerSecond, available: S3_DIRECT.readRequestsPerSecondPerPrefix * d.s3Prefixes, unit: 'GET/s' },
  ];
  const prefixes = Math.ceil(r.requestsPerSecond / S3_DIRECT.readRequestsPerSecondPerPrefix);
  const objectBytes = d.readPattern === ReadPattern.SHARDS ? d.shardSizeMiB * MIB : d.bytesPerSample;
  const byRequests = (limits[1].available * objectBytes) / 1e6;
  return option(StorageKind.S3_DIRECT, limits, r, Math.min(r.instances * network, byRequests), epochHours(r, r.total) * d.epochs,
    { requestCostUsd, monthlyCostUsd: r.s3CopyUsd + requestCostUsd },
    `${fmt(r.requestsPerSecond)} GET/s need ${fmt(prefixes)} partitioned prefix${prefixes === 1 ? '' : 'es'}; ` +
      `${fmt(gets)} GETs a month`);
}

function efsOption(r: Rates): StorageOption {
  const { d } = r;
  const perClient = EFS_ELASTIC.perClientMiBps * MIB_IN_MB;
  const perFs = EFS_ELASTIC.perFileSystemReadGiBps * GIB_IN_MB;
  const shards = d.readPattern === ReadPattern.SHARDS;
  const objectBytes = shards ? d.shardSizeMiB * MIB : d.bytesPerSample;
  const iops = (r.requestsPerSecond * efsReadOps(objectBytes));
  const meteredPerEpoch = r.objectsPerEpoch * efsMeteredBytes(objectBytes);
  const requestCostUsd = (meteredPerEpoch / GIB) * d.epochs * d.trainingRunsPerMonth * EFS_ELASTIC.readUsdPerGB;
  const fixed = d.datasetGiB * (EFS_ELASTIC.storageUsdPerGBMonth + EFS_ELASTIC.writeUsdPerGB);
  const limits: LimitCheck[] = [
    { limit: SizingLimit.INSTANCE_NETWORK, demanded: r.perInstance, available: perClient, unit: 'MB/s per client' },
    { limit: SizingLimit.THROUGHPUT, demanded: r.total, available: perFs, unit: 'MB/s' },
    { limit: SizingLimit.EFS_READ_IOPS, demanded: iops, available: EFS_ELASTIC.readIops, unit: 'reads/s' },
  ];
  const metered = meteredPerEpoch / r.datasetBytes;
  return option(StorageKind.EFS_ELASTIC, limits, r, Math.min(perFs, r.instances * perClient), epochHours(r, r.total) * d.epochs,
    { requestCostUsd, monthlyCostUsd: r.s3CopyUsd + fixed + requestCostUsd },
    `reads metered at ${fmt(metered)}x the data read (at least ${EFS_ELASTIC.minimumMeteredReadKiB} KiB each); ` +
      `read IOPS can be raised to ${fmt(EFS_ELASTIC.readIopsOnRequest)} on request`);
}

/** File opens per second the file system serves. */
function metadataOpsPerSecond(deploymentType: fsx.LustreDeploymentType): number {
  return deploymentType === fsx.LustreDeploymentType.PERSISTENT_2
    ? LUSTRE.maxMetadataIops * LUSTRE.fileOpensPerMetadataIops
    : LUSTRE.fileOpensPerSecondSingleMdt;
}

function lustreOption(r: Rates, l: LustreSizing): StorageOption {
  const { d } = r;
  const network = (S3_DIRECT.perInstanceGbps * 1000) / 8;
  const firstEpochMBps = Math.min(r.total, l.writeThroughputMBps);
  const runHours = epochHours(r, firstEpochMBps) + epochHours(r, r.total) * (d.epochs - 1);
  const loadUsd = (r.objectsPerEpoch * LUSTRE.importGetsPerFile / 1000) * S3_DIRECT.readRequestUsdPer1000;
  const perHour = l.monthlyCostUsd / LUSTRE.hoursPerMonth;
  const keptHours = Math.min(MAX_HOURS_PER_MONTH, Math.max(d.fileSystemHoursPerMonth, runHours * d.trainingRunsPerMonth));
  const kept = { fs: perHour * keptHours, load: loadUsd };
  const perRun = { fs: perHour * runHours * d.trainingRunsPerMonth, load: loadUsd * d.trainingRunsPerMonth };
  const perRunWins = perRun.fs + perRun.load < kept.fs + kept.load;
  const chosen = perRunWins ? perRun : kept;
  const other = perRunWins ? kept : perRun;
  const limits: LimitCheck[] = [
    { limit: SizingLimit.THROUGHPUT, demanded: r.total, available: l.throughputMBps, unit: 'MB/s' },
    { limit: SizingLimit.INSTANCE_NETWORK, demanded: r.perInstance, available: network, unit: 'MB/s per instance' },
    { limit: SizingLimit.METADATA_OPS, demanded: r.requestsPerSecond, available: metadataOpsPerSecond(l.deploymentType), unit: 'opens/s' },
  ];
  const lazy = l.writeThroughputMBps < r.total
    ? `first epoch loads from S3 at ${fmt(l.writeThroughputMBps)} MB/s (the write rate), ${fmt(r.total / l.writeThroughputMBps)}x slower; ` +
      'preload with an import task to avoid it'
    : 'first epoch loads from S3 at the demand\'s rate';
  const quota = l.storageCapacityGiB > LUSTRE.defaultStorageQuotaGiB
    ? `; above the default ${fmt(LUSTRE.defaultStorageQuotaGiB)} GiB storage quota: ask for an increase` : '';
  const lifecycle = perRunWins
    ? `created per run (${fmt(runHours)} h a run)`
    : `kept ${fmt(keptHours)} h a month`;
  return option(StorageKind.FSX_LUSTRE, limits, r, l.throughputMBps, runHours,
    { requestCostUsd: chosen.load, monthlyCostUsd: r.s3CopyUsd + chosen.fs + chosen.load },
    `${lifecycle}; ${lazy}${quota}`,
    {
      lustre: l,
      lifecycle: perRunWins ? FileSystemLifecycle.PER_RUN : FileSystemLifecycle.KEPT,
      otherLifecycleCostUsd: r.s3CopyUsd + other.fs + other.load,
    });
}

const KIND_LABEL: Record<StorageKind, string> = {
  [StorageKind.S3_DIRECT]: 'S3 directly',
  [StorageKind.EFS_ELASTIC]: 'EFS (elastic throughput)',
  [StorageKind.FSX_LUSTRE]: 'FSx for Lustre',
};

/** `S3 directly`, `FSx for Lustre PERSISTENT_2 at 1000 MB/s/TiB`. */
export function describeOption(o: StorageOption): string {
  return o.lustre ? `${KIND_LABEL[o.storage]} ${describeLustre(o.lustre)}` : KIND_LABEL[o.storage];
}

function bindingCheck(o: StorageOption): LimitCheck {
  return o.limits.find((l) => l.limit === o.bindingLimit)!;
}

function cure(o: StorageOption, d: CheckedDemand): string {
  const perSample = d.readPattern === ReadPattern.OBJECT_PER_SAMPLE;
  switch (o.bindingLimit) {
    case SizingLimit.S3_REQUEST_RATE:
    case SizingLimit.METADATA_OPS:
    case SizingLimit.EFS_READ_IOPS:
      return perSample ? 'stream samples from shards (DatasetSharder, 64 MiB)' : 'use larger shards';
    case SizingLimit.INSTANCE_NETWORK:
      return 'spread the GPUs over more instances (fewer GPUs per instance)';
    default:
      return 'split the job';
  }
}

function reasonFor(chosen: StorageOption, options: StorageOption[], d: CheckedDemand): string {
  const check = bindingCheck(chosen);
  if (!chosen.feasible) {
    return `No option fits: even ${describeOption(chosen)}, which falls short the least, falls short ${fmt(chosen.shortfallFactor)}x ` +
      `on its ${describeLimit(check)}; ${cure(chosen, d)}.`;
  }
  const fitting = options.filter((o) => o.feasible && o !== chosen);
  const ruledOut = options.filter((o) => !o.feasible && o.monthlyCostUsd < chosen.monthlyCostUsd);
  const runnerUp = fitting[0];
  const lifecycle = chosen.lifecycle === FileSystemLifecycle.PER_RUN
    ? `, created per run, costs ${money(chosen.monthlyCostUsd)} a month (kept all month: ${money(chosen.otherLifecycleCostUsd!)})`
    : chosen.lifecycle === FileSystemLifecycle.KEPT
      ? `, kept, costs ${money(chosen.monthlyCostUsd)} a month (created per run: ${money(chosen.otherLifecycleCostUsd!)})`
      : ` costs ${money(chosen.monthlyCostUsd)} a month`;
  const price = runnerUp
    ? ` against ${money(runnerUp.monthlyCostUsd)} for ${describeOption(runnerUp)}, the next that fits`
    : ', and is the only option that fits';
  const cheaperOut = ruledOut.length > 0
    ? `; cheaper ${ruledOut.map((o) => `${describeOption(o)} falls short ${fmt(o.shortfallFactor)}x on ${LIMIT_TEXT[o.bindingLimit]}`).join(', ')}`
    : '';
  return `${describeOption(chosen)}${lifecycle}${price}; its tightest limit is ${describeLimit(check)}${cheaperOut}.`;
}

function order(a: StorageOption, b: StorageOption): number {
  if (a.feasible !== b.feasible) return a.feasible ? -1 : 1;
  if (!a.feasible && a.shortfallFactor !== b.shortfallFactor) return a.shortfallFactor - b.shortfallFactor;
  return a.monthlyCostUsd - b.monthlyCostUsd;
}

/**
 * Recommends where to read the training data from, and how to size it: the cheapest option that
 * fits every limit, or, when none does, the one that falls short the least, marked as not fitting.
 *
 * @throws if a demand field is not a positive finite number, or not an integer where one is
 *   required (`gpuCount`, `epochs`, `gpusPerInstance`, `s3Prefixes`)
 * @see https://docs.aws.amazon.com/fsx/latest/LustreGuide/ssd-storage.html
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html
 * @see https://docs.aws.amazon.com/efs/latest/ug/limits.html
 */
export function recommendStorage(demand: TrainingDemand, options: SizingOptions = {}): StorageRecommendation {
  const d = checkDemand(demand);
  const r = ratesOf(d);
  const candidates = lustreCandidates(r.total, d.datasetGiB, options);
  if (candidates.length === 0) {
    throw new Error(`deploymentTypes and storageTypes must select at least one FSx offering, got ${JSON.stringify(options)}`);
  }
  const all = [s3Option(r), efsOption(r), ...candidates.map((l) => lustreOption(r, l))];
  // Stable: ties keep S3, EFS, then the FSx catalog order.
  const sorted = all.map((o, i) => ({ o, i })).sort((x, y) => order(x.o, y.o) || x.i - y.i).map(({ o }) => o);
  const chosen = sorted[0];
  const assumptions = [
    d.readPattern === ReadPattern.SHARDS
      ? `samples streamed from ${fmt(d.shardSizeMiB)} MiB shards: one GET or open per shard`
      : 'one object (file) per sample: one GET, EFS read or file open per sample',
    'FSx: the first read of each file loads it from S3 through the data repository association, at the file ' +
      'system\'s write rate, with one GET per file; file system creation time is not counted',
    `FSx capacity keeps ${LUSTRE.freeSpaceFraction * 100}% free; throughput = GiB / ${LUSTRE.gibPerTiB} x MB/s/TiB (AWS's arithmetic)`,
    'one instance reads at most 100 Gb/s (ENA, without EFA); prices are us-east-1 list prices, some unconfirmed ' +
      '(see lib/storage/storage-catalog.ts)',
  ];
  return {
    storage: chosen.storage,
    fits: chosen.feasible,
    reason: reasonFor(chosen, sorted, d),
    lustre: chosen.lustre,
    lifecycle: chosen.lifecycle,
    bindingLimit: chosen.bindingLimit,
    shortfallFactor: chosen.shortfallFactor,
    demandMBps: r.total,
    perInstanceDemandMBps: r.perInstance,
    requestsPerSecond: r.requestsPerSecond,
    achievedMBps: chosen.achievedMBps,
    headroomMBps: chosen.achievedMBps - r.total,
    headroomPercent: ((chosen.achievedMBps - r.total) / r.total) * 100,
    monthlyCostUsd: chosen.monthlyCostUsd,
    options: sorted,
    assumptions,
  };
}

/** One FSx configuration checked against a demand: what LustreCache warns from. */
export interface LustreFit {
  /** Whether every limit holds and the dataset fits with free space. */
  readonly fits: boolean;
  /** Every limit checked (throughput, per-instance, metadata). */
  readonly limits: LimitCheck[];
  /** The limit with the largest demanded / available ratio. */
  readonly bindingLimit: SizingLimit;
  /** Demanded / available of the binding limit. */
  readonly shortfallFactor: number;
  /** Whether the capacity holds the dataset with the free space kept. */
  readonly holdsDataset: boolean;
}

/**
 * Checks one FSx for Lustre configuration against a demand, with the same limits and arithmetic
 * as `recommendStorage`.
 *
 * @param perUnit the throughput tier, MB/s per TiB; ignored for SCRATCH types.
 */
export function checkLustre(
  demand: TrainingDemand,
  deploymentType: fsx.LustreDeploymentType,
  storageCapacityGiB: number,
  perUnit?: number,
): LustreFit {
  const d = checkDemand(demand);
  const r = ratesOf(d);
  const network = (S3_DIRECT.perInstanceGbps * 1000) / 8;
  const limits: LimitCheck[] = [
    { limit: SizingLimit.THROUGHPUT, demanded: r.total, available: throughputMBps(deploymentType, storageCapacityGiB, perUnit), unit: 'MB/s' },
    { limit: SizingLimit.INSTANCE_NETWORK, demanded: r.perInstance, available: network, unit: 'MB/s per instance' },
    { limit: SizingLimit.METADATA_OPS, demanded: r.requestsPerSecond, available: metadataOpsPerSecond(deploymentType), unit: 'opens/s' },
  ];
  const { bindingLimit, shortfallFactor } = bindingOf(limits);
  const holdsDataset = storageCapacityGiB >= capacityForDatasetGiB(d.datasetGiB);
  return { fits: shortfallFactor <= 1 && holdsDataset, limits, bindingLimit, shortfallFactor, holdsDataset };
}

/** `PERSISTENT_2 at 1000 MB/s/TiB`, `SCRATCH_2`. */
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
  /**
   * Recommends where to read the training data from, and how to size it: the cheapest option that
   * fits every limit, or, when none does, the one that falls short the least, marked as not fitting.
   *
   * Throws when a demand field is not a positive finite number, or not an integer where one is required.
   *
   * @param demand the training job's demand: GPUs, per-GPU read rate, dataset size, epochs
   * @param options the deployment and storage types to consider; the defaults of `SizingOptions` when omitted
   * @see https://docs.aws.amazon.com/fsx/latest/LustreGuide/ssd-storage.html
   * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html
   * @see https://docs.aws.amazon.com/efs/latest/ug/limits.html
   */
  public static recommend(demand: TrainingDemand, options?: SizingOptions): StorageRecommendation {
    return recommendStorage(demand, options);
  }

  /**
   * The cheapest valid FSx for Lustre configuration that meets `mbps` and holds the dataset with
   * free space, for a file system kept all month (what LustreCache sizes itself with).
   *
   * @param mbps the throughput to meet, MB/s
   * @param datasetGiB the data the file system must hold, GiB
   * @param options the deployment and storage types to consider; the defaults of `SizingOptions` when omitted
   * @see https://docs.aws.amazon.com/fsx/latest/LustreGuide/ssd-storage.html
   */
  public static sizeLustre(mbps: number, datasetGiB: number, options?: SizingOptions): LustreSizing {
    return sizeLustre(mbps, datasetGiB, options);
  }

  /**
   * Aggregate read throughput a training demand needs, MB/s (10^6 bytes per second).
   *
   * @param demand the training job's demand
   */
  public static demandMBps(demand: TrainingDemand): number {
    return demandMBps(demand);
  }

  /**
   * Checks one FSx for Lustre configuration against a demand, with the same limits and arithmetic
   * as `recommend`.
   *
   * @param demand the training job's demand
   * @param deploymentType the file system's deployment type
   * @param storageCapacityGiB the file system's storage capacity, GiB
   * @param perUnit the throughput tier, MB/s per TiB; required for PERSISTENT types, ignored for SCRATCH types
   * @see https://docs.aws.amazon.com/fsx/latest/LustreGuide/performance.html
   */
  public static checkLustre(demand: TrainingDemand, deploymentType: fsx.LustreDeploymentType, storageCapacityGiB: number, perUnit?: number): LustreFit {
    return checkLustre(demand, deploymentType, storageCapacityGiB, perUnit);
  }

  private constructor() {}
}

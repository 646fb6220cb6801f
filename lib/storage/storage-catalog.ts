import { aws_fsx as fsx } from 'aws-cdk-lib';

/*
 * Every throughput figure and price that the sizing model uses, in one place, each with its source.
 *
 * To update: change the number, the `read` date and, if the page moved, the `url`. Prices are
 * us-east-1 list prices in USD. AWS renders its pricing pages from a script, so some prices could
 * not be read from aws.amazon.com itself: their source says `confirmed: false` and names what was
 * seen instead. Check those before quoting a cost to anyone.
 */

/** Where a figure in the catalog comes from. */
export interface CatalogSource {
  /** The page the figure was read from. */
  readonly url: string;
  /** The date the page was read (YYYY-MM-DD). */
  readonly read: string;
  /** Whether the figure was seen on an AWS page (true) or only taken from elsewhere (false). */
  readonly confirmed: boolean;
  /**
   * What was seen, and any doubt about it.
   * @default - no note
   */
  readonly note?: string;
}

/** One way to buy FSx for Lustre storage: a deployment type, a storage type and a throughput tier. */
export interface LustreOffering {
  /** The deployment type. */
  readonly deploymentType: fsx.LustreDeploymentType;
  /** SSD or HDD. */
  readonly storageType: fsx.StorageType;
  /**
   * The `PerUnitStorageThroughput` to set, in MB/s per TiB.
   * @default - none: it cannot be set on SCRATCH types
   */
  readonly perUnitStorageThroughput?: number;
  /**
   * Baseline disk read throughput per TiB of storage, in MB/s. The sizing model counts only this
   * figure: burst credits run out during a long training run, and reads that miss the server cache
   * are limited by the disks.
   */
  readonly baselineMBpsPerTiB: number;
  /** Price per GB-month of storage capacity (us-east-1). */
  readonly priceUsdPerGBMonth: number;
  /** Where the throughput figure comes from. */
  readonly throughputSource: CatalogSource;
  /** Where the price comes from. */
  readonly priceSource: CatalogSource;
}

const READ = '2026-11-28';

const FSX_PERFORMANCE: CatalogSource = {
  url: 'https://docs.aws.amazon.com/fsx/latest/LustreGuide/ssd-storage.html',
  read: READ,
  confirmed: true,
  note: 'Table "File system performance for SSD storage options", disk throughput baseline column. ' +
    'SCRATCH_2: 200 MB/s/TiB read (100 write), network burst 1300. PERSISTENT_1 HDD 12 and 40: disk baseline 12 and 40.',
};

const SCRATCH_1_PERFORMANCE: CatalogSource = {
  url: 'https://docs.aws.amazon.com/fsx/latest/LustreGuide/performance.html',
  read: READ,
  confirmed: true,
  note: 'Note in an earlier revision of the performance page: "SCRATCH_1 deployment option was designed to support 200 MB/s/TiB".',
};

const FSX_PRICING_UNCONFIRMED: CatalogSource = {
  url: 'https://aws.amazon.com/fsx/lustre/pricing/',
  read: READ,
  confirmed: false,
  note: 'The pricing table is rendered by a script and was not readable offline. Value from the published ' +
    'us-east-1 list price as last known; not confirmed against the page.',
};

const FSX_PRICING_SCRATCH: CatalogSource = {
  url: 'https://aws.amazon.com/fsx/lustre/pricing/',
  read: READ,
  confirmed: false,
  note: 'Scratch at $0.140/GB-month seen only in a third-party summary (learning-aws.readthedocs.io, "FSx for Lustre ' +
    '(Scratch 2) ~$0.140 per GB-month"); the AWS table was not readable offline. SCRATCH_1 assumed to cost the same.',
};

const FSX_PRICING_P2_125: CatalogSource = {
  url: 'https://aws.amazon.com/fsx/lustre/pricing/',
  read: READ,
  confirmed: false,
  note: 'Seen only in a third-party estimate (c3x.dev: "~$0.145/GB-month (SSD, 125 MB/s/TiB)", 1.2 TB = ~$174/month).',
};

function p1Ssd(perUnit: number, price: number): LustreOffering {
  return {
    deploymentType: fsx.LustreDeploymentType.PERSISTENT_1,
    storageType: fsx.StorageType.SSD,
    perUnitStorageThroughput: perUnit,
    baselineMBpsPerTiB: perUnit,
    priceUsdPerGBMonth: price,
    throughputSource: FSX_PERFORMANCE,
    priceSource: FSX_PRICING_UNCONFIRMED,
  };
}

function p1Hdd(perUnit: number, price: number): LustreOffering {
  return { ...p1Ssd(perUnit, price), storageType: fsx.StorageType.HDD };
}

function p2(perUnit: number, price: number, priceSource: CatalogSource = FSX_PRICING_UNCONFIRMED): LustreOffering {
  return { ...p1Ssd(perUnit, price), deploymentType: fsx.LustreDeploymentType.PERSISTENT_2, priceSource };
}

/**
 * Every FSx for Lustre offering the sizing model can choose from, in the order used to break
 * cost ties (cheapest first, then this order).
 *
 * Not modelled: Intelligent-Tiering (priced by provisioned MB/s, not by capacity), the optional
 * SSD read cache of HDD file systems, EFA-enabled PERSISTENT_2 (other capacity steps), and backups.
 *
 * @see https://docs.aws.amazon.com/fsx/latest/LustreGuide/ssd-storage.html
 * @see https://aws.amazon.com/fsx/lustre/pricing/
 */
export const LUSTRE_OFFERINGS: readonly LustreOffering[] = [
  {
    deploymentType: fsx.LustreDeploymentType.SCRATCH_2,
    storageType: fsx.StorageType.SSD,
    baselineMBpsPerTiB: 200,
    priceUsdPerGBMonth: 0.14,
    throughputSource: FSX_PERFORMANCE,
    priceSource: FSX_PRICING_SCRATCH,
  },
  {
    deploymentType: fsx.LustreDeploymentType.SCRATCH_1,
    storageType: fsx.StorageType.SSD,
    baselineMBpsPerTiB: 200,
    priceUsdPerGBMonth: 0.14,
    throughputSource: SCRATCH_1_PERFORMANCE,
    priceSource: FSX_PRICING_SCRATCH,
  },
  p2(125, 0.145, FSX_PRICING_P2_125),
  p2(250, 0.21),
  p2(500, 0.34),
  p2(1000, 0.6),
  p1Ssd(50, 0.145),
  p1Ssd(100, 0.21),
  p1Ssd(200, 0.29),
  p1Hdd(12, 0.025),
  p1Hdd(40, 0.083),
];

/** SCRATCH_1 and SCRATCH_2 baseline disk read throughput, MB/s per TiB (not settable). */
export const SCRATCH_BASELINE_MBPS_PER_TIB = 200;

/** EFS with elastic throughput, Regional (multi-AZ) Standard storage class. */
export interface EfsElasticFigures {
  /** Standard storage, USD per GB-month. */
  readonly storageUsdPerGBMonth: number;
  /** Elastic throughput reads, USD per GB transferred. */
  readonly readUsdPerGB: number;
  /** Elastic throughput writes, USD per GB transferred. */
  readonly writeUsdPerGB: number;
  /** Most that one client (instance) can read, MiB/s. */
  readonly perClientMiBps: number;
  /** Most that one file system can serve in reads, GiB/s (the low end of the published range). */
  readonly perFileSystemReadGiBps: number;
  /** Where the prices come from. */
  readonly priceSource: CatalogSource;
  /** Where the throughput limits come from. */
  readonly throughputSource: CatalogSource;
}

/**
 * EFS elastic throughput figures.
 * @see https://docs.aws.amazon.com/efs/latest/ug/performance.html
 * @see https://aws.amazon.com/efs/pricing/
 */
export const EFS_ELASTIC: EfsElasticFigures = {
  storageUsdPerGBMonth: 0.3,
  readUsdPerGB: 0.03,
  writeUsdPerGB: 0.06,
  perClientMiBps: 1500,
  // The page gives 20–60 GiBps depending on the Region; the low end keeps the advice safe.
  perFileSystemReadGiBps: 20,
  priceSource: {
    url: 'https://aws.amazon.com/efs/pricing/',
    read: READ,
    confirmed: false,
    note: 'Standard $0.30/GB-month seen on the AWS page. Elastic reads $0.03/GB and writes $0.06/GB seen only in a ' +
      'third-party summary (factualminds.com, us-east-1, June 2026).',
  },
  throughputSource: {
    url: 'https://docs.aws.amazon.com/efs/latest/ug/performance.html',
    read: READ,
    confirmed: true,
    note: 'Regional, Elastic: per-file-system read 20–60 GiBps, write 1–5 GiBps, per-client 1,500 MiBps.',
  },
};

/** S3 Standard, read directly by the training instances. */
export interface S3DirectFigures {
  /** S3 Standard storage, first 50 TB, USD per GB-month. */
  readonly storageUsdPerGBMonth: number;
  /** What one instance can stream from S3 with many parallel connections, Gb/s. */
  readonly perInstanceGbps: number;
  /** Where the price comes from. */
  readonly priceSource: CatalogSource;
  /** Where the throughput figure comes from. */
  readonly throughputSource: CatalogSource;
}

/**
 * S3 figures.
 * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html
 * @see https://aws.amazon.com/s3/pricing/
 */
export const S3_DIRECT: S3DirectFigures = {
  storageUsdPerGBMonth: 0.023,
  perInstanceGbps: 100,
  priceSource: {
    url: 'https://aws.amazon.com/s3/pricing/',
    read: READ,
    confirmed: false,
    note: 'S3 Standard first 50 TB $0.023/GB-month, seen in a third-party summary citing the AWS page.',
  },
  throughputSource: {
    url: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html',
    read: READ,
    confirmed: false,
    note: 'Up to 100 Gb/s per instance with parallel requests (S3 performance guidelines); not re-read this time.',
  },
};

/**
 * The catalog as static properties, for Python, Java and .NET users: jsii publishes classes,
 * not constants.
 */
export class StorageCatalog {
  /** @see LUSTRE_OFFERINGS */
  public static readonly LUSTRE_OFFERINGS: LustreOffering[] = [...LUSTRE_OFFERINGS];
  /** @see EFS_ELASTIC */
  public static readonly EFS_ELASTIC: EfsElasticFigures = EFS_ELASTIC;
  /** @see S3_DIRECT */
  public static readonly S3_DIRECT: S3DirectFigures = S3_DIRECT;

  private constructor() {}
}

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

/*
 * FSx for Lustre prices, checked 2026-12-02: the stored copy of the AWS pricing page has the billing text and
 * starts "Pricing example 1 ... a scratch file system in the US East (N. Virginia)" but not its figures, and its
 * rate table is rendered by a script. No AWS documentation read states a Lustre price. All stay unconfirmed.
 */
const CMAQ_TABLE = 'a CMAQ-on-ParallelCluster tutorial in a public GitHub repository ("Table 9. Lustre SSD File System ' +
  'Pricing for us-east-1 region")';

const FSX_PRICING_UNCONFIRMED: CatalogSource = {
  url: 'https://aws.amazon.com/fsx/lustre/pricing/',
  read: '2026-12-02',
  confirmed: false,
  note: 'us-east-1 list price as last known; not on an AWS page in the stored material. PERSISTENT_2 250, 500 and ' +
    `1000 MB/s/TiB at $0.210, $0.340 and $0.600/GB-month seen only in ${CMAQ_TABLE}. PERSISTENT_1 (SSD 50, 100, 200; ` +
    'HDD 12, 40) not seen anywhere in the stored material.',
};

const FSX_PRICING_SCRATCH: CatalogSource = {
  url: 'https://aws.amazon.com/fsx/lustre/pricing/',
  read: '2026-12-02',
  confirmed: false,
  note: 'Scratch at $0.140/GB-month seen only in third-party text: learning-aws.readthedocs.io ("FSx for Lustre ' +
    `(Scratch 2) ~$0.140 per GB-month") and ${CMAQ_TABLE}, "Scratch 200/MB/s/TiB ... $0.140/month". Not on an AWS ` +
    'page in the stored material. SCRATCH_1 assumed to cost the same.',
};

const FSX_PRICING_P2_125: CatalogSource = {
  url: 'https://aws.amazon.com/fsx/lustre/pricing/',
  read: '2026-12-02',
  confirmed: false,
  note: 'Seen only in third-party text: c3x.dev ("~$0.145/GB-month (SSD, 125 MB/s/TiB)", 1.2 TB = ~$174/month) and ' +
    `${CMAQ_TABLE}, "Persistent 125 MB/s/TB ... $0.145/month". Not on an AWS page in the stored material.`,
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
  /** Read operations per second one file system serves by default (frequently accessed data, Elastic throughput). */
  readonly readIops: number;
  /** Read operations per second one file system can reach after a quota increase (10 times the default). */
  readonly readIopsOnRequest: number;
  /** The least that one read is metered (billed) as, KiB. */
  readonly minimumMeteredReadKiB: number;
  /** The most that one NFS read moves, KiB (the mount's `rsize`). */
  readonly maxReadKiB: number;
  /** Where the prices come from. */
  readonly priceSource: CatalogSource;
  /** Where the throughput limits come from. */
  readonly throughputSource: CatalogSource;
  /** Where the IOPS quota comes from. */
  readonly iopsSource: CatalogSource;
  /** Where the metering rule comes from. */
  readonly meteringSource: CatalogSource;
  /** Where the largest read comes from. */
  readonly maxReadSource: CatalogSource;
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
    read: '2026-12-02',
    confirmed: false,
    note: 'Standard "$0.30/GB-month" is on a stored (older) copy of the AWS page, whose excerpt names no Region. Elastic ' +
      'reads $0.03/GB and writes $0.06/GB seen only in third-party text: factualminds.com ("Elastic Throughput ... bills ' +
      '$0.03/GB read and $0.06/GB write", us-east-1, June 2026) and a design note citing the AWS Price List offer file ' +
      'AmazonEFS/current/us-east-1 ("Elastic Throughput reads $0.03/GB and writes $0.06/GB"); the Price List itself was ' +
      'not in the stored material.',
  },
  throughputSource: {
    url: 'https://docs.aws.amazon.com/efs/latest/ug/performance.html',
    read: READ,
    confirmed: true,
    note: 'Regional, Elastic: per-file-system read 20–60 GiBps, write 1–5 GiBps, per-client 1,500 MiBps.',
  },
  readIops: 250_000,
  readIopsOnRequest: 2_500_000,
  minimumMeteredReadKiB: 32,
  maxReadKiB: 1024,
  iopsSource: {
    url: 'https://docs.aws.amazon.com/efs/latest/ug/limits.html',
    read: '2026-12-02',
    confirmed: true,
    note: '"Maximum IOPS per file system using Elastic throughput": frequently accessed data read 250,000, infrequently ' +
      'accessed 90,000, write 50,000 by default; "You can request an increase of up to 10 times the default quota".',
  },
  meteringSource: {
    url: 'https://repost.aws/articles/ARLxw4PqmeQK6VVrpGL4-jzA/how-do-i-estimate-elastic-throughput-mode-costs-for-amazon-elastic-file-system-amazon-efs',
    read: '2026-12-02',
    confirmed: true,
    note: 'AWS re:Post article on Elastic throughput costs: "Data operations are metered in 1 KiB increments after the ' +
      'first 32 KiB"; it points to https://docs.aws.amazon.com/efs/latest/ug/metered-sizes.html, whose throughput ' +
      'section was not visible in what the search tool returned.',
  },
  maxReadSource: {
    url: 'https://docs.aws.amazon.com/efs/latest/ug/mounting-fs-mount-cmd-general.html',
    read: '2026-12-02',
    confirmed: false,
    note: 'rsize=1048576 is the mount option the EFS guide recommends; not re-read this time. A read of a file larger ' +
      'than 1 MiB is counted as one operation per MiB.',
  },
};

/** S3 Standard, read directly by the training instances. */
export interface S3DirectFigures {
  /** S3 Standard storage, first 50 TB, USD per GB-month. */
  readonly storageUsdPerGBMonth: number;
  /**
   * What one instance can read over its network, Gb/s: from S3 with many parallel connections, and the
   * figure this model also uses for an FSx for Lustre client (TCP over ENA, without EFA).
   */
  readonly perInstanceGbps: number;
  /** GET/HEAD (read) requests per second that one partitioned prefix serves. */
  readonly readRequestsPerSecondPerPrefix: number;
  /** GET (read) requests, USD per 1,000 (S3 Standard). */
  readonly readRequestUsdPer1000: number;
  /** Where the price comes from. */
  readonly priceSource: CatalogSource;
  /** Where the throughput figure comes from. */
  readonly throughputSource: CatalogSource;
  /** Where the request rate comes from. */
  readonly requestRateSource: CatalogSource;
  /** Where the GET price comes from. */
  readonly requestPriceSource: CatalogSource;
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
    url: 'https://docs.aws.amazon.com/solutions/latest/automated-security-response-on-aws/cost.html',
    read: '2026-12-02',
    confirmed: true,
    note: 'AWS cost page (stored copy), sample cost table whose prices its US East (N. Virginia) examples use (the table ' +
      'names no Region): Amazon S3 "First 50 TB is $0.023 per GB per month". The table of https://aws.amazon.com/s3/pricing/ ' +
      'is rendered by a script.',
  },
  readRequestsPerSecondPerPrefix: 5500,
  readRequestUsdPer1000: 0.0004,
  throughputSource: {
    url: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html',
    read: '2026-12-02',
    confirmed: true,
    note: '"single-instance transfer rates that maximize the network interface use for their Amazon EC2 instance, which ' +
      'can be up to 100 Gb/s on a single instance" (read on the docs.amazonaws.cn mirror of the same page). Not an ' +
      'FSx page: for an FSx client the same figure is an assumption (EFA-enabled file systems and instances go further).',
  },
  requestRateSource: {
    url: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html',
    read: '2026-12-02',
    confirmed: true,
    note: '"at least 3,500 PUT/COPY/POST/DELETE or 5,500 GET/HEAD requests per second per partitioned prefix. There are ' +
      'no limits to the number of prefixes in a bucket." S3 partitions a prefix as the rate grows (503 Slow Down meanwhile).',
  },
  requestPriceSource: {
    url: 'https://docs.aws.amazon.com/solutions/latest/automated-security-response-on-aws/cost.html',
    read: '2026-12-02',
    confirmed: true,
    note: 'AWS cost page (stored copy), same sample cost table: Amazon S3 "$0.0004 per 1,000 GET, SELECT, and all other ' +
      'requests"; an example on the page: "$0.0004 per 1,000 GET requests". The table of https://aws.amazon.com/s3/pricing/ ' +
      'is rendered by a script.',
  },
};

/** FSx for Lustre figures that do not depend on the offering. */
export interface LustreFigures {
  /**
   * GiB in one "TiB" of AWS's throughput arithmetic: throughput = capacity / this x per-unit throughput.
   */
  readonly gibPerTiB: number;
  /** Share of the capacity kept free, so that storage targets never run nearly full. */
  readonly freeSpaceFraction: number;
  /** The default account quota of FSx for Lustre storage in us-east-1, GiB (all file systems together). */
  readonly defaultStorageQuotaGiB: number;
  /** Hours in the month that monthly prices are quoted for. */
  readonly hoursPerMonth: number;
  /** Write throughput of SCRATCH_2 per TiB, MB/s: the rate at which a first read loads from S3. */
  readonly scratchWriteMBpsPerTiB: number;
  /** S3 GET requests one imported file costs when its content is first read (lazy load). */
  readonly importGetsPerFile: number;
  /** File opens per second one file system without a metadata configuration serves (SCRATCH_2, PERSISTENT_1). */
  readonly fileOpensPerSecondSingleMdt: number;
  /** The most Metadata IOPS a PERSISTENT_2 SSD file system can provision. */
  readonly maxMetadataIops: number;
  /** File opens per second that one Metadata IOPS supports. */
  readonly fileOpensPerMetadataIops: number;
  /** Where the arithmetic comes from. */
  readonly arithmeticSource: CatalogSource;
  /** Where the free-space rule comes from. */
  readonly freeSpaceSource: CatalogSource;
  /** Where the quota comes from. */
  readonly quotaSource: CatalogSource;
  /** Where the billing period comes from. */
  readonly billingSource: CatalogSource;
  /** Where the write throughput and the lazy load come from. */
  readonly lazyLoadSource: CatalogSource;
  /** Where the metadata figures come from. */
  readonly metadataSource: CatalogSource;
  /** Where the figure for file systems without a metadata configuration comes from. */
  readonly singleMdtSource: CatalogSource;
}

/**
 * FSx for Lustre figures that apply to every offering.
 * @see https://docs.aws.amazon.com/fsx/latest/APIReference/API_CreateFileSystemLustreConfiguration.html
 */
export const LUSTRE: LustreFigures = {
  gibPerTiB: 1000,
  freeSpaceFraction: 0.1,
  defaultStorageQuotaGiB: 100_800,
  hoursPerMonth: 730,
  scratchWriteMBpsPerTiB: 100,
  importGetsPerFile: 1,
  fileOpensPerSecondSingleMdt: 24_000,
  maxMetadataIops: 192_000,
  fileOpensPerMetadataIops: 2,
  arithmeticSource: {
    url: 'https://docs.aws.amazon.com/fsx/latest/APIReference/API_CreateFileSystemLustreConfiguration.html',
    read: '2026-12-02',
    confirmed: true,
    note: 'PerUnitStorageThroughput: "File system throughput capacity is calculated by multiplying file system storage ' +
      'capacity (TiB) by the PerUnitStorageThroughput (MB/s/TiB). For a 2.4-TiB file system, provisioning 50 MB/s/TiB ' +
      'of PerUnitStorageThroughput yields 120 MB/s" (read on the AWS SDK for Kotlin reference, docs.aws.amazon.com, ' +
      'which carries the API text): 2,400 GiB counts as 2.4 TiB. An older revision of the performance page ' +
      '(awsdocs/amazon-fsx-lustre-user-guide, performance.md) gave 4.8 TiB x 50 = 234 MB/s, the binary unit; the ' +
      'API reference is current and is followed here.',
  },
  freeSpaceSource: {
    url: 'https://docs.aws.amazon.com/fsx/latest/LustreGuide/managing-storage-capacity.html',
    read: '2026-12-02',
    confirmed: false,
    note: 'No AWS page read gives a figure. 10% free matches LustreCache\'s free-capacity alarm default: a nearly full ' +
      'Lustre storage target slows writes and the lazy load, and fails them when full.',
  },
  quotaSource: {
    url: 'https://docs.aws.amazon.com/fsx/latest/LustreGuide/limits.html',
    read: '2026-12-02',
    confirmed: true,
    note: 'Read in an older revision (awsdocs/amazon-fsx-lustre-user-guide, limits.md): "Total storage for all file ' +
      'systems", US East (N. Virginia) 100,800 GiB by default, "can be increased up to petabytes". No per-file-system ' +
      'maximum is documented there, so the model caps nothing: it notes when a size needs a quota increase.',
  },
  billingSource: {
    url: 'https://aws.amazon.com/fsx/lustre/pricing/',
    read: '2026-12-02',
    confirmed: true,
    note: '"While pricing is quoted on a monthly basis, your usage is prorated by the second." The 730 hours of a ' +
      'month are the usual AWS convention, not read on the page (confirmed for the proration only).',
  },
  lazyLoadSource: {
    url: 'https://docs.aws.amazon.com/fsx/latest/LustreGuide/ssd-storage.html',
    read: '2026-12-02',
    confirmed: false,
    note: 'SCRATCH_2 disk throughput "200 (read) 100 (write)" MB/s/TiB is confirmed on the page; PERSISTENT types ' +
      'provision "read and write throughput" per TiB (API reference). That a first read of an imported file loads ' +
      'it from S3 at the write rate with one GET per file is this model\'s assumption; large files may be fetched ' +
      'in several ranged GETs.',
  },
  metadataSource: {
    url: 'https://docs.aws.amazon.com/fsx/latest/LustreGuide/managing-metadata-performance.html',
    read: '2026-12-02',
    confirmed: false,
    note: 'Confirmed: "The number of provisioned Metadata IOPS determines the maximum rate of metadata operations"; ' +
      'PERSISTENT_2 SSD Metadata IOPS are 1500, 3000, 6000, 12000 and multiples of 12000 up to 192000 ' +
      '(API_CreateFileSystemLustreMetadataConfiguration). Not confirmed: 2 file opens per Metadata IOPS (the table ' +
      'of operations per IOPS was not in what the search tool returned). Metadata IOPS beyond what AUTOMATIC mode ' +
      'provisions are priced separately, and that price is not counted.',
  },
  singleMdtSource: {
    url: 'https://docs.aws.amazon.com/fsx/latest/LustreGuide/performance.html',
    read: '2026-12-02',
    confirmed: false,
    note: 'SCRATCH_2 and PERSISTENT_1 have one metadata target and no metadata configuration; no AWS page read gives ' +
      'their metadata rate. Assumed equal to a PERSISTENT_2 file system at 12,000 Metadata IOPS (one MDT).',
  },
};

/**
 * The catalog as static properties, for Python, Java and .NET users: jsii publishes classes,
 * not constants.
 */
export class StorageCatalog {
  /**
   * Every FSx for Lustre offering the sizing model can choose from, in the order used to break cost
   * ties (cheapest first, then this order); the TypeScript constant `LUSTRE_OFFERINGS`.
   *
   * @see https://docs.aws.amazon.com/fsx/latest/LustreGuide/ssd-storage.html
   * @see https://aws.amazon.com/fsx/lustre/pricing/
   */
  public static readonly LUSTRE_OFFERINGS: LustreOffering[] = [...LUSTRE_OFFERINGS];
  /**
   * EFS elastic throughput figures; the TypeScript constant `EFS_ELASTIC`.
   *
   * @see https://docs.aws.amazon.com/efs/latest/ug/performance.html
   * @see https://aws.amazon.com/efs/pricing/
   */
  public static readonly EFS_ELASTIC: EfsElasticFigures = EFS_ELASTIC;
  /**
   * S3 figures for reading training data straight from the lake; the TypeScript constant `S3_DIRECT`.
   *
   * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html
   * @see https://aws.amazon.com/s3/pricing/
   */
  public static readonly S3_DIRECT: S3DirectFigures = S3_DIRECT;
  /**
   * FSx for Lustre figures that apply to every offering; the TypeScript constant `LUSTRE`.
   *
   * @see https://docs.aws.amazon.com/fsx/latest/APIReference/API_CreateFileSystemLustreConfiguration.html
   */
  public static readonly LUSTRE: LustreFigures = LUSTRE;

  private constructor() {}
}

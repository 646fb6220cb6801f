/**
 * The contract between the sharder's Lambda handlers and the state machine that runs them.
 *
 * plan (PlanEvent -> PlanResult) writes a JSON array of ShardTask to S3; a Step Functions Distributed
 * Map reads it with an S3 ItemReader and invokes shard once per item (ShardTask -> ShardResult);
 * finalize takes the PlanResult unchanged and returns a FinalizeResult once the manifest is written.
 *
 * Every object here is plain JSON: it crosses Step Functions and S3 as is.
 */

/**
 * Newline-delimited records (text, CSV, JSON Lines).
 *
 * A record ends at each LF, so CRLF files work unchanged (the CR stays in the record). The last record
 * of an object may lack its LF. An empty line is a record.
 *
 * CSV (`csv` or `csvHeader`): RFC 4180 quoting is honoured when counting records (an LF inside double
 * quotes does not end one), and a shard whose range was cut inside a quoted field fails the run with a
 * clear error rather than splitting the row. Ranges are still cut at LFs, so CSV whose quoted fields
 * hold line breaks shards only when no cut falls inside one.
 */
export interface NewlineFormatSpec {
  readonly type: 'newline';
  /**
   * The first record of each object is a header, repeated at the top of every shard of that object.
   * Implies `csv`.
   * @default false
   */
  readonly csvHeader?: boolean;
  /**
   * The records are RFC 4180 CSV (see above).
   * @default false
   */
  readonly csv?: boolean;
}

/** Fixed-length binary records. Each object's size must be a multiple of `recordLengthBytes`. */
export interface FixedLengthFormatSpec {
  readonly type: 'fixed';
  /** Length of one record, in bytes (a positive integer). */
  readonly recordLengthBytes: number;
}

/**
 * Small objects packed into tar shards (WebDataset): each object is one member, never split.
 *
 * Objects are taken in key order (UTF-8 binary) and grouped into shards of about the target size. The
 * objects of one sample (the same key up to the first `.` of its last path segment, as WebDataset
 * groups them) always go to the same shard. A member's name is its key relative to the source prefix.
 */
export interface TarFormatSpec {
  readonly type: 'tar';
}

/** The record format of the source, as named in the plan event. */
export type RecordFormatSpec = NewlineFormatSpec | FixedLengthFormatSpec;

/** Every format the plan accepts: the record formats, which cut objects into ranges, and `tar`. */
export type FormatSpec = RecordFormatSpec | TarFormatSpec;

/** A single source object. */
export interface ObjectSource {
  readonly bucket: string;
  readonly key: string;
}

/** Every object under a prefix (keys ending in `/` with no bytes, i.e. folder markers, are skipped). */
export interface PrefixSource {
  readonly bucket: string;
  readonly prefix: string;
}

/** What to shard: one object, or every object under a prefix. */
export type SourceSpec = ObjectSource | PrefixSource;

/** Where the run writes its plan, shards, sidecars and manifest. */
export interface DestinationSpec {
  readonly bucket: string;
  /**
   * Key prefix under which the run's own folder is created, e.g. `sharded/` or `sharded`. A `/` is added
   * when missing. An empty prefix means the bucket root.
   */
  readonly prefix: string;
}

/** Input of the plan handler. */
export interface PlanEvent {
  readonly source: SourceSpec;
  readonly destination: DestinationSpec;
  /** Nominal shard size in bytes: each range of the source covers this many bytes before alignment. */
  readonly targetShardBytes: number;
  readonly format: FormatSpec;
}

/**
 * Output of the plan handler, and input of the finalize handler.
 *
 * Small on purpose: the tasks themselves are in S3 at `planBucket`/`planKey`.
 */
export interface PlanResult {
  /** Bucket of the plan: a JSON array of {@link ShardTask}, for the Distributed Map's S3 ItemReader. */
  readonly planBucket: string;
  /** Key of the plan. */
  readonly planKey: string;
  /** Number of items in the plan (0 when every source object is empty). */
  readonly taskCount: number;
  /** Destination bucket of shards, sidecars and manifest. */
  readonly outputBucket: string;
  /** Folder of this run, ending in `/`: `<destination prefix><runId>/`. */
  readonly outputPrefix: string;
  /** Key of the run's {@link JobDescription}, which finalize reads. */
  readonly jobKey: string;
  /** Key that finalize will write the manifest to. */
  readonly manifestKey: string;
  /** Hash of the inputs (source versions, shard size, format): the same job always gets the same id. */
  readonly runId: string;
  /** Number of source objects. */
  readonly sourceCount: number;
  /** Total bytes of the source objects. */
  readonly sourceBytes: number;
}

/** One source object as pinned at plan time. */
export interface SourceObject {
  readonly bucket: string;
  readonly key: string;
  /** The ETag, quotes included, as S3 returns it. */
  readonly etag: string;
  /** The version, when the bucket is versioned. */
  readonly versionId?: string;
  /** Size in bytes. */
  readonly size: number;
  /** Bytes of the header record at the start of the object (0 without `csvHeader`). */
  readonly headerBytes: number;
}

/** Written by plan beside the task list: what finalize needs besides the sidecars. */
export interface JobDescription {
  readonly v: 1;
  readonly runId: string;
  readonly bucket: string;
  readonly format: RecordFormatSpec;
  readonly targetShardBytes: number;
  readonly sources: readonly SourceObject[];
  readonly taskCount: number;
}

/** One item of the plan: everything the shard handler needs, with no other lookup. */
export interface ShardTask {
  /** Schema version of this item. */
  readonly v: 1;
  readonly runId: string;
  /** Position of this task in the plan (0-based): also the shard's number in its key. */
  readonly index: number;
  /** Index of the source object in the manifest's `sources`. */
  readonly sourceIndex: number;
  readonly source: SourceObject;
  /**
   * Nominal byte range `[start, end)` of the source. The shard holds the records that start in
   * `[start', end')`, where each bound is moved to the first record boundary at or after it.
   */
  readonly rangeStart: number;
  readonly rangeEnd: number;
  readonly format: RecordFormatSpec;
  /** Destination bucket. */
  readonly bucket: string;
  /** Key of the shard object. */
  readonly shardKey: string;
  /** Key of the shard's sidecar JSON. */
  readonly sidecarKey: string;
  /**
   * Write the shard even when no record starts in its range. Set on the first range of an object with
   * a header, so that a header-only object still yields its header.
   */
  readonly writeIfEmpty: boolean;
}

/** The sidecar JSON written next to each shard once it is complete (and for a range with no record). */
export interface ShardSidecar {
  readonly v: 1;
  readonly runId: string;
  readonly index: number;
  readonly sourceIndex: number;
  /** The shard's key, or null when the range held no record and nothing was written. */
  readonly key: string | null;
  /** Bytes of the shard object, header included. */
  readonly bytes: number;
  /** Records in the shard, the header not counted. */
  readonly records: number;
  /** Hex SHA-256 of the shard object. */
  readonly sha256: string;
  /** Bytes of header repeated at the top of the shard (strip them to get the source bytes). */
  readonly headerBytes: number;
  /** Record-aligned source range `[sourceStart, sourceEnd)` that follows the header in the shard. */
  readonly sourceStart: number;
  readonly sourceEnd: number;
  /** ETag of the source as read. */
  readonly sourceEtag: string;
}

/** Output of the shard handler. */
export type ShardResult = Pick<ShardSidecar, 'index' | 'key' | 'bytes' | 'records' | 'sha256'>;

/** A shard as listed in the manifest. */
export interface ManifestShard {
  /** The shard's key in `Manifest.bucket`. */
  readonly key: string;
  readonly bytes: number;
  readonly records: number;
  readonly sha256: string;
  /** Bytes of repeated header at the top of the shard. */
  readonly headerBytes: number;
  /** Index of the source object in `Manifest.sources`. */
  readonly sourceIndex: number;
  /** Source range `[sourceStart, sourceEnd)` after the header. */
  readonly sourceStart: number;
  readonly sourceEnd: number;
}

/**
 * The manifest: written last, it is the run's commit point. It holds no timestamps, so a rerun of the
 * same job writes it byte for byte the same.
 */
export interface Manifest {
  readonly v: 1;
  readonly runId: string;
  readonly bucket: string;
  readonly format: RecordFormatSpec;
  readonly targetShardBytes: number;
  readonly sources: readonly SourceObject[];
  /** The shards in source order. Ranges that held no record have no shard. */
  readonly shards: readonly ManifestShard[];
  readonly shardCount: number;
  readonly recordCount: number;
  /** Total bytes of the shards. */
  readonly bytes: number;
}

/** Output of the finalize handler. */
export interface FinalizeResult {
  readonly manifestBucket: string;
  readonly manifestKey: string;
  readonly shardCount: number;
  readonly recordCount: number;
  readonly bytes: number;
}

/** One object of a tar task: `[key, etag, size]`, kept short so that a task stays far below 256 KiB. */
export type TarObject = readonly [key: string, etag: string, size: number];

/** One item of a tar plan: the objects of one shard, in order. */
export interface TarShardTask {
  readonly v: 1;
  readonly runId: string;
  readonly index: number;
  readonly format: TarFormatSpec;
  readonly sourceBucket: string;
  /** Member names are the keys with this prefix removed. */
  readonly sourcePrefix: string;
  readonly objects: readonly TarObject[];
  /** Destination bucket. */
  readonly bucket: string;
  readonly shardKey: string;
  readonly sidecarKey: string;
}

/** What finalize expects of each tar task. */
export interface TarTaskSummary {
  readonly objects: number;
  readonly sourceBytes: number;
}

/** What the job description and the manifest of a tar run both record: the run and its source listing. */
export interface TarRun {
  readonly v: 1;
  readonly runId: string;
  readonly bucket: string;
  readonly format: TarFormatSpec;
  readonly targetShardBytes: number;
  readonly source: PrefixSource;
  /** SHA-256 of the listing (key, ETag and size of every object, in order). */
  readonly listingSha256: string;
  readonly sourceCount: number;
  readonly sourceBytes: number;
}

/** The job description of a tar run: one summary per task, never one entry per object. */
export interface TarJobDescription extends TarRun {
  readonly taskCount: number;
  readonly tasks: readonly TarTaskSummary[];
}

/** A tar shard as listed in the manifest. */
export interface TarManifestShard {
  readonly key: string;
  readonly bytes: number;
  /** Members (objects). */
  readonly records: number;
  /** Samples (distinct WebDataset keys). */
  readonly samples: number;
  readonly sha256: string;
  /** Bytes of the source objects packed. */
  readonly sourceBytes: number;
  /** First and last source key packed, in key order: the shards tile the listing in this order. */
  readonly firstKey: string;
  readonly lastKey: string;
}

/** The sidecar of a tar shard: its manifest entry, and which run and index it belongs to. */
export interface TarShardSidecar extends TarManifestShard {
  readonly v: 1;
  readonly runId: string;
  readonly index: number;
}

/** The manifest of a tar run (the commit point, as for the record formats). */
export interface TarManifest extends TarRun {
  readonly shards: readonly TarManifestShard[];
  readonly shardCount: number;
  /** Members in all shards: the number of source objects. */
  readonly recordCount: number;
  readonly sampleCount: number;
  readonly bytes: number;
}

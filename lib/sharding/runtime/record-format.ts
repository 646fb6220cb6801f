import { RecordFormatSpec } from './types';

/**
 * Counts records while a shard's body streams past, without splitting it into records.
 */
export interface RecordCounter {
  /** Feeds the next bytes of the body. */
  push(chunk: Buffer): void;
  /** The number of records in everything pushed so far, taken as a complete body. */
  total(): number;
  /**
   * Checks the complete body: an error message when it cannot be a whole number of records (for CSV, a
   * body that ends inside a quoted field), or undefined.
   */
  check?(): string | undefined;
}

/**
 * A record format: where records may start, and how to count them. The plugin point of the sharder.
 *
 * A boundary is an offset where a record starts, or the object's size. Offset `dataStart` (0, or the
 * end of the header) and the object's size are always boundaries; the format tells the others.
 */
export interface RecordFormat {
  /** Whether the first record of each object is a header, repeated at the top of every shard. */
  readonly hasHeader: boolean;
  /** How many bytes before an offset must be read to tell whether that offset is a boundary. */
  readonly lookbehindBytes: number;
  /**
   * The first boundary at or after `from` that `chunk` shows, or -1 when the chunk shows none.
   *
   * `chunk` holds the object's bytes from offset `chunkOffset`. The caller scans contiguous chunks in
   * order, so a format may report a boundary as soon as its bytes show it: the newline format reports
   * `chunkOffset + i + 1` for an LF at index `i`, so a boundary at the end of a chunk is found in that
   * chunk. The caller starts reading `lookbehindBytes` before the first `from`.
   *
   * @returns an absolute offset `b` with `from <= b <= chunkOffset + chunk.length`, or -1
   */
  findBoundary(chunk: Buffer, chunkOffset: number, from: number): number;
  /** A fresh counter for one shard body. */
  createCounter(): RecordCounter;
  /**
   * Rejects an object this format cannot split, e.g. a size that is not a whole number of records.
   * @returns an error message, or undefined when the object is fine
   */
  checkObject(size: number): string | undefined;
  /** Range step to use for a target shard size: the target, rounded where the format needs it. */
  rangeStep(targetShardBytes: number): number;
}

const LF = 0x0a;

/** Counts LFs, plus a last record that has none (possible only at the end of an object). */
class NewlineCounter implements RecordCounter {
  private count = 0;
  private lastByte = -1;

  public push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    // indexOf is a native memchr: far cheaper than decoding to a string and splitting.
    let i = chunk.indexOf(LF);
    while (i !== -1) {
      this.count++;
      i = chunk.indexOf(LF, i + 1);
    }
    this.lastByte = chunk[chunk.length - 1];
  }

  public total(): number {
    return this.count + (this.lastByte !== -1 && this.lastByte !== LF ? 1 : 0);
  }
}

const QUOTE = 0x22;

/**
 * Counts RFC 4180 records: an LF ends a record only outside double quotes (a doubled quote inside a
 * quoted field toggles twice, so parity is all it takes). A body that ends inside a quoted field was
 * cut inside a record.
 */
class CsvCounter implements RecordCounter {
  private count = 0;
  private lastByte = -1;
  private quoted = false;
  private quoteCount = 0;

  public push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    let q = chunk.indexOf(QUOTE);
    let lf = chunk.indexOf(LF);
    while (q !== -1 || lf !== -1) {
      if (q !== -1 && (lf === -1 || q < lf)) {
        this.quoted = !this.quoted;
        this.quoteCount++;
        q = chunk.indexOf(QUOTE, q + 1);
      } else {
        if (!this.quoted) this.count++;
        lf = chunk.indexOf(LF, lf + 1);
      }
    }
    this.lastByte = chunk[chunk.length - 1];
  }

  public total(): number {
    return this.count + (this.lastByte !== -1 && this.lastByte !== LF ? 1 : 0);
  }

  public check(): string | undefined {
    return this.quoted
      ? `the shard ends inside a quoted CSV field (${this.quoteCount} double quotes): a quoted field holds a line ` +
          'break where a range was cut, and cutting there would split a row. Newline sharding cannot split RFC 4180 ' +
          'CSV whose quoted fields hold line breaks: remove them, or set targetShardBytes above the object size'
      : undefined;
  }
}

/** Newline-delimited records: a record ends after each LF (so CRLF works unchanged). */
export class NewlineRecordFormat implements RecordFormat {
  public readonly lookbehindBytes = 1;

  /**
   * @param hasHeader the first record is a header
   * @param csvQuotes the records are RFC 4180 CSV: LFs inside double quotes do not end a record, and a
   *   shard that ends inside a quoted field fails instead of cutting a row
   */
  public constructor(
    public readonly hasHeader: boolean = false,
    public readonly csvQuotes: boolean = false,
  ) {}

  public findBoundary(chunk: Buffer, chunkOffset: number, from: number): number {
    // Offset b is a boundary when byte b-1 is an LF, so look for an LF at or after from-1.
    const startIndex = Math.max(0, from - 1 - chunkOffset);
    if (startIndex >= chunk.length) return -1;
    const i = chunk.indexOf(LF, startIndex);
    return i === -1 ? -1 : chunkOffset + i + 1;
  }

  public createCounter(): RecordCounter {
    return this.csvQuotes ? new CsvCounter() : new NewlineCounter();
  }

  public checkObject(): string | undefined {
    return undefined;
  }

  public rangeStep(targetShardBytes: number): number {
    return targetShardBytes;
  }
}

/** Fixed-length binary records: boundaries at every multiple of the record length. */
export class FixedLengthRecordFormat implements RecordFormat {
  public readonly hasHeader = false;
  public readonly lookbehindBytes = 0;

  public constructor(public readonly recordLengthBytes: number) {
    if (!Number.isSafeInteger(recordLengthBytes) || recordLengthBytes < 1) {
      throw new Error(`format.recordLengthBytes must be a positive integer, got ${recordLengthBytes}`);
    }
  }

  public findBoundary(chunk: Buffer, chunkOffset: number, from: number): number {
    const b = Math.ceil(Math.max(from, chunkOffset) / this.recordLengthBytes) * this.recordLengthBytes;
    return b <= chunkOffset + chunk.length ? b : -1;
  }

  public createCounter(): RecordCounter {
    let bytes = 0;
    const length = this.recordLengthBytes;
    return {
      push: (chunk: Buffer) => {
        bytes += chunk.length;
      },
      // A body is aligned to records at both ends, and checkObject rejected a partial last record.
      total: () => Math.floor(bytes / length),
    };
  }

  public checkObject(size: number): string | undefined {
    return size % this.recordLengthBytes === 0
      ? undefined
      : `size ${size} is not a multiple of format.recordLengthBytes ${this.recordLengthBytes}`;
  }

  public rangeStep(targetShardBytes: number): number {
    // Aligned ranges need no boundary search at all; at least one record per range.
    return Math.max(1, Math.floor(targetShardBytes / this.recordLengthBytes)) * this.recordLengthBytes;
  }
}

/** Turns a format spec into a format. Pass your own to the core functions to add a format. */
export type RecordFormatResolver = (spec: RecordFormatSpec) => RecordFormat;

/** The built-in formats: `newline` (with optional `csvHeader`) and `fixed`. */
export const resolveBuiltInFormat: RecordFormatResolver = (spec) => {
  switch (spec.type) {
    case 'newline':
      return new NewlineRecordFormat(spec.csvHeader === true, spec.csvHeader === true || spec.csv === true);
    case 'fixed':
      return new FixedLengthRecordFormat(spec.recordLengthBytes);
    default: {
      const unknown: { type?: unknown } = spec;
      throw new Error(`format.type must be 'newline' or 'fixed', got ${JSON.stringify(unknown.type)}`);
    }
  }
};

import { parseArgs } from 'node:util';
import {
  FileSystemLifecycle, ReadPattern, StorageKind, StorageRecommendation, TrainingDemand, describeLimit, describeLustre, describeOption, recommendStorage,
} from '../throughput-sizing';

/*
 * The logic of `npm run sizing`, kept out of scripts/sizing.ts so that tests can call it
 * without spawning a process.
 */

export const USAGE = `Usage: npm run sizing -- --gpus N --samples-per-second N --bytes-per-sample N --dataset-gib N [options]

Recommends where to read training data from (S3, EFS or FSx for Lustre) and sizes it.

Required:
  --gpus N                  GPUs reading at once (integer)
  --samples-per-second N    samples each GPU consumes per second
  --bytes-per-sample N      average bytes read per sample
  --dataset-gib N           dataset size, GiB
Options:
  --epochs N                times the dataset is read per run (integer, default 1)
  --gpus-per-instance N     GPUs per instance (integer, default 8)
  --runs-per-month N        training runs per month (default 1)
  --read-pattern P          objects (one object or file per sample, the default) or shards
  --shard-size-mib N        shard size with --read-pattern shards (default 64)
  --s3-prefixes N           partitioned S3 prefixes the data is spread over (integer, default 1)
  --fs-hours-per-month N    hours a month a kept FSx file system exists (default 730)
  --help                    show this help`;

/** Bad command-line arguments: the message is for the user, and the exit code is 2. */
export class UsageError extends Error {}

const NUMERIC_FLAGS: Record<string, { field: keyof TrainingDemand; integer: boolean }> = {
  'gpus': { field: 'gpuCount', integer: true },
  'samples-per-second': { field: 'samplesPerSecondPerGpu', integer: false },
  'bytes-per-sample': { field: 'bytesPerSample', integer: false },
  'dataset-gib': { field: 'datasetGiB', integer: false },
  'epochs': { field: 'epochs', integer: true },
  'gpus-per-instance': { field: 'gpusPerInstance', integer: true },
  'runs-per-month': { field: 'trainingRunsPerMonth', integer: false },
  'shard-size-mib': { field: 'shardSizeMiB', integer: false },
  's3-prefixes': { field: 's3Prefixes', integer: true },
  'fs-hours-per-month': { field: 'fileSystemHoursPerMonth', integer: false },
};
const READ_PATTERNS: Record<string, ReadPattern> = { objects: ReadPattern.OBJECT_PER_SAMPLE, shards: ReadPattern.SHARDS };
const REQUIRED = ['gpus', 'samples-per-second', 'bytes-per-sample', 'dataset-gib'];

/** What the command line asked for: a demand, or the help text. */
export interface ParsedSizingArgs {
  readonly help: boolean;
  readonly demand?: TrainingDemand;
}

/**
 * Parses the command line (without `node` and the script).
 * @throws UsageError naming the flag, the rule and the value
 */
export function parseSizingArgs(argv: string[]): ParsedSizingArgs {
  // parseArgs reads `--gpus -1` as a flag with no value; join it as `--gpus=-1` so that the
  // value check below reports it as a bad number instead.
  const args = argv.flatMap((arg, i) =>
    arg.startsWith('--') && arg.slice(2) in NUMERIC_FLAGS && argv[i + 1]?.startsWith('-') ? [`${arg}=${argv[i + 1]}`] :
      i > 0 && argv[i - 1].startsWith('--') && argv[i - 1].slice(2) in NUMERIC_FLAGS && arg.startsWith('-') ? [] : [arg]);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        ...Object.fromEntries(Object.keys(NUMERIC_FLAGS).map((flag) => [flag, { type: 'string' as const }])),
        'read-pattern': { type: 'string' },
        'help': { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help === true) return { help: true };
  const demand: Record<string, number | string> = {};
  const pattern = values['read-pattern'];
  if (typeof pattern === 'string') {
    if (!(pattern in READ_PATTERNS)) throw new UsageError(`--read-pattern must be objects or shards, got '${pattern}'`);
    demand.readPattern = READ_PATTERNS[pattern];
  }
  for (const [flag, { field, integer }] of Object.entries(NUMERIC_FLAGS)) {
    const raw = values[flag];
    if (typeof raw !== 'string') continue;
    // Number('') is 0 and Number('1e3') is 1000: accept plain decimals only, so typos fail loudly.
    const value = /^\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : NaN;
    const ok = Number.isFinite(value) && value > 0 && (!integer || Number.isInteger(value));
    if (!ok) throw new UsageError(`--${flag} must be ${integer ? 'a positive integer' : 'a positive number'}, got '${raw}'`);
    demand[field] = value;
  }
  const missing = REQUIRED.filter((flag) => values[flag] === undefined);
  if (missing.length > 0) throw new UsageError(`missing required ${missing.map((f) => `--${f}`).join(', ')}`);
  return { help: false, demand: demand as unknown as TrainingDemand };
}

function money(usd: number): string {
  return `$${usd.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

function num(n: number): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: 0 });
}

function factor(n: number): string {
  return `${n.toLocaleString('en-US', { maximumFractionDigits: 2, minimumFractionDigits: 2 })}x`;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 || c === r.length - 1 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd()).join('\n');
}

const KIND_LABEL: Record<StorageKind, string> = {
  [StorageKind.S3_DIRECT]: 'S3 directly',
  [StorageKind.EFS_ELASTIC]: 'EFS (elastic throughput)',
  [StorageKind.FSX_LUSTRE]: 'FSx for Lustre',
};

const LIFECYCLE_LABEL: Record<FileSystemLifecycle, string> = {
  [FileSystemLifecycle.KEPT]: 'kept',
  [FileSystemLifecycle.PER_RUN]: 'created per run',
};

/** Renders a recommendation as a plain-text report with every option, whether it fits, and why. */
export function formatRecommendation(rec: StorageRecommendation): string {
  const chosen = rec.lustre ? `${KIND_LABEL[rec.storage]}, ${describeLustre(rec.lustre)}` : KIND_LABEL[rec.storage];
  const top = rec.options[0];
  const summary: string[][] = [
    ['Recommendation', rec.fits ? chosen : `${chosen} (DOES NOT FIT)`],
    ...(rec.lustre
      ? [['Storage capacity', `${num(rec.lustre.storageCapacityGiB)} GiB`],
        ['Per-unit throughput', rec.lustre.perUnitStorageThroughput === undefined ? '- (fixed on SCRATCH)' : `${rec.lustre.perUnitStorageThroughput} MB/s/TiB`],
        ['Lifecycle', `${LIFECYCLE_LABEL[rec.lifecycle!]} (${top.runHours.toFixed(2)} h a run)`]]
      : []),
    ['Demand', `${num(rec.demandMBps)} MB/s (${num(rec.perInstanceDemandMBps)} MB/s per instance), ${num(rec.requestsPerSecond)} requests/s`],
    ['Achieved', `${num(rec.achievedMBps)} MB/s`],
    ['Headroom', `${num(rec.headroomMBps)} MB/s (${rec.headroomPercent.toFixed(1)}%)`],
    ['Binding limit', `${describeLimit(top.limits.find((l) => l.limit === rec.bindingLimit)!)} (${factor(rec.shortfallFactor)})`],
    ['Monthly cost', `${money(rec.monthlyCostUsd)} (us-east-1, incl. the S3 copy and requests)`],
  ];
  const options: string[][] = [
    ['Option', 'Capacity GiB', 'MB/s', 'Monthly', 'Fits', 'Binding limit'],
    ...rec.options.map((o) => [
      o.lustre ? `FSx ${describeLustre(o.lustre)}` : KIND_LABEL[o.storage],
      o.lustre ? num(o.lustre.storageCapacityGiB) : '-',
      num(o.achievedMBps),
      money(o.monthlyCostUsd),
      o.feasible ? 'yes' : 'no',
      `${o.bindingLimit} ${factor(o.shortfallFactor)}`,
    ]),
  ];
  const width = summary.reduce((w, [k]) => Math.max(w, k.length), 0);
  return [
    ...summary.map(([k, v]) => `${k.padEnd(width)}  ${v}`),
    '',
    rec.reason,
    '',
    table(options),
    '',
    ...rec.options.slice(0, 3).map((o) => `${describeOption(o)}: ${o.note}.`),
    '',
    'Assumptions:',
    ...rec.assumptions.map((a) => `- ${a}.`),
    'Prices and figures: lib/storage/storage-catalog.ts (each with its source; some unconfirmed).',
  ].join('\n');
}

/** Runs the command; returns the exit code. */
export function runSizingCli(argv: string[], out: (s: string) => void, err: (s: string) => void): number {
  try {
    const parsed = parseSizingArgs(argv);
    if (parsed.help || !parsed.demand) {
      out(USAGE);
      return 0;
    }
    out(formatRecommendation(recommendStorage(parsed.demand)));
    return 0;
  } catch (e) {
    err(`error: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
}

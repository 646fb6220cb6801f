import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ReadPattern, StorageKind, recommendStorage } from '../../lib/storage/throughput-sizing';
import { USAGE, UsageError, formatRecommendation, parseSizingArgs, runSizingCli } from '../../lib/storage/private/sizing-cli';

const EXAMPLE = ['--gpus', '64', '--samples-per-second', '1200', '--bytes-per-sample', '110000', '--dataset-gib', '4000'];

describe('parseSizingArgs', () => {
  test('reads the required flags and the options', () => {
    expect(parseSizingArgs([...EXAMPLE, '--epochs', '10', '--gpus-per-instance', '4', '--runs-per-month', '2.5',
      '--read-pattern', 'shards', '--shard-size-mib', '128', '--s3-prefixes', '4', '--fs-hours-per-month', '200'])).toEqual({
      help: false,
      demand: {
        gpuCount: 64, samplesPerSecondPerGpu: 1200, bytesPerSample: 110000, datasetGiB: 4000,
        epochs: 10, gpusPerInstance: 4, trainingRunsPerMonth: 2.5,
        readPattern: ReadPattern.SHARDS, shardSizeMiB: 128, s3Prefixes: 4, fileSystemHoursPerMonth: 200,
      },
    });
    expect(parseSizingArgs([...EXAMPLE, '--read-pattern', 'objects']).demand?.readPattern).toBe(ReadPattern.OBJECT_PER_SAMPLE);
  });

  test('--help asks for the usage', () => {
    expect(parseSizingArgs(['--help'])).toEqual({ help: true });
  });

  test.each([
    [['--gpus', '64'], 'missing required --samples-per-second, --bytes-per-sample, --dataset-gib'],
    [[...EXAMPLE.slice(2), '--gpus', '6.5'], "--gpus must be a positive integer, got '6.5'"],
    [[...EXAMPLE.slice(2), '--gpus', '0'], "--gpus must be a positive integer, got '0'"],
    [[...EXAMPLE, '--epochs', 'ten'], "--epochs must be a positive integer, got 'ten'"],
    [[...EXAMPLE.slice(0, 6), '--dataset-gib', '-4'], "--dataset-gib must be a positive number, got '-4'"],
    [[...EXAMPLE.slice(0, 6), '--dataset-gib', '1e3'], "--dataset-gib must be a positive number, got '1e3'"],
    [[...EXAMPLE, '--gpu', '8'], "Unknown option '--gpu'"],
    [[...EXAMPLE, '--read-pattern', 'files'], "--read-pattern must be objects or shards, got 'files'"],
    [[...EXAMPLE, '--s3-prefixes', '1.5'], "--s3-prefixes must be a positive integer, got '1.5'"],
    [[...EXAMPLE, 'extra'], 'extra'],
  ])('fails when the arguments are %j', (argv, message) => {
    expect(() => parseSizingArgs(argv)).toThrow(UsageError);
    expect(() => parseSizingArgs(argv)).toThrow(message);
  });
});

describe('formatRecommendation', () => {
  test('prints the FSx configuration, lifecycle, demand, binding limit, cost, reason and every option', () => {
    const rec = recommendStorage({ gpuCount: 64, samplesPerSecondPerGpu: 1200, bytesPerSample: 110000, datasetGiB: 4000, epochs: 10 });
    expect(rec.storage).toBe(StorageKind.FSX_LUSTRE);
    const text = formatRecommendation(rec);
    expect(text).toMatch(/^Recommendation +FSx for Lustre, PERSISTENT_2 at 1000 MB\/s\/TiB$/m);
    expect(text).toMatch(/^Storage capacity +9,600 GiB$/m);
    expect(text).toMatch(/^Per-unit throughput +1000 MB\/s\/TiB$/m);
    expect(text).toMatch(/^Lifecycle +created per run \(1\.41 h a run\)$/m);
    expect(text).toMatch(/^Demand +8,448 MB\/s \(1,056 MB\/s per instance\), 76,800 requests\/s$/m);
    expect(text).toMatch(/^Binding limit +throughput: 8,448 of 9,600 MB\/s \(0\.88x\)$/m);
    expect(text).toMatch(/^Monthly cost +\$[\d,]+\.\d\d/m);
    expect(text).toContain(rec.reason);
    expect(text.match(/^FSx (?!for Lustre)/gm)).toHaveLength(rec.options.length - 2);
    expect(text).toMatch(/^S3 directly .* no +S3_REQUEST_RATE 13\.96x$/m);
    expect(text).toMatch(/^FSx SCRATCH_2 .* no +METADATA_OPS 3\.20x$/m);
  });

  test('a demand that nothing can serve says so on the first line', () => {
    const text = formatRecommendation(recommendStorage({ gpuCount: 8, samplesPerSecondPerGpu: 2000, bytesPerSample: 2_000_000, datasetGiB: 2000 }));
    expect(text).toMatch(/^Recommendation .*\(DOES NOT FIT\)$/m);
    expect(text).toMatch(/^No option fits: /m);
  });

  test('S3 and EFS recommendations have no capacity lines', () => {
    const text = formatRecommendation(recommendStorage({ gpuCount: 8, samplesPerSecondPerGpu: 100, bytesPerSample: 1000, datasetGiB: 10 }));
    expect(text).toMatch(/^Recommendation +S3 directly$/m);
    expect(text).not.toMatch(/^Storage capacity/m);
  });
});

describe('the README\'s worked examples', () => {
  // Each ```sh block that runs `npm run sizing -- ...` and is followed by a ```text block must be
  // what the command prints: the README fails this test when it drifts from the CLI.
  const readme = fs.readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');
  const examples = [...readme.matchAll(/```sh\nnpm run sizing -- (.+)\n```\n\n```text\n([\s\S]*?)\n```/g)];

  test('there are two, one ending on FSx and one on S3 with shards', () => {
    expect(examples).toHaveLength(2);
    expect(examples[0][2]).toMatch(/^Recommendation +FSx for Lustre/);
    expect(examples[1][1]).toContain('--read-pattern shards');
    expect(examples[1][2]).toMatch(/^Recommendation +S3 directly$/m);
  });

  test.each([0, 1])('example %d is exactly what the CLI prints', (i) => {
    const out: string[] = [];
    expect(runSizingCli(examples[i][1].split(/\s+/), (s) => out.push(s), () => undefined)).toBe(0);
    expect(examples[i][2]).toBe(out.join('\n'));
  });
});

describe('runSizingCli', () => {
  test('exits 0 with the table, and 2 with the error and usage', () => {
    const out: string[] = [];
    const err: string[] = [];
    expect(runSizingCli(EXAMPLE, (s) => out.push(s), (s) => err.push(s))).toBe(0);
    expect(out.join('\n')).toMatch(/^Recommendation/);
    expect(runSizingCli(['--gpus', 'x'], (s) => out.push(s), (s) => err.push(s))).toBe(2);
    expect(err.join('\n')).toContain("error: --gpus must be a positive integer, got 'x'");
    expect(err.join('\n')).toContain(USAGE);
  });
});

describe('the real command', () => {
  const root = path.resolve(__dirname, '../..');
  // Node with tsx's loader, as `npm run sizing` would run it but without npx (about a second) and without
  // the tsx CLI's second process.
  const run = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'scripts/sizing.ts', ...args], { cwd: root, encoding: 'utf8' });

  test('prints a recommendation and exits 0', () => {
    const result = run([...EXAMPLE, '--epochs', '10']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Recommendation +/m);
    expect(result.stdout).toMatch(/^Demand +8,448 MB\/s/m);
  });

  test('fails with exit code 2 and the usage on a bad argument', () => {
    const result = run(['--gpus', '-1']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("error: --gpus must be a positive integer, got '-1'");
    expect(result.stderr).toContain('Usage: npm run sizing');
  });
});

import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { StorageKind, recommendStorage } from '../../lib/storage/throughput-sizing';
import { USAGE, UsageError, formatRecommendation, parseSizingArgs, runSizingCli } from '../../lib/storage/private/sizing-cli';

const EXAMPLE = ['--gpus', '64', '--samples-per-second', '1200', '--bytes-per-sample', '110000', '--dataset-gib', '4000'];

describe('parseSizingArgs', () => {
  test('reads the required flags and the options', () => {
    expect(parseSizingArgs([...EXAMPLE, '--epochs', '10', '--gpus-per-instance', '4', '--runs-per-month', '2.5'])).toEqual({
      help: false,
      demand: {
        gpuCount: 64, samplesPerSecondPerGpu: 1200, bytesPerSample: 110000, datasetGiB: 4000,
        epochs: 10, gpusPerInstance: 4, trainingRunsPerMonth: 2.5,
      },
    });
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
    [[...EXAMPLE, 'extra'], 'extra'],
  ])('fails when the arguments are %j', (argv, message) => {
    expect(() => parseSizingArgs(argv)).toThrow(UsageError);
    expect(() => parseSizingArgs(argv)).toThrow(message);
  });
});

describe('formatRecommendation', () => {
  test('prints the FSx configuration, demand, headroom, cost, reason and every option', () => {
    const rec = recommendStorage({ gpuCount: 512, samplesPerSecondPerGpu: 1200, bytesPerSample: 110000, datasetGiB: 4000, epochs: 3 });
    expect(rec.storage).toBe(StorageKind.FSX_LUSTRE);
    const text = formatRecommendation(rec);
    expect(text).toMatch(/^Recommendation +FSx for Lustre, PERSISTENT_2 at 1000 MB\/s\/TiB$/m);
    expect(text).toMatch(/^Storage capacity +69,600 GiB$/m);
    expect(text).toMatch(/^Per-unit throughput +1000 MB\/s\/TiB$/m);
    expect(text).toMatch(/^Demand +67,584 MB\/s \(1,056 MB\/s per instance\)$/m);
    expect(text).toMatch(/^Headroom +\d[\d,]* MB\/s \(\d+\.\d%\)$/m);
    expect(text).toMatch(/^Monthly cost +\$[\d,]+\.\d\d/m);
    expect(text).toContain(rec.reason);
    expect(text.match(/^FSx /gm)).toHaveLength(rec.options.length - 2);
    expect(text).toMatch(/^EFS \(elastic throughput\) .* no$/m);
  });

  test('S3 and EFS recommendations have no capacity lines', () => {
    const text = formatRecommendation(recommendStorage({ gpuCount: 8, samplesPerSecondPerGpu: 100, bytesPerSample: 1000, datasetGiB: 10 }));
    expect(text).toMatch(/^Recommendation +S3 directly$/m);
    expect(text).not.toMatch(/^Storage capacity/m);
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
  // The tsx that `npx tsx` resolves to, called directly: npx itself adds about a second per run.
  const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
  const run = (args: string[]) => spawnSync(tsx, ['scripts/sizing.ts', ...args], { cwd: root, encoding: 'utf8' });

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

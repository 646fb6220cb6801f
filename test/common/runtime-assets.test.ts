import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runtimeAssetDir } from '../../lib/common/runtime-assets';

const root = path.join(__dirname, '..', '..');
const registry = JSON.parse(fs.readFileSync(path.join(root, 'lib', 'runtimes.json'), 'utf8')) as Record<string, string>;
const names = Object.keys(registry).filter((name) => !name.startsWith('//'));

describe('pre-bundled runtimes', () => {
  test.each(names)('%s is bundled from an existing source, with a handler export', (name) => {
    expect(fs.existsSync(path.join(root, registry[name]))).toBe(true);
    const code = fs.readFileSync(path.join(runtimeAssetDir(name), 'index.js'), 'utf8');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const bundle = require(path.join(runtimeAssetDir(name), 'index.js')) as { handler?: unknown };
    expect(typeof bundle.handler).toBe('function');
    // The bundle carries the SDK it was tested with: nothing is left to the Lambda runtime's copy but
    // the optional CRT signer, which the SDK loads only for SigV4a (multi-region access points).
    const external = [...new Set([...code.matchAll(/require\("(@aws-sdk\/[^"]+)"\)/g)].map((m) => m[1]))];
    expect(external.filter((m) => m !== '@aws-sdk/signature-v4-crt')).toEqual([]);
  });

  test('resolves from the sources (lib/<domain>) and from the compiled package (dist/lib/<domain>)', () => {
    const fromSources = runtimeAssetDir(names[0], path.join(root, 'lib', 'sharding'));
    const fromDist = runtimeAssetDir(names[0], path.join(root, 'dist', 'lib', 'sharding'));
    expect(fromSources).toBe(path.join(root, 'assets', 'runtime', names[0]));
    expect(fromDist).toBe(fromSources);
  });

  test('fails clearly when a handler was not bundled', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'no-assets-'));
    expect(() => runtimeAssetDir('nope', path.join(empty, 'lib', 'x'))).toThrow(
      /The pre-bundled handler 'nope' was not found .*run `npm run bundle`/,
    );
  });
});

describe('incremental bundling (scripts/bundle-runtimes.mjs)', () => {
  type Bundler = {
    inputStamp(inputs: string[], base: string, self: string): string | undefined;
    isFresh(outdir: string, entry: string, base: string, self: string): boolean;
  };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const bundler = require(path.join(root, 'scripts', 'runtime-stamp.cjs')) as Bundler;
  let base: string;
  let outdir: string;
  const SELF = 'script-digest';

  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-'));
    outdir = path.join(base, 'out');
    fs.mkdirSync(outdir);
    fs.writeFileSync(path.join(base, 'entry.ts'), 'export const a = 1;\n');
    fs.writeFileSync(path.join(base, 'dep.ts'), 'export const b = 2;\n');
    fs.writeFileSync(path.join(outdir, 'index.js'), 'exports.handler = () => 1;\n');
    const inputs = ['entry.ts', 'dep.ts'];
    fs.writeFileSync(path.join(outdir, 'SOURCE'), JSON.stringify({ entry: 'entry.ts', inputs, stamp: bundler.inputStamp(inputs, base, SELF) }));
  });

  test('keeps a bundle whose recorded inputs are unchanged', () => {
    expect(bundler.isFresh(outdir, 'entry.ts', base, SELF)).toBe(true);
  });

  test('rebuilds when an input changed, vanished, the entry moved, the script changed or the bundle is missing', () => {
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(path.join(base, 'dep.ts'), later, later);
    expect(bundler.isFresh(outdir, 'entry.ts', base, SELF)).toBe(false);
    fs.rmSync(path.join(base, 'dep.ts'));
    expect(bundler.inputStamp(['entry.ts', 'dep.ts'], base, SELF)).toBeUndefined();
    expect(bundler.isFresh(outdir, 'entry.ts', base, SELF)).toBe(false);
  });

  test('rebuilds for another entry, another script digest, a missing bundle or an unreadable record', () => {
    expect(bundler.isFresh(outdir, 'other.ts', base, SELF)).toBe(false);
    expect(bundler.isFresh(outdir, 'entry.ts', base, 'another-script')).toBe(false);
    fs.writeFileSync(path.join(outdir, 'SOURCE'), 'lib/x.ts\n');
    expect(bundler.isFresh(outdir, 'entry.ts', base, SELF)).toBe(false);
    fs.rmSync(path.join(outdir, 'index.js'));
    expect(bundler.isFresh(outdir, 'entry.ts', base, SELF)).toBe(false);
  });

  test('records every input esbuild read for each shipped bundle', () => {
    for (const name of names) {
      const record = JSON.parse(fs.readFileSync(path.join(root, 'assets', 'runtime', name, 'SOURCE'), 'utf8')) as { entry: string; inputs: string[] };
      expect(record.entry).toBe(registry[name]);
      expect(record.inputs).toContain(registry[name]);
      expect(record.inputs.some((i) => i.startsWith('node_modules/@aws-sdk/'))).toBe(true);
    }
  });
});

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

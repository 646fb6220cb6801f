#!/usr/bin/env node
// Writes assets/runtime/THIRD_PARTY_LICENSES: the npm packages that the pre-bundled Lambda handlers
// contain (the AWS SDK and its dependencies), each with its version and license, and the text of every
// distinct license file once. The package redistributes that code inside the bundles, and licenses such
// as MIT require their notice to travel with it. The packages are read from the bundles' source maps
// (every bundled file is a `sources` entry), so the list is exactly what ships, and it is rewritten
// each time the handlers are bundled (scripts/bundle-runtimes.mjs). Output is deterministic.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const RUNTIME_DIR = join(root, 'assets', 'runtime');
export const NOTICE_FILE = 'THIRD_PARTY_LICENSES';

/**
 * The package folder of a bundled source path (the part up to the last `node_modules/<name>`, with a
 * scope), or undefined for the project's own sources.
 * @param {string} source a `sources` entry of a source map, relative to the map's folder
 * @returns {{ name: string, relativeDir: string } | undefined}
 */
export function packageOfSource(source) {
  const marker = 'node_modules/';
  const at = source.lastIndexOf(marker);
  if (at < 0) return undefined;
  const parts = source.slice(at + marker.length).split('/');
  const name = parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  return { name, relativeDir: source.slice(0, at + marker.length) + name };
}

/**
 * The packages bundled into the handlers under `runtimeDir`, sorted by name and version.
 * @param {string} runtimeDir folder of the `<name>/index.js.map` bundles
 */
export function bundledPackages(runtimeDir = RUNTIME_DIR) {
  const byDir = new Map();
  const handlers = readdirSync(runtimeDir, { withFileTypes: true }).filter((e) => e.isDirectory());
  for (const handler of handlers) {
    const mapFile = join(runtimeDir, handler.name, 'index.js.map');
    if (!existsSync(mapFile)) continue;
    const map = JSON.parse(readFileSync(mapFile, 'utf8'));
    for (const source of map.sources) {
      const pkg = packageOfSource(source);
      if (!pkg) continue;
      const dir = resolve(runtimeDir, handler.name, map.sourceRoot ?? '', pkg.relativeDir);
      const entry = byDir.get(dir) ?? { dir, name: pkg.name, handlers: new Set() };
      entry.handlers.add(handler.name);
      byDir.set(dir, entry);
    }
  }
  const packages = [...byDir.values()].map(({ dir, name, handlers }) => {
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const licenseFile = readdirSync(dir)
      .filter((f) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(f))
      .sort()[0];
    return {
      name,
      version: manifest.version,
      license: typeof manifest.license === 'string' ? manifest.license : 'UNKNOWN',
      licenseText: licenseFile ? readFileSync(join(dir, licenseFile), 'utf8').replace(/\r\n/g, '\n').replace(/^\s*\n|\s+$/g, '') : undefined,
      handlers: [...handlers].sort(),
    };
  });
  const unique = new Map(packages.map((p) => [`${p.name}@${p.version}`, p]));
  return [...unique.values()].sort((a, b) => (a.name === b.name ? a.version.localeCompare(b.version) : a.name < b.name ? -1 : 1));
}

/** The text of THIRD_PARTY_LICENSES for the given packages. */
export function renderNotice(packages) {
  const lines = [
    'Third-party software in the pre-bundled Lambda handlers of cdk-ml-at-scale (assets/runtime/)',
    '',
    'The handlers are bundled with esbuild and contain code of the npm packages below. Each is',
    'distributed under its own license; the text of every distinct license file follows the list.',
    '',
  ];
  for (const p of packages) lines.push(`${p.name}@${p.version}  ${p.license}  (${p.handlers.join(', ')})`);
  const texts = new Map();
  for (const p of packages) {
    const key = p.licenseText ?? `(no license file in the package; package.json says ${p.license})`;
    texts.set(key, [...(texts.get(key) ?? []), `${p.name}@${p.version}`]);
  }
  for (const [text, names] of texts) {
    lines.push('', '-'.repeat(78), `License of: ${names.join(', ')}`, '-'.repeat(78), '', text);
  }
  return `${lines.join('\n')}\n`;
}

/** Writes THIRD_PARTY_LICENSES into `runtimeDir`; returns the number of packages. */
export function writeThirdPartyLicenses(runtimeDir = RUNTIME_DIR) {
  const packages = bundledPackages(runtimeDir);
  writeFileSync(join(runtimeDir, NOTICE_FILE), renderNotice(packages));
  return packages.length;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(`${writeThirdPartyLicenses()} bundled packages listed in assets/runtime/${NOTICE_FILE}`);
}

#!/usr/bin/env node
// Bundles every Lambda handler listed in lib/runtimes.json into assets/runtime/<name>/index.js with
// esbuild, so that the package ships them pre-bundled, as aws-cdk-lib ships its own handlers: a team's
// synth bundles nothing and needs no esbuild. Runs on `npm ci`/`npm pack` (prepare), before jest
// (globalSetup) and before the reference app (cdk.json), so that a bundle is never older than its source.
// Output is deterministic: the same sources give the same bytes, so asset hashes move only with code.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeThirdPartyLicenses } from './third-party-licenses.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function bundleRuntimes({ quiet = false } = {}) {
  const registry = JSON.parse(readFileSync(join(root, 'lib', 'runtimes.json'), 'utf8'));
  const entries = Object.entries(registry).filter(([name]) => !name.startsWith('//'));
  const started = Date.now();
  await Promise.all(
    entries.map(async ([name, entry]) => {
      const outdir = join(root, 'assets', 'runtime', name);
      rmSync(outdir, { recursive: true, force: true });
      mkdirSync(outdir, { recursive: true });
      await build({
        entryPoints: [join(root, entry)],
        outfile: join(outdir, 'index.js'),
        bundle: true,
        platform: 'node',
        target: 'node24',
        format: 'cjs',
        minify: true,
        sourcemap: true,
        // File and line numbers are enough for stack traces (--enable-source-maps); the sources' text
        // (mostly the AWS SDK) would more than double the maps the package and each Lambda asset carry.
        sourcesContent: false,
        // Source paths in the map relative to the package, not to this machine.
        sourceRoot: '',
        // The tested SDK version ships in the bundle, not the one in the Lambda runtime.
        external: [],
        legalComments: 'none',
        logLevel: 'warning',
      });
      writeFileSync(join(outdir, 'SOURCE'), `${entry}\n`);
    }),
  );
  // The bundles contain third-party code: its licenses travel with them (assets/runtime/THIRD_PARTY_LICENSES).
  writeThirdPartyLicenses(join(root, 'assets', 'runtime'));
  if (!quiet) console.log(`bundled ${entries.length} runtimes into assets/runtime/ in ${Date.now() - started} ms`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  bundleRuntimes({ quiet: process.argv.includes('--quiet') }).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

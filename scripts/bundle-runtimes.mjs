#!/usr/bin/env node
// Bundles every Lambda handler listed in lib/runtimes.json into assets/runtime/<name>/index.js with
// esbuild, so that the package ships them pre-bundled, as aws-cdk-lib ships its own handlers: a team's
// synth bundles nothing and needs no esbuild. Runs on `npm ci`/`npm pack` (prepare), before jest
// (globalSetup) and before the reference app (cdk.json), so that a bundle is never older than its source.
// Output is deterministic: the same sources give the same bytes, so asset hashes move only with code.
//
// A bundle is rebuilt only when one of its inputs changed: assets/runtime/<name>/SOURCE records the
// inputs esbuild read (from its metafile) with their sizes and modification times, and a digest of this
// script and of esbuild's version. Any edit, checkout, `npm ci` or new import therefore rebuilds it; an
// unchanged tree costs a few hundred stat calls instead of about a second of bundling.
import { build, version as esbuildVersion } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NOTICE_FILE, writeThirdPartyLicenses } from './third-party-licenses.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const stampModule = require.resolve('./runtime-stamp.cjs');
const { inputStamp: stampOf, isFresh: freshIn } = require(stampModule);
// This script, the stamp's and the license list's code and esbuild's version: a change to any of them
// rebuilds every bundle (and so the license list).
const SELF = createHash('sha256')
  .update(readFileSync(fileURLToPath(import.meta.url)))
  .update(readFileSync(stampModule))
  .update(readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'third-party-licenses.mjs')))
  .update(esbuildVersion)
  .digest('hex');
const inputStamp = (inputs) => stampOf(inputs, root, SELF);
const isFresh = (outdir, entry) => freshIn(outdir, entry, root, SELF);

export async function bundleRuntimes({ quiet = false, force = false } = {}) {
  const registry = JSON.parse(readFileSync(join(root, 'lib', 'runtimes.json'), 'utf8'));
  const entries = Object.entries(registry).filter(([name]) => !name.startsWith('//'));
  const started = Date.now();
  const built = [];
  await Promise.all(
    entries.map(async ([name, entry]) => {
      const outdir = join(root, 'assets', 'runtime', name);
      if (!force && isFresh(outdir, entry)) return;
      rmSync(outdir, { recursive: true, force: true });
      mkdirSync(outdir, { recursive: true });
      const result = await build({
        absWorkingDir: root,
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
        metafile: true,
      });
      const inputs = Object.keys(result.metafile.inputs);
      writeFileSync(join(outdir, 'SOURCE'), `${JSON.stringify({ entry, inputs, stamp: inputStamp(inputs) })}\n`);
      built.push(name);
    }),
  );
  // The bundles contain third-party code: its licenses travel with them (assets/runtime/THIRD_PARTY_LICENSES),
  // rewritten whenever a bundle changed or the list is missing.
  if (built.length > 0 || !existsSync(join(root, 'assets', 'runtime', NOTICE_FILE))) writeThirdPartyLicenses(join(root, 'assets', 'runtime'));
  if (!quiet) {
    console.log(`bundled ${built.length} of ${entries.length} runtimes into assets/runtime/ in ${Date.now() - started} ms` + (built.length < entries.length ? ' (the others were up to date)' : ''));
  }
  return built.sort();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  bundleRuntimes({ quiet: process.argv.includes('--quiet'), force: process.argv.includes('--force') }).catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

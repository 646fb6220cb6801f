// The freshness record of a pre-bundled Lambda handler (see bundle-runtimes.mjs). CommonJS, so that
// jest tests it without an ES-module loader.
const { createHash } = require('node:crypto');
const { existsSync, readFileSync, statSync } = require('node:fs');
const { join } = require('node:path');

/**
 * A digest of the inputs' paths, sizes and modification times and of `self` (the bundler's own digest);
 * undefined when an input is gone.
 */
function inputStamp(inputs, base, self) {
  const hash = createHash('sha256').update(self);
  for (const input of [...inputs].sort()) {
    let stat;
    try {
      stat = statSync(join(base, input));
    } catch {
      return undefined;
    }
    hash.update(`${input}\0${stat.size}\0${stat.mtimeMs}\n`);
  }
  return hash.digest('hex');
}

/** Whether the bundle in `outdir` was built from `entry` and none of its recorded inputs has changed since. */
function isFresh(outdir, entry, base, self) {
  if (!existsSync(join(outdir, 'index.js'))) return false;
  let record;
  try {
    record = JSON.parse(readFileSync(join(outdir, 'SOURCE'), 'utf8'));
  } catch {
    return false;
  }
  return record.entry === entry && Array.isArray(record.inputs) && record.stamp === inputStamp(record.inputs, base, self);
}

module.exports = { inputStamp, isFresh };

import * as fs from 'fs';
import * as path from 'path';

/**
 * The TypeScript source of a sharder Lambda handler, for esbuild to bundle at synth.
 *
 * From the sources (`lib/sharding/`, run by tsx or jest) the handler sits next to this file. From the
 * compiled package (`dist/lib/sharding/`) it does not: the package ships the handlers' TypeScript under
 * `lib/sharding/runtime/` (package.json "files"), so the path leads back there.
 *
 * @param name the handler's file name without extension (`plan`, `shard`, `finalize`)
 * @param dir the directory of the compiled or source construct file (tests pass their own)
 */
export function runtimeEntry(name: string, dir: string = __dirname): string {
  const candidates = [
    path.join(dir, 'runtime', `${name}.ts`),
    // dist/lib/sharding -> <package>/lib/sharding/runtime
    path.join(dir, '..', '..', '..', 'lib', 'sharding', 'runtime', `${name}.ts`),
  ];
  const found = candidates.find((candidate) => fs.existsSync(candidate));
  if (!found) {
    throw new Error(`The sharder handler '${name}.ts' was not found; looked in ${candidates.join(' and ')}`);
  }
  return found;
}

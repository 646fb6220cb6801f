import * as fs from 'fs';
import * as path from 'path';

/**
 * A file that ships in the package under `assets/` (for example `glue/spark_etl.py`).
 *
 * From the sources (`lib/etl/private/`, run by tsx or jest) the package root is three folders up; from
 * the compiled package (`dist/lib/etl/private/`) it is four. package.json's "files" lists `assets/glue`.
 */
export function packageAssetFile(relative: string, dir: string = __dirname): string {
  const candidates = [3, 4].map((up) => path.join(dir, ...Array<string>(up).fill('..'), 'assets', relative));
  const found = candidates.find((candidate) => fs.existsSync(candidate));
  if (!found) throw new Error(`The packaged asset '${relative}' was not found (looked in ${candidates.join(' and ')}).`);
  return found;
}

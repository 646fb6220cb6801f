import * as fs from 'fs';
import * as path from 'path';

/**
 * The reference inference runner (`assets/edge/inference/inference.py` at the package root). From the
 * sources (`lib/edge/...`) the package root is two folders up; from the compiled package
 * (`dist/lib/edge/...`) it is three.
 *
 * @param dir where to start looking (tests pass their own)
 */
export function inferenceRunnerPath(dir: string = path.join(__dirname, '..')): string {
  const candidates = [2, 3].map((up) => path.join(dir, ...Array<string>(up).fill('..'), 'assets', 'edge', 'inference', 'inference.py'));
  const found = candidates.find((candidate) => fs.existsSync(candidate));
  if (!found) throw new Error(`The reference runner inference.py was not found (looked in ${candidates.join(' and ')}).`);
  return found;
}

import * as fs from 'fs';
import * as path from 'path';
import * as lambda from 'aws-cdk-lib/aws-lambda';

/**
 * The folder of a pre-bundled Lambda handler (`assets/runtime/<name>/index.js` at the package root).
 *
 * From the sources (`lib/<domain>/`, run by tsx or jest) the package root is two folders up; from
 * the compiled package (`dist/lib/<domain>/`) it is three. Handlers are listed in `lib/runtimes.json`
 * and bundled by `scripts/bundle-runtimes.mjs`.
 *
 * @param name the handler's name in `lib/runtimes.json`, for example `sharding-plan`
 * @param dir where to start looking (tests pass their own)
 */
export function runtimeAssetDir(name: string, dir: string = __dirname): string {
  const candidates = [2, 3].map((up) => path.join(dir, ...Array<string>(up).fill('..'), 'assets', 'runtime', name));
  const found = candidates.find((candidate) => fs.existsSync(path.join(candidate, 'index.js')));
  if (!found) {
    throw new Error(
      `The pre-bundled handler '${name}' was not found (looked in ${candidates.join(' and ')}). ` +
        'In a checkout of cdk-ml-at-scale, run `npm run bundle` (npm ci does it for you).',
    );
  }
  return found;
}

/** The code of a pre-bundled Lambda handler: nothing is bundled at synth, and no esbuild is needed. */
export function runtimeCode(name: string): lambda.Code {
  return lambda.Code.fromAsset(runtimeAssetDir(name), { exclude: ['SOURCE'] });
}

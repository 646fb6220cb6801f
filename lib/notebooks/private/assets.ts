import * as fs from 'fs';
import * as path from 'path';

/**
 * A folder of `assets/` at the package root: two folders up from the sources (`lib/notebooks/private`
 * is three, run by tsx or jest), one more from the compiled package (`dist/lib/notebooks/private`).
 */
export function notebookAssetDir(folder: string, dir: string = __dirname): string {
  const candidates = [3, 4].map((up) => path.join(dir, ...Array<string>(up).fill('..'), 'assets', folder));
  const found = candidates.find((candidate) => fs.existsSync(candidate));
  if (!found) {
    throw new Error(`The asset folder '${folder}' was not found (looked in ${candidates.join(' and ')}); the package is incomplete.`);
  }
  return found;
}

/** The starter notebooks (and the helper module they import) that ship with the package. */
export function starterNotebooksDir(dir?: string): string {
  return notebookAssetDir('notebooks', dir);
}

/** The idle auto-stop script that the lifecycle configuration installs. */
export function autoStopScript(dir?: string): string {
  return fs.readFileSync(path.join(notebookAssetDir('notebook-lifecycle', dir), 'autostop.py'), 'utf8');
}

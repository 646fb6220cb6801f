/**
 * The Greengrass v2 recipe of a model release, and the version arithmetic of releases. Pure code: the
 * construct builds its CloudFormation component versions with it at synth, and the release handler
 * builds the next version with it at run time, so that both produce the same recipe.
 *
 * @see https://docs.aws.amazon.com/greengrass/v2/developerguide/component-recipe-reference.html
 */
import { createHash } from 'node:crypto';

/** Greengrass component versions are `major.minor.patch` (no pre-release or build suffix). */
export const SEMVER = /^(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})$/;

/** The recipe format every recipe here uses. */
export const RECIPE_FORMAT_VERSION = '2020-01-25';

/**
 * One artifact of a recipe: an `s3://` URI and, where known, its SHA-256. The nucleus compares the base64 of
 * the digest (`Base64.getEncoder().encodeToString(messageDigest.digest())` in aws-greengrass-nucleus's
 * ArtifactDownloader), with `Algorithm` as a Java MessageDigest name (`SHA-256`).
 */
export interface RecipeArtifact {
  readonly uri: string;
  readonly sha256Base64?: string;
}

/** What a release recipe is built from. */
export interface RecipeSpec {
  readonly componentName: string;
  readonly componentVersion: string;
  readonly description: string;
  /** The reference inference runner (a Python script). */
  readonly runner: RecipeArtifact;
  /** The model file. */
  readonly model: RecipeArtifact;
  /** Configuration defaults merged over `Host` and `Port`. */
  readonly configuration?: Record<string, unknown>;
}

/** The default configuration of the runner: it serves on loopback only. */
export const DEFAULT_CONFIGURATION = { Host: '127.0.0.1', Port: 8080 };

/** The file name that Greengrass gives an artifact: the last segment of its URI. */
export function artifactFileName(uri: string): string {
  const name = uri.split('/').pop() ?? '';
  if (!name) throw new Error(`artifact URI must end in a file name, got '${uri}'`);
  return name;
}

function artifact(a: RecipeArtifact): Record<string, unknown> {
  return {
    URI: a.uri,
    ...(a.sha256Base64 ? { Digest: a.sha256Base64, Algorithm: 'SHA-256' } : {}),
    Unarchive: 'NONE',
    Permission: { Read: 'OWNER', Execute: 'NONE' },
  };
}

/**
 * The recipe of one model release: the runner and the model as artifacts, an Install step that checks
 * the model loads (a bad model fails the deployment, which then rolls back) and a Run step that serves it.
 */
export function buildRecipe(spec: RecipeSpec): Record<string, unknown> {
  const runner = `{artifacts:path}/${artifactFileName(spec.runner.uri)}`;
  const model = `{artifacts:path}/${artifactFileName(spec.model.uri)}`;
  return {
    RecipeFormatVersion: RECIPE_FORMAT_VERSION,
    ComponentName: spec.componentName,
    ComponentVersion: spec.componentVersion,
    ComponentDescription: spec.description,
    ComponentPublisher: 'cdk-ml-at-scale',
    ComponentConfiguration: {
      DefaultConfiguration: { ...DEFAULT_CONFIGURATION, ...spec.configuration },
    },
    Manifests: [
      {
        Platform: { os: 'linux' },
        Lifecycle: {
          Install: `python3 -B ${runner} --check --model ${model}`,
          Run: `python3 -B -u ${runner} --model ${model} --host {configuration:/Host} --port {configuration:/Port}`,
        },
        Artifacts: [artifact(spec.runner), artifact(spec.model)],
      },
    ],
  };
}

/** JSON with object keys sorted, so that equal recipes give equal text and equal hashes. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The SHA-256 (hex) of a recipe's canonical JSON. */
export function recipeHash(recipe: unknown): string {
  return createHash('sha256').update(canonicalJson(recipe)).digest('hex');
}

/** `[major, minor, patch]` of a version, or undefined when it is not `major.minor.patch`. */
export function parseVersion(version: string): [number, number, number] | undefined {
  const m = SEMVER.exec(version);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/** Orders versions numerically (`1.10.0` after `1.9.0`). Non-semver versions sort first. */
export function compareVersions(a: string, b: string): number {
  const pa = parseVersion(a) ?? [-1, -1, -1];
  const pb = parseVersion(b) ?? [-1, -1, -1];
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
  return 0;
}

/**
 * The next release version: the patch after the highest existing version within `major.minor` of
 * `base`, or `base` itself when no version is at or above it. Versions of other lines are ignored,
 * so that a team can move to `2.0.0` by changing `base`.
 */
export function nextVersion(existing: readonly string[], base: string): string {
  const b = parseVersion(base);
  if (!b) throw new Error(`base version must be major.minor.patch, got '${base}'`);
  const line = existing
    .map(parseVersion)
    .filter((v): v is [number, number, number] => v !== undefined && v[0] === b[0] && v[1] === b[1] && v[2] >= b[2]);
  if (line.length === 0) return base;
  const top = Math.max(...line.map((v) => v[2]));
  return `${b[0]}.${b[1]}.${top + 1}`;
}

/** Converts a SHA-256 given as 64 hex characters to the base64 that Greengrass compares; base64 passes. */
export function sha256ToBase64(sha256: string): string | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(sha256)) return Buffer.from(sha256, 'hex').toString('base64');
  if (/^[A-Za-z0-9+/]{43}=$/.test(sha256)) return sha256;
  return undefined;
}

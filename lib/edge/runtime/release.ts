/**
 * Releases a new model to the edge: creates the next Greengrass component version for the model file that
 * landed under the models prefix, and revises the thing group's deployment to run it.
 *
 * - Idempotent: every version's recipe carries the model's identity (`s3://bucket/key` and the S3 version
 *   ID, or the ETag of an unversioned object) as `ModelSource`. A model already released (an event
 *   delivered twice, a retried invocation) reuses its version, and a deployment that already runs it is
 *   left alone.
 * - No race to a version number: the function runs with a reserved concurrency of 1, and
 *   CreateComponentVersion is itself a conditional write: a version that exists already (created by
 *   another writer) answers ConflictException, and the handler lists the versions again and takes the
 *   next number.
 * - Failures throw: Lambda retries, then sends the event to the dead-letter queue and the failure record
 *   to the SNS topic.
 */
import { createHash } from 'node:crypto';
import {
  ComponentDeploymentSpecification,
  ConflictException,
  CreateComponentVersionCommand,
  CreateDeploymentCommand,
  GetComponentCommand,
  GetDeploymentCommand,
  GreengrassV2Client,
  ListComponentVersionsCommand,
  ListDeploymentsCommand,
} from '@aws-sdk/client-greengrassv2';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { buildRecipe, compareVersions, nextVersion } from '../private/recipe';

/** The EventBridge event of S3 `Object Created` (the parts used here). */
export interface ObjectCreatedEvent {
  readonly 'detail-type'?: string;
  readonly detail: {
    readonly bucket: { readonly name: string };
    readonly object: { readonly key: string; readonly etag?: string; readonly 'version-id'?: string; readonly size?: number };
  };
}

/** What a release did. */
export interface ReleaseResult {
  readonly componentName: string;
  readonly componentVersion: string;
  /** Whether this invocation created the component version (false: the model was released before). */
  readonly created: boolean;
  /** The new deployment's ID, or undefined when the deployment already ran this version or a newer one. */
  readonly deploymentId?: string;
  readonly modelSource: string;
}

/** The handler's settings (environment variables, set by EdgeModelRelease). */
export interface ReleaseSettings {
  readonly componentName: string;
  readonly componentArn: string;
  readonly thingGroupArn: string;
  readonly modelsBucket: string;
  readonly modelsPrefix: string;
  readonly runnerUri: string;
  readonly runnerSha256: string;
  readonly baseVersion: string;
  /** How many of the newest versions are searched for the model before a new version is created. */
  readonly lookback: number;
  readonly configuration: Record<string, unknown>;
  readonly iotJobConfiguration: Record<string, unknown>;
}

/** Conditional-write retries when another writer takes the version number first. */
const MAX_CONFLICTS = 5;

export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): ReleaseSettings {
  const need = (name: string): string => {
    const value = env[name];
    if (!value) throw new Error(`environment variable ${name} is not set`);
    return value;
  };
  return {
    componentName: need('COMPONENT_NAME'),
    componentArn: need('COMPONENT_ARN'),
    thingGroupArn: need('THING_GROUP_ARN'),
    modelsBucket: need('MODELS_BUCKET'),
    modelsPrefix: need('MODELS_PREFIX'),
    runnerUri: need('RUNNER_URI'),
    runnerSha256: need('RUNNER_SHA256'),
    baseVersion: need('BASE_VERSION'),
    lookback: Number(env.LOOKBACK ?? '10'),
    configuration: JSON.parse(env.CONFIGURATION ?? '{}') as Record<string, unknown>,
    iotJobConfiguration: JSON.parse(need('IOT_JOB_CONFIGURATION')) as Record<string, unknown>,
  };
}

/** A token for the idempotent create calls: 64 characters of [0-9a-f]. */
function clientToken(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('hex');
}

/** The model's identity: the object and its S3 version (or ETag when the bucket is not versioned). */
export function modelSource(event: ObjectCreatedEvent): string {
  const { bucket, object } = event.detail;
  const version = object['version-id'] ? `versionId=${object['version-id']}` : `etag=${object.etag ?? ''}`;
  return `s3://${bucket.name}/${object.key}?${version}`;
}

/**
 * The SHA-256 of the object, base64, when S3 holds a full-object checksum for it; undefined otherwise
 * (Greengrass then computes the digest when it creates the component version).
 */
export async function modelSha256(s3: S3Client, event: ObjectCreatedEvent): Promise<string | undefined> {
  const { bucket, object } = event.detail;
  const head = await s3.send(
    new HeadObjectCommand({ Bucket: bucket.name, Key: object.key, VersionId: object['version-id'], ChecksumMode: 'ENABLED' }),
  );
  const sum = head.ChecksumSHA256;
  // A multipart upload's SHA-256 is a checksum of part checksums (`<base64>-<parts>`), not the file's.
  if (!sum || head.ChecksumType === 'COMPOSITE' || sum.includes('-')) return undefined;
  return sum;
}

async function listVersions(gg: GreengrassV2Client, arn: string): Promise<{ version: string; arn: string }[]> {
  const out: { version: string; arn: string }[] = [];
  let nextToken: string | undefined;
  do {
    const page = await gg.send(new ListComponentVersionsCommand({ arn, nextToken, maxResults: 100 }));
    for (const v of page.componentVersions ?? []) {
      if (v.componentVersion && v.arn) out.push({ version: v.componentVersion, arn: v.arn });
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return out.sort((a, b) => compareVersions(b.version, a.version));
}

/** The newest version (within `lookback`) whose recipe serves this model, if any. */
async function findRelease(gg: GreengrassV2Client, versions: { version: string; arn: string }[], source: string, lookback: number): Promise<string | undefined> {
  for (const v of versions.slice(0, lookback)) {
    const component = await gg.send(new GetComponentCommand({ arn: v.arn, recipeOutputFormat: 'JSON' }));
    if (!component.recipe) continue;
    try {
      const recipe = JSON.parse(Buffer.from(component.recipe).toString('utf8')) as {
        ComponentConfiguration?: { DefaultConfiguration?: { ModelSource?: unknown } };
      };
      if (recipe.ComponentConfiguration?.DefaultConfiguration?.ModelSource === source) return v.version;
    } catch {
      // A version created by hand with a YAML or broken recipe is not one of ours.
    }
  }
  return undefined;
}

/** Creates the component version for the model, or finds the one that already serves it. */
export async function ensureComponentVersion(
  gg: GreengrassV2Client,
  settings: ReleaseSettings,
  source: string,
  modelUri: string,
  sha256: string | undefined,
): Promise<{ version: string; created: boolean }> {
  let versions = await listVersions(gg, settings.componentArn);
  const released = await findRelease(gg, versions, source, settings.lookback);
  if (released) return { version: released, created: false };
  for (let attempt = 1; ; attempt++) {
    const version = nextVersion(
      versions.map((v) => v.version),
      settings.baseVersion,
    );
    const recipe = buildRecipe({
      componentName: settings.componentName,
      componentVersion: version,
      description: `Serves the model ${modelUri} on the device (cdk-ml-at-scale reference runner, released automatically)`,
      runner: { uri: settings.runnerUri, sha256Base64: settings.runnerSha256 },
      model: { uri: modelUri, sha256Base64: sha256 },
      configuration: { ...settings.configuration, ModelSource: source },
    });
    try {
      await gg.send(
        new CreateComponentVersionCommand({
          inlineRecipe: new TextEncoder().encode(JSON.stringify(recipe)),
          clientToken: clientToken(source, version),
        }),
      );
      return { version, created: true };
    } catch (err) {
      if (!(err instanceof ConflictException) || attempt >= MAX_CONFLICTS) throw err;
      // Another writer took this version number: read the versions again and take the next one.
      versions = await listVersions(gg, settings.componentArn);
    }
  }
}

/**
 * Revises the thing group's deployment to run `version`, keeping every other component of the current
 * deployment (a deployment without them would uninstall them). Leaves a deployment that already runs this
 * version, or a newer one, alone.
 */
export async function reviseDeployment(gg: GreengrassV2Client, settings: ReleaseSettings, version: string): Promise<string | undefined> {
  const latest = await gg.send(new ListDeploymentsCommand({ targetArn: settings.thingGroupArn, historyFilter: 'LATEST_ONLY' }));
  let components: Record<string, ComponentDeploymentSpecification> = {};
  const current = latest.deployments?.[0]?.deploymentId;
  if (current) {
    const deployment = await gg.send(new GetDeploymentCommand({ deploymentId: current }));
    components = { ...deployment.components };
    const running = components[settings.componentName]?.componentVersion;
    if (running && compareVersions(running, version) >= 0) return undefined;
  }
  const created = await gg.send(
    new CreateDeploymentCommand({
      targetArn: settings.thingGroupArn,
      deploymentName: `${settings.componentName}-${version}`,
      components: { ...components, [settings.componentName]: { componentVersion: version } },
      deploymentPolicies: { failureHandlingPolicy: 'ROLLBACK' },
      iotJobConfiguration: settings.iotJobConfiguration,
      clientToken: clientToken(settings.thingGroupArn, settings.componentName, version),
    }),
  );
  return created.deploymentId;
}

/** Checks that the event is an object created under the models prefix of the models bucket. */
export function checkEvent(event: ObjectCreatedEvent, settings: ReleaseSettings): void {
  const key = event?.detail?.object?.key;
  const bucket = event?.detail?.bucket?.name;
  if (bucket !== settings.modelsBucket || typeof key !== 'string' || !key.startsWith(settings.modelsPrefix) || key.endsWith('/')) {
    throw new Error(`not a model under s3://${settings.modelsBucket}/${settings.modelsPrefix}: ${JSON.stringify(event?.detail ?? event)}`);
  }
}

/** One release, with its clients passed in (the tests pass clients that aws-sdk-client-mock fakes). */
export async function release(event: ObjectCreatedEvent, settings: ReleaseSettings, gg: GreengrassV2Client, s3: S3Client): Promise<ReleaseResult> {
  checkEvent(event, settings);
  const source = modelSource(event);
  const modelUri = `s3://${event.detail.bucket.name}/${event.detail.object.key}`;
  const sha256 = await modelSha256(s3, event);
  const { version, created } = await ensureComponentVersion(gg, settings, source, modelUri, sha256);
  const deploymentId = await reviseDeployment(gg, settings, version);
  return { componentName: settings.componentName, componentVersion: version, created, deploymentId, modelSource: source };
}

let clients: { gg: GreengrassV2Client; s3: S3Client } | undefined;

export async function handler(event: ObjectCreatedEvent): Promise<ReleaseResult> {
  clients ??= { gg: new GreengrassV2Client({}), s3: new S3Client({}) };
  const result = await release(event, settingsFromEnv(), clients.gg, clients.s3);
  console.log(JSON.stringify({ message: 'edge release', ...result }));
  return result;
}

import {
  ConflictException,
  CreateComponentVersionCommand,
  CreateDeploymentCommand,
  GetComponentCommand,
  GetDeploymentCommand,
  GreengrassV2Client,
  ListComponentVersionsCommand,
  ListDeploymentsCommand,
  ThrottlingException,
} from '@aws-sdk/client-greengrassv2';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { ObjectCreatedEvent, release, ReleaseSettings, settingsFromEnv } from '../../../lib/edge/runtime/release';
import { compareVersions, nextVersion, recipeHash } from '../../../lib/edge/private/recipe';

// The SDK warns once per process that its 2027 releases need Node 22; the test output stays clean.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const ARN = 'arn:aws:greengrass:eu-west-1:123456789012:components:com.example.Churn';
const GROUP = 'arn:aws:iot:eu-west-1:123456789012:thinggroup/fleet';
const JOB = { jobExecutionsRolloutConfig: { exponentialRate: { baseRatePerMinute: 5, incrementFactor: 2, rateIncreaseCriteria: { numberOfSucceededThings: 5 } } } };

const settings: ReleaseSettings = {
  componentName: 'com.example.Churn',
  componentArn: ARN,
  thingGroupArn: GROUP,
  modelsBucket: 'artifacts-bucket',
  modelsPrefix: 'models/',
  runnerUri: 's3://assets-bucket/abc.py',
  runnerSha256: 'cnVubmVyLXNoYTI1Ni1iYXNlNjQtZm9yLXRoZS10ZXN0cw==',
  baseVersion: '1.0.0',
  lookback: 10,
  configuration: { Port: 9000 },
  iotJobConfiguration: JOB,
};

const event = (key = 'models/churn/model.json', versionId = 'v-111'): ObjectCreatedEvent => ({
  'detail-type': 'Object Created',
  detail: { bucket: { name: 'artifacts-bucket' }, object: { key, etag: 'e1', 'version-id': versionId, size: 10 } },
});

const gg = mockClient(GreengrassV2Client);
const s3 = mockClient(S3Client);
const ggClient = new GreengrassV2Client({ region: 'eu-west-1' });
const s3Client = new S3Client({ region: 'eu-west-1' });

// The mocks patch the clients' classes: put them back for whatever runs next in this process.
afterAll(() => {
  gg.restore();
  s3.restore();
});

/** The recipe that a CreateComponentVersion call carried, decoded. */
function createdRecipe(n = 0): any { // eslint-disable-line @typescript-eslint/no-explicit-any
  const input = gg.commandCalls(CreateComponentVersionCommand)[n].args[0].input;
  return JSON.parse(Buffer.from(input.inlineRecipe!).toString('utf8'));
}

const recipeWithSource = (source: string) => new TextEncoder().encode(JSON.stringify({ ComponentConfiguration: { DefaultConfiguration: { ModelSource: source } } }));

beforeEach(() => {
  gg.reset();
  s3.reset();
  s3.on(HeadObjectCommand).resolves({ ChecksumSHA256: 'q1MKE+RZFJgrefm34/uplM/R8/si9xzqGvvwK0YMbR0=', ChecksumType: 'FULL_OBJECT' });
  gg.on(ListComponentVersionsCommand).resolves({ componentVersions: [] });
  gg.on(CreateComponentVersionCommand).resolves({ componentVersion: 'x' });
  gg.on(ListDeploymentsCommand).resolves({ deployments: [] });
  gg.on(CreateDeploymentCommand).resolves({ deploymentId: 'dep-new' });
});

describe('version arithmetic', () => {
  test('starts a line at the base version and continues after its highest patch', () => {
    expect(nextVersion([], '1.0.0')).toBe('1.0.0');
    expect(nextVersion(['1.0.0'], '1.0.0')).toBe('1.0.1');
    expect(nextVersion(['1.0.9', '1.0.10', '1.0.2'], '1.0.0')).toBe('1.0.11');
  });

  test('ignores versions of other lines and below the base', () => {
    expect(nextVersion(['0.1.0', '2.0.0', '1.1.5'], '1.0.0')).toBe('1.0.0');
    expect(nextVersion(['1.0.3', '1.0.7'], '1.0.5')).toBe('1.0.8');
    expect(nextVersion(['1.0.3'], '1.0.5')).toBe('1.0.5');
  });

  test('orders versions numerically, not as text', () => {
    expect(['1.10.0', '1.9.0', '1.0.10', '1.0.9'].sort(compareVersions)).toEqual(['1.0.9', '1.0.10', '1.9.0', '1.10.0']);
  });

  test('rejects a base that is not major.minor.patch', () => {
    expect(() => nextVersion([], '1.0')).toThrow("base version must be major.minor.patch, got '1.0'");
  });

  test('hashes equal recipes equally whatever their key order', () => {
    expect(recipeHash({ a: 1, b: [{ c: 2, d: 3 }] })).toBe(recipeHash({ b: [{ d: 3, c: 2 }], a: 1 }));
    expect(recipeHash({ a: 1 })).not.toBe(recipeHash({ a: 2 }));
  });
});

describe('release', () => {
  test('creates the first version with the recipe of the model, then deploys it to the thing group', async () => {
    const result = await release(event(), settings, ggClient, s3Client);

    expect(result).toEqual({
      componentName: 'com.example.Churn',
      componentVersion: '1.0.0',
      created: true,
      deploymentId: 'dep-new',
      modelSource: 's3://artifacts-bucket/models/churn/model.json?versionId=v-111',
    });
    expect(s3.commandCalls(HeadObjectCommand)[0].args[0].input).toEqual({
      Bucket: 'artifacts-bucket',
      Key: 'models/churn/model.json',
      VersionId: 'v-111',
      ChecksumMode: 'ENABLED',
    });
    expect(createdRecipe()).toEqual({
      RecipeFormatVersion: '2020-01-25',
      ComponentName: 'com.example.Churn',
      ComponentVersion: '1.0.0',
      ComponentDescription: expect.stringContaining('s3://artifacts-bucket/models/churn/model.json'),
      ComponentPublisher: 'cdk-ml-at-scale',
      ComponentConfiguration: {
        DefaultConfiguration: { Host: '127.0.0.1', Port: 9000, ModelSource: 's3://artifacts-bucket/models/churn/model.json?versionId=v-111' },
      },
      Manifests: [
        {
          Platform: { os: 'linux' },
          Lifecycle: {
            Install: 'python3 -B {artifacts:path}/abc.py --check --model {artifacts:path}/model.json',
            Run: 'python3 -B -u {artifacts:path}/abc.py --model {artifacts:path}/model.json --host {configuration:/Host} --port {configuration:/Port}',
          },
          Artifacts: [
            { URI: 's3://assets-bucket/abc.py', Digest: settings.runnerSha256, Algorithm: 'SHA-256', Unarchive: 'NONE', Permission: { Read: 'OWNER', Execute: 'NONE' } },
            {
              URI: 's3://artifacts-bucket/models/churn/model.json',
              Digest: 'q1MKE+RZFJgrefm34/uplM/R8/si9xzqGvvwK0YMbR0=',
              Algorithm: 'SHA-256',
              Unarchive: 'NONE',
              Permission: { Read: 'OWNER', Execute: 'NONE' },
            },
          ],
        },
      ],
    });
    const create = gg.commandCalls(CreateComponentVersionCommand)[0].args[0].input;
    expect(create.clientToken).toMatch(/^[0-9a-f]{64}$/);
    expect(gg.commandCalls(CreateDeploymentCommand)[0].args[0].input).toEqual({
      targetArn: GROUP,
      deploymentName: 'com.example.Churn-1.0.0',
      components: { 'com.example.Churn': { componentVersion: '1.0.0' } },
      deploymentPolicies: { failureHandlingPolicy: 'ROLLBACK' },
      iotJobConfiguration: JOB,
      clientToken: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  test('leaves the digest out when S3 holds only a multipart (composite) checksum or none', async () => {
    s3.on(HeadObjectCommand).resolves({ ChecksumSHA256: 'abc=-3', ChecksumType: 'COMPOSITE' });
    await release(event(), settings, ggClient, s3Client);
    s3.on(HeadObjectCommand).resolves({});
    await release(event('models/churn/other.json'), settings, ggClient, s3Client);
    for (const n of [0, 1]) {
      const model = createdRecipe(n).Manifests[0].Artifacts[1];
      expect(model).toEqual({ URI: expect.stringMatching(/^s3:\/\/artifacts-bucket\/models\/churn\//), Unarchive: 'NONE', Permission: { Read: 'OWNER', Execute: 'NONE' } });
    }
  });

  test('takes the next patch of the line, and keeps the other components of the current deployment', async () => {
    gg.on(ListComponentVersionsCommand).resolves({
      componentVersions: [
        { componentVersion: '1.0.1', arn: `${ARN}:versions:1.0.1` },
        { componentVersion: '0.1.0', arn: `${ARN}:versions:0.1.0` },
      ],
    });
    gg.on(GetComponentCommand).resolves({ recipe: recipeWithSource('s3://artifacts-bucket/models/older.json?versionId=v-0'), recipeOutputFormat: 'JSON' });
    gg.on(ListDeploymentsCommand).resolves({ deployments: [{ deploymentId: 'dep-1' }] });
    gg.on(GetDeploymentCommand).resolves({
      deploymentId: 'dep-1',
      components: { 'com.example.Churn': { componentVersion: '1.0.1' }, 'aws.greengrass.LogManager': { componentVersion: '2.3.7' } },
    });

    const result = await release(event(), settings, ggClient, s3Client);

    expect(result.componentVersion).toBe('1.0.2');
    expect(createdRecipe().ComponentVersion).toBe('1.0.2');
    expect(gg.commandCalls(ListDeploymentsCommand)[0].args[0].input).toEqual({ targetArn: GROUP, historyFilter: 'LATEST_ONLY' });
    expect(gg.commandCalls(CreateDeploymentCommand)[0].args[0].input.components).toEqual({
      'com.example.Churn': { componentVersion: '1.0.2' },
      'aws.greengrass.LogManager': { componentVersion: '2.3.7' },
    });
  });

  test('is idempotent: the same model twice gives one version and one deployment', async () => {
    await release(event(), settings, ggClient, s3Client);
    const source = createdRecipe().ComponentConfiguration.DefaultConfiguration.ModelSource;
    // The service now holds the version that the first call created, and the deployment that runs it.
    gg.on(ListComponentVersionsCommand).resolves({ componentVersions: [{ componentVersion: '1.0.0', arn: `${ARN}:versions:1.0.0` }] });
    gg.on(GetComponentCommand).resolves({ recipe: recipeWithSource(source), recipeOutputFormat: 'JSON' });
    gg.on(ListDeploymentsCommand).resolves({ deployments: [{ deploymentId: 'dep-new' }] });
    gg.on(GetDeploymentCommand).resolves({ components: { 'com.example.Churn': { componentVersion: '1.0.0' } } });

    const again = await release(event(), settings, ggClient, s3Client);

    expect(again).toMatchObject({ componentVersion: '1.0.0', created: false, deploymentId: undefined });
    expect(gg.commandCalls(CreateComponentVersionCommand)).toHaveLength(1);
    expect(gg.commandCalls(CreateDeploymentCommand)).toHaveLength(1);
  });

  test('a new S3 version of the same key is a new model', async () => {
    gg.on(ListComponentVersionsCommand).resolves({ componentVersions: [{ componentVersion: '1.0.0', arn: `${ARN}:versions:1.0.0` }] });
    gg.on(GetComponentCommand).resolves({ recipe: recipeWithSource('s3://artifacts-bucket/models/churn/model.json?versionId=v-111'), recipeOutputFormat: 'JSON' });
    const result = await release(event('models/churn/model.json', 'v-222'), settings, ggClient, s3Client);
    expect(result).toMatchObject({ componentVersion: '1.0.1', created: true });
  });

  test('does not race to a version number: on ConflictException it lists again and takes the next one', async () => {
    gg.on(ListComponentVersionsCommand)
      .resolvesOnce({ componentVersions: [] })
      .resolves({ componentVersions: [{ componentVersion: '1.0.0', arn: `${ARN}:versions:1.0.0` }] });
    gg.on(GetComponentCommand).resolves({ recipe: recipeWithSource('another model'), recipeOutputFormat: 'JSON' });
    gg.on(CreateComponentVersionCommand)
      .rejectsOnce(new ConflictException({ message: 'version 1.0.0 exists', $metadata: {}, resourceId: ARN, resourceType: 'component' }))
      .resolves({});

    const result = await release(event(), settings, ggClient, s3Client);

    expect(gg.commandCalls(CreateComponentVersionCommand).map((c) => JSON.parse(Buffer.from(c.args[0].input.inlineRecipe!).toString()).ComponentVersion)).toEqual([
      '1.0.0',
      '1.0.1',
    ]);
    expect(result.componentVersion).toBe('1.0.1');
  });

  test('gives up after five conflicts, so that the failure reaches the dead-letter queue', async () => {
    gg.on(CreateComponentVersionCommand).rejects(new ConflictException({ message: 'taken', $metadata: {}, resourceId: ARN, resourceType: 'component' }));
    await expect(release(event(), settings, ggClient, s3Client)).rejects.toThrow('taken');
    expect(gg.commandCalls(CreateComponentVersionCommand)).toHaveLength(5);
    expect(gg.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
  });

  test('fails on other service errors without retrying them itself (Lambda retries the invocation)', async () => {
    gg.on(CreateComponentVersionCommand).rejects(new ThrottlingException({ message: 'slow down', $metadata: {} }));
    await expect(release(event(), settings, ggClient, s3Client)).rejects.toThrow('slow down');
    expect(gg.commandCalls(CreateComponentVersionCommand)).toHaveLength(1);
  });

  test('fails when the deployment cannot be revised, after creating the version (a retry reuses it)', async () => {
    gg.on(CreateDeploymentCommand).rejects(new Error('AccessDeniedException'));
    await expect(release(event(), settings, ggClient, s3Client)).rejects.toThrow('AccessDeniedException');
    expect(gg.commandCalls(CreateComponentVersionCommand)).toHaveLength(1);
  });

  test('never downgrades a deployment that runs a newer version', async () => {
    gg.on(ListComponentVersionsCommand).resolves({ componentVersions: [{ componentVersion: '1.0.0', arn: `${ARN}:versions:1.0.0` }] });
    gg.on(GetComponentCommand).resolves({ recipe: recipeWithSource('s3://artifacts-bucket/models/churn/model.json?versionId=v-111'), recipeOutputFormat: 'JSON' });
    gg.on(ListDeploymentsCommand).resolves({ deployments: [{ deploymentId: 'dep-2' }] });
    gg.on(GetDeploymentCommand).resolves({ components: { 'com.example.Churn': { componentVersion: '1.0.4' } } });
    const result = await release(event(), settings, ggClient, s3Client);
    expect(result).toMatchObject({ componentVersion: '1.0.0', created: false, deploymentId: undefined });
    expect(gg.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
  });

  test.each([
    ['another bucket', { ...event(), detail: { ...event().detail, bucket: { name: 'other' } } }],
    ['a key outside the models prefix', event('raw/model.json')],
    ['a folder marker', event('models/churn/')],
  ])('fails on %s, before any call', async (_name, bad) => {
    await expect(release(bad as ObjectCreatedEvent, settings, ggClient, s3Client)).rejects.toThrow('not a model under s3://artifacts-bucket/models/');
    expect(gg.calls()).toHaveLength(0);
    expect(s3.calls()).toHaveLength(0);
  });

  test('uses the ETag as the identity of an object in an unversioned bucket', async () => {
    const unversioned: ObjectCreatedEvent = { detail: { bucket: { name: 'artifacts-bucket' }, object: { key: 'models/m.json', etag: 'abc' } } };
    const result = await release(unversioned, settings, ggClient, s3Client);
    expect(result.modelSource).toBe('s3://artifacts-bucket/models/m.json?etag=abc');
  });
});

describe('settings', () => {
  test('are read from the environment, and a missing one is named', () => {
    const env = {
      COMPONENT_NAME: 'c',
      COMPONENT_ARN: ARN,
      THING_GROUP_ARN: GROUP,
      MODELS_BUCKET: 'b',
      MODELS_PREFIX: 'models/',
      RUNNER_URI: 's3://a/r.py',
      RUNNER_SHA256: 'x',
      BASE_VERSION: '1.0.0',
      IOT_JOB_CONFIGURATION: JSON.stringify(JOB),
      CONFIGURATION: '{"Port":1}',
    };
    expect(settingsFromEnv(env)).toMatchObject({ componentName: 'c', lookback: 10, configuration: { Port: 1 }, iotJobConfiguration: JOB });
    expect(() => settingsFromEnv({ ...env, THING_GROUP_ARN: '' })).toThrow('environment variable THING_GROUP_ARN is not set');
  });
});

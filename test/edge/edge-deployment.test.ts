import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { DataLake, EdgeDeployment, EdgeDeploymentProps, IDataLake } from '../../lib';
import { nagFindings, testApp } from '../util/app';

/* eslint-disable @typescript-eslint/no-explicit-any */

const SHA_HEX = 'ab'.repeat(32);
const lockDir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-lock-'));
let lockCount = 0;
/** A fresh lock file path per construct, so that tests never touch the repository's lock. */
const freshLock = () => path.join(lockDir, `lock-${++lockCount}.json`);

function fixture() {
  const stack = new Stack(testApp(), 'Test');
  const lake = new DataLake(stack, 'Lake');
  return { stack, lake };
}

const policyStatements = (template: Template, logicalIdPrefix: string): any[] =>
  Object.entries(template.findResources('AWS::IAM::Policy'))
    .filter(([id]) => id.startsWith(logicalIdPrefix))
    .flatMap(([, p]: [string, any]) => p.Properties.PolicyDocument.Statement);

describe('EdgeDeployment with defaults', () => {
  const { stack, lake } = fixture();
  const lock = freshLock();
  const edge = new EdgeDeployment(stack, 'Edge', {
    dataLake: lake,
    componentName: 'com.example.Churn',
    releases: [{ version: '1.0.0', modelKey: 'models/churn/1/model.json' }],
    recipeLockFile: lock,
  });
  const template = Template.fromStack(stack);

  test('creates a thing group, a role alias of one hour and an IoT policy', () => {
    template.resourceCountIs('AWS::IoT::ThingGroup', 1);
    template.hasResourceProperties('AWS::IoT::RoleAlias', {
      RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EdgeTokenExchangeRole'), 'Arn'] },
      CredentialDurationSeconds: 3600,
    });
    template.resourceCountIs('AWS::IoT::Policy', 1);
  });

  test('trusts only credentials.iot.amazonaws.com with the token exchange role', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'credentials.iot.amazonaws.com' }, Action: 'sts:AssumeRole' })] },
      MaxSessionDuration: 3600,
    });
  });

  test('lets devices read only the models prefix, the runner object and write the component log group', () => {
    const statements = policyStatements(template, 'EdgeTokenExchangeRole');
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
    expect(Object.keys(bySid).sort()).toEqual(['ComponentLogs', 'DecryptModels', 'ReadModels', 'ReadRunner']);
    expect(bySid.ReadModels).toEqual({
      Sid: 'ReadModels',
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^LakeArtifacts/), 'Arn'] }, '/models/*']] },
    });
    expect(bySid.DecryptModels.Action).toBe('kms:Decrypt');
    expect(JSON.stringify(bySid.ReadRunner.Resource)).toMatch(/[0-9a-f]{64}\.py/);
    expect([...bySid.ComponentLogs.Action].sort()).toEqual(['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents']);
    for (const s of statements) for (const a of [s.Action].flat()) expect(a).not.toMatch(/\*/);
  });

  test('scopes the device policy to each device\u2019s thing name and the role alias, with no iot:* on *', () => {
    const [policy] = Object.values(template.findResources('AWS::IoT::Policy')) as any[];
    const statements = policy.Properties.PolicyDocument.Statement as any[];
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
    expect(JSON.stringify(bySid.ConnectAsOwnThing.Resource)).toContain('client/${iot:Connection.Thing.ThingName}');
    expect(bySid.ConnectAsOwnThing.Condition).toEqual({ Bool: { 'iot:Connection.Thing.IsAttached': 'true' } });
    expect(JSON.stringify(bySid.OwnThingTopics.Resource)).toContain('topic/$aws/things/${iot:Connection.Thing.ThingName}/*');
    expect(bySid.TokenExchange).toEqual({
      Sid: 'TokenExchange',
      Effect: 'Allow',
      Action: 'iot:AssumeRoleWithCertificate',
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^EdgeRoleAlias/), 'RoleAliasArn'] },
    });
    for (const s of statements) {
      const actions = [s.Action].flat();
      expect(actions.some((a: string) => a === '*' || a === 'iot:*' || a === 'greengrass:*')).toBe(false);
      if (s.Resource === '*') expect(actions.every((a: string) => a.startsWith('greengrass:'))).toBe(true);
    }
  });

  test('creates one component version with an inline recipe of the runner and the model', () => {
    const versions = template.findResources('AWS::GreengrassV2::ComponentVersion');
    expect(Object.keys(versions)).toEqual([expect.stringMatching(/^EdgeVersion1x0x0/)]);
    const recipeJoin = (Object.values(versions)[0] as any).Properties.InlineRecipe;
    const text = JSON.stringify(recipeJoin);
    for (const part of ['"ComponentName\\":\\"com.example.Churn\\"', '"ComponentVersion\\":\\"1.0.0\\"', 'models/churn/1/model.json', '--check --model']) {
      expect(text).toContain(part);
    }
    // The runner's digest is known at synth; the model's is not given, so Greengrass computes it.
    expect(text.match(/Algorithm/g)).toHaveLength(1);
    expect(edge.runnerSha256).toMatch(/^[A-Za-z0-9+/]{43}=$/);
  });

  test('deploys the version to the thing group with an exponential rollout, an abort threshold, a timeout and ROLLBACK', () => {
    template.hasResourceProperties('AWS::GreengrassV2::Deployment', {
      TargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EdgeThingGroup'), 'Arn'] },
      Components: { 'com.example.Churn': { ComponentVersion: '1.0.0' } },
      DeploymentPolicies: { FailureHandlingPolicy: 'ROLLBACK' },
      IotJobConfiguration: {
        JobExecutionsRolloutConfig: { ExponentialRate: { BaseRatePerMinute: 5, IncrementFactor: 2, RateIncreaseCriteria: { NumberOfSucceededThings: 5 } } },
        AbortConfig: { CriteriaList: [{ Action: 'CANCEL', FailureType: 'ALL', ThresholdPercentage: 10, MinNumberOfExecutedThings: 10 }] },
        TimeoutConfig: { InProgressTimeoutInMinutes: 60 },
      },
    });
  });

  test('retains the deployment, the component version, the thing group, the log group and the key', () => {
    for (const type of ['AWS::GreengrassV2::Deployment', 'AWS::GreengrassV2::ComponentVersion', 'AWS::IoT::ThingGroup', 'AWS::Logs::LogGroup']) {
      const found = Object.values(template.findResources(type)) as any[];
      expect(found.length).toBeGreaterThan(0);
      for (const r of found) expect([r.DeletionPolicy, r.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
    }
    template.hasResource('AWS::KMS::Key', { Properties: { Description: Match.stringLikeRegexp('edge component'), EnableKeyRotation: true }, DeletionPolicy: 'Retain' });
  });

  test('keeps component logs a year in a KMS-encrypted group named as the Greengrass log manager names it', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: { 'Fn::Join': ['', ['/aws/greengrass/UserComponent/', { Ref: 'AWS::Region' }, '/com.example.Churn']] },
      RetentionInDays: 365,
      KmsKeyId: Match.anyValue(),
    });
  });

  test('records the recipe hash in the lock file', () => {
    const recorded = JSON.parse(fs.readFileSync(lock, 'utf8'));
    expect(recorded).toEqual({ 'com.example.Churn@1.0.0': edge.recipeHashes['1.0.0'] });
    expect(edge.recipeHashes['1.0.0']).toMatch(/^[0-9a-f]{64}$/);
  });

  test('exposes the names the device setup needs', () => {
    expect(edge.deployedVersion).toBe('1.0.0');
    expect(edge.modelsPrefix).toBe('models/');
    expect(Token.isUnresolved(edge.thingGroupName)).toBe(true);
    expect(Token.isUnresolved(edge.roleAliasName)).toBe(true);
  });

  test('is clean under cdk-nag', () => {
    expect(nagFindings(edge)).toEqual([]);
  });
});

describe('EdgeDeployment with every option', () => {
  const { stack, lake } = fixture();
  const key = new kms.Key(stack, 'LogKey', { enableKeyRotation: true });
  const edge = new EdgeDeployment(stack, 'Edge', {
    dataLake: lake,
    componentName: 'com.example.Churn',
    releases: [
      { version: '1.2.0', modelKey: 'trained/churn/2/model.json', modelSha256: SHA_HEX, configuration: { Port: 9001, Threshold: 0.7 } },
      { version: '1.10.0', modelKey: 'trained/churn/10/model.json' },
      { version: '1.9.0', modelKey: 'trained/churn/9/model.json' },
    ],
    deployedVersion: '1.9.0',
    modelsPrefix: 'trained',
    thingGroupName: 'churn-fleet',
    roleAliasName: 'churn-tes',
    credentialDuration: Duration.hours(6),
    rolloutBaseRatePerMinute: 20,
    rolloutIncrementFactor: 1.5,
    rolloutRateIncreaseAfterSucceededThings: 50,
    abortThresholdPercentage: 2.5,
    abortMinExecutedThings: 100,
    deviceTimeout: Duration.minutes(30),
    recipeLockFile: freshLock(),
    encryptionKey: key,
    logRetention: logs.RetentionDays.TWO_YEARS,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const template = Template.fromStack(stack);

  test('names the thing group and the role alias, and lasts credentials six hours', () => {
    template.hasResourceProperties('AWS::IoT::ThingGroup', { ThingGroupName: 'churn-fleet' });
    template.hasResourceProperties('AWS::IoT::RoleAlias', { RoleAlias: 'churn-tes', CredentialDurationSeconds: 21600 });
    template.hasResourceProperties('AWS::IAM::Role', { MaxSessionDuration: 21600 });
  });

  test('creates a version per release and deploys the chosen one with the given rollout', () => {
    expect(Object.keys(edge.componentVersions).sort()).toEqual(['1.10.0', '1.2.0', '1.9.0']);
    template.resourceCountIs('AWS::GreengrassV2::ComponentVersion', 3);
    template.hasResourceProperties('AWS::GreengrassV2::Deployment', {
      Components: { 'com.example.Churn': { ComponentVersion: '1.9.0' } },
      IotJobConfiguration: {
        JobExecutionsRolloutConfig: { ExponentialRate: { BaseRatePerMinute: 20, IncrementFactor: 1.5, RateIncreaseCriteria: { NumberOfSucceededThings: 50 } } },
        AbortConfig: { CriteriaList: [Match.objectLike({ ThresholdPercentage: 2.5, MinNumberOfExecutedThings: 100 })] },
        TimeoutConfig: { InProgressTimeoutInMinutes: 30 },
      },
    });
    expect(edge.rollout.deviceTimeoutMinutes).toBe(30);
  });

  test('puts the model digest (hex converted to base64) and the configuration in the recipe', () => {
    const text = JSON.stringify(edge.componentVersions['1.2.0'].inlineRecipe && stack.resolve(edge.componentVersions['1.2.0'].inlineRecipe));
    expect(text).toContain(Buffer.from(SHA_HEX, 'hex').toString('base64'));
    expect(text).toContain('\\"Port\\":9001');
    expect(text).toContain('\\"Threshold\\":0.7');
  });

  test('scopes the devices to the given prefix and uses the given key, and destroys on request', () => {
    expect(JSON.stringify(policyStatements(template, 'EdgeTokenExchangeRole'))).toContain('/trained/*');
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 731, KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^LogKey'), 'Arn'] } });
    for (const type of ['AWS::GreengrassV2::Deployment', 'AWS::GreengrassV2::ComponentVersion', 'AWS::IoT::ThingGroup', 'AWS::Logs::LogGroup']) {
      for (const r of Object.values(template.findResources(type)) as any[]) expect(r.DeletionPolicy).toBe('Delete');
    }
    expect(edge.encryptionKey).toBe(key);
  });

  test('is clean under cdk-nag', () => {
    expect(nagFindings(edge)).toEqual([]);
  });
});

describe('EdgeDeployment recipe lock', () => {
  const props = (lake: IDataLake, lock: string, modelKey = 'models/a/model.json'): EdgeDeploymentProps => ({
    dataLake: lake,
    componentName: 'com.example.Lock',
    releases: [{ version: '2.0.0', modelKey }],
    recipeLockFile: lock,
  });

  test('accepts the same recipe again and leaves the lock file as it was', () => {
    const lock = freshLock();
    const a = fixture();
    new EdgeDeployment(a.stack, 'Edge', props(a.lake, lock));
    const before = fs.readFileSync(lock, 'utf8');
    const b = fixture();
    expect(() => new EdgeDeployment(b.stack, 'Edge', props(b.lake, lock))).not.toThrow();
    expect(fs.readFileSync(lock, 'utf8')).toBe(before);
  });

  test('fails when a recipe changed under the same version', () => {
    const lock = freshLock();
    const a = fixture();
    new EdgeDeployment(a.stack, 'Edge', props(a.lake, lock));
    const b = fixture();
    expect(() => new EdgeDeployment(b.stack, 'Edge', props(b.lake, lock, 'models/b/model.json'))).toThrow(
      /releases must not change the recipe of com\.example\.Lock@2\.0\.0: component versions are immutable \(recorded [0-9a-f]{12} in .*, now [0-9a-f]{12}\)\. Release the change under a new version.*got '2\.0\.0' \(at Test\/Edge\)/,
    );
  });

  test('fails when the lock file is not JSON', () => {
    const lock = freshLock();
    fs.writeFileSync(lock, '{oops');
    const a = fixture();
    expect(() => new EdgeDeployment(a.stack, 'Edge', props(a.lake, lock))).toThrow(/recipeLockFile must be a JSON object/);
  });
});

describe('EdgeDeployment fails when', () => {
  const stack = new Stack(testApp(), 'Test');
  const lake = DataLake.fromDataLakeAttributes(stack, 'Lake', {
    rawBucketName: 'raw',
    curatedBucketName: 'curated',
    artifactsBucketName: 'artifacts',
    encryptionKey: kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'),
  });
  let n = 0;
  const build = (extra: Partial<EdgeDeploymentProps>) => () =>
    new EdgeDeployment(stack, `Edge${++n}`, {
      dataLake: lake,
      componentName: 'com.example.Bad',
      releases: [{ version: '1.0.0', modelKey: 'models/m.json' }],
      recipeLockFile: freshLock(),
      ...extra,
    });

  test('fails when the component name is empty, too long or has other characters', () => {
    expect(build({ componentName: '' })).toThrow("componentName must be 1 to 128 letters, digits, dots, hyphens or underscores, starting with a letter or digit, got ''");
    expect(build({ componentName: 'a'.repeat(129) })).toThrow('componentName must be 1 to 128');
    expect(build({ componentName: 'com example' })).toThrow('componentName must be 1 to 128');
  });

  test('fails when there is no release, or a version is not major.minor.patch, or repeats', () => {
    expect(build({ releases: [] })).toThrow('releases must hold at least one release, got []');
    expect(build({ releases: [{ version: '1.0', modelKey: 'models/m.json' }] })).toThrow(
      "releases[].version must be a semantic version major.minor.patch such as 1.0.0, got '1.0'",
    );
    expect(build({ releases: [{ version: '1.0.0-beta', modelKey: 'models/m.json' }] })).toThrow('releases[].version must be a semantic version');
    expect(
      build({
        releases: [
          { version: '1.0.0', modelKey: 'models/m.json' },
          { version: '1.0.0', modelKey: 'models/n.json' },
        ],
      }),
    ).toThrow("releases[].version must be unique, got '1.0.0'");
  });

  test('fails when a model key lies outside the models prefix or is not an object key', () => {
    expect(build({ releases: [{ version: '1.0.0', modelKey: 'raw/m.json' }] })).toThrow("releases[].modelKey must be the key of an object under 'models/', got 'raw/m.json'");
    expect(build({ releases: [{ version: '1.0.0', modelKey: 'models/' }] })).toThrow('releases[].modelKey must be the key of an object');
    expect(build({ releases: [{ version: '1.0.0', modelKey: 'models/*.json' }] })).toThrow('releases[].modelKey must be the key of an object');
  });

  test('fails when a model SHA-256 is neither hex nor base64', () => {
    expect(build({ releases: [{ version: '1.0.0', modelKey: 'models/m.json', modelSha256: 'abc' }] })).toThrow(
      "releases[].modelSha256 must be a SHA-256 as 64 hex characters or base64, got 'abc'",
    );
  });

  test('fails when the deployed version is not a release', () => {
    expect(build({ deployedVersion: '9.9.9' })).toThrow("deployedVersion must be one of the releases (1.0.0), got '9.9.9'");
  });

  test('fails when the credential duration is outside 900 to 43200 seconds', () => {
    // Found by test/edge/edge.props.test.ts: the error named 'credentialDuration (seconds)', not the prop.
    expect(build({ credentialDuration: Duration.minutes(10) })).toThrow("credentialDuration must be whole seconds from 15 minutes to 12 hours (900 to 43200 seconds), got '10 minutes'");
    expect(build({ credentialDuration: Duration.hours(13) })).toThrow("credentialDuration must be whole seconds from 15 minutes to 12 hours (900 to 43200 seconds), got '13 hours'");
    // A fraction of a second was aws-cdk-lib's error, not the library's.
    expect(build({ credentialDuration: Duration.millis(900_500) })).toThrow(/^credentialDuration must be whole seconds from 15 minutes to 12 hours/);
  });

  test('fails when the thing group or role alias name has other characters', () => {
    expect(build({ thingGroupName: 'my fleet' })).toThrow("thingGroupName must be 1 to 128 letters, digits, colons, underscores or hyphens, got 'my fleet'");
    expect(build({ roleAliasName: 'tes/alias' })).toThrow("roleAliasName must be 1 to 128 letters, digits or =,@-_, got 'tes/alias'");
  });

  test('fails when a rollout number is out of range or too precise', () => {
    expect(build({ rolloutBaseRatePerMinute: 0 })).toThrow('rolloutBaseRatePerMinute must be an integer from 1 to 1000, got 0');
    expect(build({ rolloutBaseRatePerMinute: 1001 })).toThrow('rolloutBaseRatePerMinute must be an integer from 1 to 1000, got 1001');
    expect(build({ rolloutIncrementFactor: 6 })).toThrow('rolloutIncrementFactor must be a number from 1 to 5, got 6');
    expect(build({ rolloutIncrementFactor: 1.55 })).toThrow('rolloutIncrementFactor must have at most one decimal, got 1.55');
    expect(build({ rolloutRateIncreaseAfterSucceededThings: 0 })).toThrow('rolloutRateIncreaseAfterSucceededThings must be an integer of at least 1, got 0');
    expect(build({ abortThresholdPercentage: 101 })).toThrow('abortThresholdPercentage must be a number from 0 to 100, got 101');
    expect(build({ abortThresholdPercentage: 10.999 })).toThrow('abortThresholdPercentage must have at most two decimals, got 10.999');
    expect(build({ abortMinExecutedThings: 0 })).toThrow('abortMinExecutedThings must be an integer of at least 1, got 0');
  });

  test('fails when a rollout number is an unresolved token', () => {
    expect(build({ rolloutBaseRatePerMinute: Token.asNumber({ Ref: 'Rate' }) })).toThrow('rolloutBaseRatePerMinute must be known at synth, got an unresolved token');
  });

  test('fails when the device timeout is not whole minutes from 1 minute to 7 days', () => {
    expect(build({ deviceTimeout: Duration.seconds(90) })).toThrow("deviceTimeout must be whole minutes from 1 minute to 7 days, got '1 minute 30 seconds'");
    expect(build({ deviceTimeout: Duration.days(8) })).toThrow("deviceTimeout must be whole minutes from 1 minute to 7 days, got '8 days'");
  });

  test('fails when the models prefix is empty or holds a wildcard', () => {
    expect(build({ modelsPrefix: '/' })).toThrow("modelsPrefix must be a non-empty key prefix without wildcards, quotes, braces or %, got '/'");
    expect(build({ modelsPrefix: 'models/*' })).toThrow('modelsPrefix must be a non-empty key prefix');
  });

  test('fails when logs are kept less than a year', () => {
    expect(build({ logRetention: logs.RetentionDays.ONE_MONTH })).toThrow('logRetention must keep logs at least 365 days, got 30');
  });
});

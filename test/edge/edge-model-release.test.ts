import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { DataLake, EdgeDeployment, EdgeModelRelease, EdgeModelReleaseProps, IEdgeDeployment } from '../../lib';
import { nagFindings, testApp } from '../util/app';

/* eslint-disable @typescript-eslint/no-explicit-any */

const lockDir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-release-lock-'));

function fixture(context: Record<string, unknown> = {}) {
  const stack = new Stack(testApp({ context }), 'Test');
  const lake = new DataLake(stack, 'Lake');
  const edge = new EdgeDeployment(stack, 'Edge', {
    dataLake: lake,
    componentName: 'com.example.Churn',
    releases: [{ version: '0.1.0', modelKey: 'models/churn/0/model.json' }],
    recipeLockFile: path.join(lockDir, `${Object.keys(context).length}-${Math.random()}.json`),
  });
  return { stack, lake, edge };
}

const envOf = (template: Template): Record<string, any> => {
  const [fn] = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('^Edge release') } })) as any[];
  return fn.Properties.Environment.Variables;
};

describe('EdgeModelRelease with defaults', () => {
  const { stack, edge } = fixture();
  const release = new EdgeModelRelease(stack, 'Release', { deployment: edge });
  const template = Template.fromStack(stack);

  test('starts a release for every JSON model created under the models prefix of the artifacts zone', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: { bucket: { name: [{ Ref: Match.stringLikeRegexp('^LakeArtifacts') }] }, object: { key: [{ wildcard: 'models/*.json' }] } },
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ReleaseFunction'), 'Arn'] },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ReleaseDeadLetterQueue'), 'Arn'] } },
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 86400 },
        }),
      ],
    });
  });

  test('runs the pre-bundled handler on Node.js 24, arm64, one at a time, traced', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Edge release'),
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      ReservedConcurrentExecutions: 1,
      TracingConfig: { Mode: 'Active' },
      DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ReleaseDeadLetterQueue'), 'Arn'] } },
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: Match.stringLikeRegexp('^ReleaseLogs') } },
    });
  });

  test('sends failed releases to the encrypted queue and to the encrypted topic', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { Ref: Match.stringLikeRegexp('^ReleaseTopic') } } },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ReleaseKey'), 'Arn'] } });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ReleaseKey'), 'Arn'] } });
  });

  test('lets EventBridge rules of this account use the queue key', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      Description: Match.stringLikeRegexp('edge releases'),
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowEventBridgeDeadLetters',
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } }, ArnLike: { 'aws:SourceArn': Match.anyValue() } },
          }),
        ]),
      },
    });
  });

  test('tells the handler the component, the fleet, the runner, the line and the rollout', () => {
    const env = envOf(template);
    expect(env).toMatchObject({
      COMPONENT_NAME: 'com.example.Churn',
      MODELS_PREFIX: 'models/',
      BASE_VERSION: '1.0.0',
      LOOKBACK: '10',
      CONFIGURATION: '{}',
      RUNNER_SHA256: edge.runnerSha256,
    });
    expect(JSON.parse(env.IOT_JOB_CONFIGURATION)).toEqual({
      jobExecutionsRolloutConfig: { exponentialRate: { baseRatePerMinute: 5, incrementFactor: 2, rateIncreaseCriteria: { numberOfSucceededThings: 5 } } },
      abortConfig: { criteriaList: [{ action: 'CANCEL', failureType: 'ALL', thresholdPercentage: 10, minNumberOfExecutedThings: 10 }] },
      timeoutConfig: { inProgressTimeoutInMinutes: 60 },
    });
    expect(JSON.stringify(env.THING_GROUP_ARN)).toContain('EdgeThingGroup');
  });

  test('grants component versions of this component only, the models prefix and the thing group\u2019s jobs', () => {
    const statements = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([id]) => id.startsWith('ReleaseFunction'))
      .flatMap(([, p]: [string, any]) => p.Properties.PolicyDocument.Statement);
    const text = JSON.stringify(statements);
    expect(text).toContain(':components:com.example.Churn:versions:*');
    expect(text).toContain('/models/*');
    const create = statements.find((s) => [s.Action].flat().includes('greengrass:CreateComponentVersion'));
    expect(JSON.stringify(create.Resource)).not.toContain('"*"');
    const jobs = statements.find((s) => [s.Action].flat().includes('iot:CreateJob'));
    expect(JSON.stringify(jobs.Resource)).toContain('EdgeThingGroup');
    for (const s of statements) for (const a of [s.Action].flat()) expect(a).not.toMatch(/:\*$|^\*$/);
  });

  test('retains the log group, the dead-letter queue and the key, and keeps logs a year', () => {
    template.hasResource('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 365, KmsKeyId: Match.anyValue() }, DeletionPolicy: 'Retain' });
    template.hasResource('AWS::SQS::Queue', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    template.hasResource('AWS::KMS::Key', { Properties: { Description: Match.stringLikeRegexp('edge releases') }, DeletionPolicy: 'Retain' });
    expect(release.baseVersion).toBe('1.0.0');
  });

  test('is clean under cdk-nag', () => {
    expect(nagFindings(release)).toEqual([]);
  });
});

describe('EdgeModelRelease with every option', () => {
  // The defaults stack above bundles the handler; this one skips bundling to keep the file fast.
  const { stack, lake } = fixture({ 'aws:cdk:bundling-stacks': [] });
  const imported: IEdgeDeployment = EdgeDeployment.fromEdgeDeploymentAttributes(stack, 'Imported', {
    dataLake: lake,
    componentName: 'com.example.Other',
    modelsPrefix: 'exports/models',
    thingGroupArn: 'arn:aws:iot:eu-west-1:123456789012:thinggroup/other',
    runnerUri: 's3://runner-bucket/runner.py',
    runnerSha256: 'cd'.repeat(32),
    rollout: { baseRatePerMinute: 1, incrementFactor: 1.1, rateIncreaseAfterSucceededThings: 1, abortThresholdPercentage: 0, abortMinExecutedThings: 1, deviceTimeoutMinutes: 5 },
  });
  const key = new kms.Key(stack, 'OpsKey', { enableKeyRotation: true });
  const topic = new sns.Topic(stack, 'Alerts', { masterKey: key, enforceSSL: true });
  const release = new EdgeModelRelease(stack, 'Release', {
    deployment: imported,
    baseVersion: '2.5.0',
    modelSuffix: '',
    configuration: { Port: 7000 },
    idempotencyLookback: 25,
    topic,
    encryptionKey: key,
    logRetention: logs.RetentionDays.FIVE_YEARS,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const template = Template.fromStack(stack);

  test('releases any object under the imported deployment\u2019s prefix, on its line, with its rollout', () => {
    template.hasResourceProperties('AWS::Events::Rule', { EventPattern: { detail: { object: { key: [{ prefix: 'exports/models/' }] } } } });
    const env = envOf(template);
    expect(env).toMatchObject({
      COMPONENT_NAME: 'com.example.Other',
      THING_GROUP_ARN: 'arn:aws:iot:eu-west-1:123456789012:thinggroup/other',
      RUNNER_URI: 's3://runner-bucket/runner.py',
      RUNNER_SHA256: Buffer.from('cd'.repeat(32), 'hex').toString('base64'),
      BASE_VERSION: '2.5.0',
      LOOKBACK: '25',
      CONFIGURATION: '{"Port":7000}',
    });
    expect(JSON.parse(env.IOT_JOB_CONFIGURATION).timeoutConfig).toEqual({ inProgressTimeoutInMinutes: 5 });
  });

  test('uses the given topic and key, and destroys the log group and the dead-letter queue on request', () => {
    template.hasResource('AWS::SQS::Queue', { DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
    expect(release.topic).toBe(topic);
    expect(release.encryptionKey).toBe(key);
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { DestinationConfig: { OnFailure: { Destination: { Ref: Match.stringLikeRegexp('^Alerts') } } } });
    template.hasResource('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 1827 }, DeletionPolicy: 'Delete' });
  });

  test('reads only the imported runner object', () => {
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).toContain(':s3:::runner-bucket/runner.py');
  });
});

describe('EdgeModelRelease fails when', () => {
  const { stack, edge } = fixture({ 'aws:cdk:bundling-stacks': [] });
  let n = 0;
  const build = (extra: Partial<EdgeModelReleaseProps>) => () => new EdgeModelRelease(stack, `Release${++n}`, { deployment: edge, ...extra });

  test('fails when the base version is not major.minor.patch', () => {
    expect(build({ baseVersion: 'v1' })).toThrow("baseVersion must be a semantic version major.minor.patch such as 1.0.0, got 'v1'");
  });

  test('fails when the model suffix holds a slash or a wildcard', () => {
    expect(build({ modelSuffix: '*.json' })).toThrow("modelSuffix must be a plain file name ending without /, * or ?, got '*.json'");
  });

  test('fails when the idempotency lookback is outside 1..100', () => {
    expect(build({ idempotencyLookback: 0 })).toThrow('idempotencyLookback must be an integer from 1 to 100, got 0');
  });

  test('fails when logs are kept less than a year', () => {
    expect(build({ logRetention: logs.RetentionDays.ONE_WEEK })).toThrow('logRetention must keep logs at least 365 days, got 7');
  });

  test('fails when an imported deployment has a bad runner digest or component name', () => {
    const attrs = {
      dataLake: edge.dataLake,
      componentName: 'com.example.X',
      thingGroupArn: 'arn:aws:iot:eu-west-1:123456789012:thinggroup/x',
      runnerUri: 's3://b/r.py',
      runnerSha256: 'nope',
    };
    expect(() => EdgeDeployment.fromEdgeDeploymentAttributes(stack, 'Bad1', attrs)).toThrow(
      "runnerSha256 must be a SHA-256 as 64 hex characters or base64, got 'nope' (at Test/Bad1)",
    );
    expect(() => EdgeDeployment.fromEdgeDeploymentAttributes(stack, 'Bad2', { ...attrs, runnerSha256: 'ab'.repeat(32), componentName: 'a b' })).toThrow(
      "componentName must be 1 to 128 letters",
    );
  });
});

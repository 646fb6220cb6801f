import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Duration, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import fc from 'fast-check';
import { DataLake, EdgeDeployment, EdgeDeploymentProps, EdgeModelRelease, IDataLake, OnPremisesIngest, OnPremisesIngestProps } from '../../lib';
import { assertAccepts, assertRejects, badNumbers, goodNumbers, runStack } from '../util/props';

// Property-based checks of every validated prop of the edge constructs (see test/util/props.ts).
// Recipe locks go to a temp folder: these tests never write the repository's lock.
const lockDir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-props-'));
let locks = 0;

function lake(stack: Stack): IDataLake {
  const encryptionKey = kms.Key.fromKeyArn(stack, 'LakeKey', 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab');
  return DataLake.fromDataLakeAttributes(stack, 'Lake', { rawBucketName: 'raw', curatedBucketName: 'curated', artifactsBucketName: 'artifacts', encryptionKey });
}
function edge(props: Partial<EdgeDeploymentProps>): { stack: Stack; edge: EdgeDeployment } {
  const stack = runStack();
  return {
    stack,
    edge: new EdgeDeployment(stack, 'Edge', {
      dataLake: lake(stack),
      componentName: 'com.example.Model',
      releases: [{ version: '1.0.0', modelKey: 'models/m/1/model.json' }],
      recipeLockFile: path.join(lockDir, `lock-${locks++}.json`),
      ...props,
    }),
  };
}
const job = (e: { stack: Stack; edge: EdgeDeployment }) => e.stack.resolve(e.edge.deployment.iotJobConfiguration);
const abort = (e: { stack: Stack; edge: EdgeDeployment }) => job(e).abortConfig.criteriaList[0];
const semver = fc.tuple(fc.nat(99), fc.nat(99), fc.nat(99)).map(([a, b, c]) => `${a}.${b}.${c}`);
const badSemver = fc.oneof(fc.constantFrom('1', '1.0', 'v1.0.0', '1.0.0-beta', '1.0.0.0', '', '01.a.0'), semver.map((v) => `${v} `));

describe('EdgeDeployment props', () => {
  test('rolloutBaseRatePerMinute: rejects values outside 1 to 1000, keeps valid ones in the rollout', () => {
    const rule = { integer: true, min: 1, max: 1000 };
    assertRejects(badNumbers(rule), 'rolloutBaseRatePerMinute', (v) => edge({ rolloutBaseRatePerMinute: v }));
    assertAccepts(goodNumbers(rule), (v) => expect(job(edge({ rolloutBaseRatePerMinute: v })).jobExecutionsRolloutConfig.exponentialRate.baseRatePerMinute).toBe(v));
  });

  test('rolloutIncrementFactor: rejects values outside 1 to 5 or with two decimals, keeps valid ones in the rollout', () => {
    const bad = fc.oneof(badNumbers({ min: 1, max: 5 }), fc.integer({ min: 101, max: 499 }).filter((h) => h % 10 !== 0).map((h) => h / 100));
    assertRejects(bad, 'rolloutIncrementFactor', (v) => edge({ rolloutIncrementFactor: v }));
    assertAccepts(fc.integer({ min: 10, max: 50 }).map((t) => t / 10), (v) => expect(job(edge({ rolloutIncrementFactor: v })).jobExecutionsRolloutConfig.exponentialRate.incrementFactor).toBe(v));
  });

  // IoTJobRateIncreaseCriteria is untyped JSON in the L1, so the construct writes it in CloudFormation's case.
  test('rolloutRateIncreaseAfterSucceededThings: rejects values under 1 or fractional, keeps valid ones in the rollout', () => {
    const rule = { integer: true, min: 1 };
    assertRejects(badNumbers(rule), 'rolloutRateIncreaseAfterSucceededThings', (v) => edge({ rolloutRateIncreaseAfterSucceededThings: v }));
    assertAccepts(goodNumbers({ ...rule, max: 1_000_000 }), (v) =>
      expect(job(edge({ rolloutRateIncreaseAfterSucceededThings: v })).jobExecutionsRolloutConfig.exponentialRate.rateIncreaseCriteria.NumberOfSucceededThings).toBe(v),
    );
  });

  test('abortThresholdPercentage: rejects values outside 0 to 100 or with three decimals, keeps valid ones in the abort criteria', () => {
    const bad = fc.oneof(badNumbers({ min: 0, max: 100 }), fc.integer({ min: 1, max: 99_999 }).filter((t) => t % 10 !== 0).map((t) => t / 1000));
    assertRejects(bad, 'abortThresholdPercentage', (v) => edge({ abortThresholdPercentage: v }));
    assertAccepts(fc.integer({ min: 0, max: 10_000 }).map((h) => h / 100), (v) => expect(abort(edge({ abortThresholdPercentage: v })).thresholdPercentage).toBe(v));
  });

  test('abortMinExecutedThings: rejects values under 1 or fractional, keeps valid ones in the abort criteria', () => {
    const rule = { integer: true, min: 1 };
    assertRejects(badNumbers(rule), 'abortMinExecutedThings', (v) => edge({ abortMinExecutedThings: v }));
    assertAccepts(goodNumbers({ ...rule, max: 1_000_000 }), (v) => expect(abort(edge({ abortMinExecutedThings: v })).minNumberOfExecutedThings).toBe(v));
  });

  test('deviceTimeout: rejects what is not whole minutes from 1 minute to 7 days, keeps valid ones in the job timeout', () => {
    const bad = fc.oneof(fc.integer({ min: 0, max: 59 }).map((s) => Duration.seconds(s)), fc.integer({ min: 10081, max: 100_000 }).map((m) => Duration.minutes(m)), fc.integer({ min: 61, max: 9999 }).filter((s) => s % 60 !== 0).map((s) => Duration.seconds(s)));
    assertRejects(bad, 'deviceTimeout', (v) => edge({ deviceTimeout: v }));
    assertAccepts(fc.integer({ min: 1, max: 10080 }), (m) => expect(job(edge({ deviceTimeout: Duration.minutes(m) })).timeoutConfig.inProgressTimeoutInMinutes).toBe(m));
  });

  test('credentialDuration: rejects what is not whole seconds from 15 minutes to 12 hours, keeps valid ones on the role alias', () => {
    const bad = fc.oneof(fc.integer({ min: 0, max: 899 }).map((s) => Duration.seconds(s)), fc.integer({ min: 43_201, max: 1_000_000 }).map((s) => Duration.seconds(s)), fc.integer({ min: 900_001, max: 43_199_999 }).filter((ms) => ms % 1000 !== 0).map((ms) => Duration.millis(ms)));
    assertRejects(bad, 'credentialDuration', (v) => edge({ credentialDuration: v }));
    assertAccepts(fc.integer({ min: 900, max: 43_200 }), (s) => {
      const e = edge({ credentialDuration: Duration.seconds(s) });
      expect(e.stack.resolve(e.edge.roleAlias.credentialDurationSeconds)).toBe(s);
    });
  });

  test('thingGroupName: rejects what AWS IoT refuses, names the thing group with valid ones', () => {
    const bad = fc.oneof(fc.constant(''), fc.stringMatching(/^[a-z]{1,5}[ ./@*][a-z]{0,3}$/), fc.stringMatching(/^[a-z]{129,131}$/));
    assertRejects(bad, 'thingGroupName', (v) => edge({ thingGroupName: v }));
    assertAccepts(fc.stringMatching(/^[a-zA-Z0-9:_-]{1,128}$/), (v) => {
      const e = edge({ thingGroupName: v });
      expect(e.stack.resolve(e.edge.thingGroup.thingGroupName)).toBe(v);
    });
  });

  test('roleAliasName: rejects what AWS IoT refuses, names the role alias with valid ones', () => {
    const bad = fc.oneof(fc.constant(''), fc.stringMatching(/^[a-z]{1,5}[ ./:*][a-z]{0,3}$/), fc.stringMatching(/^[a-z]{129,131}$/));
    assertRejects(bad, 'roleAliasName', (v) => edge({ roleAliasName: v }));
    assertAccepts(fc.stringMatching(/^[\w=,@-]{1,128}$/), (v) => {
      const e = edge({ roleAliasName: v });
      expect(e.stack.resolve(e.edge.roleAlias.roleAlias)).toBe(v);
    });
  });

  test('componentName: rejects what Greengrass refuses, deploys valid ones', () => {
    const bad = fc.oneof(fc.constant(''), fc.stringMatching(/^[._-][a-z]{1,5}$/), fc.stringMatching(/^[a-z]{1,5}[ /:*@][a-z]{0,3}$/), fc.stringMatching(/^[a-z]{129,131}$/));
    assertRejects(bad, 'componentName', (v) => edge({ componentName: v }));
    assertAccepts(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/), (v) => {
      const e = edge({ componentName: v });
      expect(Object.keys(e.stack.resolve(e.edge.deployment.components))).toEqual([v]);
    });
  });

  test('releases[].version: rejects what is not major.minor.patch, deploys valid ones', () => {
    assertRejects(badSemver, 'releases[].version', (version) => edge({ releases: [{ version, modelKey: 'models/m.json' }] }));
    assertAccepts(semver, (version) => {
      const e = edge({ releases: [{ version, modelKey: 'models/m.json' }] });
      expect(e.stack.resolve(e.edge.deployment.components)['com.example.Model'].componentVersion).toBe(version);
    });
  });

  test('releases[].modelKey: rejects keys outside the models prefix, folders and wildcards', () => {
    const bad = fc.oneof(fc.stringMatching(/^(raw|datasets)\/[a-z]{1,8}\.json$/), fc.stringMatching(/^models\/[a-z]{1,8}\/$/), fc.stringMatching(/^models\/[a-z]{1,8}[*?]$/), fc.constant('models/'));
    assertRejects(bad, 'releases[].modelKey', (modelKey) => edge({ releases: [{ version: '1.0.0', modelKey }] }));
  });

  test('releases[].modelSha256: rejects what is not a SHA-256 in hex or base64', () => {
    const bad = fc.oneof(fc.stringMatching(/^[0-9a-f]{1,63}$/), fc.stringMatching(/^[0-9a-f]{65,70}$/), fc.stringMatching(/^[g-z]{64}$/));
    assertRejects(bad, 'releases[].modelSha256', (modelSha256) => edge({ releases: [{ version: '1.0.0', modelKey: 'models/m.json', modelSha256 }] }));
  });

  test('modelsPrefix: rejects an empty prefix and wildcards, quotes, braces or %', () => {
    const bad = fc.oneof(fc.constantFrom('', '/', '//'), fc.tuple(fc.stringMatching(/^[a-z]{1,8}$/), fc.constantFrom('*', '?', '"', "'", '{', '}', '%', '\\')).map(([p, c]) => `${p}${c}`));
    assertRejects(bad, 'modelsPrefix', (modelsPrefix) => edge({ modelsPrefix }));
  });
});

describe('EdgeModelRelease props', () => {
  const release = (props: Partial<ConstructorParameters<typeof EdgeModelRelease>[2]>) => {
    const e = edge({});
    return { stack: e.stack, release: new EdgeModelRelease(e.stack, 'Release', { deployment: e.edge, ...props }) };
  };
  const env = (r: { stack: Stack; release: EdgeModelRelease }) => r.stack.resolve((r.release.releaseFunction.node.defaultChild as lambda.CfnFunction).environment).variables;

  test('idempotencyLookback: rejects values outside 1 to 100, passes valid ones to the release function', () => {
    const rule = { integer: true, min: 1, max: 100 };
    assertRejects(badNumbers(rule), 'idempotencyLookback', (v) => release({ idempotencyLookback: v }));
    assertAccepts(goodNumbers(rule), (v) => expect(env(release({ idempotencyLookback: v })).LOOKBACK).toBe(String(v)), 8);
  });

  test('baseVersion: rejects what is not major.minor.patch, passes valid ones to the release function', () => {
    assertRejects(badSemver, 'baseVersion', (v) => release({ baseVersion: v }));
    assertAccepts(semver, (v) => expect(env(release({ baseVersion: v })).BASE_VERSION).toBe(v), 8);
  });

  test('modelSuffix: rejects suffixes with /, * or ?', () => {
    assertRejects(fc.tuple(fc.stringMatching(/^[a-z.]{0,5}$/), fc.constantFrom('/', '*', '?')).map(([s, c]) => `${s}${c}`), 'modelSuffix', (v) => release({ modelSuffix: v }));
  });
});

describe('OnPremisesIngest props', () => {
  const GATEWAY = 'arn:aws:storagegateway:eu-west-1:123456789012:gateway/sgw-12A3456B';
  const ingest = (props: Partial<OnPremisesIngestProps>) => {
    const stack = runStack();
    return { stack, ingest: new OnPremisesIngest(stack, 'Ingest', { dataLake: lake(stack), gatewayArn: GATEWAY, clientList: ['10.20.0.0/16'], ...props }) };
  };
  const octet = fc.integer({ min: 0, max: 255 });
  const ipv4 = fc.tuple(octet, octet, octet, octet).map((o) => o.join('.'));

  test('gatewayArn: rejects what is not the ARN of a Storage Gateway gateway, shares through valid ones', () => {
    const bad = fc.oneof(
      fc.constantFrom('', 'sgw-12A3456B', 'arn:aws:storagegateway:eu-west-1:123456789012:gateway/12A3456B', 'arn:aws:s3:::bucket'),
      fc.stringMatching(/^[0-9]{1,11}$/).map((account) => `arn:aws:storagegateway:eu-west-1:${account}:gateway/sgw-12A3456B`),
      fc.stringMatching(/^[G-Z]{8}$/).map((id) => `arn:aws:storagegateway:eu-west-1:123456789012:gateway/sgw-${id}`),
    );
    assertRejects(bad, 'gatewayArn', (v) => ingest({ gatewayArn: v }));
    const good = fc.tuple(fc.constantFrom('aws', 'aws-cn', 'aws-us-gov'), fc.constantFrom('eu-west-1', 'us-east-1', 'cn-north-1'), fc.stringMatching(/^[0-9]{12}$/), fc.stringMatching(/^[0-9A-F]{8}$/))
      .map(([partition, region, account, id]) => `arn:${partition}:storagegateway:${region}:${account}:gateway/sgw-${id}`);
    assertAccepts(good, (v) => {
      const i = ingest({ gatewayArn: v });
      expect(i.stack.resolve(i.ingest.nfsFileShare!.gatewayArn)).toBe(v);
    }, 8);
  });

  test('clientList: rejects what is not an IP address or CIDR block, admits valid ones', () => {
    const bad = fc.oneof(
      fc.constantFrom('', 'host.example.com', '10.0.0.0/', '10.0.0/16', '::1/129', '10.0.0.0/16/1'),
      ipv4.map((a) => `${a}/33`),
      fc.tuple(octet, octet).map(([a, b]) => `${a}.${b}.256.0`),
    );
    assertRejects(bad.map((c) => [c]), 'clientList', (v) => ingest({ clientList: v }));
    const good = fc.oneof(ipv4, fc.tuple(ipv4, fc.integer({ min: 1, max: 32 })).map(([a, m]) => `${a}/${m}`));
    assertAccepts(fc.array(good, { minLength: 1, maxLength: 3 }), (v) => {
      const i = ingest({ clientList: v });
      expect(i.stack.resolve(i.ingest.nfsFileShare!.clientList)).toEqual(v);
    }, 8);
  });

  test('prefix: rejects the whole zone and wildcards, writes under valid ones', () => {
    const segment = fc.stringMatching(/^[a-z0-9_-]{1,10}$/);
    assertRejects(fc.oneof(fc.constantFrom('', '/'), segment.map((s) => `${s}*`)), 'prefix', (v) => ingest({ prefix: v }));
    assertAccepts(fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => s.join('/')), (v) => {
      const i = ingest({ prefix: v });
      expect(i.ingest.prefix).toBe(`${v}/`);
      expect(JSON.stringify(i.stack.resolve(i.ingest.nfsFileShare!.locationArn))).toContain(`/${v}/`);
    }, 8);
  });
});

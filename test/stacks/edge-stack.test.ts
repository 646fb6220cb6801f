import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { nagFindings } from '../util/app';
import { referenceApp } from './fixture';

// The recipe lock of these apps lives in a temp folder: tests never write the repository's lock file.
const lockDir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-stack-lock-'));
const edgeContext = (name: string, extra: Record<string, unknown> = {}) => ({
  'ml-at-scale.edge.enabled': 'true',
  'ml-at-scale.edge.recipeLockFile': path.join(lockDir, `${name}.json`),
  ...extra,
});

const { stacks } = referenceApp(edgeContext('default'));
const stack = stacks.edge!;
const template = Template.fromStack(stack);

test('is named from the stack prefix', () => {
  expect(stack.stackName).toBe('MlAtScale-Edge');
});

test('deploys the reference release from the data lake\u2019s artifacts zone to the fleet', () => {
  template.hasResourceProperties('AWS::GreengrassV2::Deployment', {
    Components: { 'com.example.ReferenceModel': { ComponentVersion: '0.1.0' } },
    DeploymentPolicies: { FailureHandlingPolicy: 'ROLLBACK' },
  });
  template.resourceCountIs('AWS::GreengrassV2::ComponentVersion', 1);
  expect(JSON.stringify(template.findResources('AWS::GreengrassV2::ComponentVersion'))).toContain('models/reference/model.json');
  expect(JSON.stringify(template.toJSON())).toMatch(/DataLake.*Artifacts/);
  expect(stack.edgeDeployment.dataLake).toBe(stacks.dataLake.dataLake);
});

test('releases new models automatically, on the 1.0.x line above the declared 0.1.0', () => {
  template.hasResourceProperties('AWS::Events::Rule', { EventPattern: { detail: { object: { key: [{ wildcard: 'models/*.json' }] } } } });
  expect(stack.modelRelease?.baseVersion).toBe('1.0.0');
});

test('outputs the names the Greengrass installer needs', () => {
  expect(Object.keys(template.findOutputs('*')).sort()).toEqual(['DevicePolicyName', 'RoleAliasName', 'ThingGroupName', 'TokenExchangeRoleName']);
});

test('retains the deployment and the component version', () => {
  template.hasResource('AWS::GreengrassV2::Deployment', { DeletionPolicy: 'Retain' });
  template.hasResource('AWS::GreengrassV2::ComponentVersion', { DeletionPolicy: 'Retain' });
});

test('is clean under cdk-nag', () => {
  expect(nagFindings(stack)).toEqual([]);
});

test('adds the on-premises file share and names the fleet when the config asks for it', () => {
  const { stacks: withShare } = referenceApp(
    edgeContext('share', {
      'ml-at-scale.edge.onPremisesGatewayArn': 'arn:aws:storagegateway:eu-west-1:123456789012:gateway/sgw-12A3456B',
      'ml-at-scale.edge.onPremisesClientList': '["10.20.0.0/16"]',
      'ml-at-scale.edge.thingGroupName': 'plant-fleet',
      'ml-at-scale.edge.credentialDurationSeconds': '7200',
      'ml-at-scale.edge.automaticReleases': 'false',
    }),
  );
  const t = Template.fromStack(withShare.edge!);
  t.hasResourceProperties('AWS::StorageGateway::NFSFileShare', { ClientList: ['10.20.0.0/16'], EncryptionType: 'SseKms' });
  t.hasResourceProperties('AWS::IoT::ThingGroup', { ThingGroupName: 'plant-fleet' });
  t.hasResourceProperties('AWS::IoT::RoleAlias', { CredentialDurationSeconds: 7200 });
  t.resourceCountIs('AWS::Events::Rule', 0);
  expect(withShare.edge!.onPremisesIngest?.prefix).toBe('on-premises/');
  t.hasResourceProperties('AWS::StorageGateway::NFSFileShare', { LocationARN: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith(['/on-premises/'])]) }) });
});

test('matches the snapshot', () => {
  expect(template.toJSON()).toMatchSnapshot();
});

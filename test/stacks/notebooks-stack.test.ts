import { Template } from 'aws-cdk-lib/assertions';
import { loadConfig } from '../../bin/config';
import { warningsOf } from '../notebooks/fakes';
import { referenceApp, sharedReferenceApp } from './fixture';

const { stacks } = sharedReferenceApp();
const stack = stacks.notebooks;
const template = Template.fromStack(stack);

test('is named from the stack prefix', () => {
  expect(stack.stackName).toBe('MlAtScale-Notebooks');
});

test('holds the notebook instance and no Studio domain by default', () => {
  template.resourceCountIs('AWS::SageMaker::NotebookInstance', 1);
  template.resourceCountIs('AWS::SageMaker::Domain', 0);
  expect(stack.notebook).toBeDefined();
  expect(stack.studio).toBeUndefined();
});

test('puts the instance in the network stack\u2019s VPC, reading the data lake stack\u2019s curated zone', () => {
  template.hasResourceProperties('AWS::SageMaker::NotebookInstance', { InstanceType: 'ml.t3.medium', DirectInternetAccess: 'Disabled' });
  const [instance] = Object.values(template.findResources('AWS::SageMaker::NotebookInstance'));
  expect(JSON.stringify((instance.Properties as { SubnetId: unknown }).SubnetId)).toMatch(/"StackName":"MlAtScale-Network".*"OutputName":"PublishOutputRefNetworkVpcprivateSubnet1/);
  expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).toMatch(/"StackName":"MlAtScale-DataLake".*"OutputName":"PublishOutputFnGetAttDataLakeCurated[^"]*"\}\},"\/\*"/);
});

test('retains the notebook instance and its key', () => {
  for (const type of ['AWS::SageMaker::NotebookInstance', 'AWS::KMS::Key']) {
    for (const r of Object.values(template.findResources(type))) expect(r.DeletionPolicy).toBe('Retain');
  }
});

test('finds nothing missing in the reference VPC: its NAT gateway reaches the services', () => {
  expect(stack.notebook!.missingEndpoints).toEqual([]);
  expect(warningsOf(stack.notebook!)).toEqual([]);
});

test('without NAT gateways, warns of the endpoints the notebooks need that the VPC lacks', () => {
  const { stacks: isolated } = referenceApp({ 'ml-at-scale.network.natGateways': 0, 'ml-at-scale.notebooks.submitPreprocessing': 'true' });
  const notebook = isolated.notebooks.notebook!;
  // MlVpc's default endpoints (what an app without NAT gets) hold every service but Batch.
  expect(notebook.missingEndpoints).toEqual(['batch']);
  expect(warningsOf(notebook)).toEqual([expect.stringContaining('lacks the interface endpoint(s) batch')]);
});

test('creates the Studio domain with its users when the config asks for it, and no instance when told not to', () => {
  const { stacks: withStudio } = referenceApp({
    'ml-at-scale.notebooks.studioEnabled': 'true',
    'ml-at-scale.notebooks.instanceEnabled': 'false',
    'ml-at-scale.notebooks.studioUserProfiles': '["alice","bob"]',
    'ml-at-scale.notebooks.studioIdleTimeoutMinutes': '120',
  });
  const t = Template.fromStack(withStudio.notebooks);
  t.resourceCountIs('AWS::SageMaker::NotebookInstance', 0);
  t.resourceCountIs('AWS::SageMaker::UserProfile', 2);
  t.hasResource('AWS::SageMaker::Domain', {
    Properties: { AppNetworkAccessType: 'VpcOnly', DefaultUserSettings: { JupyterLabAppSettings: { AppLifecycleManagement: { IdleSettings: { IdleTimeoutInMinutes: 120 } } } } },
    DeletionPolicy: 'Retain',
  });
});

test('lets the notebooks submit to the training stack\u2019s CPU queue when the config asks for it', () => {
  const { stacks: submitting } = referenceApp({ 'ml-at-scale.notebooks.submitPreprocessing': 'true', 'ml-at-scale.notebooks.instanceType': 'ml.m5.xlarge' });
  // The reference VPC's NAT gateway carries the Batch calls: nothing to warn of.
  expect(submitting.notebooks.notebook!.missingEndpoints).toEqual([]);
  const text = JSON.stringify(Template.fromStack(submitting.notebooks).findResources('AWS::IAM::Policy'));
  expect(text).toContain('batch:SubmitJob');
  expect(text).toMatch(/"Action":"batch:SubmitJob".*"StackName":"MlAtScale-Training".*"OutputName":"PublishOutputFnGetAttClusterCpuQueue[^"]*JobQueueArn/);
  Template.fromStack(submitting.notebooks).hasResourceProperties('AWS::SageMaker::NotebookInstance', { InstanceType: 'ml.m5.xlarge' });
});

test('config errors name the notebooks keys', () => {
  expect(() => loadConfig({ 'ml-at-scale': { notebooks: { volumeSizeGiB: 2, studioIdleTimeoutMinutes: 30, instanceType: 't3.medium' } } })).toThrow(
    /ml-at-scale\.notebooks\.instanceType: must be a notebook instance type such as ml\.t3\.medium, got "t3\.medium"[\s\S]*ml-at-scale\.notebooks\.volumeSizeGiB: must be at least 5, got 2[\s\S]*ml-at-scale\.notebooks\.studioIdleTimeoutMinutes: must be at least 60, got 30/,
  );
});

test('matches the snapshot', () => {
  expect(template.toJSON()).toMatchSnapshot();
});

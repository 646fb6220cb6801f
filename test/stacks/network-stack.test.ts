import { Template } from 'aws-cdk-lib/assertions';
import { referenceApp } from './fixture';

const { stacks } = referenceApp();
const template = Template.fromStack(stacks.network);

test('is named from the stack prefix and is environment-agnostic', () => {
  expect(stacks.network.stackName).toBe('MlAtScale-Network');
  expect(stacks.network.environment).toBe('aws://unknown-account/unknown-region');
});

test('holds one VPC with flow logs, the S3 gateway endpoint and the interface endpoints', () => {
  template.resourceCountIs('AWS::EC2::VPC', 1);
  template.resourceCountIs('AWS::EC2::FlowLog', 1);
  template.resourceCountIs('AWS::EC2::NatGateway', 1);
  expect(Object.keys(template.findResources('AWS::EC2::VPCEndpoint')).length).toBeGreaterThan(10);
});

test('retains the flow-log group and the key', () => {
  for (const type of ['AWS::Logs::LogGroup', 'AWS::KMS::Key']) {
    for (const r of Object.values(template.findResources(type))) expect(r.DeletionPolicy).toBe('Retain');
  }
});

test('matches the snapshot', () => {
  expect(template.toJSON()).toMatchSnapshot();
});

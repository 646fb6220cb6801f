import { Template } from 'aws-cdk-lib/assertions';
import { referenceApp, sharedReferenceApp } from './fixture';

const { stacks } = sharedReferenceApp();
const template = Template.fromStack(stacks.network);

test('is named from the stack prefix and is environment-agnostic', () => {
  expect(stacks.network.stackName).toBe('MlAtScale-Network');
  expect(stacks.network.environment).toBe('aws://unknown-account/unknown-region');
});

test('holds one VPC with flow logs, a NAT gateway and the free S3 gateway endpoint, and no interface endpoint', () => {
  // With a NAT gateway, AWS APIs need no interface endpoint; each would cost about $14.60 a month in 2 AZs.
  template.resourceCountIs('AWS::EC2::VPC', 1);
  template.resourceCountIs('AWS::EC2::FlowLog', 1);
  template.resourceCountIs('AWS::EC2::NatGateway', 1);
  const endpoints = Object.values(template.findResources('AWS::EC2::VPCEndpoint'));
  expect(endpoints.map((e) => e.Properties.VpcEndpointType)).toEqual(['Gateway']);
});

test('retains the flow-log group and the key', () => {
  for (const type of ['AWS::Logs::LogGroup', 'AWS::KMS::Key']) {
    for (const r of Object.values(template.findResources(type))) expect(r.DeletionPolicy).toBe('Retain');
  }
});

test('matches the snapshot', () => {
  expect(template.toJSON()).toMatchSnapshot();
});

test('without NAT gateways, the app keeps the interface endpoints that private subnets then need', () => {
  const isolated = referenceApp({ 'ml-at-scale.network.natGateways': 0 });
  const endpoints = Object.values(Template.fromStack(isolated.stacks.network).findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } }));
  expect(endpoints).toHaveLength(15);
});

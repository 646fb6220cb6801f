import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { MlVpc } from '../../lib';
import { nagFindings, testApp, testStack } from '../util/app';

describe('MlVpc with defaults', () => {
  const stack = testStack();
  const mlVpc = new MlVpc(stack, 'Vpc');
  const template = Template.fromStack(stack);

  test('spreads public and private subnets over two AZs behind one NAT gateway', () => {
    template.resourceCountIs('AWS::EC2::Subnet', 4);
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
    expect(mlVpc.vpc.privateSubnets).toHaveLength(2);
    expect(mlVpc.vpc.availabilityZones).toHaveLength(2);
  });

  test('sends all traffic to a KMS-encrypted flow-log group kept a year and retained', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 365, KmsKeyId: Match.anyValue() },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('creates a rotating key that is retained', () => {
    template.hasResource('AWS::KMS::Key', { Properties: { EnableKeyRotation: true }, DeletionPolicy: 'Retain' });
  });

  test('closes the default security group', () => {
    template.resourceCountIs('Custom::VpcRestrictDefaultSG', 1);
  });

  test('creates the S3 gateway endpoint and every default interface endpoint with private DNS', () => {
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith(['.s3'])]) }),
    });
    const interfaces = template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } });
    expect(Object.keys(interfaces)).toHaveLength(MlVpc.DEFAULT_INTERFACE_ENDPOINTS.length);
    for (const endpoint of Object.values(interfaces)) expect(endpoint.Properties.PrivateDnsEnabled).toBe(true);
    expect(Object.keys(mlVpc.interfaceEndpoints)).toEqual(expect.arrayContaining(['ecr.api', 'ecr.dkr', 'logs', 'sagemaker.api', 'glue', 'athena']));
  });

  test('lets only HTTPS from the VPC range reach the interface endpoints', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'HTTPS from inside the VPC to the interface endpoints',
      SecurityGroupIngress: [Match.objectLike({ CidrIp: '10.0.0.0/16', FromPort: 443, ToPort: 443, IpProtocol: 'tcp' })],
    });
  });

  test('has no unacknowledged cdk-nag finding', () => {
    expect(nagFindings(stack)).toEqual([]);
  });
});

describe('MlVpc, fullest configuration', () => {
  const stack = new Stack(testApp(), 'Test', { env: { account: '111111111111', region: 'eu-west-1' } });
  const key = new kms.Key(stack, 'OwnKey', { enableKeyRotation: true });
  const mlVpc = new MlVpc(stack, 'Vpc', {
    cidr: '10.20.0.0/16',
    maxAzs: 3,
    natGateways: 0,
    interfaceEndpoints: [ec2.InterfaceVpcEndpointAwsService.ECR, ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS],
    encryptionKey: key,
    flowLogsRetention: logs.RetentionDays.TWO_YEARS,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const template = Template.fromStack(stack);

  test('is isolated: no internet gateway, no NAT, isolated subnets in three AZs', () => {
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    expect(mlVpc.vpc.isolatedSubnets).toHaveLength(3);
    template.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.20.0.0/16' });
  });

  test('creates only the endpoints asked for, and uses the key passed in', () => {
    expect(Object.keys(mlVpc.interfaceEndpoints).sort()).toEqual(['ecr.api', 'logs']);
    expect(mlVpc.encryptionKey).toBe(key);
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResource('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 731 }, DeletionPolicy: 'Delete' });
  });

  test('has no unacknowledged cdk-nag finding', () => {
    expect(nagFindings(stack)).toEqual([]);
  });
});

describe('MlVpc validation', () => {
  const make = (props: ConstructorParameters<typeof MlVpc>[2]) => () => new MlVpc(new Stack(), 'Vpc', props);

  test('fails when maxAzs is below two', () => {
    expect(make({ maxAzs: 1 })).toThrow(/^maxAzs must be an integer from 2 to 6, got 1/);
  });
  test('fails when natGateways exceeds maxAzs', () => {
    expect(make({ maxAzs: 2, natGateways: 3 })).toThrow(/^natGateways must be an integer from 0 to 2, got 3/);
  });
  test('fails when natGateways is not an integer', () => {
    expect(make({ natGateways: 1.5 })).toThrow(/^natGateways must be an integer from 0 to 2, got 1.5/);
  });
  test('fails when flow logs are kept less than a year', () => {
    expect(make({ flowLogsRetention: logs.RetentionDays.SIX_MONTHS })).toThrow(
      /^flowLogsRetention must keep logs at least 365 days, got 180/,
    );
  });
  test('warns when more than two AZs are asked of an environment-agnostic stack', () => {
    const stack = testStack();
    new MlVpc(stack, 'Vpc', { maxAzs: 3 });
    Annotations.fromStack(stack).hasWarning('/Test/Vpc', Match.stringLikeRegexp('maxAzs is 3 but the stack is environment-agnostic'));
  });
  test('fails when an interface endpoint is named twice', () => {
    const ecr = ec2.InterfaceVpcEndpointAwsService.ECR;
    expect(make({ interfaceEndpoints: [ecr, ecr] })).toThrow(/^interfaceEndpoints must not name a service twice, got 'ecr.api'/);
  });
});

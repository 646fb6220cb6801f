import { CfnParameter, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { MlAtScaleError, MlVpc } from '../../lib';
import { warningsOf } from '../util/annotations';
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

  test('assigns no public IP in the public subnets, which hold only the NAT gateway', () => {
    for (const subnet of mlVpc.vpc.publicSubnets) {
      expect((subnet.node.defaultChild as ec2.CfnSubnet).mapPublicIpOnLaunch).toBe(false);
    }
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
    expect(warningsOf(stack)).toEqual([expect.stringMatching(/^Test\/Vpc: maxAzs is 3 but the stack is environment-agnostic/)]);
  });
  test('fails when an interface endpoint is named twice', () => {
    const ecr = ec2.InterfaceVpcEndpointAwsService.ECR;
    expect(make({ interfaceEndpoints: [ecr, ecr] })).toThrow(/^interfaceEndpoints must not name a service twice, got 'ecr.api'/);
  });
});

describe('MlVpc subnet masks, over every range the config accepts (/16 to /28)', () => {
  const region = { account: '111111111111', region: 'eu-west-1' };
  const sixZones = ['a', 'b', 'c', 'd', 'e', 'f'].map((z) => `eu-west-1${z}`);
  const zoneContext = { [`availability-zones:account=${region.account}:region=${region.region}`]: sixZones };

  /** Builds an MlVpc on the range `/mask`: the subnets' CIDR blocks, or the error. */
  function attempt(mask: number, maxAzs: number, natGateways: number): string[] | MlAtScaleError {
    const stack = new Stack(testApp({ context: zoneContext }), 'Test', { env: region });
    try {
      const { vpc } = new MlVpc(stack, 'Vpc', { cidr: `10.0.0.0/${mask}`, maxAzs, natGateways });
      return [...vpc.publicSubnets, ...vpc.privateSubnets, ...vpc.isolatedSubnets].map((s) => (s as ec2.Subnet).ipv4CidrBlock);
    } catch (err) {
      if (err instanceof MlAtScaleError) return err;
      throw err;
    }
  }

  test.each([
    [2, 1],
    [2, 0],
    [3, 3],
    [6, 6],
    [6, 0],
  ])('builds every range down to the smallest that fits, and names it for the others (%i zones, %i NAT gateways)', (maxAzs, natGateways) => {
    const outcomes = [16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28].map((mask) => ({ mask, result: attempt(mask, maxAzs, natGateways) }));
    const built = outcomes.filter((o) => Array.isArray(o.result));
    const failed = outcomes.filter((o) => o.result instanceof MlAtScaleError);
    // THEN the ranges that build come first; every later one fails, naming the last that built.
    expect(built.length).toBeGreaterThan(0);
    expect(built.map((o) => o.mask)).toEqual(outcomes.slice(0, built.length).map((o) => o.mask));
    const smallest = built[built.length - 1].mask;
    for (const { result } of failed) {
      expect((result as MlAtScaleError).message).toMatch(new RegExp(`^cidr must be a /${smallest} or larger range to hold ${maxAzs} private subnets`));
    }
    for (const { result } of built) {
      const subnets = result as string[];
      expect(subnets).toHaveLength(natGateways > 0 ? 2 * maxAzs : maxAzs);
      for (const block of subnets) expect(Number(block.split('/')[1])).toBeLessThanOrEqual(28);
    }
  });

  test('keeps the /16 default layout: public /24 and private /18 subnets', () => {
    expect(attempt(16, 2, 1)).toEqual(['10.0.0.0/24', '10.0.1.0/24', '10.0.64.0/18', '10.0.128.0/18']);
  });

  test('fails when the range is too small for the subnets', () => {
    expect(() => new MlVpc(testStack(), 'Vpc', { cidr: '10.0.0.0/26' })).toThrow(
      /^cidr must be a \/25 or larger range to hold 2 private subnets and 2 public subnets for the NAT gateways, each private one with 16 free addresses/,
    );
  });

  test('fails when the range is not an IPv4 CIDR block from /16 to /28', () => {
    expect(() => new MlVpc(testStack(), 'Vpc', { cidr: '10.0.0.0/12' })).toThrow(/^cidr must be an IPv4 CIDR block from \/16 to \/28, got '10.0.0.0\/12'/);
    expect(() => new MlVpc(testStack(), 'Vpc', { cidr: '10.0.0/16' })).toThrow(/^cidr must be an IPv4 CIDR block/);
  });

  // Found by test/network/ml-vpc.props.test.ts: 10.0.1.0/16 was accepted and the VPC laid out as 10.1.0.0/16.
  test('fails when the range has host bits set, naming its network address', () => {
    expect(() => new MlVpc(testStack(), 'Vpc', { cidr: '10.0.1.0/16' })).toThrow(
      /^cidr must be the network address of its block \(host bits zero\), such as 10\.0\.0\.0\/16, got '10\.0\.1\.0\/16'/,
    );
    expect(() => new MlVpc(testStack(), 'Vpc', { cidr: '172.16.16.0/20' })).not.toThrow();
  });

  test('fails when the range is an unresolved token', () => {
    const stack = testStack();
    const cidr = new CfnParameter(stack, 'Cidr').valueAsString;
    expect(() => new MlVpc(stack, 'Vpc', { cidr })).toThrow(/^cidr must be known at synth \(the subnet masks derive from it\), got an unresolved token/);
  });

  test('fails when maxAzs is an unresolved token', () => {
    const stack = testStack();
    const maxAzs = new CfnParameter(stack, 'MaxAzs', { type: 'Number' }).valueAsNumber;
    expect(() => new MlVpc(stack, 'Vpc', { maxAzs })).toThrow(/^maxAzs must be known at synth \(the subnet masks derive from it\), got an unresolved token/);
  });
});

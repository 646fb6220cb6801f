import { RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { invalidProp, validateNumber } from '../common/errors';
import { allowCloudWatchLogs, logRetention } from '../common/logging';
import { LARGEST_VPC_MASK, networkBlock, planSubnets, prefixLength, SMALLEST_SUBNET_MASK, smallestRangeMask, SubnetDemand } from './private/subnet-plan';
import { restrictGrantsToAwsServices } from '../common/kms';
import { acknowledgeControlTowerRule, acknowledgeInlinePolicy, acknowledgeRegulatedRule } from '../common/nag';

/** Properties of an {@link MlVpc}. */
export interface MlVpcProps {
  /**
   * The IPv4 range of the VPC, /16 to /28, known at synth.
   *
   * The subnet masks derive from it: each private subnet gets an equal power-of-two share, with one
   * share left for the public subnets (`/16` over two zones: private `/18`, public `/24`). A range
   * too small for the zones, the NAT gateways' public subnets and the interface endpoints is an error
   * that names the smallest range that fits.
   * @default '10.0.0.0/16'
   */
  readonly cidr?: string;
  /**
   * How many Availability Zones to spread the subnets over. At least two.
   * @default 2
   */
  readonly maxAzs?: number;
  /**
   * How many NAT gateways to create. `0` gives an isolated VPC with no internet gateway, which
   * reaches AWS services through its VPC endpoints alone.
   * @default 1
   */
  readonly natGateways?: number;
  /**
   * The interface endpoints to create, with private DNS, in the private subnets.
   * @default MlVpc.DEFAULT_INTERFACE_ENDPOINTS
   */
  readonly interfaceEndpoints?: ec2.InterfaceVpcEndpointAwsService[];
  /**
   * The KMS key that encrypts the flow-log group.
   * @default - a new key with rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * How long flow logs are kept. At least a year.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly flowLogsRetention?: logs.RetentionDays;
  /**
   * What happens to the flow-log group and the key created here when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A VPC for ML workloads: private subnets across at least two Availability Zones, flow logs to a
 * KMS-encrypted log group, the default security group closed, an S3 gateway endpoint and the
 * interface endpoints that training, notebooks and ETL need.
 *
 * Every other construct of the library takes any `ec2.IVpc`; this one is a convenience.
 */
export class MlVpc extends Construct {
  /**
   * The interface endpoints of the reference topology: container images (ECR), Batch hosts (ECS),
   * logs and metrics (CloudWatch), credentials (STS), encryption (KMS), SageMaker, Glue, Athena,
   * tracing (X-Ray) and Step Functions.
   */
  public static readonly DEFAULT_INTERFACE_ENDPOINTS: ec2.InterfaceVpcEndpointAwsService[] = [
    ec2.InterfaceVpcEndpointAwsService.ECR,
    ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
    ec2.InterfaceVpcEndpointAwsService.ECS,
    ec2.InterfaceVpcEndpointAwsService.ECS_AGENT,
    ec2.InterfaceVpcEndpointAwsService.ECS_TELEMETRY,
    ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
    ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING,
    ec2.InterfaceVpcEndpointAwsService.STS,
    ec2.InterfaceVpcEndpointAwsService.KMS,
    ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_API,
    ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_RUNTIME,
    ec2.InterfaceVpcEndpointAwsService.GLUE,
    ec2.InterfaceVpcEndpointAwsService.ATHENA,
    ec2.InterfaceVpcEndpointAwsService.XRAY,
    ec2.InterfaceVpcEndpointAwsService.STEP_FUNCTIONS,
  ];

  /**
   * Interface endpoints that some configurations need and the default set leaves out, to add to
   * `interfaceEndpoints` in a VPC without a NAT gateway: Batch (notebooks that submit preprocessing
   * jobs), Secrets Manager (a notebook's Git credentials), and the SageMaker Studio and notebook
   * endpoints (to open Studio or Jupyter from inside the VPC rather than through the console).
   */
  public static readonly OPTIONAL_INTERFACE_ENDPOINTS: ec2.InterfaceVpcEndpointAwsService[] = [
    ec2.InterfaceVpcEndpointAwsService.BATCH,
    ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
    ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_STUDIO,
    ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_NOTEBOOK,
  ];

  /** The VPC. */
  public readonly vpc: ec2.Vpc;
  /** The key that encrypts the flow logs. */
  public readonly encryptionKey: kms.IKey;
  /** The log group that receives the VPC flow logs. */
  public readonly flowLogGroup: logs.LogGroup;
  /** The VPC flow log. */
  public readonly flowLog: ec2.FlowLog;
  /** The S3 gateway endpoint. */
  public readonly s3Endpoint: ec2.GatewayVpcEndpoint;
  /** The security group of the interface endpoints: HTTPS from inside the VPC. */
  public readonly endpointSecurityGroup: ec2.SecurityGroup;
  /** The interface endpoints, by the short name of their service (for example `ecr.api`). */
  public readonly interfaceEndpoints: Record<string, ec2.InterfaceVpcEndpoint>;

  /**
   * Defines a `MlVpc` in `scope`.
   *
   * @param scope the scope to define the construct in
   * @param id the construct's id, unique in `scope`
   * @param props the construct's configuration, see `MlVpcProps`
   */
  constructor(scope: Construct, id: string, props: MlVpcProps = {}) {
    super(scope, id);
    const maxAzs = props.maxAzs ?? 2;
    const natGateways = props.natGateways ?? 1;
    // The subnet masks and the NAT ceiling are computed at synth, so the zone count must be a literal.
    if (Token.isUnresolved(maxAzs)) throw invalidProp(this, 'maxAzs', 'must be known at synth (the subnet masks derive from it)', maxAzs);
    validateNumber(this, 'maxAzs', maxAzs, { integer: true, min: 2, max: 6 });
    validateNumber(this, 'natGateways', natGateways, { integer: true, min: 0, max: maxAzs });
    const retention = logRetention(this, 'flowLogsRetention', props.flowLogsRetention);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.encryptionKey =
      props.encryptionKey ??
      restrictGrantsToAwsServices(new kms.Key(this, 'Key', {
        description: `Encrypts the flow logs of ${this.node.path}`,
        enableKeyRotation: true,
        removalPolicy,
      }));
    allowCloudWatchLogs(this.encryptionKey);
    const stack = Stack.of(this);

    const cidr = props.cidr ?? '10.0.0.0/16';
    const services = props.interfaceEndpoints ?? MlVpc.DEFAULT_INTERFACE_ENDPOINTS;
    const plan = this.planSubnets(cidr, maxAzs, natGateways, services.length);
    const subnetConfiguration: ec2.SubnetConfiguration[] =
      natGateways > 0
        ? [
            // Only the NAT gateways live in the public subnets, with Elastic IPs: nothing launched there gets a public IP.
            { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: plan.publicMask, mapPublicIpOnLaunch: false },
            { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: plan.privateMask },
          ]
        : [{ name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: plan.privateMask }];

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(cidr),
      maxAzs,
      natGateways,
      subnetConfiguration,
      restrictDefaultSecurityGroup: true,
      enableDnsHostnames: true,
      enableDnsSupport: true,
    });

    for (const subnet of this.vpc.publicSubnets) {
      acknowledgeRegulatedRule(
        subnet,
        'VPCNoUnrestrictedRouteToIGW',
        'Public subnets hold only the NAT gateways (nothing else is placed there, and they assign no public IPs); their default route to the internet gateway is how the private subnets reach the internet through NAT.',
      );
    }
    // aws-cdk-lib's provider of restrictDefaultSecurityGroup: a stack-wide singleton outside the VPC.
    const restrictProvider = stack.node.tryFindChild('Custom::VpcRestrictDefaultSGCustomResourceProvider');
    if (restrictProvider) {
      acknowledgeControlTowerRule(
        restrictProvider,
        'lambda_inside_vpc_check',
        "aws-cdk-lib's custom resource that removes the default security group's rules at deployment; it calls only the EC2 API, with IAM authentication over TLS, and handles no data.",
      );
    }

    if (Token.isUnresolved(stack.region) && maxAzs > 2) {
      Validations.of(this).addWarning(
        'cdk-ml-at-scale:MaxAzsNeedsEnvironment',
        `maxAzs is ${maxAzs} but the stack is environment-agnostic, which gives 2 Availability Zones; give the stack an account and region to use more`,
      );
    }

    this.flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      encryptionKey: this.encryptionKey,
      retention,
      removalPolicy,
    });
    this.flowLog = this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
      maxAggregationInterval: ec2.FlowLogMaxAggregationInterval.ONE_MINUTE,
    });
    acknowledgeInlinePolicy(this.flowLog.node.findChild('IAMRole'));

    const privateSubnets: ec2.SubnetSelection = {
      subnetType: natGateways > 0 ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PRIVATE_ISOLATED,
    };
    this.s3Endpoint = this.vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });

    this.endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc: this.vpc,
      description: 'HTTPS from inside the VPC to the interface endpoints',
      allowAllOutbound: false,
    });
    // The literal range rather than the VPC's CidrBlock attribute, so that the rule can be checked at synth.
    this.endpointSecurityGroup.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(443), 'HTTPS from the VPC');

    this.interfaceEndpoints = {};
    const seen = new Set<string>();
    for (const service of services) {
      const short = service.shortName;
      if (seen.has(short)) throw invalidProp(this, 'interfaceEndpoints', 'must not name a service twice', short);
      seen.add(short);
      this.interfaceEndpoints[short] = this.vpc.addInterfaceEndpoint(endpointId(short), {
        service,
        subnets: privateSubnets,
        privateDnsEnabled: true,
        securityGroups: [this.endpointSecurityGroup],
        open: false,
      });
    }
    if (natGateways === 0 && !seen.has('logs')) {
      Validations.of(this).addWarning(
        'cdk-ml-at-scale:IsolatedVpcWithoutLogsEndpoint',
        'natGateways is 0 but interfaceEndpoints has no CloudWatch Logs endpoint: jobs in this VPC cannot ship logs',
      );
    }
  }

  /** The subnet masks for `cidr`, or an error naming the smallest range that holds the subnets. */
  private planSubnets(cidr: string, maxAzs: number, natGateways: number, endpointCount: number): { privateMask: number; publicMask?: number } {
    if (Token.isUnresolved(cidr)) throw invalidProp(this, 'cidr', 'must be known at synth (the subnet masks derive from it)', cidr);
    const vpcMask = prefixLength(cidr);
    if (vpcMask === undefined || vpcMask < LARGEST_VPC_MASK || vpcMask > SMALLEST_SUBNET_MASK) {
      throw invalidProp(this, 'cidr', `must be an IPv4 CIDR block from /${LARGEST_VPC_MASK} to /${SMALLEST_SUBNET_MASK}`, cidr);
    }
    // With host bits set, ec2.Vpc's subnet arithmetic would lay the VPC out elsewhere than asked.
    const network = networkBlock(cidr);
    if (network !== cidr) throw invalidProp(this, 'cidr', `must be the network address of its block (host bits zero), such as ${network}`, cidr);
    // ec2.Vpc takes the first maxAzs zones of the stack (two tokens for an environment-agnostic stack).
    const azCount = Math.min(maxAzs, Stack.of(this).availabilityZones.length);
    const demand: SubnetDemand = { azCount, publicSubnets: natGateways > 0, privateAddressesNeeded: endpointCount + 1 };
    const plan = planSubnets(vpcMask, demand);
    if (plan) return plan;
    const fits = smallestRangeMask(demand);
    const needs =
      `${azCount} private subnets${natGateways > 0 ? ` and ${azCount} public subnets for the NAT gateways` : ''}, ` +
      `each private one with ${endpointCount + 1} free addresses (one per interface endpoint, one for hosts; AWS subnets are /28 at smallest)`;
    throw invalidProp(this, 'cidr', fits === undefined ? `cannot hold ${needs}` : `must be a /${fits} or larger range to hold ${needs}`, cidr);
  }
}

/** A stable construct ID from a service short name: `ecr.api` -> `EcrApi`. */
function endpointId(shortName: string): string {
  return shortName
    .split(/[^a-zA-Z0-9]+/)
    .filter((s) => s.length > 0)
    .map((s) => s[0].toUpperCase() + s.slice(1))
    .join('');
}

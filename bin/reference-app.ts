import { App, Environment, RemovalPolicy, Tags } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { DataLakeStack, NetworkStack, TrainingStack } from '../lib';
import { MlAtScaleConfig } from './config';

/** The stacks of the reference app, for tests and for teams that extend it. */
export interface ReferenceStacks {
  readonly network: NetworkStack;
  readonly dataLake: DataLakeStack;
  readonly training: TrainingStack;
}

/** Creates every stack of the reference topology from a validated configuration. */
export function createReferenceStacks(app: App, config: MlAtScaleConfig): ReferenceStacks {
  const env: Environment | undefined =
    config.env.account || config.env.region ? { account: config.env.account, region: config.env.region } : undefined;
  const removalPolicy = config.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
  const p = config.stackPrefix;

  const network = new NetworkStack(app, 'Network', {
    stackName: `${p}-Network`,
    env,
    description: 'cdk-ml-at-scale: VPC, flow logs and VPC endpoints',
    network: {
      cidr: config.network.cidr,
      maxAzs: config.network.maxAzs,
      natGateways: config.network.natGateways,
      interfaceEndpoints: config.network.interfaceEndpoints?.map((name) => new ec2.InterfaceVpcEndpointAwsService(name)),
      removalPolicy,
    },
  });

  const dataLake = new DataLakeStack(app, 'DataLake', {
    stackName: `${p}-DataLake`,
    env,
    description: 'cdk-ml-at-scale: S3 data lake zones, KMS key and access logs',
    dataLake: { ...config.dataLake, removalPolicy },
  });

  // Storage inputs (lustreFileSystem + lustreMountName, sharedFileSystem) join here once the storage stack exists.
  const training = new TrainingStack(app, 'Training', {
    stackName: `${p}-Training`,
    env,
    description: 'cdk-ml-at-scale: AWS Batch training (GPU) and preprocessing (CPU) queues, launch templates and job definitions',
    vpc: network.network.vpc,
    dataLake: dataLake.dataLake,
    ...config.training,
    removalPolicy,
  });

  for (const [key, value] of Object.entries(config.tags)) Tags.of(app).add(key, value);
  Tags.of(app).add('project', 'cdk-ml-at-scale');
  return { network, dataLake, training };
}

import { App, Environment, RemovalPolicy, Tags } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as fsx from 'aws-cdk-lib/aws-fsx';
import { DataLakeStack, NetworkStack, PipelineStack, StorageStack, TrainingJobType, TrainingStack } from '../lib';
import { MlAtScaleConfig } from './config';
import { warnOnImagesNeedingInternet } from './image-check';

/** The fair-share identifier of the reference pipeline's jobs, when fair-share scheduling is on. */
export const PIPELINE_SHARE = 'pipeline';

/** The stacks of the reference app, for tests and for teams that extend it. */
export interface ReferenceStacks {
  readonly network: NetworkStack;
  readonly dataLake: DataLakeStack;
  readonly storage: StorageStack;
  readonly training: TrainingStack;
  readonly pipeline: PipelineStack;
}

/** Creates every stack of the reference topology from a validated configuration. */
export function createReferenceStacks(app: App, config: MlAtScaleConfig): ReferenceStacks {
  const env: Environment | undefined =
    config.env.account || config.env.region ? { account: config.env.account, region: config.env.region } : undefined;
  const removalPolicy = config.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
  // Each stack's construct id is its name, so that `cdk synth MlAtScale-Network` selects it.
  const p = config.stackPrefix;

  const network = new NetworkStack(app, `${p}-Network`, {
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

  const dataLake = new DataLakeStack(app, `${p}-DataLake`, {
    stackName: `${p}-DataLake`,
    env,
    description: 'cdk-ml-at-scale: S3 data lake zones, KMS key and access logs',
    dataLake: { ...config.dataLake, removalPolicy },
  });

  const storage = new StorageStack(app, `${p}-Storage`, {
    stackName: `${p}-Storage`,
    env,
    description: 'cdk-ml-at-scale: FSx for Lustre linked to the data lake, and the shared EFS file system',
    vpc: network.network.vpc,
    dataLake: dataLake.dataLake,
    lustreDeploymentType: fsx.LustreDeploymentType[config.storage.lustreDeploymentType],
    lustreStorageCapacityGiB: config.storage.lustreStorageCapacityGiB,
    lustrePerUnitStorageThroughputMBpsPerTiB: config.storage.lustrePerUnitStorageThroughputMBpsPerTiB,
    lustreDemand: config.storage.lustreDemand,
    sharedFileSystemEnabled: config.storage.sharedFileSystemEnabled,
    removalPolicy,
  });

  const training = new TrainingStack(app, `${p}-Training`, {
    stackName: `${p}-Training`,
    env,
    description: 'cdk-ml-at-scale: AWS Batch training (GPU) and preprocessing (CPU) queues, launch templates and job definitions',
    vpc: network.network.vpc,
    dataLake: dataLake.dataLake,
    lustreFileSystem: storage.lustreCache.fileSystem,
    lustreMountName: storage.lustreCache.fileSystem.mountName,
    sharedFileSystem: storage.sharedFileSystem?.fileSystem,
    sharedFileSystemAccessPoint: storage.sharedFileSystem?.homeAccessPoint,
    ...config.training,
    // With fair share on, the pipeline's jobs run under one share of their own.
    fairShareIdentifiers: config.training.fairShareScheduling ? [PIPELINE_SHARE] : undefined,
    removalPolicy,
  });

  // The reference app's job images are the cluster's public placeholders: an isolated VPC cannot pull them.
  if (config.network.natGateways === 0) warnOnImagesNeedingInternet(training);

  const cluster = training.cluster;
  const pipeline = new PipelineStack(app, `${p}-Pipeline`, {
    stackName: `${p}-Pipeline`,
    env,
    description: 'cdk-ml-at-scale: dataset sharder (Lambda + Step Functions Distributed Map) and the shard-preprocess-train pipeline',
    vpc: network.network.vpc,
    dataLake: dataLake.dataLake,
    ...config.pipeline,
    preprocessJobQueue: cluster.cpuQueue,
    preprocessJobDefinition: cluster.preprocessJobDefinition,
    trainingJobQueue: cluster.gpuQueue,
    trainingJobDefinition: cluster.multiNodeTrainingJobDefinition ?? cluster.trainingJobDefinition,
    trainingJobType: cluster.multiNodeTrainingJobDefinition ? TrainingJobType.MULTI_NODE : TrainingJobType.SINGLE_NODE,
    shareIdentifier: cluster.schedulingPolicy ? PIPELINE_SHARE : undefined,
    maxGpus: cluster.gpuInstanceFacts.length ? Math.max(...cluster.gpuInstanceFacts.map((f) => f.gpus)) : undefined,
    removalPolicy,
  });

  for (const [key, value] of Object.entries(config.tags)) Tags.of(app).add(key, value);
  Tags.of(app).add('project', 'cdk-ml-at-scale');
  return { network, dataLake, storage, training, pipeline };
}

import { App, Duration, Environment, RemovalPolicy, Size, Tags } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as fsx from 'aws-cdk-lib/aws-fsx';
import {
  DataLakeStack,
  DataLakeZone,
  EdgeStack,
  EtlInputFormat,
  EtlStack,
  MonitoringStack,
  GlueWorkerType,
  NetworkStack,
  NotebooksStack,
  PipelineStack,
  StorageStack,
  TrainingStack,
} from '../lib';
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
  readonly etl: EtlStack;
  readonly notebooks: NotebooksStack;
  readonly monitoring: MonitoringStack;
  /** The edge stack, when `edge.enabled`. */
  readonly edge?: EdgeStack;
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
      // With a NAT gateway, AWS APIs are reachable without interface endpoints, and each endpoint costs
      // about $7.30 a month per AZ (npm run cost): none by default. Without NAT, MlVpc's default set.
      interfaceEndpoints:
        config.network.interfaceEndpoints?.map((name) => new ec2.InterfaceVpcEndpointAwsService(name)) ??
        (config.network.natGateways > 0 ? [] : undefined),
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
    lustre: {
      deploymentType: config.storage.lustreDeploymentType ? fsx.LustreDeploymentType[config.storage.lustreDeploymentType] : undefined,
      storageCapacityGiB: config.storage.lustreStorageCapacityGiB,
      perUnitStorageThroughputMBpsPerTiB: config.storage.lustrePerUnitStorageThroughputMBpsPerTiB,
      demand: config.storage.lustreDemand,
      removalPolicy,
    },
    sharedFileSystemEnabled: config.storage.sharedFileSystemEnabled,
    sharedFileSystem: { removalPolicy },
  });

  const { gpuInstanceTypes, cpuInstanceTypes, ...trainingSettings } = config.training;
  const training = new TrainingStack(app, `${p}-Training`, {
    stackName: `${p}-Training`,
    env,
    description: 'cdk-ml-at-scale: AWS Batch training (GPU) and preprocessing (CPU) queues, launch templates and job definitions',
    vpc: network.network.vpc,
    dataLake: dataLake.dataLake,
    lustre: storage.lustreCache,
    sharedFileSystem: storage.sharedFileSystem?.fileSystem,
    sharedFileSystemAccessPoint: storage.sharedFileSystem?.homeAccessPoint,
    training: {
      ...trainingSettings,
      gpuInstanceTypes: gpuInstanceTypes?.map((t) => new ec2.InstanceType(t)),
      cpuInstanceTypes: cpuInstanceTypes?.map((t) => new ec2.InstanceType(t)),
      // With fair share on, the pipeline's jobs run under one share of their own.
      fairShareIdentifiers: config.training.fairShareScheduling ? [PIPELINE_SHARE] : undefined,
      removalPolicy,
    },
  });

  // The reference app's job images are the cluster's public placeholders: an isolated VPC cannot pull them.
  if (config.network.natGateways === 0) warnOnImagesNeedingInternet(training);

  const cluster = training.cluster;
  const { triggerOnNewData, ...sharderSettings } = config.pipeline;
  const pipeline = new PipelineStack(app, `${p}-Pipeline`, {
    stackName: `${p}-Pipeline`,
    env,
    description: 'cdk-ml-at-scale: dataset sharder (Lambda + Step Functions Distributed Map) and the shard-preprocess-train pipeline',
    vpc: network.network.vpc,
    dataLake: dataLake.dataLake,
    sharder: { ...sharderSettings, removalPolicy },
    cluster,
    pipeline: {
      triggerOnNewData,
      // The job type, the GPU and node ceilings come from the cluster; the share is the app's choice.
      shareIdentifier: cluster.fairShareScheduling ? PIPELINE_SHARE : undefined,
      removalPolicy,
    },
  });

  const e = config.etl;
  const input = { zone: DataLakeZone.RAW, prefix: e.inputPrefix };
  const output = { zone: DataLakeZone.CURATED, prefix: e.outputPrefix };
  const etl = new EtlStack(app, `${p}-Etl`, {
    stackName: `${p}-Etl`,
    env,
    description: 'cdk-ml-at-scale: Glue catalog, crawler and Spark ETL job, Athena workgroup, optional Redshift Serverless and EMR Serverless',
    vpc: network.network.vpc,
    dataLake: dataLake.dataLake,
    catalog: { removalPolicy },
    rawCrawler: {
      targets: [input],
      tablePrefix: 'raw_',
      schedule: e.crawlerSchedule ? events.Schedule.expression(e.crawlerSchedule) : undefined,
    },
    etlJob: {
      input,
      output,
      inputFormat: e.inputFormat === undefined ? undefined : e.inputFormat === 'json' ? EtlInputFormat.JSON : EtlInputFormat.CSV,
      partitionKeys: e.partitionKeys,
      workerType: e.workerType as GlueWorkerType | undefined,
      numberOfWorkers: e.numberOfWorkers,
    },
    workgroup: {
      bytesScannedCutoffPerQuery: e.bytesScannedCutoffPerQueryMiB === undefined ? undefined : Size.mebibytes(e.bytesScannedCutoffPerQueryMiB),
      removalPolicy,
    },
    spectrum: e.spectrumEnabled ? { baseCapacityRpus: e.spectrumBaseCapacityRpus, removalPolicy } : undefined,
    sparkApplication: e.sparkApplicationEnabled ? { lakeAccess: [input, { ...output, write: true }], maximumVcpus: e.sparkMaximumVcpus } : undefined,
  });

  const nb = config.notebooks;
  const minutes = (m: number | undefined) => (m === undefined ? undefined : Duration.minutes(m));
  const notebooks = new NotebooksStack(app, `${p}-Notebooks`, {
    stackName: `${p}-Notebooks`,
    env,
    description: 'cdk-ml-at-scale: SageMaker notebook instance and Studio domain for exploration, private and least-privilege',
    vpc: network.network.vpc,
    dataLake: dataLake.dataLake,
    // The data stack's Athena workgroup and Glue catalog: notebooks query the lake through them.
    workgroup: etl.workgroup,
    catalog: etl.catalog,
    jobQueue: nb.submitPreprocessing ? cluster.cpuQueue : undefined,
    jobDefinition: nb.submitPreprocessing ? cluster.preprocessJobDefinition : undefined,
    notebookEnabled: nb.instanceEnabled,
    notebook: {
      instanceType: nb.instanceType,
      volumeSizeGiB: nb.volumeSizeGiB,
      idleTimeout: minutes(nb.idleTimeoutMinutes),
      curatedReadPrefixes: nb.curatedReadPrefixes,
      removalPolicy,
    },
    studioEnabled: nb.studioEnabled,
    studio: {
      userProfileNames: nb.studioUserProfiles,
      idleTimeout: minutes(nb.studioIdleTimeoutMinutes),
      curatedReadPrefixes: nb.curatedReadPrefixes,
      removalPolicy,
    },
  });

  const mon = config.monitoring;
  const monitoring = new MonitoringStack(app, `${p}-Monitoring`, {
    stackName: `${p}-Monitoring`,
    env,
    description: 'cdk-ml-at-scale: stall monitor (GPU use against file system throughput, queues, alarms to an encrypted topic)',
    cluster,
    lustre: storage.lustreCache,
    pipeline: pipeline.pipeline?.stateMachine,
    monitor: {
      alarmEmail: mon.alarmEmail,
      gpuStarvedUtilizationPercent: mon.gpuStarvedUtilizationPercent,
      storageNearLimitPercent: mon.storageNearLimitPercent,
      starvedFor: minutes(mon.starvedForMinutes),
      stuckRunnableAfter: minutes(mon.stuckRunnableAfterMinutes),
      removalPolicy,
    },
  });

  const ed = config.edge;
  const edge = ed.enabled
    ? new EdgeStack(app, `${p}-Edge`, {
        stackName: `${p}-Edge`,
        env,
        description: 'cdk-ml-at-scale: IoT Greengrass v2 fleet, model component versions, deployment and automatic releases',
        dataLake: dataLake.dataLake,
        edgeDeployment: {
          componentName: ed.componentName,
          releases: ed.releases,
          deployedVersion: ed.deployedVersion,
          thingGroupName: ed.thingGroupName,
          roleAliasName: ed.roleAliasName,
          credentialDuration: ed.credentialDurationSeconds === undefined ? undefined : Duration.seconds(ed.credentialDurationSeconds),
          recipeLockFile: ed.recipeLockFile,
        },
        modelReleaseEnabled: ed.automaticReleases,
        modelRelease: { baseVersion: ed.releaseBaseVersion },
        onPremisesIngest: ed.onPremisesGatewayArn ? { gatewayArn: ed.onPremisesGatewayArn, clientList: ed.onPremisesClientList } : undefined,
        removalPolicy,
      })
    : undefined;

  for (const [key, value] of Object.entries(config.tags)) Tags.of(app).add(key, value);
  Tags.of(app).add('project', 'cdk-ml-at-scale');
  return { network, dataLake, storage, training, pipeline, etl, notebooks, monitoring, edge };
}

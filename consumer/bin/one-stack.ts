/**
 * Shape (b): everything in one stack. A VPC, a lake, a Lustre file system linked to it, a training
 * cluster that mounts it, a dataset sharder and the pipeline that runs shard, preprocess and train.
 */
import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import {
  DataLake,
  DataLakeZone,
  DatasetSharder,
  LustreCache,
  MlVpc,
  TrainingCluster,
  TrainingJobType,
  TrainingPipeline,
} from 'cdk-ml-at-scale';
import { teamApp } from '../lib/synth.js';

const app = teamApp();
const stack = new Stack(app, 'SpeechTeam-All');

const network = new MlVpc(stack, 'Network');
const lake = new DataLake(stack, 'Lake');
const cache = new LustreCache(stack, 'Cache', {
  vpc: network.vpc,
  dataRepositoryAssociations: [
    { fileSystemPath: '/datasets', bucket: lake.bucket(DataLakeZone.CURATED), bucketPrefix: 'speech/shards/' },
    { fileSystemPath: '/checkpoints', bucket: lake.bucket(DataLakeZone.ARTIFACTS), bucketPrefix: 'speech/checkpoints/', exportChanges: true },
  ],
});
const cluster = new TrainingCluster(stack, 'Cluster', {
  vpc: network.vpc,
  gpuInstanceTypes: [new ec2.InstanceType('p5.48xlarge')],
  gpuMaxVcpus: 192,
  lustreFileSystem: cache.fileSystem,
  lustreMountName: cache.fileSystem.mountName,
});
lake.grantRead(cluster.jobRole, DataLakeZone.CURATED, 'speech/shards');
lake.grantReadWrite(cluster.jobRole, DataLakeZone.ARTIFACTS, 'speech/checkpoints');

const sharder = new DatasetSharder(stack, 'Sharder', {
  vpc: network.vpc,
  sourceBucket: lake.bucket(DataLakeZone.RAW),
  sourcePrefix: 'speech/incoming/',
  destinationBucket: lake.bucket(DataLakeZone.CURATED),
  destinationPrefix: 'speech/shards/',
});
new TrainingPipeline(stack, 'Pipeline', {
  sharder,
  preprocessJobQueue: cluster.cpuQueue,
  preprocessJobDefinition: cluster.preprocessJobDefinition,
  trainingJobQueue: cluster.gpuQueue,
  trainingJobDefinition: cluster.trainingJobDefinition,
  trainingJobType: TrainingJobType.SINGLE_NODE,
  maxGpus: 8,
});

app.synth();

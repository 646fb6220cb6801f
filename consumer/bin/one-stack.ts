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
  // The cluster mounts the cache and opens the Lustre ports both ways itself.
  lustre: cache,
});
// The cluster is grantable (its job role): one way to grant lake access.
lake.grantRead(cluster, DataLakeZone.CURATED, 'speech/shards');
lake.grantReadWrite(cluster, DataLakeZone.ARTIFACTS, 'speech/checkpoints');

const sharder = new DatasetSharder(stack, 'Sharder', {
  vpc: network.vpc,
  sourceBucket: lake.bucket(DataLakeZone.RAW),
  sourcePrefix: 'speech/incoming/',
  destinationBucket: lake.bucket(DataLakeZone.CURATED),
  destinationPrefix: 'speech/shards/',
});
// The job type, the GPU ceiling and the need for a share identifier come from the cluster.
new TrainingPipeline(stack, 'Pipeline', { sharder, cluster });

app.synth();

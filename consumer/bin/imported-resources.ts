/**
 * Shape (a): a team that brings what it has. The VPC, the KMS key and the lake exist already and are
 * imported; the library adds a dataset sharder and a training cluster on them.
 */
import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import { DataLake, DataLakeZone, DatasetSharder, TrainingCluster } from 'cdk-ml-at-scale';
import { teamApp } from '../lib/synth.js';

const app = teamApp();
const env = { account: '111111111111', region: 'eu-west-1' };
const stack = new Stack(app, 'VisionTeam-Imported', { env });

const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
  vpcId: 'vpc-0a1b2c3d4e5f60718',
  vpcCidrBlock: '10.40.0.0/16',
  availabilityZones: ['eu-west-1a', 'eu-west-1b'],
  privateSubnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0aaaaaaaaaaaaaaa2'],
  privateSubnetRouteTableIds: ['rtb-0aaaaaaaaaaaaaaa1', 'rtb-0aaaaaaaaaaaaaaa2'],
});
const key = kms.Key.fromKeyArn(stack, 'LakeKey', 'arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab');
const lake = DataLake.fromDataLakeAttributes(stack, 'Lake', {
  rawBucketName: 'vision-lake-raw',
  curatedBucketName: 'vision-lake-curated',
  artifactsBucketArn: 'arn:aws:s3:::vision-lake-artifacts',
  encryptionKey: key,
});

new DatasetSharder(stack, 'Sharder', {
  vpc,
  sourceBucket: lake.bucket(DataLakeZone.RAW),
  sourcePrefix: 'vision/incoming/',
  destinationBucket: lake.bucket(DataLakeZone.CURATED),
  destinationPrefix: 'vision/shards/',
  encryptionKey: key,
});

const cluster = new TrainingCluster(stack, 'Cluster', {
  vpc,
  gpuInstanceTypes: [new ec2.InstanceType('p4d.24xlarge')],
});
lake.grantRead(cluster, DataLakeZone.CURATED, 'vision/shards');
lake.grantReadWrite(cluster, DataLakeZone.ARTIFACTS, 'vision/checkpoints');

app.synth();

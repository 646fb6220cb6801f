import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { DataLake, DataLakeZone, LustreCache, TrainingCluster, TrainingQueue } from '../../lib';
import { testApp } from '../util/app';

// The usage example of the README's training section, verbatim between the markers: tsc type-checks it with the
// tests, and the test below fails when the two drift apart.
function example(app: App): Stack {
  // example:start
  const stack = new Stack(app, 'Training');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2 });
  const lake = new DataLake(stack, 'Lake');
  const lustre = new LustreCache(stack, 'Lustre', { vpc, storageCapacityGiB: 1200 });

  const cluster = new TrainingCluster(stack, 'Cluster', {
    vpc,
    gpuInstanceTypes: [new ec2.InstanceType('p5.48xlarge')], // 8 H100, 32 EFA interfaces
    gpuMaxVcpus: 4 * 192,
    multiNodeCount: 4, // scale up (8 GPUs per node), then out (4 nodes)
    lustre, // mounted at /fsx; TCP 988 and 1018-1023 opened both ways
  });

  // The cluster is its jobs' role: grant it the lake prefixes they read and write.
  lake.grantRead(cluster, DataLakeZone.RAW, 'incoming');
  lake.grantReadWrite(cluster, DataLakeZone.CURATED, 'datasets');
  lake.grantReadWrite(cluster, DataLakeZone.ARTIFACTS, 'checkpoints');

  // A pipeline (Step Functions, a Lambda function, a CI role) submits to the queues.
  const submitter = new iam.Role(stack, 'Submitter', { assumedBy: new iam.ServicePrincipal('states.amazonaws.com') });
  cluster.grantSubmitJobs(submitter, TrainingQueue.CPU); // preprocessing array jobs
  cluster.grantSubmitJobs(submitter, TrainingQueue.GPU); // training jobs
  // example:end
  return stack;
}


test('the docs example synthesizes', () => {
  const template = Template.fromStack(example(testApp()));
  template.resourceCountIs('AWS::Batch::JobQueue', 2);
  template.resourcePropertiesCountIs('AWS::Batch::JobDefinition', { Type: 'multinode' }, 1);
});

test('the README shows the example verbatim', () => {
  const source = fs.readFileSync(__filename, 'utf8');
  const body = source.slice(source.indexOf('// example:start\n') + 17, source.indexOf('  // example:end'));
  const code = body.split('\n').map((line) => line.replace(/^ {2}/, '')).join('\n').trimEnd();
  const docs = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
  expect(docs).toContain(code);
});

import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { DatasetSharder, TrainingCluster, TrainingClusterAttributes, TrainingJobType, TrainingPipeline, TrainingPipelineProps } from '../../lib';
import { nagFindings, testApp } from '../util/app';
import { BATCH_ARN, importedCluster, multiNodeAttributes } from './imported-cluster';
import { choose, definitionOf, evaluate, evaluateAll, reachableStates } from './state-machine';

/* eslint-disable @typescript-eslint/no-explicit-any */

const ARN = BATCH_ARN;

/**
 * A stack with a sharder and an imported cluster (Batch queues and job definitions). Bundling is
 * skipped: the sharder's tests cover it.
 */
function fixture(cluster: Partial<TrainingClusterAttributes> = {}) {
  const stack = new Stack(testApp({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const raw = new s3.Bucket(stack, 'Raw', { encryption: s3.BucketEncryption.KMS, enforceSSL: true, eventBridgeEnabled: true });
  const curated = new s3.Bucket(stack, 'Curated', { encryption: s3.BucketEncryption.KMS, enforceSSL: true });
  const sharder = new DatasetSharder(stack, 'Sharder', { vpc, sourceBucket: raw, sourcePrefix: 'raw/', destinationBucket: curated, destinationPrefix: 'shards/' });
  const props: TrainingPipelineProps = {
    sharder,
    cluster: importedCluster(stack, cluster),
  };
  return { stack, raw, sharder, props };
}

/** A multi-node cluster: its multi-node job definition and its node ceiling. */
const MULTI_NODE = multiNodeAttributes;

function pipelineFindings(stack: Stack, pipeline: TrainingPipeline): string[] {
  return nagFindings(stack).filter((f) => f.includes(`${pipeline.node.path}/`));
}

describe('TrainingPipeline with defaults', () => {
  const { stack, raw, props } = fixture();
  const pipeline = new TrainingPipeline(stack, 'Pipeline', props);
  const template = Template.fromStack(stack);
  const definition = definitionOf(template, stack.getLogicalId(pipeline.stateMachine.node.defaultChild as any));
  const states = definition.States;
  const rawBucket = stack.getLogicalId(raw.node.defaultChild as any);
  const uri = (key: string) => `s3://${rawBucket}/${key}`;
  const SHARDS = { manifestBucket: 'curated', manifestKey: 'shards/run1/manifest.json', outputBucket: 'curated', outputPrefix: 'shards/run1/', shardCount: 5 };

  test('logs every event to a KMS-encrypted log group kept a year, with X-Ray on', () => {
    const machine = template.findResources('AWS::StepFunctions::StateMachine')[stack.getLogicalId(pipeline.stateMachine.node.defaultChild as any)];
    expect(machine.Properties).toMatchObject({ LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true }, TracingConfiguration: { Enabled: true } });
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 365, KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('PipelineKey'), 'Arn'] } },
      DeletionPolicy: 'Retain',
    });
    expect(definition.TimeoutSeconds).toBe(7 * 24 * 3600);
  });

  test('notifies a KMS-encrypted topic, and may use its key', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('PipelineKey'), 'Arn'] } });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyName: Match.stringLikeRegexp('PipelineStateMachineRole'),
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'sns:Publish' }),
          Match.objectLike({ Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('PipelineKey'), 'Arn'] } }),
        ]),
      },
    });
  });

  test('starts on demand only', () => {
    template.resourceCountIs('AWS::Events::Rule', 0);
    expect(pipeline.rule).toBeUndefined();
  });

  test('runs validate, shard, route, preprocess, train and notify, with one failure path', () => {
    expect(definition.QueryLanguage).toBe('JSONata');
    expect(reachableStates(definition).filter((s) => !s.startsWith('Invalid'))).toEqual([
      'ValidateInput',
      'Prepare',
      'Shard',
      'RouteByShardCount',
      'NoShards',
      'NotifyFailure',
      'Failed',
      'TooManyShards',
      'PreprocessSingle',
      'Train',
      'NotifySuccess',
      'PreprocessArray',
    ]);
    expect(states.PreprocessArray.Next).toBe('Train');
    expect(states.PreprocessSingle.Next).toBe('Train');
    expect(states.Train.Next).toBe('NotifySuccess');
    expect(states.NotifySuccess.End).toBe(true);
    expect(states.NotifyFailure.Next).toBe('Failed');
  });

  test('shards with a nested, synchronous run of the sharder', async () => {
    expect(states.Shard.Resource).toBe('arn:aws:states:::states:startExecution.sync:2');
    expect(states.Shard.Arguments.StateMachineArn).toMatch(/^SharderStateMachine/);
    const vars = { input: { datasetUri: uri('raw/a.csv'), targetShardBytes: 2097152 }, datasetPath: 'raw/a.csv' };
    await expect(evaluate(states.Shard.Arguments.Input, {}, vars)).resolves.toEqual({
      sourceKey: 'raw/a.csv',
      targetShardBytes: 2097152,
      AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: expect.stringContaining(':execution:'),
    });
    await expect(evaluate(states.Shard.Arguments.Input, {}, { input: {}, datasetPath: 'raw/day/' })).resolves.toMatchObject({ sourcePrefix: 'raw/day/' });
    // A prefix of small files packed into WebDataset tar shards: the format goes to the sharder as given.
    await expect(
      evaluate(states.Shard.Arguments.Input, {}, { input: { format: { type: 'tar' } }, datasetPath: 'raw/images/' }),
    ).resolves.toMatchObject({ sourcePrefix: 'raw/images/', format: { type: 'tar' } });
  });

  test('keeps the input and derives the dataset path and a valid Batch job name suffix', async () => {
    const assigned = await evaluateAll(states.Prepare.Assign, { input: { datasetUri: uri('raw/2024/a.csv') } });
    expect(assigned).toEqual({ input: { datasetUri: uri('raw/2024/a.csv') }, datasetPath: 'raw/2024/a.csv', jobSuffix: 'run_1__nightly' });
  });

  test('hands the manifest to the jobs through environment variables', async () => {
    const assigned = await evaluateAll(states.Shard.Assign, { result: { Output: SHARDS } }, { input: { datasetUri: uri('raw/a.csv') } });
    expect(assigned.shards).toEqual(SHARDS);
    expect(assigned.environment).toEqual([
      { Name: 'DATASET_URI', Value: uri('raw/a.csv') },
      { Name: 'SHARD_MANIFEST_URI', Value: 's3://curated/shards/run1/manifest.json' },
      { Name: 'SHARD_OUTPUT_URI', Value: 's3://curated/shards/run1/' },
      { Name: 'SHARD_COUNT', Value: '5' },
      { Name: 'SHARD_STRIDE', Value: '5' },
    ]);
    const many = await evaluateAll(states.Shard.Assign, { result: { Output: { ...SHARDS, shardCount: 25000 } } }, { input: { datasetUri: uri('raw/a.csv') } });
    expect(many.environment).toEqual(expect.arrayContaining([{ Name: 'SHARD_STRIDE', Value: '10000' }]));
  });

  test.each([
    [0, 'NoShards'],
    [1, 'PreprocessSingle'],
    [2, 'PreprocessArray'],
    [10000, 'PreprocessArray'],
    [25000, 'PreprocessArray'],
    [100000, 'PreprocessArray'],
    [100001, 'TooManyShards'],
  ])('routes %i shards to %s (past 10,000 shards, array children stride over them; a run holds at most 100,000)', async (shardCount, expected) => {
    await expect(choose(states.RouteByShardCount, {}, { shards: { shardCount } })).resolves.toBe(expected);
  });

  test('preprocesses with a .sync array job on the CPU queue, one child per shard', async () => {
    expect(states.PreprocessArray).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::batch:submitJob.sync',
      Arguments: { JobQueue: `${ARN}:job-queue/cpu`, JobDefinition: `${ARN}:job-definition/prep:1`, ArrayProperties: { Size: '{% $min([$shards.shardCount, 10000]) %}' } },
    });
    const env = [{ Name: 'SHARD_COUNT', Value: '5' }];
    const args = await evaluateAll(states.PreprocessArray.Arguments, {}, { shards: SHARDS, environment: env, jobSuffix: 'run1', input: { preprocessCommand: ['python', 'prep.py'] } });
    expect(args).toMatchObject({ JobName: 'preprocess-run1', ArrayProperties: { Size: 5 }, ContainerOverrides: { Environment: env, Command: ['python', 'prep.py'] } });
    const strided = await evaluateAll(states.PreprocessArray.Arguments, {}, { shards: { ...SHARDS, shardCount: 25000 }, environment: env, jobSuffix: 'run1', input: {} });
    expect(strided.ArrayProperties).toEqual({ Size: 10000 });
    const noCommand = await evaluateAll(states.PreprocessArray.Arguments, {}, { shards: SHARDS, environment: env, jobSuffix: 'run1', input: {} });
    expect(noCommand.ContainerOverrides).toEqual({ Environment: env });
    const oneWord = await evaluateAll(states.PreprocessArray.Arguments, {}, { shards: SHARDS, environment: env, jobSuffix: 'run1', input: { preprocessCommand: ['prep'] } });
    expect(oneWord.ContainerOverrides.Command).toEqual(['prep']);
  });

  test('preprocesses a single shard as a plain job, since an array job needs two children', () => {
    expect(states.PreprocessSingle.Resource).toBe('arn:aws:states:::batch:submitJob.sync');
    expect(states.PreprocessSingle.Arguments.ArrayProperties).toBeUndefined();
  });

  test('trains with a .sync single-node job on the GPU queue, overriding GPUs and command when given', async () => {
    expect(states.Train).toMatchObject({
      Resource: 'arn:aws:states:::batch:submitJob.sync',
      Arguments: { JobQueue: `${ARN}:job-queue/gpu`, JobDefinition: `${ARN}:job-definition/train:3` },
      Assign: { trainingJobId: '{% $states.result.JobId %}' },
    });
    const args = await evaluateAll(states.Train.Arguments, {}, { environment: [], jobSuffix: 'r', input: { gpus: 4, trainCommand: ['torchrun', 'train.py'] } });
    expect(args.ContainerOverrides).toEqual({ Environment: [], Command: ['torchrun', 'train.py'], ResourceRequirements: [{ Type: 'GPU', Value: '4' }] });
    expect(args.NodeOverrides).toBeUndefined();
  });

  test('submits without a share identifier when none is given', () => {
    for (const name of ['PreprocessArray', 'PreprocessSingle', 'Train']) expect(states[name].Arguments.ShareIdentifier).toBeUndefined();
  });

  test('retries Batch submission errors only, and sends every failure to the notification', () => {
    for (const name of ['PreprocessArray', 'PreprocessSingle', 'Train']) {
      expect(states[name].Retry).toEqual([
        { ErrorEquals: ['Batch.AWSBatchException', 'Batch.TooManyRequestsException', 'Batch.ServerException'], IntervalSeconds: 5, MaxAttempts: 5, BackoffRate: 2, JitterStrategy: 'FULL' },
      ]);
    }
    for (const name of ['Shard', 'PreprocessArray', 'PreprocessSingle', 'Train']) {
      expect(states[name].Catch).toEqual([{ ErrorEquals: ['States.ALL'], Next: 'NotifyFailure', Assign: { failure: '{% $states.errorOutput %}' } }]);
    }
  });

  test('fails with the caught error and cause after notifying', async () => {
    const failure = { Error: 'States.TaskFailed', Cause: 'Essential container in task exited' };
    const message = JSON.parse(await evaluate(states.NotifyFailure.Arguments.Message, {}, { failure, input: { datasetUri: 'u' } }));
    expect(message).toMatchObject({ status: 'FAILED', datasetUri: 'u', error: 'States.TaskFailed', cause: 'Essential container in task exited' });
    await expect(evaluate(states.Failed.Error, {}, { failure })).resolves.toBe('States.TaskFailed');
    await expect(evaluate(states.Failed.Cause, {}, { failure })).resolves.toBe('Essential container in task exited');
    const empty = await evaluateAll(states.NoShards.Assign, {}, { input: { datasetUri: 'u' } });
    expect(empty.failure).toEqual({ Error: 'EmptyDataset', Cause: 'The dataset u holds no records: there is nothing to preprocess or train on' });
  });

  test('reports success with the manifest and the training job', async () => {
    const message = JSON.parse(await evaluate(states.NotifySuccess.Arguments.Message, {}, { shards: SHARDS, trainingJobId: 'job-1', input: { datasetUri: 'u' } }));
    expect(message).toMatchObject({ status: 'SUCCEEDED', manifest: 's3://curated/shards/run1/manifest.json', shardCount: 5, trainingJobId: 'job-1' });
  });

  test.each([
    ['an object', { datasetUri: 'raw/a.csv' }, 'Prepare'],
    ['a prefix', { datasetUri: 'raw/2024/' }, 'Prepare'],
    ['every option', { datasetUri: 'raw/a.csv', targetShardBytes: 1048576, gpus: 8, preprocessCommand: ['a'], trainCommand: ['b', 'c'] }, 'Prepare'],
    ['no datasetUri', {}, 'InvalidDatasetUri'],
    ['another bucket', { datasetUri: 's3://other/raw/a.csv' }, 'InvalidDatasetUri'],
    ['outside the source prefix', { datasetUri: 'curated/a.csv' }, 'InvalidDatasetUri'],
    ['the bare source prefix', { datasetUri: 'raw/' }, 'InvalidDatasetUri'],
    ['a numeric datasetUri', { datasetUri: 5 }, 'InvalidDatasetUri'],
    ['a shard size of 10 bytes', { datasetUri: 'raw/a.csv', targetShardBytes: 10 }, 'InvalidTargetShardBytes'],
    ['zero GPUs', { datasetUri: 'raw/a.csv', gpus: 0 }, 'InvalidGpus'],
    ['more GPUs than an instance has', { datasetUri: 'raw/a.csv', gpus: 9 }, 'InvalidGpus'],
    ['GPUs as text', { datasetUri: 'raw/a.csv', gpus: '4' }, 'InvalidGpus'],
    ['nodes on a single-node pipeline', { datasetUri: 'raw/a.csv', nodes: 2 }, 'InvalidNodes'],
    ['a command as a string', { datasetUri: 'raw/a.csv', trainCommand: 'python train.py' }, 'InvalidTrainCommand'],
    ['an empty command', { datasetUri: 'raw/a.csv', preprocessCommand: [] }, 'InvalidPreprocessCommand'],
    ['a command with a number', { datasetUri: 'raw/a.csv', trainCommand: ['python', 3] }, 'InvalidTrainCommand'],
  ])('input validation: %s goes to %s', async (_name, input: any, expected) => {
    const withUri = typeof input.datasetUri === 'string' && !input.datasetUri.startsWith('s3://') ? { ...input, datasetUri: uri(input.datasetUri) } : input;
    await expect(choose(states.ValidateInput, withUri)).resolves.toBe(expected);
  });

  test('names the value in each input failure', async () => {
    expect(states.InvalidGpus).toMatchObject({ Type: 'Fail', Error: 'InvalidInput' });
    await expect(evaluate(states.InvalidGpus.Cause, { input: { gpus: 9 } })).resolves.toBe(
      'gpus must be an integer from 1 to 8 (the GPUs of the largest instance in the queue; more would wait in RUNNABLE forever), got 9',
    );
    await expect(evaluate(states.InvalidDatasetUri.Cause, { input: { datasetUri: 's3://x/y' } })).resolves.toBe(
      `datasetUri must be an object or a prefix ending in / under s3://${rawBucket}/raw/, got 's3://x/y'`,
    );
  });

  test('may submit only to its own queues and job definitions', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyName: Match.stringLikeRegexp('PipelineStateMachineRole'),
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: 'batch:SubmitJob',
            Effect: 'Allow',
            Resource: [`${ARN}:job-definition/prep:1`, `${ARN}:job-definition/train:3`, `${ARN}:job-queue/cpu`, `${ARN}:job-queue/gpu`],
          },
        ]),
      },
    });
  });

  test('is clean under cdk-nag', () => {
    expect(pipelineFindings(stack, pipeline)).toEqual([]);
  });
});

describe('TrainingPipeline with every option', () => {
  const base = new Stack(testApp(), 'Defs');
  const { stack, props } = fixture({ ...MULTI_NODE(base), fairShareScheduling: true });
  const key = new kms.Key(stack, 'GivenKey', { enableKeyRotation: true });
  const topic = new sns.Topic(stack, 'GivenTopic', { masterKey: key, enforceSSL: true });
  const pipeline = new TrainingPipeline(stack, 'Pipeline', {
    ...props,
    trainingJobType: TrainingJobType.MULTI_NODE,
    maxGpus: 4,
    maxNodes: 32,
    triggerOnNewData: true,
    triggerPrefix: 'raw/incoming/',
    topic,
    encryptionKey: key,
    timeout: Duration.days(2),
    logRetention: logs.RetentionDays.FIVE_YEARS,
    removalPolicy: RemovalPolicy.DESTROY,
    shareIdentifier: 'research',
  });
  const starter = new iam.Role(stack, 'Starter', { assumedBy: new iam.AccountRootPrincipal() });
  pipeline.grantStartExecution(starter);
  const template = Template.fromStack(stack);
  const states = definitionOf(template, stack.getLogicalId(pipeline.stateMachine.node.defaultChild as any)).States;

  test('starts a run for every non-empty object created under the trigger prefix', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.s3'],
        'detail-type': ['Object Created'],
        detail: { bucket: { name: [{ Ref: Match.stringLikeRegexp('^Raw') }] }, object: { key: [{ prefix: 'raw/incoming/' }], size: [{ numeric: ['>', 0] }] } },
      },
      Targets: [
        Match.objectLike({
          InputTransformer: {
            InputPathsMap: { 'detail-bucket-name': '$.detail.bucket.name', 'detail-object-key': '$.detail.object.key' },
            InputTemplate: '{"datasetUri":"s3://<detail-bucket-name>/<detail-object-key>"}',
          },
        }),
      ],
    });
    expect(pipeline.rule).toBeDefined();
  });

  test('submits every job under the share identifier, for fair-share queues', () => {
    for (const name of ['PreprocessArray', 'PreprocessSingle', 'Train']) expect(states[name].Arguments.ShareIdentifier).toBe('research');
  });

  test('trains with a multi-node job, overriding the node count and every node\u2019s container', async () => {
    expect(states.Train.Arguments.ContainerOverrides).toBeUndefined();
    const args = await evaluateAll(states.Train.Arguments, {}, { environment: [], jobSuffix: 'r', input: { nodes: 4, gpus: 2 } });
    expect(args.NodeOverrides).toEqual({
      NumNodes: 4,
      NodePropertyOverrides: [{ TargetNodes: '0:', ContainerOverrides: { Environment: [], ResourceRequirements: [{ Type: 'GPU', Value: '2' }] } }],
    });
    const noNodes = await evaluateAll(states.Train.Arguments, {}, { environment: [], jobSuffix: 'r', input: {} });
    expect(noNodes.NodeOverrides.NumNodes).toBeUndefined();
  });

  test('accepts nodes from 2 to maxNodes and GPUs up to maxGpus', async () => {
    await expect(choose(states.ValidateInput, { datasetUri: `s3://${stack.getLogicalId(props.sharder.sourceBucket.node.defaultChild as any)}/raw/a`, nodes: 32, gpus: 4 })).resolves.toBe('Prepare');
    await expect(choose(states.ValidateInput, { datasetUri: `s3://${stack.getLogicalId(props.sharder.sourceBucket.node.defaultChild as any)}/raw/a`, nodes: 33 })).resolves.toBe('InvalidNodes');
    await expect(choose(states.ValidateInput, { datasetUri: `s3://${stack.getLogicalId(props.sharder.sourceBucket.node.defaultChild as any)}/raw/a`, nodes: 1 })).resolves.toBe('InvalidNodes');
    await expect(choose(states.ValidateInput, { datasetUri: `s3://${stack.getLogicalId(props.sharder.sourceBucket.node.defaultChild as any)}/raw/a`, gpus: 8 })).resolves.toBe('InvalidGpus');
  });

  test('uses the given topic and key, and destroys the log group', () => {
    template.resourceCountIs('AWS::SNS::Topic', 1);
    expect(pipeline.topic).toBe(topic);
    expect(pipeline.encryptionKey).toBe(key);
    template.hasResource('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 1827, KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('GivenKey'), 'Arn'] } }, DeletionPolicy: 'Delete' });
  });

  test('grants starting runs', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('Starter') }],
      PolicyDocument: { Statement: [Match.objectLike({ Action: 'states:StartExecution' })] },
    });
  });

  test('is clean under cdk-nag', () => {
    expect(pipelineFindings(stack, pipeline)).toEqual([]);
  });
});

describe('TrainingPipeline derives from the cluster', () => {
  test('a multi-node job when the cluster has one, with its node ceiling', async () => {
    const base = new Stack(testApp(), 'Defs');
    const { stack, props } = fixture(MULTI_NODE(base));
    const pipeline = new TrainingPipeline(stack, 'Pipeline', props);
    const states = definitionOf(Template.fromStack(stack), stack.getLogicalId(pipeline.stateMachine.node.defaultChild as any)).States;
    expect(states.Train.Arguments.JobDefinition).toBe(`${ARN}:job-definition/multi:2`);
    expect(states.Train.Arguments.NodeOverrides).toBeDefined();
    const uri = `s3://${stack.getLogicalId(props.sharder.sourceBucket.node.defaultChild as any)}/raw/a`;
    await expect(choose(states.ValidateInput, { datasetUri: uri, nodes: 64, gpus: 8 })).resolves.toBe('Prepare');
    await expect(choose(states.ValidateInput, { datasetUri: uri, nodes: 65 })).resolves.toBe('InvalidNodes');
  });

  test('the GPU ceiling of a real cluster of single-GPU instances', async () => {
    const { stack, props } = fixture();
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'ClusterVpc', { vpcId: 'vpc-1', availabilityZones: ['us-east-1a'], privateSubnetIds: ['subnet-1'] });
    const cluster = new TrainingCluster(stack, 'G5Cluster', { vpc, gpuInstanceTypes: [new ec2.InstanceType('g5.xlarge')], allowGpuDevelopmentInstances: true });
    const pipeline = new TrainingPipeline(stack, 'Pipeline', { sharder: props.sharder, cluster });
    const states = definitionOf(Template.fromStack(stack), stack.getLogicalId(pipeline.stateMachine.node.defaultChild as any)).States;
    const uri = `s3://${stack.getLogicalId(props.sharder.sourceBucket.node.defaultChild as any)}/raw/a`;
    await expect(choose(states.ValidateInput, { datasetUri: uri, gpus: 1 })).resolves.toBe('Prepare');
    await expect(choose(states.ValidateInput, { datasetUri: uri, gpus: 2 })).resolves.toBe('InvalidGpus');
  });
});

describe('TrainingPipeline fails when', () => {
  const build = (extra: Partial<TrainingPipelineProps>, cluster: (stack: Stack) => Partial<TrainingClusterAttributes> = () => ({})) => () => {
    const base = new Stack(testApp(), 'Defs');
    const { stack, props } = fixture(cluster(base));
    new TrainingPipeline(stack, 'Pipeline', { ...props, ...extra });
  };

  test('fails when maxGpus is below 1', () => {
    expect(build({ maxGpus: 0 })).toThrow('maxGpus must be an integer from 1 to 8, got 0 (at Test/Pipeline)');
  });

  test('fails when maxGpus is above the GPUs of the queue\u2019s largest instance', () => {
    expect(build({ maxGpus: 16 })).toThrow('maxGpus must be an integer from 1 to 8, got 16 (at Test/Pipeline)');
  });

  test('fails when maxGpus or maxNodes is a token', () => {
    expect(build({ maxGpus: Token.asNumber({ Ref: 'Gpus' }) })).toThrow(
      'maxGpus must be a literal number known at synth, not a token (it is written into the state machine\u2019s input check), got an unresolved token',
    );
  });

  test('fails when MULTI_NODE is asked of a cluster with a single-node job definition only', () => {
    expect(build({ trainingJobType: TrainingJobType.MULTI_NODE })).toThrow(
      "trainingJobType must be SINGLE_NODE: the cluster has no multi-node job definition (set its multiNodeCount), got 'MULTI_NODE'",
    );
  });

  test('fails when the cluster\u2019s queues have fair share and no shareIdentifier is given', () => {
    expect(build({}, () => ({ fairShareScheduling: true }))).toThrow(
      'shareIdentifier must be given: the cluster\u2019s queues have a fair-share policy, and Batch rejects jobs without one, got undefined',
    );
  });

  test('fails when a shareIdentifier is given for queues without fair share', () => {
    expect(build({ shareIdentifier: 'team' })).toThrow(/^shareIdentifier applies only to a cluster with fair-share scheduling/);
  });

  test('fails when the share identifier holds a wildcard', () => {
    expect(build({ shareIdentifier: 'team*' }, () => ({ fairShareScheduling: true }))).toThrow(
      "shareIdentifier must be 1 to 255 letters and digits (no wildcard when submitting), got 'team*'",
    );
  });

  test('fails when maxNodes is outside 2 to the cluster\u2019s node ceiling', () => {
    expect(build({ maxNodes: 1 }, MULTI_NODE)).toThrow('maxNodes must be an integer from 2 to 64, got 1');
    expect(build({ maxNodes: 65 }, MULTI_NODE)).toThrow('maxNodes must be an integer from 2 to 64, got 65');
  });

  test('fails when maxNodes is given for single-node training', () => {
    expect(build({ maxNodes: 4 })).toThrow('maxNodes applies only to multi-node training, got 4');
  });

  test('fails when the trigger prefix lies outside the sharder\u2019s source prefix', () => {
    expect(build({ triggerOnNewData: true, triggerPrefix: 'curated/' })).toThrow("triggerPrefix must lie within the sharder's source prefix 'raw/', got 'curated/'");
  });

  test('fails when a trigger prefix is given without the trigger', () => {
    expect(build({ triggerPrefix: 'raw/x/' })).toThrow("triggerPrefix applies only with triggerOnNewData: true, got 'raw/x/'");
  });

  test('fails when the timeout is over a year', () => {
    expect(build({ timeout: Duration.days(400) })).toThrow("timeout must be from 1 minute to 365 days, got '400 days'");
  });

  test('fails when logs are kept less than a year', () => {
    expect(build({ logRetention: logs.RetentionDays.ONE_MONTH })).toThrow('logRetention must keep logs at least 365 days, got 30');
  });
});

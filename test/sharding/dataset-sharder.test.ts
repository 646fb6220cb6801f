import { CfnParameter, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DatasetSharder, DatasetSharderProps } from '../../lib';
import { choose, definitionOf, evaluateAll, reachableStates } from '../pipeline/state-machine';
import { nagFindings, testApp } from '../util/app';

/* eslint-disable @typescript-eslint/no-explicit-any */

/** A stack with a VPC and a KMS-encrypted bucket, the usual neighbours of a sharder. */
function fixture(context: Record<string, unknown> = {}) {
  const stack = new Stack(testApp({ context }), 'Test');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const key = new kms.Key(stack, 'LakeKey', { enableKeyRotation: true });
  const raw = new s3.Bucket(stack, 'Raw', { encryption: s3.BucketEncryption.KMS, encryptionKey: key, enforceSSL: true });
  const curated = new s3.Bucket(stack, 'Curated', { encryption: s3.BucketEncryption.KMS, encryptionKey: key, enforceSSL: true });
  return { stack, vpc, key, raw, curated };
}

/** The statements of the default policy whose name starts with `name`. */
function statementsOf(template: Template, name: string): any[] {
  return Object.entries(template.findResources('AWS::IAM::Policy'))
    .filter(([id]) => id.startsWith(name))
    .flatMap(([, p]: [string, any]) => p.Properties.PolicyDocument.Statement);
}

function ignoreFixtureFindings(findings: string[]): string[] {
  return findings.filter((f) => !/ at Test\/(Vpc|LakeKey|Raw|Curated)\//.test(f));
}

describe('DatasetSharder with defaults', () => {
  const { stack, vpc, raw, curated } = fixture();
  const sharder = new DatasetSharder(stack, 'Sharder', { vpc, sourceBucket: raw, destinationBucket: curated });
  const template = Template.fromStack(stack);
  const definition = definitionOf(template);
  const states = definition.States;

  test('bundles three functions on the newest Node.js runtime, in the VPC, traced, with a DLQ and no reserved concurrency', () => {
    const fns = Object.fromEntries(Object.entries(template.findResources('AWS::Lambda::Function')).filter(([id]) => id.startsWith('Sharder')));
    expect(Object.keys(fns)).toHaveLength(3);
    for (const fn of Object.values(fns) as any[]) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        Timeout: 900,
        TracingConfig: { Mode: 'Active' },
        VpcConfig: { SecurityGroupIds: [expect.anything()], SubnetIds: expect.arrayContaining([expect.anything()]) },
        DeadLetterConfig: { TargetArn: expect.anything() },
        LoggingConfig: { LogFormat: 'JSON', LogGroup: expect.anything() },
      });
      // A reservation fails the deploy in a new account (concurrency quota 10): reserving is opt-in.
      expect(fn.Properties).not.toHaveProperty('ReservedConcurrentExecutions');
    }
  });

  test('gives the shard function one vCPU (1769 MB), its concurrency bounded by the map alone', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('one byte range'),
      MemorySize: 1769,
      ReservedConcurrentExecutions: Match.absent(),
    });
    expect(Object.values(template.findResources('AWS::StepFunctions::StateMachine')).map((r: any) => JSON.stringify(r.Properties.DefinitionString))).toEqual(
      [expect.stringContaining('\\"MaxConcurrency\\":40')],
    );
  });

  test('lets each function use the key of its encrypted dead-letter queue', () => {
    for (const name of ['SharderPlanFunction', 'SharderShardFunction', 'SharderFinalizeFunction']) {
      const statements = statementsOf(template, name);
      expect(statements.some((st) => st.Action === 'sqs:SendMessage')).toBe(true);
      expect(statements.some((st) => [st.Action].flat().includes('kms:GenerateDataKey') && JSON.stringify(st.Resource).includes('SharderKey'))).toBe(true);
    }
  });

  test('encrypts the dead-letter queue with a customer-managed key and enforces TLS', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('SharderKey'), 'Arn'] } });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test('keeps four KMS-encrypted log groups a year, retained', () => {
    const groups = template.findResources('AWS::Logs::LogGroup');
    expect(Object.keys(groups)).toHaveLength(4);
    for (const g of Object.values(groups) as any[]) {
      expect(g.Properties).toMatchObject({ RetentionInDays: 365, KmsKeyId: expect.anything() });
      expect(g.DeletionPolicy).toBe('Retain');
    }
    template.hasResource('AWS::KMS::Key', { Properties: { EnableKeyRotation: true }, DeletionPolicy: 'Retain' });
  });

  test('retains the dead-letter queue: its failed events are the only record of what failed', () => {
    template.hasResource('AWS::SQS::Queue', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  test('lets CloudWatch Logs in this region use the key for this account\u2019s log groups only', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
            Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': Match.anyValue() } },
          }),
        ]),
      },
    });
  });

  test('allows only HTTPS out of the security group, and nothing in', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('Dataset sharder'),
      SecurityGroupEgress: [Match.objectLike({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443 })],
    });
    expect(sharder.connections.securityGroups).toEqual([sharder.securityGroup]);
  });

  test('logs every state machine event to the encrypted log group, with X-Ray on', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true, Destinations: [Match.anyValue()] },
      TracingConfiguration: { Enabled: true },
    });
  });

  test('runs validate, plan, the Distributed Map and finalize, in that order', () => {
    expect(definition.QueryLanguage).toBe('JSONata');
    expect(definition.TimeoutSeconds).toBe(12 * 3600);
    expect(reachableStates(definition).filter((s) => states[s].Type !== 'Fail')).toEqual(['ValidateInput', 'Plan', 'HasRanges', 'ShardRanges', 'Finalize']);
    expect(states.Plan.Next).toBe('HasRanges');
    expect(states.HasRanges.Choices).toEqual([{ Condition: '{% $plan.taskCount > 0 %}', Next: 'ShardRanges' }]);
    expect(states.HasRanges.Default).toBe('Finalize');
    expect(states.ShardRanges.Next).toBe('Finalize');
    expect(states.Finalize.End).toBe(true);
  });

  test('maps over the plan object with an S3 JSON ItemReader, no tolerated failures, standard child executions', () => {
    const map = states.ShardRanges;
    expect(map).toMatchObject({
      Type: 'Map',
      MaxConcurrency: 40,
      ToleratedFailurePercentage: 0,
      ToleratedFailureCount: 0,
      ItemReader: {
        Resource: 'arn:aws:states:::s3:getObject',
        ReaderConfig: { InputType: 'JSON' },
        Arguments: { Bucket: expect.stringMatching(/^Curated/), Key: '{% $plan.planKey %}' },
      },
      ResultWriter: { Resource: 'arn:aws:states:::s3:putObject', Arguments: { Bucket: expect.stringMatching(/^Curated/), Prefix: 'shards/map-results' } },
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, StartAt: 'ShardRange' },
    });
    const child = map.ItemProcessor.States.ShardRange;
    expect(child).toMatchObject({
      Resource: 'arn:aws:states:::lambda:invoke',
      Arguments: { FunctionName: expect.stringMatching(/^SharderShardFunction/), Payload: '{% $states.input %}' },
      End: true,
    });
  });

  test('retries Lambda service errors and throttling (reserved concurrency) with backoff', () => {
    for (const task of [states.Plan, states.Finalize, states.ShardRanges.ItemProcessor.States.ShardRange]) {
      expect(task.Retry).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ ErrorEquals: expect.arrayContaining(['Lambda.ServiceException']), MaxAttempts: 6, BackoffRate: 2 }),
          { ErrorEquals: ['Lambda.TooManyRequestsException'], IntervalSeconds: 2, MaxAttempts: 10, BackoffRate: 2, MaxDelaySeconds: 60, JitterStrategy: 'FULL' },
        ]),
      );
    }
  });

  test('passes the plan result unchanged to finalize and returns the manifest with the run folder', () => {
    expect(states.Plan.Assign).toEqual({ plan: '{% $states.result.Payload %}' });
    expect(states.Finalize.Arguments.Payload).toBe('{% $plan %}');
    expect(states.Finalize.Output).toContain("'outputPrefix': $plan.outputPrefix");
  });

  test.each([
    ['a key', { sourceKey: 'data/big.csv' }, 'Plan'],
    ['a prefix', { sourcePrefix: 'data/2024/' }, 'Plan'],
    ['the whole bucket', { sourcePrefix: '' }, 'Plan'],
    ['a fixed-length format', { sourceKey: 'a.bin', format: { type: 'fixed', recordLengthBytes: 512 } }, 'Plan'],
    ['a CSV header', { sourceKey: 'a.csv', format: { type: 'newline', csvHeader: true }, targetShardBytes: 1048576 }, 'Plan'],
    ['no source', {}, 'InvalidSource'],
    ['both key and prefix', { sourceKey: 'a', sourcePrefix: 'b/' }, 'InvalidSource'],
    ['a numeric key', { sourceKey: 42 }, 'InvalidSourceKey'],
    ['a key ending in /', { sourceKey: 'data/' }, 'InvalidSourceKey'],
    ['a numeric prefix', { sourcePrefix: 7 }, 'InvalidSourcePrefix'],
    ['a string shard size', { sourceKey: 'a.csv', targetShardBytes: '64' }, 'InvalidTargetShardBytes'],
    ['a tiny shard size', { sourceKey: 'a.csv', targetShardBytes: 1000 }, 'InvalidTargetShardBytes'],
    ['a fractional shard size', { sourceKey: 'a.csv', targetShardBytes: 1048576.5 }, 'InvalidTargetShardBytes'],
    ['an unknown format', { sourceKey: 'a.csv', format: { type: 'parquet' } }, 'InvalidFormat'],
    ['a non-boolean header flag', { sourceKey: 'a.csv', format: { type: 'newline', csvHeader: 'yes' } }, 'InvalidFormat'],
    ['a fixed format without length', { sourceKey: 'a.bin', format: { type: 'fixed' } }, 'InvalidFormat'],
    ['the tar format of small objects', { sourcePrefix: 'images/', format: { type: 'tar' } }, 'Plan'],
    ['RFC 4180 CSV without a header', { sourceKey: 'a.csv', format: { type: 'newline', csv: true } }, 'Plan'],
    ['a string csv flag', { sourceKey: 'a.csv', format: { type: 'newline', csv: 'true' } }, 'InvalidFormat'],
    ['a tar format with options', { sourcePrefix: 'images/', format: { type: 'tar', csvHeader: true } }, 'InvalidFormat'],
  ])('input validation: %s goes to %s', async (_name, input, expected) => {
    await expect(choose(states.ValidateInput, input)).resolves.toBe(expected);
  });

  test('fails bad input with the InvalidInput error and a cause that names the value', async () => {
    expect(states.InvalidTargetShardBytes).toMatchObject({ Type: 'Fail', Error: 'InvalidInput' });
    const cause = await evaluateAll(states.InvalidTargetShardBytes.Cause, { input: { targetShardBytes: 10 } });
    expect(cause).toBe('targetShardBytes must be an integer from 1048576 (1 MiB) to 5368709120 (5 GiB), got 10');
    expect(states.InvalidSource.Cause).toBe('Give exactly one of sourceKey or sourcePrefix (an S3 key or key prefix)');
  });

  test('builds the plan event from the input, with the default shard size and format', async () => {
    const payload = await evaluateAll(states.Plan.Arguments.Payload, { input: { sourceKey: 'data/big.csv' } });
    expect(payload).toEqual({
      source: { bucket: expect.stringMatching(/^Raw/), key: 'data/big.csv' },
      destination: { bucket: expect.stringMatching(/^Curated/), prefix: 'shards/' },
      targetShardBytes: 64 * 1024 * 1024,
      format: { type: 'newline' },
    });
    const prefixed = await evaluateAll(states.Plan.Arguments.Payload, {
      input: { sourcePrefix: 'data/', targetShardBytes: 2097152, format: { type: 'fixed', recordLengthBytes: 8 } },
    });
    expect(prefixed).toMatchObject({ source: { prefix: 'data/' }, targetShardBytes: 2097152, format: { type: 'fixed', recordLengthBytes: 8 } });
  });

  test('scopes the functions to the source and destination, without wildcard actions', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    for (const s of statements) {
      for (const action of [s.Action].flat()) expect(action).not.toMatch(/^(s3|kms):.*\*/);
    }
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyName: Match.stringLikeRegexp('SharderShardFunction'),
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Action: ['s3:GetObject', 's3:GetObjectVersion'], Effect: 'Allow', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^Raw'), 'Arn'] }, '/*']] } },
          {
            Action: ['s3:AbortMultipartUpload', 's3:PutObject', 's3:PutObjectTagging'],
            Effect: 'Allow',
            Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^Curated'), 'Arn'] }, '/shards/*']] },
          },
        ]),
      },
    });
  });

  test('lets the shard function write its output but never read or list it', () => {
    const [policy] = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { PolicyName: Match.stringLikeRegexp('SharderShardFunction') } }));
    const onDestination = (policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>).filter((st) =>
      JSON.stringify(st.Resource).includes('Curated'),
    );
    expect(onDestination.flatMap((st) => [st.Action].flat()).sort()).toEqual(['s3:AbortMultipartUpload', 's3:PutObject', 's3:PutObjectTagging']);
  });

  test('expires the pending objects of abandoned runs under the destination prefix after 7 days, never committed ones', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Prefix: 'shards/', TagFilters: [{ Key: 'ml-at-scale-sharder-run', Value: 'pending' }], ExpirationInDays: 7, Status: 'Enabled' }),
        ]),
      },
    });
    expect(sharder.abandonedRunExpiration?.toDays()).toBe(7);
  });

  test('lets the functions tag what they write (pending) and finalize tag committed shards', () => {
    for (const name of ['SharderPlanFunction', 'SharderShardFunction', 'SharderFinalizeFunction']) {
      const statements = statementsOf(template, name);
      expect(statements.some((st) => [st.Action].flat().includes('s3:PutObjectTagging') && JSON.stringify(st.Resource).includes('shards/*'))).toBe(true);
    }
  });

  test('is clean under cdk-nag', () => {
    expect(ignoreFixtureFindings(nagFindings(sharder))).toEqual([]);
  });

  test('exposes the default shard size and normalized prefixes', () => {
    expect(sharder.targetShardBytes).toBe(64 * 1024 * 1024);
    expect(sharder.sourcePrefix).toBe('');
    expect(sharder.destinationPrefix).toBe('shards/');
  });
});

describe('DatasetSharder with every option', () => {
  // The defaults stack above bundles the handlers; this one skips bundling to keep the file fast.
  const { stack, vpc, key, raw, curated } = fixture({ 'aws:cdk:bundling-stacks': [] });
  const opsKey = new kms.Key(stack, 'OpsKey', { enableKeyRotation: true });
  const sharder = new DatasetSharder(stack, 'Sharder', {
    vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    sourceBucket: s3.Bucket.fromBucketName(stack, 'ImportedRaw', 'my-raw-bucket'),
    sourcePrefix: '/raw/datasets',
    destinationBucket: curated,
    destinationPrefix: 'curated/shards',
    encryptionKey: key,
    targetShardSizeMiB: 128,
    maxConcurrency: 200,
    shardReservedConcurrency: 100,
    controlReservedConcurrency: 2,
    shardMemoryMiB: 3008,
    timeout: Duration.hours(2),
    operationalKey: opsKey,
    logRetention: logs.RetentionDays.TWO_YEARS,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  void raw;
  const starter = new iam.Role(stack, 'Starter', { assumedBy: new iam.AccountRootPrincipal() });
  sharder.grantStartExecution(starter);
  const template = Template.fromStack(stack);
  const states = definitionOf(template).States;

  test('normalizes the prefixes and scopes the grants to them, with the given key', () => {
    expect(sharder.sourcePrefix).toBe('raw/datasets/');
    expect(sharder.destinationPrefix).toBe('curated/shards/');
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyName: Match.stringLikeRegexp('SharderPlanFunction'),
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: ['s3:GetObject', 's3:GetObjectVersion'], Resource: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([':s3:::my-raw-bucket/raw/datasets/*'])]) }) }),
          Match.objectLike({ Action: 's3:ListBucket', Condition: { StringLike: { 's3:prefix': ['raw/datasets/*'] } } }),
        ]),
      },
    });
  });

  test('may decrypt with the buckets’ key given for the imported source bucket', () => {
    const statements = statementsOf(template, 'SharderShardFunction');
    expect(statements.some((st) => [st.Action].flat().includes('kms:Decrypt') && JSON.stringify(st.Resource).includes('LakeKey'))).toBe(true);
  });

  test('uses the given sizes, concurrency, memory and timeout', () => {
    expect(states.ShardRanges.MaxConcurrency).toBe(200);
    expect(definitionOf(template).TimeoutSeconds).toBe(7200);
    template.hasResourceProperties('AWS::Lambda::Function', { MemorySize: 3008, ReservedConcurrentExecutions: 100 });
    template.hasResourceProperties('AWS::Lambda::Function', { MemorySize: 1024, ReservedConcurrentExecutions: 2 });
    expect(sharder.targetShardBytes).toBe(128 * 1024 * 1024);
  });

  test('checks run keys against the source prefix', async () => {
    await expect(choose(states.ValidateInput, { sourceKey: 'raw/datasets/a.csv' })).resolves.toBe('Plan');
    await expect(choose(states.ValidateInput, { sourceKey: 'raw/other/a.csv' })).resolves.toBe('InvalidSourceKey');
    await expect(choose(states.ValidateInput, { sourceKey: 'raw/datasets/' })).resolves.toBe('InvalidSourceKey');
    await expect(choose(states.ValidateInput, { sourcePrefix: 'raw/datasets/2024/' })).resolves.toBe('Plan');
    await expect(choose(states.ValidateInput, { sourcePrefix: 'raw/' })).resolves.toBe('InvalidSourcePrefix');
  });

  test('uses the given key for logs and the queue, and destroys the log groups and the queue', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('OpsKey'), 'Arn'] } });
    template.hasResource('AWS::SQS::Queue', { DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
    for (const g of Object.values(template.findResources('AWS::Logs::LogGroup')) as any[]) {
      expect(g.Properties.RetentionInDays).toBe(731);
      expect(g.DeletionPolicy).toBe('Delete');
    }
    expect(sharder.operationalKey).toBe(opsKey);
  });

  test('warns that throttling follows from reserved concurrency below max concurrency', () => {
    Annotations.fromStack(stack).hasWarning('/Test/Sharder', Match.stringLikeRegexp('shardReservedConcurrency \\(100\\) is below maxConcurrency \\(200\\)'));
  });

  test('keeps abandoned runs a day longer than the run timeout when asked for whole days', () => {
    const { stack: other, vpc: otherVpc, raw: otherRaw, curated: otherCurated } = fixture({ 'aws:cdk:bundling-stacks': [] });
    const long = new DatasetSharder(other, 'Sharder', {
      vpc: otherVpc,
      sourceBucket: otherRaw,
      destinationBucket: otherCurated,
      timeout: Duration.days(3),
      abandonedRunExpiration: Duration.days(4),
    });
    expect(long.abandonedRunExpiration?.toDays()).toBe(4);
    Template.fromStack(other).hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 4 })]) },
    });
  });

  test('grants starting runs', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('Starter') }],
      PolicyDocument: { Statement: [Match.objectLike({ Action: 'states:StartExecution' })] },
    });
  });
});

describe('DatasetSharder fails when', () => {
  const props = (stack: Stack): DatasetSharderProps => {
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-1', availabilityZones: ['a'], privateSubnetIds: ['s-1'] });
    const bucket = s3.Bucket.fromBucketName(stack, 'B', 'bucket');
    return { vpc, sourceBucket: bucket, destinationBucket: bucket, sourcePrefix: 'raw/', destinationPrefix: 'shards/' };
  };
  const build = (extra: Partial<DatasetSharderProps>) => () => {
    const stack = new Stack(testApp(), 'Test');
    new DatasetSharder(stack, 'Sharder', { ...props(stack), ...extra });
  };

  test('fails when targetShardSizeMiB is outside 1..5120', () => {
    expect(build({ targetShardSizeMiB: 0 })).toThrow('targetShardSizeMiB must be an integer from 1 to 5120, got 0 (at Test/Sharder)');
    expect(build({ targetShardSizeMiB: 6000 })).toThrow('targetShardSizeMiB must be an integer from 1 to 5120, got 6000');
  });

  test('fails when maxConcurrency is outside 1..10000', () => {
    expect(build({ maxConcurrency: 10001 })).toThrow('maxConcurrency must be an integer from 1 to 10000, got 10001');
  });

  test('fails when a reserved concurrency is not a positive integer', () => {
    expect(build({ shardReservedConcurrency: 0 })).toThrow('shardReservedConcurrency must be an integer of at least 1, got 0');
    expect(build({ controlReservedConcurrency: 1.5 })).toThrow('controlReservedConcurrency must be an integer of at least 1, got 1.5');
  });

  test('fails when shardMemoryMiB is outside 512..10240', () => {
    expect(build({ shardMemoryMiB: 256 })).toThrow('shardMemoryMiB must be an integer from 512 to 10240, got 256');
  });

  test('fails when the timeout is under a minute', () => {
    expect(build({ timeout: Duration.seconds(30) })).toThrow("timeout must be from 1 minute to 365 days, got '30 seconds'");
  });

  test('fails when logs are kept less than a year', () => {
    expect(build({ logRetention: logs.RetentionDays.SIX_MONTHS })).toThrow('logRetention must keep logs at least 365 days, got 180');
  });

  test('fails when a prefix holds a wildcard or a quote', () => {
    expect(build({ sourcePrefix: 'raw/*' })).toThrow("sourcePrefix must be a plain key prefix without wildcards, quotes, braces or %, got 'raw/*'");
    expect(build({ destinationPrefix: "it's/" })).toThrow('destinationPrefix must be a plain key prefix');
  });

  test('fails when abandonedRunExpiration is not whole days longer than the timeout', () => {
    expect(build({ abandonedRunExpiration: Duration.hours(36) })).toThrow("abandonedRunExpiration must be whole days, more than the run timeout (1 days), got '1 day 12 hours'");
    expect(build({ timeout: Duration.days(10), abandonedRunExpiration: Duration.days(7) })).toThrow(
      "abandonedRunExpiration must be whole days, more than the run timeout (10 days), got '7 days'",
    );
  });

  test('warns that no lifecycle rule expires abandoned runs in an imported destination bucket', () => {
    const stack = new Stack(testApp({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test');
    const sharder = new DatasetSharder(stack, 'Sharder', props(stack));
    expect(sharder.abandonedRunExpiration).toBeUndefined();
    Annotations.fromStack(stack).hasWarning('/Test/Sharder', Match.stringLikeRegexp("tagged ml-at-scale-sharder-run=pending after 7 days"));
  });

  test('warns when the destination lies inside the source in the same bucket', () => {
    const stack = new Stack(testApp({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test');
    new DatasetSharder(stack, 'Sharder', { ...props(stack), sourcePrefix: '', destinationPrefix: 'shards/' });
    Annotations.fromStack(stack).hasWarning('/Test/Sharder', Match.stringLikeRegexp("destinationPrefix 'shards/' overlaps sourcePrefix ''"));
  });
});

describe('DatasetSharder literals and imports', () => {
  test('fails when targetShardSizeMiB or maxConcurrency is a token', () => {
    const stack = new Stack(testApp(), 'Test');
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-1', availabilityZones: ['a'], privateSubnetIds: ['s-1'] });
    const bucket = s3.Bucket.fromBucketName(stack, 'B', 'bucket');
    const token = new CfnParameter(stack, 'Size', { type: 'Number' }).valueAsNumber;
    expect(() => new DatasetSharder(stack, 'A', { vpc, sourceBucket: bucket, destinationBucket: bucket, targetShardSizeMiB: token })).toThrow(
      'targetShardSizeMiB must be a literal number known at synth, not a token (the default shard size is written into the state machine in bytes), got an unresolved token (at Test/A)',
    );
    expect(() => new DatasetSharder(stack, 'C', { vpc, sourceBucket: bucket, destinationBucket: bucket, maxConcurrency: token })).toThrow(
      /^maxConcurrency must be a literal number known at synth, not a token/,
    );
  });

  test('imports a sharder by its state machine ARN, buckets and prefixes, and grants starting it', () => {
    const stack = new Stack(testApp(), 'Test');
    const bucket = s3.Bucket.fromBucketName(stack, 'B', 'bucket');
    const sharder = DatasetSharder.fromDatasetSharderAttributes(stack, 'Sharder', {
      stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:sharder',
      sourceBucket: bucket,
      sourcePrefix: 'raw',
      destinationBucket: bucket,
    });
    expect(sharder.sourcePrefix).toBe('raw/');
    expect(sharder.destinationPrefix).toBe('shards/');
    const role = new iam.Role(stack, 'Starter', { assumedBy: new iam.AccountRootPrincipal() });
    sharder.grantStartExecution(role);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [Match.objectLike({ Action: 'states:StartExecution', Resource: 'arn:aws:states:us-east-1:123456789012:stateMachine:sharder' })] },
    });
  });

  test('fails when an imported sharder\u2019s prefix holds a wildcard', () => {
    const stack = new Stack(testApp(), 'Test');
    const bucket = s3.Bucket.fromBucketName(stack, 'B', 'bucket');
    expect(() =>
      DatasetSharder.fromDatasetSharderAttributes(stack, 'Sharder', { stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:s', sourceBucket: bucket, sourcePrefix: 'raw/*', destinationBucket: bucket }),
    ).toThrow(/^sourcePrefix must be a plain key prefix without wildcards/);
  });
});

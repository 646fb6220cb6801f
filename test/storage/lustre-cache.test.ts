import { CfnParameter, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as fsx from 'aws-cdk-lib/aws-fsx';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import fc from 'fast-check';
import { DataLake, ILustreCache, LustreCache, LustreCacheProps, MlVpc, ReadPattern, SizingLimit, checkLustre, demandMBps, sizeLustre, TrainingDemand } from '../../lib';
import { nagFindings, testStack } from '../util/app';

/** What a metric reads: namespace, name, dimensions, statistic, period (seconds) and label. */
function metricShape(metric: cloudwatch.Metric) {
  const { namespace, metricName, dimensions, statistic, label } = metric;
  return { namespace, metricName, dimensions, statistic, period: metric.period.toSeconds(), label };
}

/** 64 GPUs at 1200 samples/s of 110 kB: 8448 MB/s over a 4000 GiB dataset. */
const DEMAND: TrainingDemand = { gpuCount: 64, samplesPerSecondPerGpu: 1200, bytesPerSample: 110_000, datasetGiB: 4000, epochs: 10 };

// Synthesis prints aws-cdk-lib's validation report of Validations warnings on the console; these
// tests assert the warnings through Annotations, so keep that report (and only it) off the console.
const consoleError = console.error;
beforeAll(() => {
  jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    if (!args.some((a) => typeof a === 'string' && (a.includes('(Annotation)') || a.includes('validation-report')))) consoleError(...args);
  });
});
afterAll(() => jest.restoreAllMocks());

function base(id = 'Test'): { stack: Stack; vpc: ec2.IVpc; lake: DataLake } {
  const stack = testStack(id);
  return { stack, vpc: new MlVpc(stack, 'Vpc').vpc, lake: new DataLake(stack, 'Lake') };
}

/** Ingress rules to a group, whether inline or separate resources, as `from -> ports` strings. */
function ingress(template: Template, groupLogicalId: string): string[] {
  const rules = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))
    .map((r) => r.Properties)
    .filter((p) => JSON.stringify(p.GroupId).includes(groupLogicalId));
  return rules.map((p) => `${JSON.stringify(p.SourceSecurityGroupId?.['Fn::GetAtt']?.[0] ?? p.CidrIp)} ${p.IpProtocol} ${p.FromPort}-${p.ToPort}`).sort();
}

function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } } | ec2.SecurityGroup): string {
  const child = (construct as ec2.SecurityGroup).node.defaultChild as import('aws-cdk-lib').CfnElement;
  return stack.getLogicalId(child);
}

describe('LustreCache with defaults', () => {
  const { stack, vpc } = base();
  const cache = new LustreCache(stack, 'Cache', { vpc });
  const template = Template.fromStack(stack);

  test('is a PERSISTENT_2 file system of 1200 GiB at 250 MB/s/TiB, Lustre 2.15, LZ4, in the first private subnet', () => {
    template.hasResourceProperties('AWS::FSx::FileSystem', {
      FileSystemType: 'LUSTRE',
      FileSystemTypeVersion: '2.15',
      StorageCapacity: 1200,
      SubnetIds: [{ Ref: stack.getLogicalId(vpc.privateSubnets[0].node.defaultChild as import('aws-cdk-lib').CfnElement) }],
      LustreConfiguration: Match.objectLike({ DeploymentType: 'PERSISTENT_2', PerUnitStorageThroughput: 250, DataCompressionType: 'LZ4' }),
    });
    expect(cache.storageCapacityGiB).toBe(1200);
    expect(cache.throughputMBps).toBe(300); // 1.2 TiB (AWS's arithmetic: GiB / 1000) x 250
    expect(cache.deploymentType).toBe(fsx.LustreDeploymentType.PERSISTENT_2);
  });

  test('is encrypted with a new rotating key, and both are retained', () => {
    template.hasResource('AWS::FSx::FileSystem', {
      Properties: { KmsKeyId: { Ref: stack.getLogicalId(cache.kmsKey!.node.defaultChild as import('aws-cdk-lib').CfnElement) } },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    const keys = template.findResources('AWS::KMS::Key', { Properties: { Description: Match.stringLikeRegexp('FSx for Lustre') } });
    expect(Object.values(keys)).toEqual([expect.objectContaining({ DeletionPolicy: 'Retain', Properties: expect.objectContaining({ EnableKeyRotation: true }) })]);
  });

  test('has daily automatic backups kept 7 days, since it is persistent and not linked to S3', () => {
    template.hasResourceProperties('AWS::FSx::FileSystem', {
      LustreConfiguration: Match.objectLike({ AutomaticBackupRetentionDays: 7, CopyTagsToBackups: true }),
    });
  });

  test('allows TCP 988 and 1018-1023 within its own group, and nothing in between', () => {
    const sg = logicalId(stack, cache.securityGroup);
    expect(ingress(template, sg)).toEqual([`"${sg}" tcp 1018-1023`, `"${sg}" tcp 988-988`]);
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', { GroupId: { 'Fn::GetAtt': [sg, 'GroupId'] }, FromPort: 988, ToPort: 988 });
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', { GroupId: { 'Fn::GetAtt': [sg, 'GroupId'] }, FromPort: 1018, ToPort: 1023 });
  });

  test('has a free-capacity alarm at 10% of the capacity, and no export alarm', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/FSx',
      MetricName: 'FreeDataStorageCapacity',
      Statistic: 'Sum',
      ComparisonOperator: 'LessThanThreshold',
      Threshold: Math.floor(1200 * 2 ** 30 * 0.1),
      Dimensions: [{ Name: 'FileSystemId', Value: { Ref: Match.anyValue() } }],
    });
    template.resourceCountIs('AWS::CloudWatch::Alarm', 1);
    expect(cache.exportBacklogAlarm).toBeUndefined();
    expect(cache.freeCapacityAlarm).toBeDefined();
  });

  test('has no association', () => {
    template.resourceCountIs('AWS::FSx::DataRepositoryAssociation', 0);
    expect(cache.associations).toEqual([]);
  });

  test('gives mount commands with relatime,flock and an fstab entry with _netdev', () => {
    const commands = JSON.stringify(stack.resolve(cache.mountCommands()));
    expect(commands).toMatch(/mount -t lustre -o relatime,flock/);
    expect(commands).toMatch(/_netdev/);
    expect(commands).toMatch(/\/fsx/);
    expect(cache.mountCommands('/data')[0]).toBe('mkdir -p /data');
  });

  test('has no unacknowledged cdk-nag finding', () => {
    expect(nagFindings(stack)).toEqual([]);
  });
});

describe('LustreCache in its fullest configuration', () => {
  const { stack, vpc, lake } = base();
  const key = new kms.Key(stack, 'FsKey', { enableKeyRotation: true });
  const topic = new sns.Topic(stack, 'Alarms', { enforceSSL: true, masterKey: key });
  const client = new ec2.SecurityGroup(stack, 'Cluster', { vpc, allowAllOutbound: false });
  const cache = new LustreCache(stack, 'Cache', {
    vpc,
    vpcSubnet: vpc.privateSubnets[1],
    deploymentType: fsx.LustreDeploymentType.PERSISTENT_1,
    storageCapacityGiB: 4800,
    perUnitStorageThroughputMBpsPerTiB: 100,
    kmsKey: key,
    dataRepositoryAssociations: [
      { fileSystemPath: '/datasets', bucket: lake.curatedBucket, bucketPrefix: '/datasets/' },
      { fileSystemPath: '/checkpoints', bucket: lake.artifactsBucket, bucketPrefix: 'checkpoints', exportChanges: true, importMetadataOnCreate: false, importedFileChunkSizeMiB: 2048 },
    ],
    removalPolicy: RemovalPolicy.DESTROY,
    exportBacklogAlarmAgeSeconds: 600,
    freeCapacityAlarmPercent: 20,
    alarmTopic: topic,
    alarmActions: [{ bind: () => ({ alarmActionArn: 'arn:aws:ssm:us-east-1:111122223333:opsitem:3#CATEGORY=Performance' }) } as cloudwatch.IAlarmAction],
  });
  cache.connections.allowDefaultPortFrom(client);
  const template = Template.fromStack(stack);
  const sg = logicalId(stack, cache.securityGroup);
  const clientSg = logicalId(stack, client);

  test('is PERSISTENT_1 at the capacity, tier, subnet and key given, and is destroyed when asked', () => {
    template.hasResource('AWS::FSx::FileSystem', {
      Properties: Match.objectLike({
        StorageCapacity: 4800,
        FileSystemTypeVersion: '2.15',
        SubnetIds: [{ Ref: stack.getLogicalId(vpc.privateSubnets[1].node.defaultChild as import('aws-cdk-lib').CfnElement) }],
        KmsKeyId: { Ref: stack.getLogicalId(key.node.defaultChild as import('aws-cdk-lib').CfnElement) },
        LustreConfiguration: Match.objectLike({ DeploymentType: 'PERSISTENT_1', PerUnitStorageThroughput: 100 }),
      }),
      DeletionPolicy: 'Delete',
    });
    expect(cache.throughputMBps).toBe(480);
    expect(cache.kmsKey).toBe(key);
  });

  test('has no backups, since it is linked to S3', () => {
    const fs = Object.values(template.findResources('AWS::FSx::FileSystem'))[0];
    expect(fs.Properties.LustreConfiguration.AutomaticBackupRetentionDays).toBeUndefined();
  });

  test('links /datasets to curated datasets/ with import only, and /checkpoints to artifacts checkpoints/ with import and export', () => {
    const events = ['NEW', 'CHANGED', 'DELETED'];
    template.hasResource('AWS::FSx::DataRepositoryAssociation', {
      Properties: {
        FileSystemId: { Ref: stack.getLogicalId(cache.fileSystem.node.defaultChild as import('aws-cdk-lib').CfnElement) },
        FileSystemPath: '/datasets',
        DataRepositoryPath: { 'Fn::Join': ['', ['s3://', { Ref: stack.getLogicalId(lake.curatedBucket.node.defaultChild as import('aws-cdk-lib').CfnElement) }, '/datasets/']] },
        BatchImportMetaDataOnCreate: true,
        S3: { AutoImportPolicy: { Events: events } },
      },
      DeletionPolicy: 'Delete',
    });
    template.hasResourceProperties('AWS::FSx::DataRepositoryAssociation', {
      FileSystemPath: '/checkpoints',
      DataRepositoryPath: { 'Fn::Join': ['', ['s3://', Match.anyValue(), '/checkpoints/']] },
      BatchImportMetaDataOnCreate: false,
      ImportedFileChunkSize: 2048,
      S3: { AutoImportPolicy: { Events: events }, AutoExportPolicy: { Events: events } },
    });
    expect(cache.associations).toHaveLength(2);
  });

  test('opens the lake key to FSx service-linked roles through S3, once', () => {
    const lakeKey = Object.values(template.findResources('AWS::KMS::Key', { Properties: { Description: Match.stringLikeRegexp('data lake') } }))[0];
    const statements = lakeKey.Properties.KeyPolicy.Statement.filter((s: { Sid?: string }) => s.Sid === 'AllowFSxForLustreDataRepositoriesThroughS3');
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatchObject({
      Principal: { AWS: '*' },
      Action: expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']),
      Condition: {
        StringEquals: { 'kms:CallerAccount': { Ref: 'AWS::AccountId' }, 'kms:ViaService': { 'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
        ArnLike: { 'aws:PrincipalArn': { 'Fn::Join': ['', expect.arrayContaining([expect.stringMatching(/AWSServiceRoleForFSxS3Access_fs-\*$/)])] } },
      },
    });
  });

  test('lets the client in on 988 and 1018-1023, and the file system back to the client on both', () => {
    expect(ingress(template, sg)).toEqual(
      [`"${sg}" tcp 1018-1023`, `"${sg}" tcp 988-988`, `"${clientSg}" tcp 1018-1023`, `"${clientSg}" tcp 988-988`].sort(),
    );
    expect(ingress(template, clientSg)).toEqual([`"${sg}" tcp 1018-1023`, `"${sg}" tcp 988-988`]);
    for (const [from, to] of [[988, 988], [1018, 1023]]) {
      template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
        GroupId: { 'Fn::GetAtt': [clientSg, 'GroupId'] }, DestinationSecurityGroupId: { 'Fn::GetAtt': [sg, 'GroupId'] }, FromPort: from, ToPort: to,
      });
    }
  });

  test('alarms when the export backlog is older than the threshold, notifying the topic and the actions', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/FSx',
      MetricName: 'AgeOfOldestQueuedMessage',
      Dimensions: Match.arrayWith([{ Name: 'Publisher', Value: 'AutoExport' }]),
      Statistic: 'Maximum',
      Threshold: 600,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: ['arn:aws:ssm:us-east-1:111122223333:opsitem:3#CATEGORY=Performance', { Ref: stack.getLogicalId(topic.node.defaultChild as import('aws-cdk-lib').CfnElement) }],
    });
    expect(cache.exportBacklogAlarm).toBeDefined();
  });

  test('alarms when free capacity falls below the percentage given', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'FreeDataStorageCapacity',
      Threshold: Math.floor(4800 * 2 ** 30 * 0.2),
      OKActions: Match.arrayWith([{ Ref: Match.anyValue() }]),
    });
  });

  test('has no unacknowledged cdk-nag finding', () => {
    expect(nagFindings(stack)).toEqual([]);
  });
});

describe('LustreCache sized from a demand', () => {
  const { stack, vpc } = base();
  const cache = new LustreCache(stack, 'Cache', { vpc, demand: DEMAND });
  const scratch = new LustreCache(stack, 'Scratch', { vpc, deploymentType: fsx.LustreDeploymentType.SCRATCH_2, demand: { ...DEMAND, readPattern: ReadPattern.SHARDS } });
  const tier = new LustreCache(stack, 'Tier', { vpc, demand: DEMAND, perUnitStorageThroughputMBpsPerTiB: 500 });

  test('takes the cheapest PERSISTENT_2 configuration that meets the demand, as the sizer does', () => {
    const expected = sizeLustre(demandMBps(DEMAND), DEMAND.datasetGiB, { deploymentTypes: [fsx.LustreDeploymentType.PERSISTENT_2] });
    expect(cache.storageCapacityGiB).toBe(expected.storageCapacityGiB);
    expect(cache.perUnitStorageThroughputMBpsPerTiB).toBe(expected.perUnitStorageThroughput);
    expect(cache.demandMBps).toBeCloseTo(8448, 6);
    expect(cache.throughputMBps).toBeGreaterThanOrEqual(cache.demandMBps!);
  });

  test('sizes a SCRATCH_2 file system by capacity alone', () => {
    expect(scratch.perUnitStorageThroughputMBpsPerTiB).toBeUndefined();
    expect(scratch.throughputMBps).toBeGreaterThanOrEqual(8448);
    expect(scratch.storageCapacityGiB % 2400).toBe(0);
    const fs = Template.fromStack(stack).findResources('AWS::FSx::FileSystem', { Properties: { StorageCapacity: scratch.storageCapacityGiB } });
    expect(Object.values(fs)[0].Properties.LustreConfiguration.PerUnitStorageThroughput).toBeUndefined();
  });

  test('keeps a tier given with the demand and sizes the capacity at it', () => {
    expect(tier.perUnitStorageThroughputMBpsPerTiB).toBe(500);
    expect(tier.storageCapacityGiB).toBe(19200); // 8448 MB/s at 500 MB/s/TiB needs 16,896 GiB; next step 19200
    expect(tier.throughputMBps).toBeGreaterThanOrEqual(8448);
  });

  test('does not warn', () => {
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('stall risk'));
  });

  test('meets every demand of a grid at the smallest valid capacity of its tier (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 512 }),
        fc.integer({ min: 1, max: 4000 }),
        fc.integer({ min: 1_000, max: 2_000_000 }),
        fc.integer({ min: 1, max: 50_000 }),
        (gpuCount, samplesPerSecondPerGpu, bytesPerSample, datasetGiB) => {
          const s = testStack();
          const v = ec2.Vpc.fromVpcAttributes(s, 'V', { vpcId: 'vpc-1', availabilityZones: ['a'], privateSubnetIds: ['subnet-1'] });
          const c = new LustreCache(s, 'C', { vpc: v, demand: { gpuCount, samplesPerSecondPerGpu, bytesPerSample, datasetGiB } });
          expect(c.throughputMBps).toBeGreaterThanOrEqual(c.demandMBps!);
          // The dataset fits with 10% of the capacity free.
          expect(c.storageCapacityGiB * 0.9).toBeGreaterThanOrEqual(datasetGiB);
          const smaller = c.storageCapacityGiB === 1200 ? 0 : c.storageCapacityGiB === 2400 ? 1200 : c.storageCapacityGiB - 2400;
          expect(smaller * 0.9 < datasetGiB || (smaller * c.perUnitStorageThroughputMBpsPerTiB!) / 1000 < c.demandMBps!).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('LustreCache with a capacity that cannot meet the demand given with it', () => {
  const { stack, vpc } = base();
  new LustreCache(stack, 'Cache', { vpc, storageCapacityGiB: 2400, perUnitStorageThroughputMBpsPerTiB: 250, demand: DEMAND });

  test('warns of the shortfall in MB/s: a stall risk', () => {
    // 2400 GiB at 250 MB/s/TiB = 600 MB/s (2.4 TiB x 250); the demand is 8448 MB/s: 7,848 MB/s short.
    Annotations.fromStack(stack).hasWarning(
      '/Test/Cache',
      Match.stringLikeRegexp('storageCapacityGiB 2400 \\(PERSISTENT_2 at 250 MB/s/TiB\\) gives 600 MB/s, 7,848 MB/s short of the demand.s 8,448 MB/s: a stall risk'),
    );
  });

  test('warns that the dataset does not fit', () => {
    Annotations.fromStack(stack).hasWarning('/Test/Cache',
      Match.stringLikeRegexp('does not hold the demand.s dataset of 4,000 GiB with 10% kept free \\(4,444 GiB\\)'));
  });
});

describe('LustreCache with a demand that no capacity of its deployment type can serve', () => {
  const { stack, vpc } = base();
  // One file per sample: 64 x 1200 = 76,800 opens/s, more than SCRATCH_2's single metadata target serves.
  new LustreCache(stack, 'Cache', { vpc, deploymentType: fsx.LustreDeploymentType.SCRATCH_2, demand: DEMAND });

  test('warns of the binding limit and the factor, from the same model as recommendStorage', () => {
    const fit = checkLustre(DEMAND, fsx.LustreDeploymentType.SCRATCH_2, 43200);
    expect(fit.bindingLimit).toBe(SizingLimit.METADATA_OPS);
    expect(fit.shortfallFactor).toBeCloseTo(3.2, 9);
    Annotations.fromStack(stack).hasWarning('/Test/Cache', Match.stringLikeRegexp(
      'cannot be served by any capacity of SCRATCH_2: metadata operations: 76,800 of 24,000 opens/s, short 3.20x.*stream samples from shards'));
  });

  test('does not warn of throughput: the capacity was sized from the demand', () => {
    Annotations.fromStack(stack).hasNoWarning('/Test/Cache', Match.stringLikeRegexp('MB/s short of the demand'));
  });
});

describe('LustreCache with an imported bucket key', () => {
  const { stack, vpc } = base();
  const key = kms.Key.fromKeyArn(stack, 'Imported', 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab');
  const bucket = s3.Bucket.fromBucketAttributes(stack, 'Bucket', { bucketName: 'shared-datasets', encryptionKey: key });
  new LustreCache(stack, 'Cache', { vpc, dataRepositoryAssociations: [{ fileSystemPath: '/', bucket }] });

  test('warns that the key must be opened to FSx by hand', () => {
    Annotations.fromStack(stack).hasWarning('/Test/Cache', Match.stringLikeRegexp('AWSServiceRoleForFSxS3Access_<file system id>'));
  });

  test('links the whole bucket at the root', () => {
    Template.fromStack(stack).hasResourceProperties('AWS::FSx::DataRepositoryAssociation', { FileSystemPath: '/', DataRepositoryPath: 's3://shared-datasets/' });
  });
});

describe('LustreCache SCRATCH_2', () => {
  const { stack, vpc, lake } = base();
  const cache = new LustreCache(stack, 'Cache', {
    vpc,
    deploymentType: fsx.LustreDeploymentType.SCRATCH_2,
    storageCapacityGiB: 2400,
    dataRepositoryAssociations: [{ fileSystemPath: '/datasets', bucket: lake.curatedBucket, bucketPrefix: 'datasets' }],
  });
  const template = Template.fromStack(stack);

  test('takes no key, no throughput tier and no backups, and gives 200 MB/s/TiB', () => {
    const fs = Object.values(template.findResources('AWS::FSx::FileSystem'))[0];
    expect(fs.Properties.KmsKeyId).toBeUndefined();
    expect(fs.Properties.LustreConfiguration).toEqual({ DeploymentType: 'SCRATCH_2', DataCompressionType: 'LZ4' });
    expect(fs.DeletionPolicy).toBe('Retain');
    expect(cache.kmsKey).toBeUndefined();
    expect(cache.throughputMBps).toBe(480);
  });

  test('retains its associations with the file system', () => {
    template.hasResource('AWS::FSx::DataRepositoryAssociation', { DeletionPolicy: 'Retain' });
  });
});

describe('LustreCache validation', () => {
  const { stack, vpc, lake } = base();
  let n = 0;
  const make = (props: Partial<LustreCacheProps>) => () => new LustreCache(stack, `C${n++}`, { vpc, ...props });
  const dra = (fileSystemPath: string) => ({ fileSystemPath, bucket: lake.curatedBucket });

  test('fails when the capacity is not a step of the deployment type', () => {
    expect(make({ storageCapacityGiB: 3000 })).toThrow(/^storageCapacityGiB must be 1200, 2400 or a multiple of 2400 for PERSISTENT_2, got 3000 \(at Test\/C\d+\)$/);
  });

  test('fails when the throughput is not a tier of the deployment type', () => {
    expect(make({ perUnitStorageThroughputMBpsPerTiB: 200 })).toThrow(/^perUnitStorageThroughputMBpsPerTiB must be 125, 250, 500 or 1000 MB\/s\/TiB for PERSISTENT_2, got 200/);
    expect(make({ deploymentType: fsx.LustreDeploymentType.PERSISTENT_1, perUnitStorageThroughputMBpsPerTiB: 250 })).toThrow(
      /^perUnitStorageThroughputMBpsPerTiB must be 50, 100 or 200 MB\/s\/TiB for PERSISTENT_1 SSD, got 250/,
    );
  });

  test('fails when a throughput is given for SCRATCH_2', () => {
    expect(make({ deploymentType: fsx.LustreDeploymentType.SCRATCH_2, perUnitStorageThroughputMBpsPerTiB: 200 })).toThrow(
      /^perUnitStorageThroughputMBpsPerTiB cannot be set for SCRATCH_2, got 200/,
    );
  });

  test('fails when the deployment type is SCRATCH_1', () => {
    expect(make({ deploymentType: fsx.LustreDeploymentType.SCRATCH_1 })).toThrow(/^deploymentType must be SCRATCH_2, PERSISTENT_1 or PERSISTENT_2, got 'SCRATCH_1'/);
  });

  test('fails when an association is asked of SCRATCH_1', () => {
    expect(make({ deploymentType: fsx.LustreDeploymentType.SCRATCH_1, dataRepositoryAssociations: [dra('/a')] })).toThrow(
      /^deploymentType must not be SCRATCH_1 when data repository associations are used, got 'SCRATCH_1'/,
    );
  });

  test('fails when an association is asked of Lustre 2.10', () => {
    expect(make({ fileSystemTypeVersion: fsx.FileSystemTypeVersion.V_2_10, dataRepositoryAssociations: [dra('/a')] })).toThrow(
      /^fileSystemTypeVersion must be 2.12 or newer when data repository associations are used .*, got '2.10'/,
    );
  });

  test('fails when there are more than 8 associations', () => {
    expect(make({ dataRepositoryAssociations: Array.from({ length: 9 }, (_, i) => dra(`/p${i}`)) })).toThrow(
      /^dataRepositoryAssociations must have at most 8 entries, got 9/,
    );
  });

  test('fails when the associations are given empty', () => {
    expect(make({ dataRepositoryAssociations: [] })).toThrow(/^dataRepositoryAssociations must have 1 to 8 entries when given .*, got \[\]/);
  });

  test('fails when two associations share a path', () => {
    expect(make({ dataRepositoryAssociations: [dra('/a'), dra('/a/')] })).toThrow(
      /^dataRepositoryAssociations\[1\]\.fileSystemPath must .*'\/a'.*, got '\/a\/'/,
    );
  });

  test('fails when two association paths nest', () => {
    expect(make({ dataRepositoryAssociations: [dra('/data'), dra('/data/train')] })).toThrow(
      /^dataRepositoryAssociations\[1\]\.fileSystemPath must not nest .*'\/data'.*, got '\/data\/train'/,
    );
  });

  test('fails when an association path is not absolute', () => {
    expect(make({ dataRepositoryAssociations: [dra('datasets')] })).toThrow(/^dataRepositoryAssociations\[0\]\.fileSystemPath must be an absolute path/);
  });

  test('fails when a bucket prefix has an empty segment', () => {
    expect(make({ dataRepositoryAssociations: [{ ...dra('/a'), bucketPrefix: 'a//b' }] })).toThrow(
      /^dataRepositoryAssociations\[0\]\.bucketPrefix must be a key prefix such as datasets\/ .*, got 'a\/\/b'/,
    );
  });

  test('fails when two associations link the same prefix of the same bucket', () => {
    expect(
      make({ dataRepositoryAssociations: [{ ...dra('/a'), bucketPrefix: 'datasets/' }, { ...dra('/b'), bucketPrefix: '/datasets' }] }),
    ).toThrow(/^dataRepositoryAssociations\[1\]\.bucketPrefix must differ from that of dataRepositoryAssociations\[0\] on the same bucket .*, got '\/datasets'/);
  });

  test('accepts the same prefix on different buckets', () => {
    expect(
      make({
        dataRepositoryAssociations: [
          { ...dra('/a'), bucketPrefix: 'datasets/' },
          { fileSystemPath: '/b', bucket: lake.rawBucket, bucketPrefix: 'datasets/' },
        ],
      }),
    ).not.toThrow();
  });

  test('fails when the imported file chunk size is out of range', () => {
    expect(make({ dataRepositoryAssociations: [{ ...dra('/a'), importedFileChunkSizeMiB: 600000 }] })).toThrow(
      /^dataRepositoryAssociations\[0\]\.importedFileChunkSizeMiB must be an integer from 1 to 512000, got 600000/,
    );
  });

  test('fails when a key is given for SCRATCH_2', () => {
    expect(make({ deploymentType: fsx.LustreDeploymentType.SCRATCH_2, kmsKey: new kms.Key(stack, 'K') })).toThrow(/^kmsKey must not be set for SCRATCH_2/);
  });

  test('fails when backups are asked of a linked file system', () => {
    expect(make({ automaticBackupRetentionDays: 7, dataRepositoryAssociations: [dra('/a')] })).toThrow(
      /^automaticBackupRetentionDays must be 0 when data repository associations are used .*, got 7/,
    );
  });

  test('fails when backups are asked of SCRATCH_2', () => {
    expect(make({ deploymentType: fsx.LustreDeploymentType.SCRATCH_2, automaticBackupRetentionDays: 1 })).toThrow(/^automaticBackupRetentionDays must be 0 for SCRATCH_2/);
  });

  // Found by test/storage/storage.props.test.ts: 0 was dropped from the template, so FSx kept its own default (30 days).
  test('turns automatic backups off when the retention is 0', () => {
    const s = testStack('NoBackups');
    new LustreCache(s, 'Cache', { vpc: new MlVpc(s, 'Vpc').vpc, automaticBackupRetentionDays: 0 });
    const fs = Object.values(Template.fromStack(s).findResources('AWS::FSx::FileSystem'))[0];
    expect(fs.Properties.LustreConfiguration.AutomaticBackupRetentionDays).toBe(0);
    expect(fs.Properties.LustreConfiguration.CopyTagsToBackups).toBeUndefined();
  });

  test('fails when the backup retention is over 90 days', () => {
    expect(make({ automaticBackupRetentionDays: 91 })).toThrow(/^automaticBackupRetentionDays must be an integer from 0 to 90, got 91/);
  });

  test('fails when a demand field is not positive', () => {
    expect(make({ demand: { ...DEMAND, gpuCount: 0 } })).toThrow(/^demand\.gpuCount must be a positive integer, got 0 \(at Test\/C\d+\)/);
  });

  test('fails when the alarm thresholds are out of range', () => {
    expect(make({ freeCapacityAlarmPercent: 0 })).toThrow(/^freeCapacityAlarmPercent must be a number from 1 to 99, got 0/);
    expect(make({ exportBacklogAlarmAgeSeconds: 30 })).toThrow(/^exportBacklogAlarmAgeSeconds must be an integer of at least 60, got 30/);
  });

  test('fails when the VPC has no private subnet and none is given', () => {
    const s = testStack('Public');
    const v = new ec2.Vpc(s, 'V', { subnetConfiguration: [{ name: 'pub', subnetType: ec2.SubnetType.PUBLIC }] });
    expect(() => new LustreCache(s, 'C', { vpc: v })).toThrow(/^vpcSubnet must be given when the VPC has no private subnet, got undefined/);
  });
});

describe('LustreCache.fromLustreCacheAttributes', () => {
  const stack = testStack();
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-1', availabilityZones: ['eu-west-1a'], privateSubnetIds: ['subnet-1'] });
  const group = ec2.SecurityGroup.fromSecurityGroupId(stack, 'FsGroup', 'sg-0123456789abcdef0', { allowAllOutbound: false });
  const cache = LustreCache.fromLustreCacheAttributes(stack, 'Imported', {
    fileSystemId: 'fs-0123456789abcdef0',
    dnsName: 'fs-0123456789abcdef0.fsx.eu-west-1.amazonaws.com',
    mountName: 'abcdefgh',
    securityGroups: [group],
  });
  const client = new ec2.SecurityGroup(stack, 'Client', { vpc });
  cache.allowClient(client);
  const template = Template.fromStack(stack);

  test('carries the file system\u2019s id, DNS name and mount name, and mounts by them', () => {
    expect(cache.fileSystemId).toBe('fs-0123456789abcdef0');
    expect(cache.mountCommands('/data').join('\n')).toContain('fs-0123456789abcdef0.fsx.eu-west-1.amazonaws.com@tcp:/abcdefgh /data lustre');
  });

  test('opens TCP 988 and 1018-1023 from a client and back, on the imported group', () => {
    for (const [from, to] of [[988, 988], [1018, 1023]]) {
      template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { GroupId: 'sg-0123456789abcdef0', FromPort: from, ToPort: to });
      template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', { GroupId: 'sg-0123456789abcdef0', FromPort: from, ToPort: to });
      template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Client'), 'GroupId'] },
        SourceSecurityGroupId: 'sg-0123456789abcdef0',
        FromPort: from,
      });
    }
  });

  test('fails when its throughput is read but was not given', () => {
    expect(() => cache.throughputMBps).toThrow(
      'throughputMBps must be given to LustreCache.fromLustreCacheAttributes to compare reads with the provisioned throughput (as StallMonitor does), got undefined (at Test/Imported)',
    );
  });

  test('carries the throughput given, and has no alarms of its own', () => {
    const withThroughput = LustreCache.fromLustreCacheAttributes(stack, 'WithThroughput', { fileSystemId: 'fs-0123456789abcdef0', dnsName: 'd', mountName: 'm', securityGroups: [group], throughputMBps: 292.5 });
    expect(withThroughput.throughputMBps).toBe(292.5);
    expect(cache.exportBacklogAlarm).toBeUndefined();
    expect(cache.freeCapacityAlarm).toBeUndefined();
  });

  test('reads its AWS/FSx metrics by its file system ID, 5-minute periods, with the options given', () => {
    expect(metricShape(cache.metricDataReadBytes())).toEqual({
      namespace: 'AWS/FSx',
      metricName: 'DataReadBytes',
      dimensions: { FileSystemId: 'fs-0123456789abcdef0' },
      statistic: 'Sum',
      period: 300,
      label: undefined,
    });
    expect(metricShape(cache.metricMetadataOperations())).toMatchObject({ metricName: 'MetadataOperations', dimensions: { FileSystemId: 'fs-0123456789abcdef0' }, statistic: 'Sum' });
    expect(metricShape(cache.metricFreeCapacityBytes())).toMatchObject({ metricName: 'FreeDataStorageCapacity', dimensions: { FileSystemId: 'fs-0123456789abcdef0' }, statistic: 'Sum' });
    expect(metricShape(cache.metricExportBacklogAge())).toMatchObject({
      metricName: 'AgeOfOldestQueuedMessage',
      dimensions: { FileSystemId: 'fs-0123456789abcdef0', Publisher: 'AutoExport' },
      statistic: 'Maximum',
      period: 300,
    });
    expect(metricShape(cache.metricDataReadBytes({ period: Duration.minutes(1), statistic: cloudwatch.Stats.AVERAGE, label: 'reads' }))).toMatchObject({
      statistic: 'Average',
      period: 60,
      label: 'reads',
    });
  });

  test('an import of a created file system reads the same metrics and throughput as the file system itself', () => {
    const s = testStack('Same');
    const v = ec2.Vpc.fromVpcAttributes(s, 'Vpc', { vpcId: 'vpc-1', availabilityZones: ['eu-west-1a'], privateSubnetIds: ['subnet-1'] });
    const created = new LustreCache(s, 'Created', { vpc: v });
    const imported: ILustreCache = LustreCache.fromLustreCacheAttributes(s, 'Imported', {
      fileSystemId: created.fileSystemId,
      dnsName: created.dnsName,
      mountName: created.mountName,
      securityGroups: [created.securityGroup],
      throughputMBps: created.throughputMBps,
    });
    const metrics = (c: ILustreCache) =>
      [c.metricDataReadBytes(), c.metricMetadataOperations(), c.metricFreeCapacityBytes(), c.metricExportBacklogAge()].map((m) => s.resolve(metricShape(m)));
    expect(metrics(imported)).toEqual(metrics(created));
    expect(s.resolve(metrics(created)[0])).toMatchObject({ namespace: 'AWS/FSx', metricName: 'DataReadBytes', dimensions: { FileSystemId: { Ref: s.getLogicalId(created.fileSystem.node.defaultChild as fsx.CfnFileSystem) } } });
    expect(imported.throughputMBps).toBe(created.throughputMBps);
  });

  test('fails when the throughput given is below 1 MB/s or a token', () => {
    const attrs = { fileSystemId: 'fs-0123456789abcdef0', dnsName: 'd', mountName: 'm', securityGroups: [group] };
    expect(() => LustreCache.fromLustreCacheAttributes(stack, 'NoThroughput', { ...attrs, throughputMBps: 0 })).toThrow(
      'throughputMBps must be a number of at least 1, got 0 (at Test/NoThroughput)',
    );
    const token = new CfnParameter(stack, 'Throughput', { type: 'Number' }).valueAsNumber;
    expect(() => LustreCache.fromLustreCacheAttributes(stack, 'TokenThroughput', { ...attrs, throughputMBps: token })).toThrow(
      'throughputMBps must be a literal number known at synth, not a token (alarm thresholds are computed from it), got an unresolved token (at Test/TokenThroughput)',
    );
  });

  test('fails when no security group is given', () => {
    expect(() => LustreCache.fromLustreCacheAttributes(stack, 'NoGroup', { fileSystemId: 'fs-0123456789abcdef0', dnsName: 'd', mountName: 'm', securityGroups: [] })).toThrow(
      'securityGroups must hold at least one security group (the file system\u2019s), got [] (at Test/NoGroup)',
    );
  });

  test('fails when the file system ID is not one, or a name is empty', () => {
    expect(() => LustreCache.fromLustreCacheAttributes(stack, 'BadId', { fileSystemId: 'fsx-1', dnsName: 'd', mountName: 'm', securityGroups: [group] })).toThrow(
      "fileSystemId must be an FSx file system ID such as fs-0123456789abcdef0, got 'fsx-1'",
    );
    expect(() => LustreCache.fromLustreCacheAttributes(stack, 'NoName', { fileSystemId: 'fs-0123456789abcdef0', dnsName: 'd', mountName: ' ', securityGroups: [group] })).toThrow(
      "mountName must not be empty, got ' '",
    );
  });
});

describe('LustreCache literals', () => {
  test('fails when the capacity or the throughput tier is a token', () => {
    const stack = testStack();
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-1', availabilityZones: ['eu-west-1a'], privateSubnetIds: ['subnet-1'] });
    const token = new CfnParameter(stack, 'Capacity', { type: 'Number' }).valueAsNumber;
    expect(() => new LustreCache(stack, 'A', { vpc, storageCapacityGiB: token })).toThrow(
      'storageCapacityGiB must be a literal number known at synth, not a token (capacity steps, throughput and alarms are computed from it), got an unresolved token (at Test/A)',
    );
    expect(() => new LustreCache(stack, 'B', { vpc, perUnitStorageThroughputMBpsPerTiB: token })).toThrow(
      /^perUnitStorageThroughputMBpsPerTiB must be a literal number known at synth, not a token/,
    );
  });
});

import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { loadConfig } from '../../bin/config';
import { referenceApp, sharedReferenceApp } from './fixture';

const { stacks } = sharedReferenceApp();
const template = Template.fromStack(stacks.storage);
const lake = Template.fromStack(stacks.dataLake);
const association = (path: string) =>
  Object.values(template.findResources('AWS::FSx::DataRepositoryAssociation', { Properties: { FileSystemPath: path } }))[0].Properties;

test('is named from the stack prefix', () => {
  expect(stacks.storage.stackName).toBe('MlAtScale-Storage');
});

test('holds a retained PERSISTENT_2 Lustre 2.15 file system of 1200 GiB at 250 MB/s/TiB, without backups (it is linked to S3)', () => {
  template.hasResource('AWS::FSx::FileSystem', {
    Properties: Match.objectLike({
      FileSystemTypeVersion: '2.15',
      StorageCapacity: 1200,
      LustreConfiguration: { DeploymentType: 'PERSISTENT_2', PerUnitStorageThroughput: 250, DataCompressionType: 'LZ4' },
    }),
    DeletionPolicy: 'Retain',
  });
});

test('links /datasets to datasets/ of the curated zone, import only', () => {
  template.hasResourceProperties('AWS::FSx::DataRepositoryAssociation', {
    FileSystemPath: '/datasets',
    DataRepositoryPath: { 'Fn::Join': ['', ['s3://', Match.anyValue(), '/datasets/']] },
    S3: { AutoImportPolicy: { Events: ['NEW', 'CHANGED', 'DELETED'] } },
  });
  expect(JSON.stringify(association('/datasets').DataRepositoryPath)).toMatch(/DataLakeCurated/);
});

test('links /checkpoints to checkpoints/ of the artifacts zone, import and export', () => {
  template.hasResourceProperties('AWS::FSx::DataRepositoryAssociation', {
    FileSystemPath: '/checkpoints',
    DataRepositoryPath: { 'Fn::Join': ['', ['s3://', Match.anyValue(), '/checkpoints/']] },
    S3: { AutoImportPolicy: { Events: ['NEW', 'CHANGED', 'DELETED'] }, AutoExportPolicy: { Events: ['NEW', 'CHANGED', 'DELETED'] } },
  });
  expect(JSON.stringify(association('/checkpoints').DataRepositoryPath)).toMatch(/DataLakeArtifacts/);
});

test('opens the lake key to FSx through S3, in the data lake stack', () => {
  const key = Object.values(lake.findResources('AWS::KMS::Key'))[0];
  expect(key.Properties.KeyPolicy.Statement.map((s: { Sid?: string }) => s.Sid)).toContain('AllowFSxForLustreDataRepositoriesThroughS3');
});

test('alarms on the export backlog and on free capacity', () => {
  template.resourceCountIs('AWS::CloudWatch::Alarm', 2);
  template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'AgeOfOldestQueuedMessage', Threshold: 1800 });
});

test('holds the shared EFS file system, encrypted with the lake key and backed up in a retained vault', () => {
  template.hasResource('AWS::EFS::FileSystem', {
    Properties: Match.objectLike({ Encrypted: true, ThroughputMode: 'elastic' }),
    DeletionPolicy: 'Retain',
  });
  const efs = Object.values(template.findResources('AWS::EFS::FileSystem'))[0];
  expect(JSON.stringify(efs.Properties.KmsKeyId)).toMatch(/DataLakeKey/);
  template.hasResource('AWS::Backup::BackupVault', { DeletionPolicy: 'Retain' });
  template.resourceCountIs('AWS::Backup::BackupSelection', 1);
  template.resourceCountIs('AWS::KMS::Key', 1); // the Lustre key only: EFS and its vault use the lake key
});

test('sizes the file system from a demand in the config, and warns of none', () => {
  const { stacks: sized } = referenceApp({
    'ml-at-scale.storage.lustreDemand': { gpuCount: 64, samplesPerSecondPerGpu: 1200, bytesPerSample: 110000, datasetGiB: 4000 },
    'ml-at-scale.storage.sharedFileSystemEnabled': false,
  });
  expect(sized.storage.lustreCache.throughputMBps).toBeGreaterThanOrEqual(8448);
  expect(sized.storage.sharedFileSystem).toBeUndefined();
  const t = Template.fromStack(sized.storage);
  t.hasResourceProperties('AWS::FSx::FileSystem', { StorageCapacity: sized.storage.lustreCache.storageCapacityGiB });
  t.resourceCountIs('AWS::EFS::FileSystem', 0);
  Annotations.fromStack(sized.storage).hasNoWarning('*', Match.anyValue());
});

test('warns of the shortfall when the configured capacity cannot meet the configured demand', () => {
  const { stacks: short } = referenceApp({
    'ml-at-scale.storage.lustreStorageCapacityGiB': 1200,
    'ml-at-scale.storage.lustreDemand': { gpuCount: 8, samplesPerSecondPerGpu: 1000, bytesPerSample: 100000, datasetGiB: 500 },
  });
  Annotations.fromStack(short.storage).hasWarning('/MlAtScale-Storage/LustreCache', Match.stringLikeRegexp('MB/s short of the demand.s 800 MB/s: a stall risk'));
});

test('rejects a bad storage config with the key, the rule and the value', () => {
  expect(() => loadConfig({ 'ml-at-scale': { storage: { lustreDeploymentType: 'SCRATCH_1' } } })).toThrow(
    /ml-at-scale\.storage\.lustreDeploymentType: must be 'SCRATCH_2', 'PERSISTENT_1' or 'PERSISTENT_2', got "SCRATCH_1"/,
  );
  expect(() => loadConfig({ 'ml-at-scale': { storage: { lustreDemand: { gpuCount: 0, samplesPerSecondPerGpu: 1, bytesPerSample: 1, datasetGiB: 1 } } } })).toThrow(
    /ml-at-scale\.storage\.lustreDemand\.gpuCount: must be at least 1, got 0/,
  );
});

test('matches the snapshot', () => {
  expect(template.toJSON()).toMatchSnapshot();
});

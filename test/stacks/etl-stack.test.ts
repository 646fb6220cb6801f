import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { loadConfig } from '../../bin/config';
import { DataLake, DataLakeZone, EtlStack } from '../../lib';
import { testApp } from '../util/app';
import { referenceApp, sharedReferenceApp } from './fixture';

const { stacks } = sharedReferenceApp();
const stack = stacks.etl;
const template = Template.fromStack(stack);

test('is named from the stack prefix', () => {
  expect(stack.stackName).toBe('MlAtScale-Etl');
});

test('holds the catalog, a crawler over raw/incoming, the Spark job and the workgroup, with GL1/GL3 security', () => {
  template.resourceCountIs('AWS::Glue::Database', 1);
  template.resourceCountIs('AWS::Glue::SecurityConfiguration', 1);
  template.hasResourceProperties('AWS::Glue::Crawler', {
    TablePrefix: 'raw_',
    Targets: { S3Targets: [{ Path: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith(['/incoming/'])] }) }] },
    CrawlerSecurityConfiguration: stack.catalog.securityConfigurationName,
  });
  template.hasResourceProperties('AWS::Glue::Job', { GlueVersion: '5.0', SecurityConfiguration: stack.catalog.securityConfigurationName });
  template.resourceCountIs('AWS::Athena::WorkGroup', 1);
});

test('converts from the raw zone to the curated zone, in the network stack\u2019s private subnets', () => {
  const job = template.findResources('AWS::Glue::Job')[stack.getLogicalId(stack.etlJob.job)].Properties;
  expect(JSON.stringify(job.DefaultArguments['--input_path'])).toMatch(/Raw.*\/incoming\//);
  expect(JSON.stringify(job.DefaultArguments['--output_path'])).toMatch(/Curated.*\/datasets\//);
  expect(job.Connections.Connections).toHaveLength(2);
  template.hasResourceProperties('AWS::Glue::Connection', { ConnectionInput: Match.objectLike({ ConnectionType: 'NETWORK' }) });
});

test('creates the EMR Serverless application and no warehouse by default', () => {
  expect(stack.spectrum).toBeUndefined();
  template.resourceCountIs('AWS::RedshiftServerless::Workgroup', 0);
  template.resourceCountIs('AWS::EMRServerless::Application', 1);
});

test('retains the database and the workgroup', () => {
  template.hasResource('AWS::Glue::Database', { DeletionPolicy: 'Retain' });
  template.hasResource('AWS::Athena::WorkGroup', { DeletionPolicy: 'Retain' });
});

test('switches Spectrum on and EMR Serverless off from the config, with the config\u2019s settings', () => {
  const { stacks: other } = referenceApp({
    'ml-at-scale.etl.spectrumEnabled': 'true',
    'ml-at-scale.etl.spectrumBaseCapacityRpus': '16',
    'ml-at-scale.etl.sparkApplicationEnabled': 'false',
    'ml-at-scale.etl.inputFormat': 'json',
    'ml-at-scale.etl.workerType': 'G.2X',
    'ml-at-scale.etl.numberOfWorkers': '4',
    'ml-at-scale.etl.crawlerSchedule': 'cron(0 2 * * ? *)',
    'ml-at-scale.etl.bytesScannedCutoffPerQueryMiB': '1024',
  });
  const t = Template.fromStack(other.etl);
  t.hasResourceProperties('AWS::RedshiftServerless::Workgroup', { BaseCapacity: 16, PubliclyAccessible: false });
  t.resourceCountIs('AWS::EMRServerless::Application', 0);
  t.hasResourceProperties('AWS::Glue::Job', { WorkerType: 'G.2X', NumberOfWorkers: 4, DefaultArguments: Match.objectLike({ '--input_format': 'json' }) });
  t.hasResourceProperties('AWS::Glue::Crawler', { Schedule: { ScheduleExpression: 'cron(0 2 * * ? *)' } });
  t.hasResourceProperties('AWS::Athena::WorkGroup', { WorkGroupConfiguration: Match.objectLike({ BytesScannedCutoffPerQuery: 1024 * 1024 * 1024 }) });
});

test('names the key of a bad ETL setting', () => {
  expect(() => loadConfig({ 'ml-at-scale': { etl: { numberOfWorkers: 1 } } })).toThrow('ml-at-scale.etl.numberOfWorkers: must be at least 2, got 1');
  expect(() => loadConfig({ 'ml-at-scale': { etl: { workerType: 'G.025X' } } })).toThrow(/ml-at-scale\.etl\.workerType: must be a Glue 5\.0 Spark worker type/);
  expect(() => loadConfig({ 'ml-at-scale': { etl: { crawlerSchedule: 'rate(1 hour)' } } })).toThrow(/ml-at-scale\.etl\.crawlerSchedule: must be a cron/);
  expect(() => loadConfig({ 'ml-at-scale': { etl: { inputPrefix: '/incoming/' } } })).toThrow(/ml-at-scale\.etl\.inputPrefix: must be a key prefix/);
  expect(() => loadConfig({ 'ml-at-scale': { etl: { bytesScannedCutoffPerQueryMiB: 5 } } })).toThrow('ml-at-scale.etl.bytesScannedCutoffPerQueryMiB: must be at least 10, got 5');
  expect(() => loadConfig({ 'ml-at-scale': { etl: { spectrumEnabled: 'yes' } } })).toThrow(/ml-at-scale\.etl\.spectrumEnabled: must be true or false/);
});

test('works alone with a lake and VPC of its own', () => {
  const app = testApp();
  const base = new Stack(app, 'Base');
  const vpc = new ec2.Vpc(base, 'Vpc', { natGateways: 0 });
  const dataLake = new DataLake(base, 'Lake');
  const etl = new EtlStack(app, 'Etl', {
    vpc,
    dataLake,
    etlJob: { input: { zone: DataLakeZone.RAW, prefix: 'in' }, output: { zone: DataLakeZone.CURATED, prefix: 'out' } },
  });
  expect(etl.sparkApplication).toBeUndefined();
  Template.fromStack(etl).resourceCountIs('AWS::Glue::Crawler', 1);
});

test('matches the snapshot', () => {
  expect(template.toJSON()).toMatchSnapshot();
});

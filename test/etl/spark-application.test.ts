import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { DataCatalog, DataLakeZone, isReleaseLabel, SparkApplication, SparkApplicationProps } from '../../lib';
import { nagFindings } from '../util/app';
import { lakeStack, statementsOf } from './fixture';

function build(imported = false) {
  const { stack, lake } = lakeStack('Test', imported);
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  return { stack, lake, vpc };
}

describe('SparkApplication with defaults', () => {
  const { stack, lake, vpc } = build();
  const app = new SparkApplication(stack, 'Spark', { vpc, dataLake: lake, lakeAccess: [{ zone: DataLakeZone.CURATED, prefix: 'datasets' }] });
  const submitter = new iam.Role(stack, 'Submitter', { assumedBy: new iam.AccountRootPrincipal() });
  app.grantStartJobRun(submitter);
  const template = Template.fromStack(stack);

  test('creates a Spark application in the private subnets with a maximum capacity, auto-start and auto-stop', () => {
    template.hasResourceProperties('AWS::EMRServerless::Application', {
      Type: 'SPARK',
      ReleaseLabel: 'emr-7.12.0',
      Architecture: 'ARM64',
      MaximumCapacity: { Cpu: '400 vCPU', Memory: '3000 GB' },
      AutoStartConfiguration: { Enabled: true },
      AutoStopConfiguration: { Enabled: true, IdleTimeoutMinutes: 15 },
      NetworkConfiguration: { SubnetIds: [{ Ref: Match.stringLikeRegexp('^VpcprivateSubnet1') }, { Ref: Match.stringLikeRegexp('^VpcprivateSubnet2') }], SecurityGroupIds: Match.anyValue() },
    });
  });

  test('sends job logs to the artifacts zone, encrypted with the lake key', () => {
    template.hasResourceProperties('AWS::EMRServerless::Application', {
      MonitoringConfiguration: {
        S3MonitoringConfiguration: {
          LogUri: { 'Fn::Join': ['', ['s3://', { Ref: Match.stringLikeRegexp('^LakeArtifacts') }, Match.stringLikeRegexp('^/emr-serverless/logs/')]] },
          EncryptionKeyArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^LakeKey'), 'Arn'] },
        },
      },
    });
  });

  test('gives the job role its lake locations read-only unless told, and its logs prefix', () => {
    const text = JSON.stringify(statementsOf(template, 'SparkJobRole'));
    expect(text).toContain('/datasets/*');
    expect(text).toContain('/emr-serverless/logs/');
    const writes = statementsOf(template, 'SparkJobRole').filter((s) => JSON.stringify(s.Action).includes('s3:PutObject'));
    expect(writes.every((s) => JSON.stringify(s.Resource).includes('/emr-serverless/logs/'))).toBe(true);
  });

  test('lets a submitter start jobs on this application and pass its job role only', () => {
    const text = JSON.stringify(statementsOf(template, 'Submitter'));
    expect(text).toContain('emr-serverless:StartJobRun');
    expect(text).toContain('iam:PassRole');
    expect(text).toContain('/jobruns/*');
  });

  test('has no unacknowledged cdk-nag finding', () => {
    expect(nagFindings(app)).toEqual([]);
  });
});

describe('SparkApplication, fullest configuration', () => {
  const { stack, lake, vpc } = build();
  const catalog = new DataCatalog(stack, 'Catalog', { dataLake: lake, databaseName: 'lake' });
  const app = new SparkApplication(stack, 'Spark', {
    vpc,
    vpcSubnets: { subnetGroupName: 'private' },
    dataLake: lake,
    lakeAccess: [{ zone: DataLakeZone.RAW, prefix: 'incoming' }, { zone: DataLakeZone.CURATED, prefix: 'datasets', write: true }],
    catalog,
    releaseLabel: 'emr-spark-8.0.0',
    maximumVcpus: 64,
    maximumMemoryGB: 256,
    idleTimeout: Duration.minutes(5),
    logsPrefix: 'logs/emr',
    applicationName: 'ml-spark',
  });
  const template = Template.fromStack(stack);

  test('uses the given settings', () => {
    template.hasResourceProperties('AWS::EMRServerless::Application', {
      Name: 'ml-spark',
      ReleaseLabel: 'emr-spark-8.0.0',
      MaximumCapacity: { Cpu: '64 vCPU', Memory: '256 GB' },
      AutoStopConfiguration: { Enabled: true, IdleTimeoutMinutes: 5 },
    });
    const text = JSON.stringify(statementsOf(template, 'SparkJobRole'));
    expect(text).toContain('/logs/emr/*');
    expect(text).toContain('glue:GetTables');
    const writes = statementsOf(template, 'SparkJobRole').filter((s) => JSON.stringify(s.Action).includes('s3:PutObject'));
    expect(writes.some((s) => JSON.stringify(s.Resource).includes('/datasets/*'))).toBe(true);
    expect(writes.some((s) => JSON.stringify(s.Resource).includes('/incoming/*'))).toBe(false);
  });

  test('admits its own workers on all TCP ports and nothing else', () => {
    const sgId = stack.getLogicalId(app.securityGroup.node.defaultChild as never);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { GroupId: { 'Fn::GetAtt': [sgId, 'GroupId'] }, SourceSecurityGroupId: { 'Fn::GetAtt': [sgId, 'GroupId'] } });
  });

  test('has no unacknowledged cdk-nag finding', () => {
    expect(nagFindings(app)).toEqual([]);
  });
});

test('knows which release labels EMR Serverless runs', () => {
  expect(['emr-6.6.0', 'emr-6.15.0', 'emr-7.0.0', 'emr-7.12.0', 'emr-spark-8.0.0'].every(isReleaseLabel)).toBe(true);
  expect(['emr-6.5.0', 'emr-5.36.0', 'emr-7.1', 'emr-spark-8.0-preview', 'spark-3.5'].some(isReleaseLabel)).toBe(false);
});

describe('SparkApplication fails when', () => {
  const cases: Array<[string, Partial<SparkApplicationProps>, RegExp]> = [
    ['the release is older than emr-6.6.0', { releaseLabel: 'emr-6.5.0' }, /^releaseLabel must be an EMR Serverless release: emr-6.6.0 or newer .*, got 'emr-6.5.0' \(at Test\/Spark\)/],
    ['maximumVcpus is 0', { maximumVcpus: 0 }, /^maximumVcpus must be an integer of at least 1, got 0/],
    ['maximumMemoryGB is fractional', { maximumMemoryGB: 1.5 }, /^maximumMemoryGB must be an integer of at least 1, got 1.5/],
    ['the idle timeout exceeds 7 days', { idleTimeout: Duration.days(8) }, /^idleTimeout must be whole minutes from 1 minute to 7 days, got '8 days'/],
    ['the idle timeout is under a minute', { idleTimeout: Duration.seconds(10) }, /^idleTimeout must be whole minutes/],
    ['no lake location is given', { lakeAccess: [] }, /^lakeAccess must name at least one lake location/],
    ['a lake prefix holds a wildcard', { lakeAccess: [{ zone: DataLakeZone.RAW, prefix: 'a*' }] }, /^lakeAccess.prefix must be a plain key prefix/],
    ['the logs prefix holds a wildcard', { logsPrefix: 'l/*' }, /^logsPrefix must be a plain key prefix/],
    ['the name holds a space', { applicationName: 'my app' }, /^applicationName must be 1 to 64 letters/],
    ['no subnet is selected', { vpcSubnets: { subnets: [] } }, /^vpcSubnets must select at least one subnet/],
  ];
  test.each(cases)('fails when %s', (_name, extra, error) => {
    const { stack, lake, vpc } = build(true);
    expect(() => new SparkApplication(stack, 'Spark', { vpc, dataLake: lake, lakeAccess: [{ zone: DataLakeZone.CURATED }], ...extra })).toThrow(error);
  });
});

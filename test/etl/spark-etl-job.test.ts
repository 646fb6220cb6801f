import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as path from 'path';
import {
  DataCatalog,
  DataLakeZone,
  EtlInputFormat,
  GlueWorkerType,
  SparkEtlJob,
  SparkEtlJobProps,
  SparkEtlMode,
} from '../../lib';
import { nagFindings } from '../util/app';
import { lakeStack, statementsOf } from './fixture';

function build(extra: Partial<SparkEtlJobProps> = {}, imported = false) {
  const { stack, lake } = lakeStack('Test', imported);
  const catalog = new DataCatalog(stack, 'Catalog', { dataLake: lake });
  const props: SparkEtlJobProps = {
    dataLake: lake,
    catalog,
    input: { zone: DataLakeZone.RAW, prefix: 'incoming/events' },
    output: { zone: DataLakeZone.CURATED, prefix: 'datasets/events' },
    ...extra,
  };
  return { stack, lake, catalog, props, job: () => new SparkEtlJob(stack, 'Job', props) };
}

describe('SparkEtlJob with defaults', () => {
  const { stack, catalog, job: make } = build();
  const job = make();
  const template = Template.fromStack(stack);
  const args = () => template.findResources('AWS::Glue::Job')[stack.getLogicalId(job.job)].Properties.DefaultArguments;

  test('runs the shipped script on Glue 5.0 with 2 G.1X workers, explicit timeout and retries, the catalog security configuration', () => {
    template.hasResourceProperties('AWS::Glue::Job', {
      GlueVersion: '5.0',
      Command: { Name: 'glueetl', PythonVersion: '3', ScriptLocation: Match.anyValue() },
      WorkerType: 'G.1X',
      NumberOfWorkers: 2,
      Timeout: 120,
      MaxRetries: 1,
      ExecutionProperty: { MaxConcurrentRuns: 1 },
      SecurityConfiguration: catalog.securityConfigurationName,
      Connections: Match.absent(),
    });
    expect(path.basename(job.script.assetPath)).toMatch(/^asset\.|spark_etl\.py$/);
  });

  test('turns on bookmarks, metrics, continuous logging and the Spark UI, and converts CSV from raw to curated', () => {
    expect(args()).toMatchObject({
      '--job-bookmark-option': 'job-bookmark-enable',
      '--enable-metrics': 'true',
      '--enable-observability-metrics': 'true',
      '--enable-continuous-cloudwatch-log': 'true',
      '--enable-spark-ui': 'true',
      '--mode': 'convert',
      '--input_format': 'csv',
    });
    expect(JSON.stringify(args()['--spark-event-logs-path'])).toMatch(/LakeArtifacts.*\/glue\/spark-ui\//);
    expect(JSON.stringify(args()['--TempDir'])).toMatch(/LakeArtifacts.*\/glue\/temp\//);
    expect(JSON.stringify(args()['--input_path'])).toMatch(/LakeRaw.*\/incoming\/events\//);
    expect(JSON.stringify(args()['--output_path'])).toMatch(/LakeCurated.*\/datasets\/events\//);
    expect(args()['--file_count']).toBeUndefined();
  });

  test('scopes the role to the input, output, temporary and Spark UI prefixes and the script object', () => {
    const statements = statementsOf(template, 'JobRole');
    const text = JSON.stringify(statements);
    const readOnly = statements.filter((s) => JSON.stringify(s.Resource).includes('/incoming/events/*'));
    expect(JSON.stringify(readOnly)).not.toMatch(/PutObject|DeleteObject/);
    expect(text).toMatch(/\/datasets\/events\/\*[\s\S]*s3:PutObject|s3:PutObject[\s\S]*\/datasets\/events\/\*/);
    expect(text).toContain('/glue/temp/');
    expect(text).toContain('/glue/spark-ui/');
    const script = statements.find((s) => s.Action === 's3:GetObject' && !JSON.stringify(s.Resource).includes('Lake'));
    expect(JSON.stringify(script?.Resource)).toMatch(/\.py"?\]?/);
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Action: 'cloudwatch:PutMetricData', Resource: '*', Condition: { StringEquals: { 'cloudwatch:namespace': 'Glue' } } }),
      ]),
    );
    expect(text).not.toMatch(/ec2:CreateNetworkInterface/);
  });

  test('has no unacknowledged cdk-nag finding (GL1 and GL3 included)', () => {
    expect(nagFindings(stack)).toEqual([]);
  });

  test('can be started by a grantee, on this job only', () => {
    expect(stack.resolve(job.jobArn)).toMatchObject({ 'Fn::Join': ['', expect.arrayContaining([':job/', { Ref: stack.getLogicalId(job.job) }])] });
  });
});

describe('SparkEtlJob, fullest configuration', () => {
  const { stack, props } = build();
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const job = new SparkEtlJob(stack, 'Job', {
    ...props,
    input: { zone: DataLakeZone.CURATED, prefix: 'datasets/events' },
    output: { zone: DataLakeZone.CURATED, prefix: 'datasets/events_split' },
    mode: SparkEtlMode.REPARTITION,
    inputFormat: EtlInputFormat.JSON,
    fileCount: 64,
    scriptFile: path.join(__dirname, '..', '..', 'assets', 'glue', 'spark_etl.py'),
    workerType: GlueWorkerType.G_4X,
    numberOfWorkers: 10,
    timeout: Duration.hours(6),
    maxRetries: 0,
    maxConcurrentRuns: 2,
    vpc,
    tempPrefix: 'tmp/glue',
    sparkUiLogsPrefix: 'logs/spark',
    extraArguments: { '--conf': 'spark.sql.shuffle.partitions=64' },
    jobName: 'events-split',
  });
  const template = Template.fromStack(stack);

  test('uses the given settings', () => {
    template.hasResourceProperties('AWS::Glue::Job', {
      Name: 'events-split',
      WorkerType: 'G.4X',
      NumberOfWorkers: 10,
      Timeout: 360,
      MaxRetries: 0,
      ExecutionProperty: { MaxConcurrentRuns: 2 },
      DefaultArguments: Match.objectLike({ '--mode': 'repartition', '--input_format': 'json', '--file_count': '64', '--conf': 'spark.sql.shuffle.partitions=64' }),
    });
  });

  test('runs in the private subnets through one NETWORK connection per subnet', () => {
    template.resourceCountIs('AWS::Glue::Connection', 2);
    template.hasResourceProperties('AWS::Glue::Connection', {
      ConnectionInput: {
        ConnectionType: 'NETWORK',
        PhysicalConnectionRequirements: { SubnetId: { Ref: Match.stringLikeRegexp('^VpcprivateSubnet1') }, SecurityGroupIdList: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^JobSecurityGroup'), 'GroupId'] }] },
      },
    });
    expect(job.connections).toHaveLength(2);
    template.hasResourceProperties('AWS::Glue::Job', { Connections: { Connections: [{ Ref: Match.stringLikeRegexp('Connection1') }, { Ref: Match.stringLikeRegexp('Connection2') }] } });
  });

  test('creates a security group that admits itself on all TCP ports', () => {
    const sgId = stack.getLogicalId(job.securityGroup!.node.defaultChild as never);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 0,
      ToPort: 65535,
      GroupId: { 'Fn::GetAtt': [sgId, 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [sgId, 'GroupId'] },
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', { IpProtocol: 'tcp', FromPort: 0, ToPort: 65535, DestinationSecurityGroupId: { 'Fn::GetAtt': [sgId, 'GroupId'] } });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', { SecurityGroupEgress: [Match.objectLike({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443 })] });
  });

  test('may manage the network interfaces and read its connections', () => {
    const text = JSON.stringify(statementsOf(template, 'JobRole'));
    expect(text).toContain('ec2:CreateNetworkInterface');
    expect(text).toContain('glue:GetConnection');
    expect(text).toContain('/tmp/glue/*');
    expect(text).toContain('/logs/spark/*');
  });

  test('has no unacknowledged cdk-nag finding', () => {
    expect(nagFindings(job)).toEqual([]);
  });

  test('sizes a repartition run by file size when no count is given', () => {
    const { stack: s, props: p } = build({ mode: SparkEtlMode.REPARTITION, output: { zone: DataLakeZone.CURATED, prefix: 'split' } });
    new SparkEtlJob(s, 'Job', p);
    Template.fromStack(s).hasResourceProperties('AWS::Glue::Job', { DefaultArguments: Match.objectLike({ '--target_file_mib': '128' }) });
  });

  test('imports a job by name', () => {
    const imported = SparkEtlJob.fromJobName(stack, 'Imported', 'nightly');
    expect(imported.jobName).toBe('nightly');
    expect(JSON.stringify(stack.resolve(imported.jobArn))).toContain(':job/nightly');
  });
});

describe('SparkEtlJob fails when', () => {
  const cases: Array<[string, Partial<SparkEtlJobProps>, RegExp]> = [
    ['numberOfWorkers is below 2', { numberOfWorkers: 1 }, /^numberOfWorkers must be an integer from 2 to 299, got 1 \(at Test\/Job\)/],
    ['numberOfWorkers exceeds what G.2X allows', { workerType: GlueWorkerType.G_2X, numberOfWorkers: 150 }, /^numberOfWorkers must be an integer from 2 to 149, got 150/],
    ['numberOfWorkers is not an integer', { workerType: GlueWorkerType.G_8X, numberOfWorkers: 2.5 }, /^numberOfWorkers must be an integer of at least 2, got 2.5/],
    ['workerType is not a Glue 5.0 Spark type', { workerType: 'G.025X' as GlueWorkerType }, /^workerType must be a Glue 5.0 Spark worker type \(G.1X, .*\), got 'G.025X'/],
    ['timeout exceeds 7 days', { timeout: Duration.days(8) }, /^timeout must be whole minutes from 1 minute to 7 days, got '8 days'/],
    ['timeout is under a minute', { timeout: Duration.seconds(30) }, /^timeout must be whole minutes/],
    ['maxRetries exceeds 10', { maxRetries: 11 }, /^maxRetries must be an integer from 0 to 10, got 11/],
    ['maxConcurrentRuns is 0', { maxConcurrentRuns: 0 }, /^maxConcurrentRuns must be an integer of at least 1, got 0/],
    ['fileCount is 0', { mode: SparkEtlMode.REPARTITION, fileCount: 0 }, /^fileCount must be an integer from 1 to 100000, got 0/],
    ['targetFileSizeMiB exceeds 5 GiB', { mode: SparkEtlMode.REPARTITION, targetFileSizeMiB: 6000 }, /^targetFileSizeMiB must be an integer from 1 to 5120, got 6000/],
    ['fileCount is given to a conversion', { fileCount: 4 }, /^fileCount applies only with mode: SparkEtlMode.REPARTITION, got 4/],
    ['targetFileSizeMiB is given to a conversion', { targetFileSizeMiB: 64 }, /^targetFileSizeMiB applies only with mode/],
    ['partitionKeys are given to a repartition', { mode: SparkEtlMode.REPARTITION, partitionKeys: ['dt'] }, /^partitionKeys applies only with mode: SparkEtlMode.CONVERT/],
    ['a partition key is not a lower-case column name', { partitionKeys: ['Event Date'] }, /^partitionKeys must hold lower-case column names .*, got 'Event Date'/],
    [
      'the output lies within the input',
      { output: { zone: DataLakeZone.RAW, prefix: 'incoming/events/parquet' } },
      /^output must not lie within the input 'raw\/incoming\/events' \(the next run would read its own output\), got 'raw\/incoming\/events\/parquet'/,
    ],
    ['the input prefix holds a wildcard', { input: { zone: DataLakeZone.RAW, prefix: 'a/*' } }, /^input.prefix must be a plain key prefix without wildcards/],
    ['the temporary prefix holds a wildcard', { tempPrefix: 'tmp/*' }, /^tempPrefix must be a plain key prefix/],
    ['the Spark UI prefix holds a wildcard', { sparkUiLogsPrefix: 'ui/?' }, /^sparkUiLogsPrefix must be a plain key prefix/],
  ];
  test.each(cases)('fails when %s', (_name, extra, error) => {
    expect(build(extra, true).job).toThrow(error);
  });

  test('fails when the catalog has no security configuration', () => {
    const { stack, props } = build({}, true);
    const catalog = DataCatalog.fromDataCatalogAttributes(stack, 'Imported', { databaseName: 'db' });
    expect(() => new SparkEtlJob(stack, 'Job', { ...props, catalog })).toThrow(/^catalog must have a Glue security configuration/);
  });

  test('fails when the VPC selection holds no subnet', () => {
    const { stack, props } = build({}, true);
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    expect(() => new SparkEtlJob(stack, 'Job', { ...props, vpc, vpcSubnets: { subnets: [] } })).toThrow(/^vpcSubnets must select at least one subnet/);
  });
});

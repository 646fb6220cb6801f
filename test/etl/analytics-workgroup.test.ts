import { RemovalPolicy, Size } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import {
  AnalyticsWorkgroup,
  AnalyticsWorkgroupProps,
  bucketedParquetCtas,
  DataCatalog,
  DataLakeZone,
  MIN_BYTES_SCANNED_CUTOFF,
} from '../../lib';
import { consumerRole, nagFindings } from '../util/app';
import { lakeStack, statementsOf } from './fixture';

function build(imported = false) {
  const { stack, lake } = lakeStack('Test', imported);
  const catalog = new DataCatalog(stack, 'Catalog', { dataLake: lake, databaseName: 'lake' });
  const analyst = consumerRole(new iam.Role(stack, 'Analyst', { assumedBy: new iam.AccountRootPrincipal() }));
  return { stack, lake, catalog, analyst };
}

describe('AnalyticsWorkgroup with defaults', () => {
  const { stack, lake, catalog, analyst } = build();
  const workgroup = new AnalyticsWorkgroup(stack, 'Workgroup', { dataLake: lake, catalog });
  workgroup.grantQuery(analyst);
  const template = Template.fromStack(stack);

  test('enforces engine version 3, CloudWatch metrics, SSE-KMS results in the artifacts zone and a 100 GiB cutoff', () => {
    template.hasResource('AWS::Athena::WorkGroup', {
      Properties: {
        State: 'ENABLED',
        RecursiveDeleteOption: false,
        WorkGroupConfiguration: {
          EnforceWorkGroupConfiguration: true,
          EngineVersion: { SelectedEngineVersion: 'Athena engine version 3' },
          PublishCloudWatchMetricsEnabled: true,
          BytesScannedCutoffPerQuery: 100 * 1024 ** 3,
          ResultConfiguration: {
            OutputLocation: { 'Fn::Join': ['', ['s3://', { Ref: Match.stringLikeRegexp('^LakeArtifacts') }, Match.stringLikeRegexp('^/athena/results/')]] },
            EncryptionConfiguration: { EncryptionOption: 'SSE_KMS', KmsKey: { 'Fn::GetAtt': [Match.stringLikeRegexp('^LakeKey'), 'Arn'] } },
          },
        },
      },
      DeletionPolicy: 'Retain',
    });
  });

  test('ships a table listing of the database as a named query', () => {
    template.hasResourceProperties('AWS::Athena::NamedQuery', {
      Name: 'list-tables',
      Database: 'lake',
      WorkGroup: { Ref: stack.getLogicalId(workgroup.workgroup) },
      QueryString: Match.stringLikeRegexp("table_schema = 'lake'"),
    });
  });

  test('grants Athena on this workgroup only, catalog read, curated read, results write and the key', () => {
    const statements = statementsOf(template, 'Analyst');
    const athena = statements.find((s) => JSON.stringify(s.Action).includes('athena:StartQueryExecution'))!;
    expect(athena.Resource).toEqual({ 'Fn::Join': ['', expect.arrayContaining([':workgroup/', { Ref: stack.getLogicalId(workgroup.workgroup) }])] });
    const text = JSON.stringify(statements);
    expect(text).toContain('glue:GetTable');
    expect(text).not.toContain('glue:CreateTable');
    expect(text).toContain('kms:GenerateDataKey');
    expect(text).toContain('s3:GetBucketLocation');
    const writes = statements.filter((s) => JSON.stringify(s.Action).includes('s3:PutObject'));
    expect(writes).toHaveLength(1);
    expect(JSON.stringify(writes[0].Resource)).toMatch(/LakeArtifacts.*\/athena\/results\//);
    const curated = statements.find((s) => JSON.stringify(s.Resource).includes('LakeCurated') && JSON.stringify(s.Action).includes('s3:GetObject'));
    expect(curated).toBeDefined();
    expect(text).not.toMatch(/LakeRaw/);
  });

  test('has no unacknowledged cdk-nag finding', () => {
    expect(nagFindings(stack)).toEqual([]);
  });
});

describe('AnalyticsWorkgroup, fullest configuration', () => {
  const { stack, lake, catalog, analyst } = build();
  const workgroup = new AnalyticsWorkgroup(stack, 'Workgroup', {
    dataLake: lake,
    catalog,
    dataLocations: [{ zone: DataLakeZone.CURATED, prefix: 'datasets' }, { zone: DataLakeZone.RAW, prefix: 'incoming' }],
    resultsPrefix: 'query-results',
    bytesScannedCutoffPerQuery: Size.mebibytes(10),
    workgroupName: 'ml-analytics',
    bucketedCopies: [{ sourceTable: 'raw_events', targetTable: 'events_bucketed', bucketColumns: ['user_id'], bucketCount: 64, targetPrefix: 'datasets/events_bucketed' }],
    namedQueries: [{ name: 'count-events', sql: 'SELECT count(*) FROM raw_events', description: 'How many' }],
    removalPolicy: RemovalPolicy.DESTROY,
  });
  workgroup.grantQuery(analyst);
  const template = Template.fromStack(stack);

  test('uses the given name, cutoff, results prefix and removal policy', () => {
    template.hasResource('AWS::Athena::WorkGroup', {
      Properties: Match.objectLike({
        Name: 'ml-analytics',
        WorkGroupConfiguration: Match.objectLike({
          BytesScannedCutoffPerQuery: MIN_BYTES_SCANNED_CUTOFF,
          ResultConfiguration: Match.objectLike({ OutputLocation: { 'Fn::Join': ['', ['s3://', Match.anyValue(), '/query-results/']] } }),
        }),
      }),
      DeletionPolicy: 'Delete',
    });
  });

  test('ships a CTAS that rewrites the table as bucketed Parquet in 64 files', () => {
    const queries = Object.values(template.findResources('AWS::Athena::NamedQuery')).map((q) => q.Properties);
    expect(queries.map((q) => q.Name).sort()).toEqual(['bucketed-parquet-events_bucketed', 'count-events', 'list-tables']);
    const ctas = JSON.stringify(queries.find((q) => q.Name === 'bucketed-parquet-events_bucketed').QueryString);
    expect(ctas).toContain('CREATE TABLE \\"lake\\".\\"events_bucketed\\"');
    expect(ctas).toContain("format = 'PARQUET'");
    expect(ctas).toContain("bucketed_by = ARRAY['user_id']");
    expect(ctas).toContain('bucket_count = 64');
    expect(ctas).toContain('/datasets/events_bucketed/');
    expect(ctas).toContain('SELECT * FROM \\"lake\\".\\"raw_events\\"');
  });

  test('lets the grantee read both locations, write the CTAS target and create its table', () => {
    const statements = statementsOf(template, 'Analyst');
    const text = JSON.stringify(statements);
    expect(text).toContain('glue:CreateTable');
    expect(text).toContain('/incoming/*');
    expect(text).toContain('/datasets/*');
    const writes = statements.filter((s) => JSON.stringify(s.Action).includes('s3:PutObject')).map((s) => JSON.stringify(s.Resource));
    expect(writes.some((w) => w.includes('/datasets/events_bucketed/*'))).toBe(true);
    expect(writes.some((w) => w.includes('/query-results/*'))).toBe(true);
  });

  test('has no unacknowledged cdk-nag finding', () => {
    expect(nagFindings(stack)).toEqual([]);
  });

  test('imports a workgroup whose grant covers Athena and the catalog', () => {
    const other = build();
    const imported = AnalyticsWorkgroup.fromWorkgroupName(other.stack, 'Imported', 'primary', other.catalog);
    imported.grantQuery(other.analyst);
    const text = JSON.stringify(statementsOf(Template.fromStack(other.stack), 'Analyst'));
    expect(text).toContain(':workgroup/primary');
    expect(text).toContain('glue:GetTables');
  });
});

test('the CTAS builder writes the SQL of a bucketed copy', () => {
  expect(bucketedParquetCtas('db', { sourceTable: 'a', targetTable: 'b', bucketColumns: ['x', 'y'], bucketCount: 8, targetPrefix: 'b' }, 's3://bkt/b/')).toBe(
    [
      'CREATE TABLE "db"."b"',
      'WITH (',
      "  format = 'PARQUET',",
      "  write_compression = 'SNAPPY',",
      "  external_location = 's3://bkt/b/',",
      "  bucketed_by = ARRAY['x', 'y'],",
      '  bucket_count = 8',
      ') AS',
      'SELECT * FROM "db"."a"',
    ].join('\n'),
  );
});

describe('AnalyticsWorkgroup fails when', () => {
  const copy = { sourceTable: 'a', targetTable: 'b', bucketColumns: ['id'], bucketCount: 4, targetPrefix: 'datasets/b' };
  const cases: Array<[string, Partial<AnalyticsWorkgroupProps>, RegExp]> = [
    ['the cutoff is below 10 MiB', { bytesScannedCutoffPerQuery: Size.mebibytes(9) }, /^bytesScannedCutoffPerQuery must be an integer of at least 10485760, got 9437184 \(at Test\/Workgroup\)/],
    ['the workgroup name holds a space', { workgroupName: 'my workgroup' }, /^workgroupName must be 1 to 128 letters, digits, periods, underscores or hyphens, got 'my workgroup'/],
    ['the results prefix holds a wildcard', { resultsPrefix: 'r/*' }, /^resultsPrefix must be a plain key prefix without wildcards/],
    ['no data location is given', { dataLocations: [] }, /^dataLocations must name at least one lake location/],
    ['a data location prefix holds a wildcard', { dataLocations: [{ zone: DataLakeZone.RAW, prefix: 'x*' }] }, /^dataLocations.prefix must be a plain key prefix/],
    ['a copy names a bad source table', { bucketedCopies: [{ ...copy, sourceTable: 'Raw-Events' }] }, /^bucketedCopies.sourceTable must be 1 to 255 lower-case letters, digits or underscores, got 'Raw-Events'/],
    ['a copy names a bad target table', { bucketedCopies: [{ ...copy, targetTable: '' }] }, /^bucketedCopies.targetTable must be/],
    ['a copy has no bucket column', { bucketedCopies: [{ ...copy, bucketColumns: [] }] }, /^bucketedCopies.bucketColumns must name at least one column/],
    ['a bucket column is not a column name', { bucketedCopies: [{ ...copy, bucketColumns: ['user id'] }] }, /^bucketedCopies.bucketColumns must hold lower-case column names/],
    ['the bucket count is 0', { bucketedCopies: [{ ...copy, bucketCount: 0 }] }, /^bucketedCopies.bucketCount must be an integer of at least 1, got 0/],
    ['the copy targets the whole curated zone', { bucketedCopies: [{ ...copy, targetPrefix: '' }] }, /^bucketedCopies.targetPrefix must be a prefix of the curated zone, not the whole zone, got ''/],
    ['the copy targets the bucket root', { bucketedCopies: [{ ...copy, targetPrefix: '/' }] }, /^bucketedCopies.targetPrefix must be a key prefix such as 'datasets\/imagenet', not '\/' \(which would be the whole bucket\), got '\/'/],
    ['a named query has an empty name', { namedQueries: [{ name: '', sql: 'SELECT 1' }] }, /^namedQueries.name must be 1 to 128 characters/],
    ['two named queries share a name', { namedQueries: [{ name: 'q', sql: 'SELECT 1' }, { name: 'q', sql: 'SELECT 2' }] }, /^namedQueries.name must be unique in the workgroup, got 'q'/],
    ['a named query has no SQL', { namedQueries: [{ name: 'q', sql: '  ' }] }, /^namedQueries.sql must be 1 to 262,144 characters of SQL/],
  ];
  test.each(cases)('fails when %s', (_name, extra, error) => {
    const { stack, lake, catalog } = build(true);
    expect(() => new AnalyticsWorkgroup(stack, 'Workgroup', { dataLake: lake, catalog, ...extra })).toThrow(error);
  });
});

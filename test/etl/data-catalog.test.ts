import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { DataCatalog, DataLakeZone, LakeCrawler } from '../../lib';
import { consumerRole, nagFindings } from '../util/app';
import { lakeStack, statementsOf } from './fixture';

describe('DataCatalog with defaults', () => {
  const { stack, lake } = lakeStack();
  const catalog = new DataCatalog(stack, 'Catalog', { dataLake: lake });
  catalog.addCrawler('Raw', { targets: [{ zone: DataLakeZone.RAW, prefix: 'incoming/events' }] });
  const template = Template.fromStack(stack);

  test('creates a retained Glue database with a valid Athena name', () => {
    template.hasResource('AWS::Glue::Database', {
      Properties: { DatabaseInput: { Name: catalog.databaseName } },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    expect(catalog.databaseName).toMatch(/^[a-z0-9_]+$/);
  });

  test('has one security configuration: S3 SSE-KMS with the lake key, logs SSE-KMS and bookmarks CSE-KMS with its own key', () => {
    template.resourceCountIs('AWS::Glue::SecurityConfiguration', 1);
    template.hasResourceProperties('AWS::Glue::SecurityConfiguration', {
      Name: catalog.securityConfigurationName,
      EncryptionConfiguration: {
        S3Encryptions: [{ S3EncryptionMode: 'SSE-KMS', KmsKeyArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^LakeKey'), 'Arn'] } }],
        CloudWatchEncryption: { CloudWatchEncryptionMode: 'SSE-KMS', KmsKeyArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CatalogKey'), 'Arn'] } },
        JobBookmarksEncryption: { JobBookmarksEncryptionMode: 'CSE-KMS', KmsKeyArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CatalogKey'), 'Arn'] } },
      },
    });
    expect(catalog.securityConfigurationName?.startsWith('Test-')).toBe(true);
  });

  test('retains its key, rotates it and lets CloudWatch Logs use it', () => {
    template.hasResource('AWS::KMS::Key', {
      Properties: {
        EnableKeyRotation: true,
        KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'AllowCloudWatchLogs' })]) },
        Description: Match.stringLikeRegexp('Glue logs'),
      },
      DeletionPolicy: 'Retain',
    });
  });

  test('crawls new folders only, never deletes or changes tables, with the security configuration', () => {
    template.hasResourceProperties('AWS::Glue::Crawler', {
      CrawlerSecurityConfiguration: catalog.securityConfigurationName,
      SchemaChangePolicy: { UpdateBehavior: 'LOG', DeleteBehavior: 'LOG' },
      RecrawlPolicy: { RecrawlBehavior: 'CRAWL_NEW_FOLDERS_ONLY' },
      Targets: { S3Targets: [{ Path: { 'Fn::Join': ['', ['s3://', { Ref: Match.stringLikeRegexp('^LakeRaw') }, '/incoming/events/']] } }] },
      Schedule: Match.absent(),
    });
  });

  test('lets the crawler read only its own prefix of the lake', () => {
    const statements = statementsOf(template, 'CatalogRawRole');
    const s3 = statements.filter((s) => JSON.stringify(s.Action).includes('s3:'));
    expect(JSON.stringify(s3)).toContain('/incoming/events/*');
    expect(JSON.stringify(s3)).not.toMatch(/PutObject|DeleteObject/);
    expect(s3.find((s) => s.Action === 's3:ListBucket')?.Condition).toEqual({ StringLike: { 's3:prefix': ['incoming/events', 'incoming/events/*'] } });
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Action: expect.arrayContaining(['glue:CreateTable', 'glue:BatchCreatePartition']) }),
        expect.objectContaining({ Action: expect.arrayContaining(['logs:AssociateKmsKey']) }),
      ]),
    );
    expect(JSON.stringify(statements)).not.toMatch(/glue:Delete/);
  });

  test('has no unacknowledged cdk-nag finding (GL1 and GL3 included)', () => {
    expect(nagFindings(stack)).toEqual([]);
  });
});

describe('DataCatalog, fullest configuration', () => {
  const { stack, lake } = lakeStack();
  const key = new kms.Key(stack, 'OwnKey', { enableKeyRotation: true });
  const catalog = new DataCatalog(stack, 'Catalog', {
    dataLake: lake,
    databaseName: 'lake_db',
    description: 'The lake',
    encryptionKey: key,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const crawler = catalog.addCrawler('Raw', {
    targets: [{ zone: DataLakeZone.RAW, prefix: 'incoming/a/' }, { zone: DataLakeZone.CURATED, prefix: 'datasets' }],
    schedule: events.Schedule.cron({ minute: '0', hour: '2' }),
    tablePrefix: 'raw_',
    exclusions: ['**/_SUCCESS'],
    description: 'Nightly',
  });
  const reader = consumerRole(new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() }));
  catalog.grantReadCatalog(reader);
  const template = Template.fromStack(stack);

  test('uses the given name, key and removal policy', () => {
    template.hasResource('AWS::Glue::Database', { Properties: { DatabaseInput: { Name: 'lake_db', Description: 'The lake' } }, DeletionPolicy: 'Delete' });
    template.resourceCountIs('AWS::KMS::Key', 2);
    template.hasResourceProperties('AWS::Glue::SecurityConfiguration', {
      EncryptionConfiguration: Match.objectLike({ JobBookmarksEncryption: { JobBookmarksEncryptionMode: 'CSE-KMS', KmsKeyArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OwnKey'), 'Arn'] } } }),
    });
  });

  test('schedules the crawler with a Glue cron, a table prefix and exclusions over two zones', () => {
    template.hasResourceProperties('AWS::Glue::Crawler', {
      Schedule: { ScheduleExpression: 'cron(0 2 * * ? *)' },
      TablePrefix: 'raw_',
      Description: 'Nightly',
      Targets: { S3Targets: [Match.objectLike({ Exclusions: ['**/_SUCCESS'] }), Match.objectLike({ Exclusions: ['**/_SUCCESS'] })] },
    });
    expect(catalog.crawlers).toEqual([crawler]);
    expect(crawler).toBeInstanceOf(LakeCrawler);
  });

  test('grants catalog read on the database and its tables only', () => {
    const [statement] = statementsOf(template, 'Reader');
    expect([...statement.Action].sort()).toEqual(['glue:BatchGetPartition', 'glue:GetDatabase', 'glue:GetPartition', 'glue:GetPartitions', 'glue:GetTable', 'glue:GetTables']);
    expect(JSON.stringify(statement.Resource)).toContain(':database/lake_db');
    expect(JSON.stringify(statement.Resource)).toContain(':table/lake_db/*');
  });

  test('has no unacknowledged cdk-nag finding', () => {
    expect(nagFindings(stack)).toEqual([]);
  });

  test('imports a catalog by name, with its security configuration', () => {
    const imported = DataCatalog.fromDataCatalogAttributes(stack, 'Imported', { databaseName: 'other_db', securityConfigurationName: 'sc' });
    expect(imported.securityConfigurationName).toBe('sc');
    expect(stack.resolve(imported.databaseArn)).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':glue:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':database/other_db']],
    });
  });
});

describe('DataCatalog fails when', () => {
  test('fails when databaseName is not what Athena accepts', () => {
    const { stack, lake } = lakeStack('Test', true);
    expect(() => new DataCatalog(stack, 'Catalog', { dataLake: lake, databaseName: 'My-DB' })).toThrow(
      "databaseName must be 1 to 255 lower-case letters, digits or underscores (what Athena accepts), got 'My-DB' (at Test/Catalog)",
    );
  });

  test('fails when an imported databaseName is not what Athena accepts', () => {
    const { stack } = lakeStack('Test', true);
    expect(() => DataCatalog.fromDataCatalogAttributes(stack, 'I', { databaseName: 'a b' })).toThrow(/^databaseName must be 1 to 255/);
  });

  test('fails when a crawler has no targets', () => {
    const { stack, lake } = lakeStack('Test', true);
    const catalog = new DataCatalog(stack, 'Catalog', { dataLake: lake });
    expect(() => catalog.addCrawler('C', { targets: [] })).toThrow('targets must name at least one zone prefix, got [] (at Test/Catalog/C)');
  });

  test('fails when a crawler schedule is a rate', () => {
    const { stack, lake } = lakeStack('Test', true);
    const catalog = new DataCatalog(stack, 'Catalog', { dataLake: lake });
    expect(() => catalog.addCrawler('C', { targets: [{ zone: DataLakeZone.RAW }], schedule: events.Schedule.rate(Duration.hours(1)) })).toThrow(
      "schedule must be a cron(...) schedule (Glue crawlers take no rate(...)), got 'rate(1 hour)'",
    );
  });

  test('fails when a table prefix holds upper-case letters', () => {
    const { stack, lake } = lakeStack('Test', true);
    const catalog = new DataCatalog(stack, 'Catalog', { dataLake: lake });
    expect(() => catalog.addCrawler('C', { targets: [{ zone: DataLakeZone.RAW }], tablePrefix: 'Raw_' })).toThrow(/^tablePrefix must be 1 to 128 lower-case/);
  });

  test('fails when a crawler prefix holds a wildcard', () => {
    const { stack, lake } = lakeStack('Test', true);
    const catalog = new DataCatalog(stack, 'Catalog', { dataLake: lake });
    expect(() => catalog.addCrawler('C', { targets: [{ zone: DataLakeZone.RAW, prefix: 'a/*' }] })).toThrow(/^targets.prefix must be a plain key prefix without wildcards/);
  });

  test('fails when a crawler is given a catalog without a security configuration', () => {
    const { stack, lake } = lakeStack('Test', true);
    const catalog = DataCatalog.fromDataCatalogAttributes(stack, 'I', { databaseName: 'db' });
    expect(() => new LakeCrawler(stack, 'C', { catalog, dataLake: lake, targets: [{ zone: DataLakeZone.RAW }] })).toThrow(
      "catalog must have a Glue security configuration (securityConfigurationName), which every crawler uses, got 'db'",
    );
  });
});

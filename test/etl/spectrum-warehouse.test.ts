import { RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import { DataCatalog, DataLakeZone, SpectrumWarehouse, SpectrumWarehouseProps } from '../../lib';
import { nagFindings } from '../util/app';
import { lakeStack, statementsOf } from './fixture';

function build(imported = false) {
  const { stack, lake } = lakeStack('Test', imported);
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 3, natGateways: 0, subnetConfiguration: [{ name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const catalog = new DataCatalog(stack, 'Catalog', { dataLake: lake, databaseName: 'lake' });
  return { stack, lake, vpc, catalog };
}

describe('SpectrumWarehouse with defaults', () => {
  const { stack, lake, vpc, catalog } = build();
  const warehouse = new SpectrumWarehouse(stack, 'Warehouse', { vpc, dataLake: lake, catalog });
  const template = Template.fromStack(stack);

  test('creates a retained namespace encrypted with a new key, the admin password managed in Secrets Manager, audit logs exported', () => {
    template.hasResource('AWS::RedshiftServerless::Namespace', {
      Properties: {
        ManageAdminPassword: true,
        AdminUserPassword: Match.absent(),
        KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WarehouseKey'), 'Arn'] },
        AdminPasswordSecretKmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WarehouseKey'), 'Arn'] },
        LogExports: ['userlog', 'connectionlog', 'useractivitylog'],
        DefaultIamRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WarehouseSpectrumRole'), 'Arn'] },
      },
      DeletionPolicy: 'Retain',
    });
    template.hasResource('AWS::KMS::Key', { Properties: { EnableKeyRotation: true, Description: Match.stringLikeRegexp('Redshift') }, DeletionPolicy: 'Retain' });
  });

  test('runs a private 8-RPU workgroup on port 5439 with enhanced VPC routing, TLS and activity logging', () => {
    template.hasResourceProperties('AWS::RedshiftServerless::Workgroup', {
      BaseCapacity: 8,
      Port: 5439,
      EnhancedVpcRouting: true,
      PubliclyAccessible: false,
      SubnetIds: Match.arrayWith([{ Ref: Match.stringLikeRegexp('^VpcprivateSubnet1') }]),
      ConfigParameters: [
        { ParameterKey: 'require_ssl', ParameterValue: 'true' },
        { ParameterKey: 'enable_user_activity_logging', ParameterValue: 'true' },
      ],
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', { GroupDescription: Match.stringLikeRegexp('Redshift'), SecurityGroupIngress: Match.absent() });
    expect(warehouse.connections.defaultPort?.toString()).toBe('5439');
  });

  test('gives Spectrum catalog read and curated-zone read only', () => {
    const text = JSON.stringify(statementsOf(template, 'WarehouseSpectrumRole'));
    expect(text).toContain('glue:GetTables');
    expect(text).toContain('LakeCurated');
    expect(text).not.toMatch(/PutObject|LakeRaw|glue:CreateTable/);
  });

  test('documents the SQL that maps the Glue database as an external schema', () => {
    expect(JSON.stringify(stack.resolve(warehouse.externalSchemaSql))).toMatch(
      /CREATE EXTERNAL SCHEMA IF NOT EXISTS lake FROM DATA CATALOG DATABASE 'lake' IAM_ROLE '.*WarehouseSpectrumRole/,
    );
  });

  test('has no unacknowledged cdk-nag finding (RS rules included)', () => {
    expect(nagFindings(warehouse)).toEqual([]);
  });
});

describe('SpectrumWarehouse, fullest configuration', () => {
  const { stack, lake, vpc, catalog } = build();
  const key = new kms.Key(stack, 'OwnKey', { enableKeyRotation: true });
  const warehouse = new SpectrumWarehouse(stack, 'Warehouse', {
    vpc,
    vpcSubnets: { subnetGroupName: 'private' },
    dataLake: lake,
    catalog,
    dataLocations: [{ zone: DataLakeZone.CURATED, prefix: 'datasets' }, { zone: DataLakeZone.RAW, prefix: 'incoming' }],
    baseCapacityRpus: 32,
    port: 8192,
    name: 'ml-warehouse',
    databaseName: 'analytics',
    externalSchemaName: 'datalake',
    encryptionKey: key,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const template = Template.fromStack(stack);

  test('uses the given settings', () => {
    template.hasResourceProperties('AWS::RedshiftServerless::Workgroup', { WorkgroupName: 'ml-warehouse', NamespaceName: 'ml-warehouse', BaseCapacity: 32, Port: 8192 });
    template.hasResource('AWS::RedshiftServerless::Namespace', {
      Properties: Match.objectLike({ NamespaceName: 'ml-warehouse', DbName: 'analytics', KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OwnKey'), 'Arn'] } }),
      DeletionPolicy: 'Delete',
    });
    expect(warehouse.externalSchemaSql).toMatch(/^CREATE EXTERNAL SCHEMA IF NOT EXISTS datalake /);
  });

  test('reads only the given prefixes', () => {
    const text = JSON.stringify(statementsOf(template, 'WarehouseSpectrumRole'));
    expect(text).toContain('/datasets/*');
    expect(text).toContain('/incoming/*');
  });

  test('has no unacknowledged cdk-nag finding', () => {
    expect(nagFindings(warehouse)).toEqual([]);
  });
});

describe('SpectrumWarehouse fails when', () => {
  const cases: Array<[string, Partial<SpectrumWarehouseProps>, RegExp]> = [
    ['the base capacity is not a step of 8', { baseCapacityRpus: 12 }, /^baseCapacityRpus must be 4, or 8 to 512 in steps of 8, got 12 \(at Test\/Warehouse\)/],
    ['the base capacity exceeds 512', { baseCapacityRpus: 520 }, /^baseCapacityRpus must be 4, or 8 to 512/],
    ['the port is outside both ranges', { port: 5500 }, /^port must be from 5431 to 5455 or from 8191 to 8215, got 5500/],
    ['the name holds upper-case letters', { name: 'My-Warehouse' }, /^name must be 3 to 64 lower-case letters, digits or hyphens, got 'My-Warehouse'/],
    ['the database name starts with a digit', { databaseName: '1db' }, /^databaseName must be 1 to 127 lower-case/],
    ['the external schema name is not an identifier', { externalSchemaName: 'my schema' }, /^externalSchemaName must be a lower-case SQL identifier, got 'my schema'/],
    ['no data location is given', { dataLocations: [] }, /^dataLocations must name at least one lake location/],
    ['a data location prefix holds a wildcard', { dataLocations: [{ zone: DataLakeZone.RAW, prefix: '*' }] }, /^dataLocations.prefix must be a plain key prefix/],
    ['no subnet is selected', { vpcSubnets: { subnets: [] } }, /^vpcSubnets must select at least one subnet/],
  ];
  test.each(cases)('fails when %s', (_name, extra, error) => {
    const { stack, lake, vpc, catalog } = build(true);
    expect(() => new SpectrumWarehouse(stack, 'Warehouse', { vpc, dataLake: lake, catalog, ...extra })).toThrow(error);
  });
});

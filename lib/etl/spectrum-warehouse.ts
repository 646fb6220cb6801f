import { Names, RemovalPolicy, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as redshiftserverless from 'aws-cdk-lib/aws-redshiftserverless';
import { Construct } from 'constructs';
import { invalidProp } from '../common/errors';
import { plainPrefix } from '../common/s3-access';
import { DataLakeZone, IDataLake } from '../data-lake/data-lake';
import { DataLakeLocation, IDataCatalog } from './data-catalog';
import { grantLocation } from '../data-lake/private/location-grants';
import { restrictGrantsToAwsServices } from '../common/kms';
import { acknowledgeInlinePolicy } from '../common/nag';

/** The settings of a {@link SpectrumWarehouse} that a stack does not wire (its option bag). */
export interface SpectrumWarehouseOptions {
  /**
   * The workgroup's subnets. Redshift Serverless may ask for more subnets or Availability Zones than a small VPC has.
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * The lake locations that Spectrum may read.
   * @default - the curated zone
   */
  readonly dataLocations?: DataLakeLocation[];
  /**
   * The base capacity in Redshift Processing Units: 4, or 8 to 512 in steps of 8.
   * @default 8
   * @see https://docs.aws.amazon.com/redshift/latest/mgmt/serverless-capacity.html
   */
  readonly baseCapacityRpus?: number;
  /**
   * The port: 5431 to 5455 or 8191 to 8215.
   * @default 5439
   * @see https://docs.aws.amazon.com/redshift-serverless/latest/APIReference/API_CreateWorkgroup.html
   */
  readonly port?: number;
  /**
   * The name of the namespace and of the workgroup: 3 to 64 lower-case letters, digits and hyphens.
   * @default - derived from the construct path
   */
  readonly name?: string;
  /**
   * The name of the database created in the namespace.
   * @default 'dev'
   */
  readonly databaseName?: string;
  /**
   * The name of the external schema that maps the Glue database.
   * @default 'lake'
   */
  readonly externalSchemaName?: string;
  /**
   * The key that encrypts the namespace and the admin password's secret.
   * @default - a new customer-managed key with rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * What happens to the namespace (its data) and the key created here when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Properties of a {@link SpectrumWarehouse}. */
export interface SpectrumWarehouseProps extends SpectrumWarehouseOptions {
  /** The VPC whose private subnets hold the workgroup. */
  readonly vpc: ec2.IVpc;
  /** The lake that Spectrum reads. */
  readonly dataLake: IDataLake;
  /** The Glue database that the external schema maps. */
  readonly catalog: IDataCatalog;
}

/** The ports that a Redshift Serverless workgroup accepts. */
function validPort(port: number): boolean {
  return Number.isInteger(port) && ((port >= 5431 && port <= 5455) || (port >= 8191 && port <= 8215));
}

/**
 * Amazon Redshift Serverless over the lake for SQL that outgrows Athena: a namespace encrypted with a
 * customer-managed key, its admin password managed in Secrets Manager, audit logs exported, and a
 * workgroup in private subnets with enhanced VPC routing, no public access, TLS required and user
 * activity logging. The Spectrum role reads the catalog and the chosen lake locations only.
 *
 * Run {@link externalSchemaSql} once (query editor or Data API) to map the Glue database as an external schema.
 */
export class SpectrumWarehouse extends Construct implements ec2.IConnectable {
  /** The namespace (the data). */
  public readonly warehouseNamespace: redshiftserverless.CfnNamespace;
  /** The workgroup (the compute). */
  public readonly workgroup: redshiftserverless.CfnWorkgroup;
  /** The role that Spectrum assumes to read the catalog and the lake. */
  public readonly spectrumRole: iam.Role;
  /** The key of the namespace and of the admin password's secret. */
  public readonly encryptionKey: kms.IKey;
  /** The workgroup's security group: nothing in until you allow it. */
  public readonly securityGroup: ec2.SecurityGroup;
  /** The workgroup's network access: `warehouse.connections.allowDefaultPortFrom(notebook)`. */
  public readonly connections: ec2.Connections;
  /** The port of the workgroup. */
  public readonly port: number;
  /** The SQL that maps the Glue database as an external schema; run it once. */
  public readonly externalSchemaSql: string;

  /**
   * Defines a `SpectrumWarehouse` in `scope`.
   *
   * @param scope the scope to define the construct in
   * @param id the construct's id, unique in `scope`
   * @param props the construct's configuration, see `SpectrumWarehouseProps`
   */
  constructor(scope: Construct, id: string, props: SpectrumWarehouseProps) {
    super(scope, id);
    const capacity = props.baseCapacityRpus ?? 8;
    const port = props.port ?? 5439;
    if (Token.isUnresolved(capacity) || !(capacity === 4 || (Number.isInteger(capacity) && capacity >= 8 && capacity <= 512 && capacity % 8 === 0))) {
      throw invalidProp(this, 'baseCapacityRpus', 'must be 4, or 8 to 512 in steps of 8', capacity);
    }
    if (!Token.isUnresolved(port) && !validPort(port)) throw invalidProp(this, 'port', 'must be from 5431 to 5455 or from 8191 to 8215', port);
    const name = props.name ?? Names.uniqueResourceName(this, { maxLength: 64, separator: '-' }).toLowerCase().replace(/[^a-z0-9-]/g, '-');
    if (!Token.isUnresolved(name) && !/^[a-z0-9-]{3,64}$/.test(name)) {
      throw invalidProp(this, 'name', 'must be 3 to 64 lower-case letters, digits or hyphens', name);
    }
    const databaseName = props.databaseName ?? 'dev';
    if (!Token.isUnresolved(databaseName) && !/^[a-z_][a-z0-9_$]{0,126}$/.test(databaseName)) {
      throw invalidProp(this, 'databaseName', 'must be 1 to 127 lower-case letters, digits, underscores or dollar signs, starting with a letter or underscore', databaseName);
    }
    const schema = props.externalSchemaName ?? 'lake';
    if (!/^[a-z_][a-z0-9_]{0,126}$/.test(schema)) throw invalidProp(this, 'externalSchemaName', 'must be a lower-case SQL identifier', schema);
    const locations = props.dataLocations ?? [{ zone: DataLakeZone.CURATED }];
    if (locations.length === 0) throw invalidProp(this, 'dataLocations', 'must name at least one lake location', []);
    const subnets = props.vpc.selectSubnets(props.vpcSubnets).subnets;
    if (subnets.length === 0) throw invalidProp(this, 'vpcSubnets', 'must select at least one subnet', props.vpcSubnets ?? 'the private subnets');
    this.port = port;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.encryptionKey =
      props.encryptionKey ??
      restrictGrantsToAwsServices(new kms.Key(this, 'Key', { description: `Encrypts the Redshift Serverless namespace ${this.node.path}`, enableKeyRotation: true, removalPolicy }));

    this.spectrumRole = new iam.Role(this, 'SpectrumRole', {
      assumedBy: new iam.CompositePrincipal(new iam.ServicePrincipal('redshift.amazonaws.com'), new iam.ServicePrincipal('redshift-serverless.amazonaws.com')),
      description: `Redshift Spectrum of ${this.node.path}: reads the Glue catalog and the chosen lake locations`,
    });
    acknowledgeInlinePolicy(this.spectrumRole);
    props.catalog.grantReadCatalog(this.spectrumRole);
    for (const location of locations) {
      const prefix = plainPrefix(this, 'dataLocations.prefix', location.prefix);
      grantLocation(props.dataLake, this.spectrumRole, location.zone, prefix, false);
    }

    this.warehouseNamespace = new redshiftserverless.CfnNamespace(this, 'Namespace', {
      namespaceName: name,
      dbName: databaseName,
      adminUsername: 'admin_user',
      manageAdminPassword: true,
      adminPasswordSecretKmsKeyId: this.encryptionKey.keyArn,
      kmsKeyId: this.encryptionKey.keyArn,
      iamRoles: [this.spectrumRole.roleArn],
      defaultIamRoleArn: this.spectrumRole.roleArn,
      logExports: ['userlog', 'connectionlog', 'useractivitylog'],
    });
    this.warehouseNamespace.applyRemovalPolicy(removalPolicy);

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Redshift Serverless workgroup: clients are allowed in explicitly',
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to S3 (gateway endpoint) and AWS APIs');
    this.connections = new ec2.Connections({ securityGroups: [this.securityGroup], defaultPort: ec2.Port.tcp(port) });

    this.workgroup = new redshiftserverless.CfnWorkgroup(this, 'Workgroup', {
      workgroupName: name,
      namespaceName: name,
      baseCapacity: capacity,
      port,
      enhancedVpcRouting: true,
      publiclyAccessible: false,
      subnetIds: subnets.map((s) => s.subnetId),
      securityGroupIds: [this.securityGroup.securityGroupId],
      configParameters: [
        { parameterKey: 'require_ssl', parameterValue: 'true' },
        { parameterKey: 'enable_user_activity_logging', parameterValue: 'true' },
      ],
    });
    this.workgroup.node.addDependency(this.warehouseNamespace);

    this.externalSchemaSql =
      `CREATE EXTERNAL SCHEMA IF NOT EXISTS ${schema} FROM DATA CATALOG DATABASE '${props.catalog.databaseName}' ` + `IAM_ROLE '${this.spectrumRole.roleArn}';`;
  }
}

import { ArnFormat, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct, IConstruct } from 'constructs';
import { invalidProp } from '../common/errors';
import { allowCloudWatchLogs } from '../common/logging';
import { acknowledgeInlinePolicy, acknowledgeWildcardResources } from '../common/nag';
import { plainPrefix } from '../common/s3-access';
import { DataLakeZone, IDataLake } from '../data-lake/data-lake';
import { grantLocation } from '../data-lake/private/location-grants';
import { restrictGrantsToAwsServices } from '../common/kms';

/**
 * A Glue database that describes tables in the lake. Analytics and notebooks take this interface, so
 * that a team can bring the catalog database it already has.
 */
export interface IDataCatalog extends IConstruct {
  /** The name of the Glue database. */
  readonly databaseName: string;
  /** The ARN of the Glue database. */
  readonly databaseArn: string;
  /**
   * The Glue security configuration that every crawler and job of this catalog uses, where known.
   * @default - none (an imported catalog without one)
   */
  readonly securityConfigurationName?: string;
  /**
   * The key of the security configuration's CloudWatch Logs and job-bookmark encryption, where known.
   * @default - none
   */
  readonly securityConfigurationKey?: kms.IKey;
  /**
   * Grants reading the database's definition and its tables' and partitions' metadata (not the data).
   *
   * @param grantee the principal to grant to (a role, a user, a function)
   */
  grantReadCatalog(grantee: iam.IGrantable): iam.Grant;
  /**
   * Grants reading the catalog, and creating and updating (never deleting) tables and partitions of the database.
   *
   * @param grantee the principal to grant to (a role, a user, a function)
   */
  grantWriteCatalog(grantee: iam.IGrantable): iam.Grant;
}

/** A place in the lake: a zone, and a key prefix in it. */
export interface DataLakeLocation {
  /** The zone. */
  readonly zone: DataLakeZone;
  /**
   * A key prefix in the zone, such as `incoming/events`.
   * @default - the whole zone
   */
  readonly prefix?: string;
}

/** An existing Glue database to import with {@link DataCatalog.fromDataCatalogAttributes}. */
export interface DataCatalogAttributes {
  /** The name of the Glue database. */
  readonly databaseName: string;
  /**
   * The Glue security configuration that jobs over this catalog must use.
   * @default - none: a SparkEtlJob needs one, and says so
   */
  readonly securityConfigurationName?: string;
  /**
   * The key of that security configuration's CloudWatch Logs and job-bookmark encryption.
   * @default - none
   */
  readonly securityConfigurationKey?: kms.IKey;
}

/** The settings of a {@link DataCatalog} that a stack does not wire (its option bag). */
export interface DataCatalogOptions {
  /**
   * The name of the Glue database: lower-case letters, digits and underscores (what Athena accepts).
   * @default - derived from the construct path
   */
  readonly databaseName?: string;
  /**
   * A description of the database.
   * @default - none
   */
  readonly description?: string;
  /**
   * The key that encrypts the Glue CloudWatch logs and job bookmarks of the security configuration.
   * A key passed in must allow CloudWatch Logs (`logs.<region>.amazonaws.com`) to use it.
   * @default - a new customer-managed key with rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * What happens to the database and the key created here when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Properties of a {@link DataCatalog}. */
export interface DataCatalogProps extends DataCatalogOptions {
  /** The lake whose tables the catalog describes. Crawlers read it; the security configuration encrypts S3 writes with its key. */
  readonly dataLake: IDataLake;
}

/** Options of {@link DataCatalog.addCrawler}. */
export interface LakeCrawlerOptions {
  /** The zone prefixes to crawl. The crawler's role may read these and nothing else of the lake. */
  readonly targets: DataLakeLocation[];
  /**
   * When the crawler runs: a `cron(...)` schedule (Glue takes no `rate(...)`).
   * @default - on demand only
   * @see https://docs.aws.amazon.com/glue/latest/dg/monitor-data-warehouse-schedule.html
   */
  readonly schedule?: events.Schedule;
  /**
   * A prefix of the names of the tables it creates, such as `raw_`.
   * @default - none
   */
  readonly tablePrefix?: string;
  /**
   * Glob patterns of keys to skip, relative to each target, such as `**\/_SUCCESS`.
   * @default - none
   */
  readonly exclusions?: string[];
  /**
   * A description of the crawler.
   * @default - none
   */
  readonly description?: string;
}

/** Properties of a {@link LakeCrawler}. */
export interface LakeCrawlerProps extends LakeCrawlerOptions {
  /** The catalog that receives the tables; its security configuration encrypts the crawler's logs. */
  readonly catalog: IDataCatalog;
  /** The lake that holds the targets. */
  readonly dataLake: IDataLake;
}

/** What {@link DataCatalog} and an imported catalog share: ARNs and catalog grants. */
abstract class DataCatalogBase extends Construct implements IDataCatalog {
  public abstract readonly databaseName: string;
  public abstract readonly securityConfigurationName?: string;
  public abstract readonly securityConfigurationKey?: kms.IKey;

  /** The ARN of the Glue database. */
  public get databaseArn(): string {
    return Stack.of(this).formatArn({ service: 'glue', resource: 'database', resourceName: this.databaseName });
  }

  /** The ARN of the account's Data Catalog (every Glue catalog action names it too). */
  public get catalogArn(): string {
    return Stack.of(this).formatArn({ service: 'glue', resource: 'catalog' });
  }

  /** The ARN pattern of the database's tables. */
  public get tablesArn(): string {
    return Stack.of(this).formatArn({ service: 'glue', resource: 'table', resourceName: `${this.databaseName}/*` });
  }

  /**
   * Grants reading the database's definition and its tables' and partitions' metadata (not the data).
   *
   * @param grantee the principal to grant to (a role, a user, a function)
   */
  public grantReadCatalog(grantee: iam.IGrantable): iam.Grant {
    return this.grantCatalog(grantee, [
      'glue:GetDatabase',
      'glue:GetTable',
      'glue:GetTables',
      'glue:GetPartition',
      'glue:GetPartitions',
      'glue:BatchGetPartition',
    ]);
  }

  /**
   * Grants reading the catalog, and creating and updating tables and partitions (what crawlers, jobs and CTAS queries do); never deleting.
   *
   * @param grantee the principal to grant to (a role, a user, a function)
   */
  public grantWriteCatalog(grantee: iam.IGrantable): iam.Grant {
    return this.grantReadCatalog(grantee).combine(
      this.grantCatalog(grantee, [
        'glue:CreateTable',
        'glue:UpdateTable',
        'glue:CreatePartition',
        'glue:BatchCreatePartition',
        'glue:UpdatePartition',
        'glue:BatchUpdatePartition',
      ]),
    );
  }

  private grantCatalog(grantee: iam.IGrantable, actions: string[]): iam.Grant {
    const grant = iam.Grant.addToPrincipal({ grantee, actions, resourceArns: [this.catalogArn, this.databaseArn, this.tablesArn] });
    const principal = grantee.grantPrincipal as unknown as IConstruct;
    if (principal && typeof principal === 'object' && 'node' in principal) {
      acknowledgeWildcardResources(
        principal,
        [this.tablesArn],
        `Tables of the Glue database '${this.databaseName}' are created by crawlers and jobs at run time; the grant is limited to that one database.`,
      );
    }
    return grant;
  }
}

class ImportedDataCatalog extends DataCatalogBase {
  public readonly databaseName: string;
  public readonly securityConfigurationName?: string;
  public readonly securityConfigurationKey?: kms.IKey;

  constructor(scope: Construct, id: string, attrs: DataCatalogAttributes) {
    super(scope, id);
    validateDatabaseName(this, attrs.databaseName);
    this.databaseName = attrs.databaseName;
    this.securityConfigurationName = attrs.securityConfigurationName;
    this.securityConfigurationKey = attrs.securityConfigurationKey;
  }
}

/** Glue and Athena accept lower-case letters, digits and underscores in database names. */
function validateDatabaseName(scope: IConstruct, name: string): void {
  if (Token.isUnresolved(name)) return;
  if (!/^[a-z0-9_]{1,255}$/.test(name)) {
    throw invalidProp(scope, 'databaseName', 'must be 1 to 255 lower-case letters, digits or underscores (what Athena accepts)', name);
  }
}

/**
 * A crawler over prefixes of the lake (usually created by {@link DataCatalog.addCrawler}): it uses the catalog's
 * security configuration, adds new tables and partitions, never deletes or changes a table
 * (SchemaChangePolicy LOG), and crawls only folders that are new since its last run.
 */
export class LakeCrawler extends Construct {
  /** The crawler. */
  public readonly crawler: glue.CfnCrawler;
  /** The crawler's role: it reads only the crawler's own prefixes. */
  public readonly role: iam.Role;
  /** The name of the crawler. */
  public readonly crawlerName: string;

  /**
   * Defines a `LakeCrawler` in `scope`.
   *
   * @param scope the scope to define the construct in
   * @param id the construct's id, unique in `scope`
   * @param props the construct's configuration, see `LakeCrawlerProps`
   */
  constructor(scope: Construct, id: string, props: LakeCrawlerProps) {
    super(scope, id);
    const { catalog, dataLake: lake, ...options } = props;
    if (catalog.securityConfigurationName === undefined) {
      throw invalidProp(this, 'catalog', 'must have a Glue security configuration (securityConfigurationName), which every crawler uses', catalog.databaseName);
    }
    if (options.targets.length === 0) throw invalidProp(this, 'targets', 'must name at least one zone prefix', []);
    const schedule = options.schedule?.expressionString;
    if (schedule !== undefined && !Token.isUnresolved(schedule) && !schedule.startsWith('cron(')) {
      throw invalidProp(this, 'schedule', 'must be a cron(...) schedule (Glue crawlers take no rate(...))', schedule);
    }
    if (options.tablePrefix !== undefined && !Token.isUnresolved(options.tablePrefix) && !/^[a-z0-9_]{1,128}$/.test(options.tablePrefix)) {
      throw invalidProp(this, 'tablePrefix', 'must be 1 to 128 lower-case letters, digits or underscores', options.tablePrefix);
    }
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('glue.amazonaws.com'),
      description: `Glue crawler ${this.node.path}: reads its own lake prefixes and writes the catalog`,
    });
    acknowledgeInlinePolicy(this.role);
    const targets = options.targets.map((t) => {
      const prefix = plainPrefix(this, 'targets.prefix', t.prefix);
      grantLocation(lake, this.role, t.zone, prefix, false);
      return { path: lake.s3Uri(t.zone, prefix || undefined), exclusions: options.exclusions };
    });
    catalog.grantWriteCatalog(this.role);
    grantGlueLogs(this, this.role, 'crawlers', catalog.securityConfigurationKey);

    this.crawler = new glue.CfnCrawler(this, 'Resource', {
      role: this.role.roleArn,
      databaseName: catalog.databaseName,
      description: options.description,
      targets: { s3Targets: targets },
      crawlerSecurityConfiguration: catalog.securityConfigurationName,
      // Never delete or rewrite a table that queries or jobs rely on; CRAWL_NEW_FOLDERS_ONLY requires LOG for both.
      schemaChangePolicy: { updateBehavior: 'LOG', deleteBehavior: 'LOG' },
      recrawlPolicy: { recrawlBehavior: 'CRAWL_NEW_FOLDERS_ONLY' },
      schedule: schedule ? { scheduleExpression: schedule } : undefined,
      tablePrefix: options.tablePrefix,
      configuration: JSON.stringify({ Version: 1.0, Grouping: { TableGroupingPolicy: 'CombineCompatibleSchemas' } }),
    });
    this.crawlerName = this.crawler.ref;
  }
}

/**
 * Lets a Glue role write its logs to the `/aws-glue/<kind>` log groups, encrypted with the security
 * configuration's key (Glue associates the key with the log group, so the role needs
 * `logs:AssociateKmsKey` and the key).
 *
 * @see https://docs.aws.amazon.com/glue/latest/dg/encryption-security-configuration.html
 */
export function grantGlueLogs(scope: IConstruct, role: iam.Role, kind: string, key: kms.IKey | undefined): void {
  const stack = Stack.of(scope);
  const logGroups = stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: `/aws-glue/${kind}*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:AssociateKmsKey'],
      resources: [logGroups],
    }),
  );
  key?.grant(role, 'kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey');
  acknowledgeWildcardResources(
    role,
    [logGroups],
    `Glue names its log groups and streams after the ${kind === 'jobs' ? 'job' : 'crawler'}, its role and the security configuration at run time; the grant is limited to Glue's /aws-glue/${kind} log groups.`,
  );
}

/**
 * The Glue Data Catalog database of the lake, with the one security configuration that every crawler
 * and job uses: S3 writes SSE-KMS with the lake's key, CloudWatch Logs SSE-KMS and job bookmarks
 * CSE-KMS with the catalog's key (cdk-nag GL1 and GL3). Crawlers are added with {@link addCrawler}.
 *
 * The database is retained by default.
 */
export class DataCatalog extends DataCatalogBase {
  /**
   * Imports an existing Glue database.
   *
   * @param scope the scope to define the imported construct in
   * @param id the id of the imported construct, unique in `scope`
   * @param attrs what identifies the existing database (and its security configuration, where known)
   */
  public static fromDataCatalogAttributes(scope: Construct, id: string, attrs: DataCatalogAttributes): IDataCatalog {
    return new ImportedDataCatalog(scope, id, attrs);
  }

  /** The lake that the catalog describes. */
  public readonly dataLake: IDataLake;
  /** The Glue database. */
  public readonly database: glue.CfnDatabase;
  /** The name of the Glue database. */
  public readonly databaseName: string;
  /** The security configuration of every crawler and job. */
  public readonly securityConfiguration: glue.CfnSecurityConfiguration;
  /** Its name (always set here; optional only because an imported catalog may have none). */
  public readonly securityConfigurationName?: string;
  /** The key of the Glue logs and job bookmarks. */
  public readonly encryptionKey: kms.IKey;
  /** The same key, as {@link IDataCatalog} names it (always set here). */
  public readonly securityConfigurationKey?: kms.IKey;
  /** The crawlers added so far. */
  public readonly crawlers: LakeCrawler[] = [];

  /**
   * Defines a `DataCatalog` in `scope`.
   *
   * @param scope the scope to define the construct in
   * @param id the construct's id, unique in `scope`
   * @param props the construct's configuration, see `DataCatalogProps`
   */
  constructor(scope: Construct, id: string, props: DataCatalogProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.dataLake = props.dataLake;
    this.databaseName = props.databaseName ?? Names.uniqueResourceName(this, { maxLength: 64, separator: '_' }).toLowerCase().replace(/[^a-z0-9_]/g, '_');
    validateDatabaseName(this, this.databaseName);

    this.encryptionKey =
      props.encryptionKey ??
      restrictGrantsToAwsServices(new kms.Key(this, 'Key', {
        description: `Encrypts the Glue logs and job bookmarks of the data catalog ${this.node.path}`,
        enableKeyRotation: true,
        removalPolicy,
      }));
    if (!props.encryptionKey) allowCloudWatchLogs(this.encryptionKey);
    this.securityConfigurationKey = this.encryptionKey;

    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: Stack.of(this).account,
      databaseInput: { name: this.databaseName, description: props.description },
    });
    this.database.applyRemovalPolicy(removalPolicy);

    // Security configurations are named, and the name is unique per account and Region: the stack name keeps two deployments apart.
    const stack = Stack.of(this);
    const securityConfigurationName = `${stack.stackName}-${Names.uniqueResourceName(this, { maxLength: 64 })}`.slice(0, 128);
    this.securityConfigurationName = securityConfigurationName;
    this.securityConfiguration = new glue.CfnSecurityConfiguration(this, 'SecurityConfiguration', {
      name: securityConfigurationName,
      encryptionConfiguration: {
        s3Encryptions: [{ s3EncryptionMode: 'SSE-KMS', kmsKeyArn: props.dataLake.encryptionKey.keyArn }],
        cloudWatchEncryption: { cloudWatchEncryptionMode: 'SSE-KMS', kmsKeyArn: this.encryptionKey.keyArn },
        jobBookmarksEncryption: { jobBookmarksEncryptionMode: 'CSE-KMS', kmsKeyArn: this.encryptionKey.keyArn },
      },
    });
  }

  /**
   * Adds a crawler over zone prefixes of the lake, writing tables into this database.
   *
   * @param id the id of the crawler construct, unique in this catalog
   * @param options the zone prefixes to crawl and when to crawl them
   */
  public addCrawler(id: string, options: LakeCrawlerOptions): LakeCrawler {
    const crawler = new LakeCrawler(this, id, { ...options, catalog: this, dataLake: this.dataLake });
    crawler.node.addDependency(this.securityConfiguration, this.database);
    this.crawlers.push(crawler);
    return crawler;
  }
}

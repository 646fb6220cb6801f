import { Names, RemovalPolicy, Size, Stack, Token } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';
import { invalidProp, validateNumber } from '../common/errors';
import { acknowledgeCrossStackReference } from '../common/nag';
import { plainPrefix } from '../common/s3-access';
import { DataLakeZone, IDataLake } from '../data-lake/data-lake';
import { DataLakeLocation, IDataCatalog } from './data-catalog';
import { grantLocation } from '../data-lake/private/location-grants';

/**
 * An Athena workgroup for SQL over the lake. Notebooks and teams take this interface, so that a team can
 * bring the workgroup it already has.
 */
export interface IAnalyticsWorkgroup extends IConstruct {
  /** The name of the workgroup. */
  readonly workgroupName: string;
  /** The ARN of the workgroup. */
  readonly workgroupArn: string;
  /**
   * Grants exactly what running queries in this workgroup needs: Athena on this workgroup only, Glue
   * catalog read on its database, S3 read of the data prefixes and write of the results prefix, and
   * the KMS actions on the lake's key.
   *
   * @param grantee the principal to grant to (a role, a user, a function)
   */
  grantQuery(grantee: iam.IGrantable): iam.Grant;
}

/**
 * The smallest per-query cutoff: the CloudFormation schema's minimum is 10,000,000 bytes and some
 * documentation says 10 MB; 10 MiB satisfies both.
 *
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-athena-workgroup-workgroupconfiguration.html
 */
export const MIN_BYTES_SCANNED_CUTOFF = 10 * 1024 * 1024;

/** A SQL statement to ship as a named query of the workgroup. */
export interface NamedQueryDefinition {
  /** The name shown in the Athena console (1 to 128 characters). */
  readonly name: string;
  /** The SQL. */
  readonly sql: string;
  /**
   * A description.
   * @default - none
   */
  readonly description?: string;
}

/**
 * A CTAS that rewrites a table as bucketed Parquet with a fixed number of files: the SQL path to even
 * splits (each bucket is one file, rows spread by the hash of the bucket columns).
 */
export interface BucketedParquetCopy {
  /** The table to read, in the workgroup's database. */
  readonly sourceTable: string;
  /** The table to create, in the workgroup's database. */
  readonly targetTable: string;
  /** The columns whose hash picks each row's bucket: high-cardinality columns split evenly. */
  readonly bucketColumns: string[];
  /** The number of buckets, i.e. of files: at least 1. */
  readonly bucketCount: number;
  /** Where the new table's files go, in the curated zone. Must be empty when the query runs (CTAS refuses otherwise). */
  readonly targetPrefix: string;
}

/** The settings of an {@link AnalyticsWorkgroup} that a stack does not wire (its option bag). */
export interface AnalyticsWorkgroupOptions {
  /**
   * The lake locations that queries may read.
   * @default - the curated zone
   */
  readonly dataLocations?: DataLakeLocation[];
  /**
   * The prefix of the artifacts zone that receives query results.
   * @default 'athena/results/<workgroup name>'
   */
  readonly resultsPrefix?: string;
  /**
   * The most data one query may scan before Athena cancels it: at least 10 MiB.
   * @default Size.gibibytes(100)
   */
  readonly bytesScannedCutoffPerQuery?: Size;
  /**
   * The name of the workgroup: letters, digits, `.`, `_` and `-`, 1 to 128.
   * @default - derived from the construct path
   */
  readonly workgroupName?: string;
  /**
   * Tables to rewrite as bucketed Parquet with N files, each shipped as a CTAS named query; `grantQuery`
   * then also lets the grantee write their target prefixes and create tables in the database.
   * @default - none
   */
  readonly bucketedCopies?: BucketedParquetCopy[];
  /**
   * More SQL to ship as named queries.
   * @default - none
   */
  readonly namedQueries?: NamedQueryDefinition[];
  /**
   * What happens to the workgroup (and its saved queries) when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Properties of an {@link AnalyticsWorkgroup}. */
export interface AnalyticsWorkgroupProps extends AnalyticsWorkgroupOptions {
  /** The lake: query results go to its artifacts zone, encrypted with its key. */
  readonly dataLake: IDataLake;
  /** The Glue database that queries read. */
  readonly catalog: IDataCatalog;
}

const IDENTIFIER = /^[a-z0-9_]{1,255}$/;
const COLUMN = /^[a-z_][a-z0-9_]*$/;

/**
 * The SQL of a CTAS that rewrites `sourceTable` as Snappy Parquet in `bucketCount` buckets (files).
 *
 * @see https://docs.aws.amazon.com/athena/latest/ug/ctas-partitioning-and-bucketing.html
 */
export function bucketedParquetCtas(database: string, copy: BucketedParquetCopy, location: string): string {
  const columns = copy.bucketColumns.map((c) => `'${c}'`).join(', ');
  return [
    `CREATE TABLE "${database}"."${copy.targetTable}"`,
    'WITH (',
    "  format = 'PARQUET',",
    "  write_compression = 'SNAPPY',",
    `  external_location = '${location}',`,
    `  bucketed_by = ARRAY[${columns}],`,
    `  bucket_count = ${copy.bucketCount}`,
    ') AS',
    `SELECT * FROM "${database}"."${copy.sourceTable}"`,
  ].join('\n');
}

/**
 * An Athena workgroup over the lake: enforced configuration, engine version 3, CloudWatch metrics,
 * results SSE-KMS with the lake's key in a prefix of the artifacts zone, and a per-query cutoff of
 * bytes scanned. It ships SQL as named queries: a table listing of the database, a bucketed-Parquet
 * CTAS per `bucketedCopies` entry, and any `namedQueries`.
 */
export class AnalyticsWorkgroup extends Construct implements IAnalyticsWorkgroup {
  /**
   * Imports an existing workgroup. Its `grantQuery` grants Athena on the workgroup and catalog read only: the lake locations are the owner's to grant.
   *
   * @param scope the scope to define the imported construct in
   * @param id the id of the imported construct, unique in `scope`
   * @param workgroupName the name of the existing Athena workgroup
   * @param catalog the Glue database the workgroup queries
   */
  public static fromWorkgroupName(scope: Construct, id: string, workgroupName: string, catalog: IDataCatalog): IAnalyticsWorkgroup {
    class Imported extends Construct implements IAnalyticsWorkgroup {
      public readonly workgroupName = workgroupName;
      public readonly workgroupArn = Stack.of(scope).formatArn({ service: 'athena', resource: 'workgroup', resourceName: workgroupName });
      public grantQuery(grantee: iam.IGrantable): iam.Grant {
        return grantAthena(grantee, this.workgroupArn).combine(catalog.grantReadCatalog(grantee));
      }
    }
    return new Imported(scope, id);
  }

  /** The workgroup. */
  public readonly workgroup: athena.CfnWorkGroup;
  /** The name of the workgroup. */
  public readonly workgroupName: string;
  /** The ARN of the workgroup. */
  public readonly workgroupArn: string;
  /** The S3 URI of the query results. */
  public readonly resultsLocation: string;
  /** The named queries, by name. */
  public readonly namedQueries: Record<string, athena.CfnNamedQuery> = {};

  private readonly props: AnalyticsWorkgroupProps;
  private readonly resultsPrefix: string;
  private readonly dataLocations: DataLakeLocation[];

  /**
   * Defines a `AnalyticsWorkgroup` in `scope`.
   *
   * @param scope the scope to define the construct in
   * @param id the construct's id, unique in `scope`
   * @param props the construct's configuration, see `AnalyticsWorkgroupProps`
   */
  constructor(scope: Construct, id: string, props: AnalyticsWorkgroupProps) {
    super(scope, id);
    this.props = props;
    const name = props.workgroupName ?? Names.uniqueResourceName(this, { maxLength: 128, allowedSpecialCharacters: '-_.' });
    if (!Token.isUnresolved(name) && !/^[a-zA-Z0-9._-]{1,128}$/.test(name)) {
      throw invalidProp(this, 'workgroupName', 'must be 1 to 128 letters, digits, periods, underscores or hyphens', name);
    }
    const cutoff = props.bytesScannedCutoffPerQuery ?? Size.gibibytes(100);
    if (cutoff.isUnresolved()) throw invalidProp(this, 'bytesScannedCutoffPerQuery', 'must be a literal size, not a token', 'a token');
    const cutoffBytes = cutoff.toBytes();
    validateNumber(this, 'bytesScannedCutoffPerQuery', cutoffBytes, { integer: true, min: MIN_BYTES_SCANNED_CUTOFF });
    this.resultsPrefix = plainPrefix(this, 'resultsPrefix', props.resultsPrefix ?? `athena/results/${name}`);
    this.dataLocations = props.dataLocations ?? [{ zone: DataLakeZone.CURATED }];
    if (this.dataLocations.length === 0) throw invalidProp(this, 'dataLocations', 'must name at least one lake location', []);
    for (const location of this.dataLocations) plainPrefix(this, 'dataLocations.prefix', location.prefix);
    this.resultsLocation = props.dataLake.s3Uri(DataLakeZone.ARTIFACTS, this.resultsPrefix);

    if (Stack.of(props.dataLake.encryptionKey) !== Stack.of(this)) {
      acknowledgeCrossStackReference(this, 'athena_workgroup_results_encrypted_at_rest_kms_check', 'The results\u2019 EncryptionConfiguration (SSE_KMS with the lake\u2019s key)');
    }
    this.workgroup = new athena.CfnWorkGroup(this, 'Resource', {
      name,
      description: `Queries over the lake's Glue database (${this.node.path})`,
      state: 'ENABLED',
      recursiveDeleteOption: false,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: cutoffBytes,
        resultConfiguration: {
          outputLocation: this.resultsLocation,
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: props.dataLake.encryptionKey.keyArn },
        },
      },
    });
    this.workgroup.applyRemovalPolicy(props.removalPolicy ?? RemovalPolicy.RETAIN);
    this.workgroupName = this.workgroup.ref;
    this.workgroupArn = Stack.of(this).formatArn({ service: 'athena', resource: 'workgroup', resourceName: this.workgroupName });

    const db = props.catalog.databaseName;
    this.addNamedQuery('ListTables', {
      name: 'list-tables',
      description: 'The tables of the lake database and their locations',
      sql: `SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = '${db}' ORDER BY table_name`,
    });
    (props.bucketedCopies ?? []).forEach((copy, i) => {
      this.validateCopy(copy);
      const location = props.dataLake.s3Uri(DataLakeZone.CURATED, plainPrefix(this, 'bucketedCopies.targetPrefix', copy.targetPrefix));
      this.addNamedQuery(`BucketedCopy${i + 1}`, {
        name: `bucketed-parquet-${copy.targetTable}`.slice(0, 128),
        description: `Rewrites ${copy.sourceTable} as Parquet in ${copy.bucketCount} even files (bucketed by ${copy.bucketColumns.join(', ')}); ${location} must be empty`,
        sql: bucketedParquetCtas(db, copy, location),
      });
    });
    (props.namedQueries ?? []).forEach((q, i) => this.addNamedQuery(`NamedQuery${i + 1}`, q));
  }

  /**
   * Grants exactly what running queries in this workgroup needs: Athena on this workgroup only, Glue catalog read on its database, S3 read of the data prefixes and write of the results prefix, and the KMS actions on the lake's key.
   *
   * @param grantee the principal to grant to (a role, a user, a function)
   */
  public grantQuery(grantee: iam.IGrantable): iam.Grant {
    const lake = this.props.dataLake;
    const copies = this.props.bucketedCopies ?? [];
    let grant = grantAthena(grantee, this.workgroupArn).combine(
      copies.length ? this.props.catalog.grantWriteCatalog(grantee) : this.props.catalog.grantReadCatalog(grantee),
    );
    for (const location of this.dataLocations) {
      const prefix = plainPrefix(this, 'dataLocations.prefix', location.prefix);
      grant = grant.combine(grantLocation(lake, grantee, location.zone, prefix, false));
    }
    grant = grant.combine(lake.grantReadWrite(grantee, DataLakeZone.ARTIFACTS, this.resultsPrefix));
    for (const copy of copies) grant = grant.combine(lake.grantWrite(grantee, DataLakeZone.CURATED, plainPrefix(this, 'bucketedCopies.targetPrefix', copy.targetPrefix)));
    // Athena checks the results bucket's Region before writing.
    return grant.combine(
      iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetBucketLocation'], resourceArns: [lake.bucket(DataLakeZone.ARTIFACTS).bucketArn] }),
    );
  }

  private addNamedQuery(id: string, query: NamedQueryDefinition): void {
    if (!Token.isUnresolved(query.name) && (query.name.length < 1 || query.name.length > 128)) {
      throw invalidProp(this, 'namedQueries.name', 'must be 1 to 128 characters', query.name);
    }
    if (this.namedQueries[query.name]) throw invalidProp(this, 'namedQueries.name', 'must be unique in the workgroup', query.name);
    if (!Token.isUnresolved(query.sql) && (query.sql.trim().length === 0 || query.sql.length > 262144)) {
      throw invalidProp(this, 'namedQueries.sql', 'must be 1 to 262,144 characters of SQL', query.sql.slice(0, 40));
    }
    this.namedQueries[query.name] = new athena.CfnNamedQuery(this, id, {
      name: query.name,
      description: query.description,
      database: this.props.catalog.databaseName,
      workGroup: this.workgroupName,
      queryString: query.sql,
    });
  }

  private validateCopy(copy: BucketedParquetCopy): void {
    for (const [prop, table] of [['sourceTable', copy.sourceTable], ['targetTable', copy.targetTable]] as const) {
      if (!Token.isUnresolved(table) && !IDENTIFIER.test(table)) {
        throw invalidProp(this, `bucketedCopies.${prop}`, 'must be 1 to 255 lower-case letters, digits or underscores', table);
      }
    }
    if (copy.bucketColumns.length === 0) throw invalidProp(this, 'bucketedCopies.bucketColumns', 'must name at least one column', []);
    for (const column of copy.bucketColumns) {
      if (!Token.isUnresolved(column) && !COLUMN.test(column)) {
        throw invalidProp(this, 'bucketedCopies.bucketColumns', 'must hold lower-case column names (letters, digits, underscores)', column);
      }
    }
    if (Token.isUnresolved(copy.bucketCount)) throw invalidProp(this, 'bucketedCopies.bucketCount', 'must be a literal number, not a token', 'a token');
    validateNumber(this, 'bucketedCopies.bucketCount', copy.bucketCount, { integer: true, min: 1 });
    if (!plainPrefix(this, 'bucketedCopies.targetPrefix', copy.targetPrefix)) {
      throw invalidProp(this, 'bucketedCopies.targetPrefix', 'must be a prefix of the curated zone, not the whole zone', copy.targetPrefix);
    }
  }
}

/** Athena actions on one workgroup: run, follow, stop and read queries, and read its saved queries. */
function grantAthena(grantee: iam.IGrantable, workgroupArn: string): iam.Grant {
  return iam.Grant.addToPrincipal({
    grantee,
    actions: [
      'athena:GetWorkGroup',
      'athena:StartQueryExecution',
      'athena:StopQueryExecution',
      'athena:GetQueryExecution',
      'athena:BatchGetQueryExecution',
      'athena:ListQueryExecutions',
      'athena:GetQueryResults',
      'athena:GetQueryResultsStream',
      'athena:GetQueryRuntimeStatistics',
      'athena:GetNamedQuery',
      'athena:BatchGetNamedQuery',
      'athena:ListNamedQueries',
    ],
    resourceArns: [workgroupArn],
  });
}

import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';

/**
 * A Glue database that describes tables in the lake. Analytics and notebooks take this interface, so
 * that a team can bring the catalog database it already has.
 */
export interface IDataCatalog extends IConstruct {
  /** The name of the Glue database. */
  readonly databaseName: string;
  /** The ARN of the Glue database. */
  readonly databaseArn: string;
  /** Grants reading the database's definition and its tables' and partitions' metadata (not the data). */
  grantReadCatalog(grantee: iam.IGrantable): iam.Grant;
}

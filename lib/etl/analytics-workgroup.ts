import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';

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
   */
  grantQuery(grantee: iam.IGrantable): iam.Grant;
}

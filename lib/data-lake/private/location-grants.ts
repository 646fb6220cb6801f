import * as iam from 'aws-cdk-lib/aws-iam';
import { DataLakeZone, IDataLake } from '../data-lake';

/**
 * Grants read (or read and write) on a lake location: its prefix, or the whole zone when a location names
 * no prefix, which `DataLakeLocation` documents as the whole zone. The whole-zone grant goes through the
 * lake's explicit `grant*Zone` methods, so that its cdk-nag acknowledgement says so.
 */
export function grantLocation(lake: IDataLake, grantee: iam.IGrantable, zone: DataLakeZone, prefix: string, write: boolean): iam.Grant {
  if (prefix) return write ? lake.grantReadWrite(grantee, zone, prefix) : lake.grantRead(grantee, zone, prefix);
  return write ? lake.grantReadWriteZone(grantee, zone) : lake.grantReadZone(grantee, zone);
}

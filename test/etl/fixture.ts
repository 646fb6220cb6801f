import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { DataLake, IDataLake } from '../../lib';
import { testApp } from '../util/app';

/**
 * A stack with a data lake, in a test app with cdk.json's feature flags. `imported` gives a cheaper
 * imported lake, for tests that only check input validation.
 */
export function lakeStack(id = 'Test', imported = false): { stack: Stack; lake: IDataLake } {
  const stack = new Stack(testApp(), id);
  if (!imported) return { stack, lake: new DataLake(stack, 'Lake') };
  const encryptionKey = kms.Key.fromKeyArn(stack, 'LakeKey', 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab');
  return {
    stack,
    lake: DataLake.fromDataLakeAttributes(stack, 'Lake', { rawBucketName: 'raw', curatedBucketName: 'curated', artifactsBucketName: 'artifacts', encryptionKey }),
  };
}

/** The statements of every IAM policy attached to a role whose logical ID starts with `rolePrefix`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- IAM statements as CloudFormation renders them
export function statementsOf(template: Template, rolePrefix: string): Array<Record<string, any>> {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(rolePrefix))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

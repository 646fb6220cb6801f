import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { DataLake } from '../../lib';
import { testApp } from '../util/app';

/** A stack with a data lake, in a test app with cdk.json's feature flags. */
export function lakeStack(id = 'Test'): { stack: Stack; lake: DataLake } {
  const stack = new Stack(testApp(), id);
  return { stack, lake: new DataLake(stack, 'Lake') };
}

/** The statements of every IAM policy attached to a role whose logical ID starts with `rolePrefix`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- IAM statements as CloudFormation renders them
export function statementsOf(template: Template, rolePrefix: string): Array<Record<string, any>> {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(rolePrefix))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

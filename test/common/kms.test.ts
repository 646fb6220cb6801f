import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { restrictGrantsToAwsServices } from '../../lib/common/kms';

test('denies kms:CreateGrant to every principal unless an AWS service asks for it (Control Tower CT.KMS.PR.3)', () => {
  // GIVEN
  const stack = new Stack();
  // WHEN
  const key = restrictGrantsToAwsServices(new kms.Key(stack, 'Key', { enableKeyRotation: true }));
  // THEN
  expect(key).toBeInstanceOf(kms.Key);
  const statements = Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(key.node.defaultChild as kms.CfnKey)].Properties.KeyPolicy.Statement;
  expect(statements).toContainEqual({
    Sid: 'DenyGrantsOutsideAwsServices',
    Effect: 'Deny',
    Principal: { AWS: '*' },
    Action: 'kms:CreateGrant',
    Resource: '*',
    Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
  });
});

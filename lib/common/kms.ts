import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';

/**
 * Adds the key-policy statement of Control Tower's CT.KMS.PR.3 to a key the library creates: nobody
 * creates a grant on it except through an AWS service that integrates with KMS (EBS, FSx, Redshift,
 * SageMaker... set `kms:GrantIsForAWSResource`) or a service principal. A grant is a second,
 * policy-independent path to the key; this keeps that path to the services the key serves.
 *
 * @see https://docs.aws.amazon.com/controltower/latest/controlreference/kms-rules.html#ct-kms-pr-3-description
 */
export function restrictGrantsToAwsServices<K extends kms.Key>(key: K): K {
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'DenyGrantsOutsideAwsServices',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['kms:CreateGrant'],
      resources: ['*'],
      conditions: {
        BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
      },
    }),
  );
  return key;
}

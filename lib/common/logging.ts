import { Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { IConstruct } from 'constructs';
import { invalidProp } from './errors';

/**
 * The retention of a log group the library creates: a year unless given, and never less (Control
 * Tower's CT.CLOUDWATCH.PR.1 and most audit regimes ask for a year).
 */
export function logRetention(scope: IConstruct, prop: string, retention: logs.RetentionDays | undefined): logs.RetentionDays {
  const value = retention ?? logs.RetentionDays.ONE_YEAR;
  if (value < logs.RetentionDays.ONE_YEAR) throw invalidProp(scope, prop, 'must keep logs at least 365 days', value);
  return value;
}

/**
 * Lets CloudWatch Logs in the key's Region use a key for this account's log groups. CloudWatch Logs
 * encrypts on the caller's behalf, so the key policy must name it; the encryption-context condition
 * keeps it to log groups of this account and Region. No-op on an imported key, whose policy is its owner's.
 *
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
 */
export function allowCloudWatchLogs(key: kms.IKey): void {
  const stack = Stack.of(key);
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowCloudWatchLogs',
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*`,
        },
      },
    }),
  );
}

/**
 * Throws unless a Step Functions state machine timeout is within what Standard workflows allow:
 * from a minute (shorter would cut off any Batch job) to a year (the service's maximum run time).
 */
export function validateStateMachineTimeout(scope: IConstruct, prop: string, timeout: Duration): void {
  if (timeout.isUnresolved()) return;
  const seconds = timeout.toSeconds();
  if (seconds < 60 || seconds > 365 * 24 * 3600) throw invalidProp(scope, prop, 'must be from 1 minute to 365 days', timeout.toHumanString());
}

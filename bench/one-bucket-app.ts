/**
 * The baseline of bench/synth-ratio.ts: one stack holding one bucket, synthesized with the reference
 * app's feature flags (cdk.json, copied by the benchmark) and the same rule packs (bin/compliance.ts).
 */
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { addCompliancePlugins } from '../bin/compliance';

const app = new App();
const stack = new Stack(app, 'OneBucket');
new s3.Bucket(stack, 'Bucket', {
  enforceSSL: true,
  serverAccessLogsPrefix: 'logs/',
  encryption: s3.BucketEncryption.S3_MANAGED,
  versioned: true,
});
// Every pack runs over the bucket in full; what it finds is acknowledged, since the baseline's findings are
// not under test (they would fail its synth).
const reason = 'the synth benchmark\'s baseline bucket: only the time of the checks is measured';
for (const rule of ['S3BucketPublicReadProhibited', 'S3BucketPublicWriteProhibited', 'S3BucketReplicationEnabled', 'S3DefaultEncryptionKMS']) {
  Validations.of(stack).acknowledge({ id: `NIST.800.53.R5-${rule}`, reason }, { id: `HIPAA.Security-${rule}`, reason });
}
for (const rule of [
  's3_bucket_default_encryption_kms_check',
  's3_bucket_level_public_access_prohibited_check',
  's3_bucket_object_lock_enabled_check',
  's3_event_notifications_enabled_check',
  's3_lifecycle_policy_check',
  's3_version_lifecycle_policy_check',
]) {
  Validations.of(stack).acknowledge({ id: `cdk-validator-cfnguard::${rule}`, reason });
}
addCompliancePlugins(app);
app.synth();

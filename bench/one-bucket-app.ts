/**
 * The baseline of bench/synth-ratio.ts: one stack holding one bucket, synthesized with the reference
 * app's feature flags (cdk.json, copied by the benchmark) and the same rule packs (bin/compliance.ts).
 */
import { App, Stack } from 'aws-cdk-lib';
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
addCompliancePlugins(app);
app.synth();

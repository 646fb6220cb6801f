/**
 * The whole reference app as `cdk synth` builds it: aws-cdk-lib's CloudFormation schema validation
 * stays ON in this file (the other unit tests switch it off for speed), and cdk-nag's AwsSolutions
 * pack must find nothing that is not acknowledged.
 */
process.env.CDK_VALIDATION = 'true';

import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { referenceApp } from './fixture';

test('synthesizes with schema validation on and cdk-nag registered, without errors', () => {
  const { app } = referenceApp();
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const assembly = app.synth();
  expect(assembly.stacks.map((s) => s.stackName).sort()).toEqual(expect.arrayContaining(['MlAtScale-DataLake', 'MlAtScale-Network']));
});

test('has no unacknowledged AwsSolutions finding in any stack', () => {
  const { app } = referenceApp();
  app.synth();
  const report = new AwsSolutionsChecks(app).validateScope(app);
  expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
});

test('fails the synth when a template breaks the CloudFormation schema', () => {
  const { app, stacks } = referenceApp();
  const bucket = stacks.dataLake.dataLake.rawBucket.node.defaultChild as import('aws-cdk-lib').CfnResource;
  bucket.addPropertyOverride('NotAProperty', true);
  expect(() => app.synth()).toThrow(/NotAProperty: Additional properties are not allowed/);
});

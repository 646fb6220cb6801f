import { AwsSolutionsChecks } from 'cdk-nag';
import { referenceApp } from './fixture';

// The whole reference app, once: cdk-nag's AwsSolutions pack must find nothing unacknowledged.
// (CloudFormation schema validation of every stack runs in `cdk synth` in CI; see schema-validation.test.ts.)
const { app, stacks } = referenceApp();
app.synth();

test('creates every reference stack', () => {
  expect(Object.keys(stacks).length).toBeGreaterThanOrEqual(2);
});

test('has no unacknowledged AwsSolutions finding in any stack', () => {
  const report = new AwsSolutionsChecks(app).validateScope(app);
  expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
});

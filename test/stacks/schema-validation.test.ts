/**
 * aws-cdk-lib's CloudFormation schema validation stays ON in this file (the other unit tests switch
 * it off for speed; `cdk synth` in CI runs it, and cdk-nag, over every stack of the reference app). Loading
 * the schemas costs seconds per process, so this file proves the mechanism on one stack: a valid stack
 * passes, and the same stack with a property the schema does not know fails the synth.
 */
const validationBefore = process.env.CDK_VALIDATION;
process.env.CDK_VALIDATION = 'true';

import { CfnResource, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DataLakeStack } from '../../lib';
import { testApp } from '../util/app';

// Put the switch back for whatever runs next in this process.
afterAll(() => {
  if (validationBefore === undefined) delete process.env.CDK_VALIDATION;
  else process.env.CDK_VALIDATION = validationBefore;
});

test('a stack synthesizes with schema validation and cdk-nag on, without errors', () => {
  const app = testApp({ context: { '@aws-cdk/core:validateAgainstDefaultRules': true } });
  new DataLakeStack(app, 'DataLake');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  expect(app.synth().stacks.map((s) => s.stackName)).toEqual(['DataLake']);
});

test('a template that breaks the CloudFormation schema fails the synth', () => {
  const app = testApp({ context: { '@aws-cdk/core:validateAgainstDefaultRules': true } });
  const dataLake = new DataLakeStack(app, 'DataLake');
  (dataLake.dataLake.rawBucket.node.defaultChild as CfnResource).addPropertyOverride('NotAProperty', true);
  expect(() => app.synth()).toThrow(/NotAProperty: Additional properties are not allowed/);
});

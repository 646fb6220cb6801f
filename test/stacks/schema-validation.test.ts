/**
 * aws-cdk-lib's CloudFormation schema validation stays ON in this file (the other unit tests switch
 * it off for speed; `cdk synth` in CI runs it over every stack). It costs about 3 s per stack, so this
 * file validates the foundation stacks only.
 */
process.env.CDK_VALIDATION = 'true';

import { CfnResource, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DataLakeStack, NetworkStack } from '../../lib';
import { testApp } from '../util/app';

function foundationApp() {
  const app = testApp({ context: { '@aws-cdk/core:validateAgainstDefaultRules': true } });
  const network = new NetworkStack(app, 'Network');
  const dataLake = new DataLakeStack(app, 'DataLake');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, network, dataLake };
}

test('the foundation stacks synthesize with schema validation and cdk-nag on, without errors', () => {
  const { app } = foundationApp();
  expect(app.synth().stacks.map((s) => s.stackName).sort()).toEqual(['DataLake', 'Network']);
});

test('a template that breaks the CloudFormation schema fails the synth', () => {
  const app = testApp({ context: { '@aws-cdk/core:validateAgainstDefaultRules': true } });
  const dataLake = new DataLakeStack(app, 'DataLake');
  (dataLake.dataLake.rawBucket.node.defaultChild as CfnResource).addPropertyOverride('NotAProperty', true);
  expect(() => app.synth()).toThrow(/NotAProperty: Additional properties are not allowed/);
});

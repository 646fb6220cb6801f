import * as fs from 'fs';
import * as path from 'path';
import { App, AppProps, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';

const cdkJson = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8')) as {
  context: Record<string, unknown>;
};

/**
 * The feature flags of cdk.json, so that tests synthesize what `cdk synth` does, with one exception:
 * annotations stay out of the validation report, which every synth of a stack with a warning would
 * otherwise print to the console. The flag changes reporting only, not templates; tests read warnings
 * from the construct tree (`Annotations.fromStack`, test/util/annotations.ts).
 */
export const FEATURE_FLAGS: Record<string, unknown> = {
  ...Object.fromEntries(Object.entries(cdkJson.context).filter(([key]) => key.startsWith('@aws-cdk'))),
  '@aws-cdk/core:annotationsInValidationReport': false,
};

/** The `ml-at-scale` block of cdk.json. */
export const CDK_JSON_CONFIG = cdkJson.context['ml-at-scale'];

/** A new app with cdk.json's feature flags (plus any context given). */
export function testApp(props: AppProps = {}): App {
  return new App({ ...props, context: { ...FEATURE_FLAGS, ...props.context } });
}

/** A new environment-agnostic stack in a new test app. */
export function testStack(id = 'Test'): Stack {
  return new Stack(testApp(), id);
}

/**
 * The AwsSolutions findings under a scope that no acknowledgement covers, as `RuleId at path` lines.
 * Synthesizes the app first: some acknowledgements are recorded during synthesis.
 */
export function nagFindings(scope: IConstruct): string[] {
  const stack = Stack.of(scope);
  Template.fromStack(stack);
  const app = stack.node.root as App;
  const report = new AwsSolutionsChecks(app).validateScope(scope);
  return report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`));
}

import * as fs from 'fs';
import * as path from 'path';
import { App, AppProps, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { acknowledgeRegulatedRule } from '../../lib/common/nag';

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
  // Speed, not templates: assets are referenced where they are instead of being copied into every test
  // app's output folder (five handler bundles per reference app), and no construct records the stack
  // trace of its creation. Asset hashes, and so templates, are unchanged.
  'aws:cdk:disable-asset-staging': true,
  'aws:cdk:disable-stack-trace': true,
  'aws:cdk:disable-creation-stack-traces': true,
};

/** The `ml-at-scale` block of cdk.json. */
export const CDK_JSON_CONFIG = cdkJson.context['ml-at-scale'];

/** A new app with cdk.json's feature flags (plus any context given). */
export function testApp(props: AppProps = {}): App {
  return new App({ treeMetadata: false, ...props, context: { ...FEATURE_FLAGS, ...props.context } });
}

/** A new environment-agnostic stack in a new test app. */
export function testStack(id = 'Test'): Stack {
  return new Stack(testApp(), id);
}

/**
 * The findings of cdk-nag's AwsSolutions, NIST 800-53 R5 and HIPAA Security packs under a scope that
 * no acknowledgement covers, as `RuleId at path` lines. Synthesizes the app first: some
 * acknowledgements are recorded during synthesis. (The Control Tower controls run on whole
 * templates with cfn-guard: test/stacks/compliance.test.ts runs them on the reference app.)
 */
export function nagFindings(scope: IConstruct): string[] {
  const stack = Stack.of(scope);
  Template.fromStack(stack);
  const app = stack.node.root as App;
  return [new AwsSolutionsChecks(app), new NIST80053R5Checks(app), new HIPAASecurityChecks(app)].flatMap((pack) =>
    pack.validateScope(scope).violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`)),
  );
}

/**
 * Marks a role that a test creates in place of a consumer's own role (a grantee): the grants that
 * the library writes into it land in its default policy, and whether that policy may be inline is
 * the owner's call (NIST/HIPAA `IAMNoInlinePolicy`), acknowledged here as the owner would.
 */
export function consumerRole<T extends IConstruct>(role: T): T {
  acknowledgeRegulatedRule(role, 'IAMNoInlinePolicy', 'A test stand-in for the consumer\u2019s own role; the library acknowledges this rule only on roles it creates.');
  return role;
}

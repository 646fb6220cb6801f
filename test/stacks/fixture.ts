import { App } from 'aws-cdk-lib';
import { loadConfig } from '../../bin/config';
import { createReferenceStacks, ReferenceStacks } from '../../bin/reference-app';
import { CDK_JSON_CONFIG, testApp } from '../util/app';

/** The reference app as `cdk synth` builds it from cdk.json, with extra context on top. */
export function referenceApp(context: Record<string, unknown> = {}): { app: App; stacks: ReferenceStacks } {
  const app = testApp({ context: { 'ml-at-scale': CDK_JSON_CONFIG, ...context } });
  const stacks = createReferenceStacks(app, loadConfig(app.node.getAllContext()));
  return { app, stacks };
}

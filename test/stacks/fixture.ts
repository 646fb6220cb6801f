import { App } from 'aws-cdk-lib';
import { loadConfig } from '../../bin/config';
import { createReferenceStacks, ReferenceStacks } from '../../bin/reference-app';
import { CDK_JSON_CONFIG, testApp } from '../util/app';

/**
 * The reference app as `cdk synth` builds it from cdk.json, with extra context on top.
 *
 * Asset bundling (esbuild for the sharder's Lambda handlers) is skipped: it costs seconds per app and
 * every stack test builds the whole app. test/sharding/dataset-sharder.test.ts and `cdk synth` bundle
 * for real; pass `'aws:cdk:bundling-stacks': ['**']` to bundle here too.
 */
export function referenceApp(context: Record<string, unknown> = {}): { app: App; stacks: ReferenceStacks } {
  const app = testApp({ context: { 'ml-at-scale': CDK_JSON_CONFIG, 'aws:cdk:bundling-stacks': [], ...context } });
  const stacks = createReferenceStacks(app, loadConfig(app.node.getAllContext()));
  return { app, stacks };
}

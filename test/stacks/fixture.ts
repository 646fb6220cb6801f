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

/**
 * Context that switches on every optional stack and option of the reference app: the edge stack with
 * its on-premises share, Spectrum and EMR Serverless, the notebook instance and a Studio domain with a
 * user profile, the shared file system, multi-node and fair-share training, the data trigger, reserved
 * concurrency and the alarm e-mail. `lockDir` holds the edge stack's recipe lock (never the repository's).
 */
export function everythingOnContext(lockDir: string): Record<string, unknown> {
  return {
    'ml-at-scale.edge.enabled': 'true',
    'ml-at-scale.edge.recipeLockFile': `${lockDir}/edge-recipes.lock.json`,
    'ml-at-scale.edge.onPremisesGatewayArn': 'arn:aws:storagegateway:eu-west-1:123456789012:gateway/sgw-12A3456B',
    'ml-at-scale.edge.onPremisesClientList': '["10.20.0.0/16"]',
    'ml-at-scale.etl.spectrumEnabled': 'true',
    'ml-at-scale.etl.sparkApplicationEnabled': 'true',
    'ml-at-scale.etl.crawlerSchedule': 'cron(0 2 * * ? *)',
    'ml-at-scale.notebooks.instanceEnabled': 'true',
    'ml-at-scale.notebooks.studioEnabled': 'true',
    'ml-at-scale.notebooks.studioUserProfiles': '["alice"]',
    'ml-at-scale.notebooks.submitPreprocessing': 'true',
    'ml-at-scale.storage.sharedFileSystemEnabled': 'true',
    'ml-at-scale.training.multiNodeCount': '2',
    'ml-at-scale.training.fairShareScheduling': 'true',
    'ml-at-scale.pipeline.triggerOnNewData': 'true',
    'ml-at-scale.pipeline.shardReservedConcurrency': '5',
    'ml-at-scale.monitoring.alarmEmail': 'ml-platform@example.com',
  };
}

let shared: { app: App; stacks: ReferenceStacks } | undefined;

/**
 * The default reference app (cdk.json's configuration, nothing on top), built once per test process
 * and shared by the files that only read it. jest-light-runner runs many files in one process, so a
 * worker builds it once rather than once per file; under an isolating runner it is built once per file.
 * Callers must not add to it (no constructs, no plugins, no aspects): build one of your own with
 * `referenceApp()` for that.
 */
export function sharedReferenceApp(): { app: App; stacks: ReferenceStacks } {
  shared ??= referenceApp();
  return shared;
}

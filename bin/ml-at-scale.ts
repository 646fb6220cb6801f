#!/usr/bin/env node
/** The reference app: reads the configuration, creates the stacks, and runs the rule packs (bin/compliance.ts) on every synth. */
import { App } from 'aws-cdk-lib';
import { addCompliancePlugins } from './compliance';
import { loadConfig, MlAtScaleConfig } from './config';
import { describeConstructError } from './config-keys';
import { createReferenceStacks } from './reference-app';

const app = new App();
let config: MlAtScaleConfig;
try {
  config = loadConfig(app.node.getAllContext());
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
try {
  createReferenceStacks(app, config);
  addCompliancePlugins(app);
  app.synth();
} catch (err) {
  // Bad input that a construct caught: one line naming the configuration key, no stack trace.
  const line = describeConstructError(err, config.stackPrefix);
  if (line === undefined) throw err;
  console.error(line);
  process.exit(1);
}

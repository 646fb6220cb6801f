#!/usr/bin/env node
/** The reference app: reads the configuration, creates the stacks, and runs cdk-nag on every synth. */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfig } from './config';
import { createReferenceStacks } from './reference-app';

const app = new App();
let config;
try {
  config = loadConfig(app.node.getAllContext());
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
createReferenceStacks(app, config);
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();

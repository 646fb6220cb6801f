import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { loadConfig } from '../bin/config';
import { createReferenceStacks } from '../bin/reference-app';
import { readAssemblyTemplates, StackTemplate } from '../lib/monitoring';

const CDK_JSON = path.join(__dirname, '..', 'cdk.json');

/**
 * Synthesizes the reference app in this process, with cdk.json's context plus `context` (as
 * `cdk synth -c` would), into a temporary folder, and returns its templates. The folder is removed.
 */
export function synthesizeReferenceApp(context: Record<string, unknown> = {}): StackTemplate[] {
  const cdkJson = JSON.parse(fs.readFileSync(CDK_JSON, 'utf8')) as { context: Record<string, unknown> };
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-at-scale-assembly-'));
  try {
    const app = new App({ outdir, context: { ...cdkJson.context, ...context } });
    createReferenceStacks(app, loadConfig(app.node.getAllContext()));
    app.synth();
    return readAssemblyTemplates(outdir);
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

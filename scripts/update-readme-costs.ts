/**
 * Rewrites the README's at-rest cost tables (default, dev and prod) from `npm run cost -- --summary`'s
 * model, so that the figures are the command's, never typed by hand. test/monitoring/at-rest-cost.test.ts
 * fails when they drift. Run: `npm run cost:readme`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { atRestCost, formatAtRestCostSummary } from '../lib/monitoring';
import { synthesizeReferenceApp } from './reference-assembly';

const README = path.join(__dirname, '..', 'README.md');
const CONFIGURATIONS: Record<string, Record<string, string>> = {
  default: {},
  dev: { 'ml-at-scale.preset': 'dev' },
  prod: { 'ml-at-scale.preset': 'prod' },
};

let readme = fs.readFileSync(README, 'utf8');
for (const [name, context] of Object.entries(CONFIGURATIONS)) {
  const table = formatAtRestCostSummary(atRestCost(synthesizeReferenceApp(context)));
  const block = new RegExp(`(<!-- cost:${name}:start -->\\n)[\\s\\S]*?(<!-- cost:${name}:end -->)`);
  if (!block.test(readme)) throw new Error(`README.md has no <!-- cost:${name}:start --> ... <!-- cost:${name}:end --> block`);
  readme = readme.replace(block, (_m, start: string, end: string) => `${start}${table}\n${end}`);
}
fs.writeFileSync(README, readme);
console.log('README cost tables updated');

import * as fs from 'fs';
import * as path from 'path';
import { AwsSolutionsChecks } from 'cdk-nag';
import { referenceApp } from './fixture';

// The whole reference app, once: cdk-nag's AwsSolutions pack must find nothing unacknowledged.
// (CloudFormation schema validation of every stack runs in `cdk synth` in CI; see schema-validation.test.ts.)
const { app, stacks } = referenceApp();
const assembly = app.synth();

test('creates every reference stack', () => {
  expect(Object.keys(stacks).length).toBeGreaterThanOrEqual(2);
});

test('has no unacknowledged AwsSolutions finding in any stack', () => {
  const report = new AwsSolutionsChecks(app).validateScope(app);
  expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
});

// `cdk synth <name>` and `cdk deploy <name>` select stacks by construct id, so each id is the stack's name.
test('selects every stack the README names by that name', () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
  const documented = [...new Set([...readme.matchAll(/\bMlAtScale-[A-Za-z]+\b/g)].map((m) => m[0]))];
  expect(documented.length).toBeGreaterThanOrEqual(5);
  const selectable = assembly.stacks.map((s) => s.hierarchicalId);
  for (const name of documented) expect(selectable).toContain(name);
});

test('gives each stack its name as its construct id, under any prefix', () => {
  for (const stack of assembly.stacks) expect(stack.hierarchicalId).toBe(stack.stackName);
  const team = referenceApp({ 'ml-at-scale.stackPrefix': 'Team' });
  expect(Object.values(team.stacks).filter((s) => s !== undefined).map((s) => s.node.id).sort()).toEqual([
    'Team-DataLake',
    'Team-Etl',
    'Team-Monitoring',
    'Team-Network',
    'Team-Notebooks',
    'Team-Pipeline',
    'Team-Storage',
    'Team-Training',
  ]);
});

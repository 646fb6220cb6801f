import * as fs from 'fs';
import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import { z } from 'zod';
import { configSchema } from '../../bin/config';
import { referenceApp } from '../stacks/fixture';

// The README's configuration table is written by hand; this keeps it from drifting from the schema.
const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Constructs'));
const rows = section.split('\n').filter((line) => line.startsWith('| `'));

interface JsonSchemaNode {
  readonly type?: string;
  readonly properties?: Record<string, JsonSchemaNode>;
  readonly default?: unknown;
}

function leaves(node: JsonSchemaNode, prefix: string[] = []): Array<{ key: string; default: unknown }> {
  if (node.type === 'object' && node.properties) {
    return Object.entries(node.properties).flatMap(([k, v]) => leaves(v, [...prefix, k]));
  }
  return [{ key: prefix.join('.'), default: node.default }];
}

const schemaLeaves = leaves(z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchemaNode);

test.each(schemaLeaves.map((l) => [l.key, l.default]))('the README documents `%s` with its default', (key, def) => {
  const row = rows.find((r) => r.includes(`\`${key}\``));
  expect(row).toBeDefined();
  if (def !== undefined && !(typeof def === 'object' && def !== null && Object.keys(def).length === 0)) {
    expect(row).toContain(`\`${JSON.stringify(def).replace(/^"(.+)"$/, '$1')}\``);
  }
});

test('the README documents no key that the schema does not have', () => {
  const documented = rows.flatMap((r) => [...r.split('|')[1].matchAll(/`([A-Za-z.]+)`/g)].map((m) => m[1]));
  const known = new Set(schemaLeaves.map((l) => l.key));
  expect(documented.filter((k) => !known.has(k))).toEqual([]);
});

// Defaults live once, in the constructs: the schema leaves omitted values undefined. The README's
// default column must then say what the constructs do: giving every documented default explicitly
// must build exactly the app that omitting them builds.
describe('the README\u2019s defaults are the constructs\u2019 defaults', () => {
  const documented: Record<string, unknown> = {};
  for (const row of rows) {
    const [, keyCell, defaultCell] = row.split('|').map((c) => c.trim());
    const keys = [...keyCell.matchAll(/`([A-Za-z.]+)`/g)].map((m) => m[1]);
    const value = /^`(.+)`$/.exec(defaultCell)?.[1];
    if (keys.length !== 1 || value === undefined || !keys[0].includes('.')) continue;
    try {
      documented[`ml-at-scale.${keys[0]}`] = JSON.parse(value);
    } catch {
      if (/^[A-Z_0-9]+$/.test(value)) documented[`ml-at-scale.${keys[0]}`] = value; // enum names such as PERSISTENT_2
    }
  }

  test('documents a default for the construct settings', () => {
    expect(Object.keys(documented)).toEqual(
      expect.arrayContaining(['ml-at-scale.training.gpuMaxVcpus', 'ml-at-scale.pipeline.targetShardSizeMiB', 'ml-at-scale.dataLake.accessLogsRetentionDays']),
    );
  });

  test('given explicitly, they change no template', () => {
    const omitted = referenceApp();
    const explicit = referenceApp(documented);
    for (const name of Object.keys(omitted.stacks) as Array<keyof typeof omitted.stacks>) {
      const [a, b] = [explicit.stacks[name], omitted.stacks[name]];
      expect(a === undefined).toBe(b === undefined);
      if (a && b) expect(Template.fromStack(a).toJSON()).toEqual(Template.fromStack(b).toJSON());
    }
  });
});

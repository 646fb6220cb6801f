import * as fs from 'fs';
import * as path from 'path';
import { z } from 'zod';
import { configSchema } from '../../bin/config';

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

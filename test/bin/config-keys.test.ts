import { spawnSync } from 'child_process';
import * as path from 'path';
import { z } from 'zod';
import { configSchema } from '../../bin/config';
import { configKeyOf, CONSTRUCT_CONFIG_KEYS, constructErrorParts, describeConstructError } from '../../bin/config-keys';
import { MlAtScaleError } from '../../lib';
import { referenceApp } from '../stacks/fixture';

/** The leaf keys of the configuration schema, as `section.key`. */
function schemaKeys(schema: z.ZodType, prefix = ''): string[] {
  let inner = schema as z.ZodType & { def: { type: string; innerType?: z.ZodType }; shape?: Record<string, z.ZodType> };
  while (inner.def.innerType) inner = inner.def.innerType as typeof inner;
  if (inner.def.type !== 'object' || !inner.shape) return [prefix.slice(0, -1)];
  return Object.entries(inner.shape).flatMap(([key, value]) => schemaKeys(value, `${prefix}${key}.`));
}

/** The one line the reference app prints for the error that building it with `context` raises. */
function errorLine(context: Record<string, unknown>): string | undefined {
  try {
    referenceApp(context);
  } catch (err) {
    return describeConstructError(err, 'MlAtScale');
  }
  throw new Error('the reference app was built without error');
}

describe('the map from construct props to configuration keys', () => {
  const keys = schemaKeys(configSchema);
  const mapped = CONSTRUCT_CONFIG_KEYS.flatMap((c) => Object.values(c.props));

  test('names only keys of the configuration schema', () => {
    for (const key of mapped) expect(keys.some((k) => k === key || k.startsWith(`${key}.`))).toBe(true);
  });

  test('covers every key that sets a construct prop the construct validates', () => {
    // The keys left out set nothing a construct can reject.
    const unvalidated = ['preset', 'stackPrefix', 'env.account', 'env.region', 'removalPolicy', 'tags', 'storage.sharedFileSystemEnabled', 'edge.enabled'];
    const missing = keys.filter((k) => !unvalidated.includes(k) && !mapped.some((m) => k === m || k.startsWith(`${m}.`)));
    expect(missing).toEqual([]);
  });

  test('maps a field of a prop to the field of its key', () => {
    const parts = { prop: 'demand.gpuCount', rule: 'must be a positive integer', value: '0', constructPath: 'Team-Storage/LustreCache' };
    expect(configKeyOf(parts, 'Team')).toBe('ml-at-scale.storage.lustreDemand.gpuCount');
  });

  test('maps nothing for a prop the configuration does not set, or a construct of another stack', () => {
    expect(configKeyOf({ prop: 'retryAttempts', rule: 'r', value: '0', constructPath: 'MlAtScale-Training/Cluster' }, 'MlAtScale')).toBeUndefined();
    expect(configKeyOf({ prop: 'cidr', rule: 'r', value: '0', constructPath: 'Other-Network/Network' }, 'MlAtScale')).toBeUndefined();
  });
});

describe('a construct error in the reference app', () => {
  test('names the storage key, for the wrapped error of LustreCache', () => {
    expect(errorLine({ 'ml-at-scale.storage.lustreStorageCapacityGiB': 3000 })).toBe(
      'ml-at-scale.storage.lustreStorageCapacityGiB: must be 1200, 2400 or a multiple of 2400 for PERSISTENT_2, got 3000',
    );
  });

  test('names the network key', () => {
    expect(errorLine({ 'ml-at-scale.network.cidr': '10.0.0.0/27' })).toMatch(/^ml-at-scale\.network\.cidr: must be a \/25 or larger range .*, got '10\.0\.0\.0\/27'$/);
  });

  test('names the training key', () => {
    expect(errorLine({ 'ml-at-scale.training.gpuMaxVcpus': 8 })).toMatch(/^ml-at-scale\.training\.gpuMaxVcpus: must hold at least one GPU instance \(96 vCPUs\), got 8$/);
  });

  test('keeps the construct message, on one line, for a prop the configuration does not set', () => {
    const err = new MlAtScaleError('retryAttempts', 'must be an integer from 1 to 10', 0);
    expect(describeConstructError(err, 'MlAtScale')).toBe('retryAttempts must be an integer from 1 to 10, got 0');
  });

  test('leaves an error that is not bad input to its stack trace', () => {
    expect(constructErrorParts(new Error('Cannot read properties of undefined'))).toBeUndefined();
    expect(describeConstructError(new TypeError('x is not a function'), 'MlAtScale')).toBeUndefined();
  });
});

describe('bin/ml-at-scale.ts', () => {
  test('prints one line naming the key, with no stack trace, and exits 1', () => {
    const root = path.join(__dirname, '..', '..');
    const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'bin', 'ml-at-scale.ts')], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ 'ml-at-scale': { storage: { lustreStorageCapacityGiB: 3000 } } }) },
    });
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([
      'ml-at-scale.storage.lustreStorageCapacityGiB: must be 1200, 2400 or a multiple of 2400 for PERSISTENT_2, got 3000',
    ]);
    expect(run.stdout).toBe('');
  });
});

import { Stack } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as fsx from 'aws-cdk-lib/aws-fsx';
import * as s3 from 'aws-cdk-lib/aws-s3';
import fc from 'fast-check';
import { LustreCache, LustreCacheProps, SharedFileSystem, SharedFileSystemProps } from '../../lib';
import { assertAccepts, assertRejects, badNumbers, goodNumbers, importedVpc, runStack } from '../util/props';

// Property-based checks of every validated prop of the storage constructs (see test/util/props.ts).

function shared(props: Partial<SharedFileSystemProps>): { stack: Stack; fs: SharedFileSystem } {
  const stack = runStack();
  return { stack, fs: new SharedFileSystem(stack, 'Shared', { vpc: importedVpc(stack), ...props }) };
}

const accessPoint = (stack: Stack, f: SharedFileSystem) => stack.resolve((f.homeAccessPoint.node.defaultChild as efs.CfnAccessPoint).rootDirectory);
const posixUser = (stack: Stack, f: SharedFileSystem) => stack.resolve((f.homeAccessPoint.node.defaultChild as efs.CfnAccessPoint).posixUser);

/** EFS access point paths as AWS takes them: '/', or one to four segments not starting with '.', at most 100 characters. */
const segment = fc.stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,20}$/);
const goodPaths = fc.oneof(fc.constant('/'), fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => `/${s.join('/')}`)).filter((p) => p.length <= 100);
const badPaths = fc.oneof(
  segment.map((s) => s), // relative
  fc.array(segment, { minLength: 5, maxLength: 7 }).map((s) => `/${s.join('/')}`), // five or more levels
  segment.map((s) => `/${s}/`), // trailing slash
  segment.map((s) => `/${s}//x`), // empty segment
  segment.map((s) => `/.${s}`), // hidden segment
  fc.constantFrom('/home$', '/a;b', '/a b', '/h*me', ''),
  fc.string({ minLength: 101, maxLength: 120, unit: fc.constantFrom('a', 'b', '/') }).map((s) => `/${s}`),
);

describe('SharedFileSystem props', () => {
  test('backupRetentionDays: rejects values outside 7 to 36500 whole days, keeps valid ones in the backup plan', () => {
    const rule = { integer: true, min: 7, max: 36500 };
    assertRejects(badNumbers(rule), 'backupRetentionDays', (v) => shared({ backupRetentionDays: v }));
    assertAccepts(goodNumbers(rule), (v) => {
      const { stack, fs } = shared({ backupRetentionDays: v });
      const plan = stack.resolve((fs.backupPlan.node.defaultChild as backup.CfnBackupPlan).backupPlan);
      expect(plan.backupPlanRule[0].lifecycle.deleteAfterDays).toBe(v);
    });
  });

  test.each(['homeUid', 'homeGid'] as const)('%s: rejects values outside POSIX IDs 0 to 4294967295, keeps valid ones in the access point', (prop) => {
    const rule = { integer: true, min: 0, max: 4294967295 };
    assertRejects(badNumbers(rule), prop, (v) => shared({ [prop]: v }));
    assertAccepts(goodNumbers(rule), (v) => {
      const { stack, fs } = shared({ [prop]: v });
      expect(posixUser(stack, fs)[prop === 'homeUid' ? 'uid' : 'gid']).toBe(String(v));
      expect(accessPoint(stack, fs).creationInfo[prop === 'homeUid' ? 'ownerUid' : 'ownerGid']).toBe(String(v));
    });
  });

  test('homePath: rejects what EFS refuses as an access point path, keeps valid paths in the access point', () => {
    assertRejects(badPaths, 'homePath', (v) => shared({ homePath: v }));
    assertAccepts(goodPaths, (v) => {
      const { stack, fs } = shared({ homePath: v });
      expect(accessPoint(stack, fs).path).toBe(v);
    });
  });

  test('homePermissions: rejects what is not 3 or 4 octal digits, keeps valid ones in the access point', () => {
    const octal = fc.constantFrom('0', '1', '2', '3', '4', '5', '6', '7');
    const bad = fc.oneof(
      fc.string({ minLength: 3, maxLength: 4, unit: fc.constantFrom('8', '9', 'a', 'x', ' ') }),
      fc.string({ minLength: 0, maxLength: 2, unit: octal }),
      fc.string({ minLength: 5, maxLength: 8, unit: octal }),
    );
    assertRejects(bad, 'homePermissions', (v) => shared({ homePermissions: v }));
    assertAccepts(fc.string({ minLength: 3, maxLength: 4, unit: octal }), (v) => {
      const { stack, fs } = shared({ homePermissions: v });
      expect(accessPoint(stack, fs).creationInfo.permissions).toBe(v);
    });
  });
});

function cache(props: Partial<LustreCacheProps>): { stack: Stack; cache: LustreCache } {
  const stack = runStack();
  return { stack, cache: new LustreCache(stack, 'Cache', { vpc: importedVpc(stack), ...props }) };
}
const bucket = (stack: Stack) => s3.Bucket.fromBucketName(stack, 'Bucket', 'training-data');

describe('LustreCache props', () => {
  test('automaticBackupRetentionDays: rejects values outside 0 to 90 whole days, keeps valid ones on the file system', () => {
    const rule = { integer: true, min: 0, max: 90 };
    assertRejects(badNumbers(rule), 'automaticBackupRetentionDays', (v) => cache({ automaticBackupRetentionDays: v }));
    assertAccepts(goodNumbers(rule), (v) => {
      const { stack, cache: c } = cache({ automaticBackupRetentionDays: v });
      const lustre = stack.resolve((c.fileSystem.node.defaultChild as fsx.CfnFileSystem).lustreConfiguration);
      expect(lustre.automaticBackupRetentionDays).toBe(v);
    });
  });

  test('freeCapacityAlarmPercent: rejects values outside 1 to 99, keeps valid ones in the alarm threshold', () => {
    const rule = { min: 1, max: 99 };
    assertRejects(badNumbers(rule), 'freeCapacityAlarmPercent', (v) => cache({ freeCapacityAlarmPercent: v }));
    assertAccepts(goodNumbers(rule), (v) => {
      const { stack, cache: c } = cache({ freeCapacityAlarmPercent: v });
      const alarm = c.freeCapacityAlarm!.node.defaultChild as cloudwatch.CfnAlarm;
      expect(stack.resolve(alarm.threshold)).toBe(Math.floor((1200 * 2 ** 30 * v) / 100));
    });
  });

  test('exportBacklogAlarmAgeSeconds: rejects whole seconds under 60 and fractions, keeps valid ones in the alarm threshold', () => {
    const rule = { integer: true, min: 60 };
    const linked = (stack: Stack) => [{ fileSystemPath: '/data', bucket: bucket(stack), exportChanges: true }];
    assertRejects(badNumbers(rule), 'exportBacklogAlarmAgeSeconds', (v) => cache({ exportBacklogAlarmAgeSeconds: v }));
    assertAccepts(goodNumbers({ ...rule, max: 1_000_000 }), (v) => {
      const stack = runStack();
      const c = new LustreCache(stack, 'Cache', { vpc: importedVpc(stack), dataRepositoryAssociations: linked(stack), exportBacklogAlarmAgeSeconds: v });
      expect(stack.resolve((c.exportBacklogAlarm!.node.defaultChild as cloudwatch.CfnAlarm).threshold)).toBe(v);
    });
  });

  test('dataRepositoryAssociations[].importedFileChunkSizeMiB: rejects values outside 1 to 512000 MiB, keeps valid ones on the association', () => {
    const rule = { integer: true, min: 1, max: 512000 };
    const build = (v: number) => {
      const stack = runStack();
      return { stack, c: new LustreCache(stack, 'Cache', { vpc: importedVpc(stack), dataRepositoryAssociations: [{ fileSystemPath: '/data', bucket: bucket(stack), importedFileChunkSizeMiB: v }] }) };
    };
    assertRejects(badNumbers(rule), 'dataRepositoryAssociations[0].importedFileChunkSizeMiB', build);
    assertAccepts(goodNumbers(rule), (v) => {
      const { stack, c } = build(v);
      expect(stack.resolve(c.associations[0].importedFileChunkSize)).toBe(v);
    });
  });
});

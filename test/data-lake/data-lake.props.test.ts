import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import fc from 'fast-check';
import { DataLake, DataLakeProps, DataLakeZone } from '../../lib';
import { assertAccepts, assertRejects, badNumbers, goodNumbers, runStack } from '../util/props';

// Property-based checks of every validated prop of DataLake (see test/util/props.ts).

function lake(props: DataLakeProps): { stack: Stack; lake: DataLake } {
  const stack = runStack();
  return { stack, lake: new DataLake(stack, 'Lake', props) };
}
const rules = (stack: Stack, bucket: s3.Bucket) => stack.resolve((bucket.node.defaultChild as s3.CfnBucket).lifecycleConfiguration).rules as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any -- lifecycle rules as the L1 renders them

describe('DataLake props', () => {
  test('noncurrentVersionExpirationDays: rejects values under 1 day or fractional, keeps valid ones in every zone', () => {
    const rule = { integer: true, min: 1 };
    assertRejects(badNumbers(rule), 'noncurrentVersionExpirationDays', (v) => lake({ noncurrentVersionExpirationDays: v }));
    assertAccepts(goodNumbers({ ...rule, max: 36500 }), (v) => {
      const { stack, lake: l } = lake({ noncurrentVersionExpirationDays: v });
      for (const b of [l.rawBucket, l.curatedBucket, l.artifactsBucket]) expect(rules(stack, b)[0].noncurrentVersionExpiration.noncurrentDays).toBe(v);
    });
  });

  test('abortIncompleteMultipartUploadDays: rejects values under 1 day or fractional, keeps valid ones in every zone', () => {
    const rule = { integer: true, min: 1 };
    assertRejects(badNumbers(rule), 'abortIncompleteMultipartUploadDays', (v) => lake({ abortIncompleteMultipartUploadDays: v }));
    assertAccepts(goodNumbers({ ...rule, max: 36500 }), (v) => {
      const { stack, lake: l } = lake({ abortIncompleteMultipartUploadDays: v });
      for (const b of [l.rawBucket, l.curatedBucket, l.artifactsBucket]) expect(rules(stack, b)[0].abortIncompleteMultipartUpload.daysAfterInitiation).toBe(v);
    });
  });

  test('rawIntelligentTieringAfterDays: rejects negative or fractional days, keeps valid ones in the raw zone', () => {
    const rule = { integer: true, min: 0 };
    assertRejects(badNumbers(rule), 'rawIntelligentTieringAfterDays', (v) => lake({ rawIntelligentTieringAfterDays: v }));
    assertAccepts(goodNumbers({ ...rule, max: 36500 }), (v) => {
      const { stack, lake: l } = lake({ rawIntelligentTieringAfterDays: v });
      const tiering = rules(stack, l.rawBucket).find((r) => r.id === 'raw-to-intelligent-tiering')!;
      expect(tiering.transitions).toEqual([{ storageClass: 'INTELLIGENT_TIERING', transitionInDays: v }]);
    });
  });

  test('accessLogsRetentionDays: rejects values under 365 days or fractional, keeps valid ones in the access-log bucket', () => {
    const rule = { integer: true, min: 365 };
    assertRejects(badNumbers(rule), 'accessLogsRetentionDays', (v) => lake({ accessLogsRetentionDays: v }));
    assertAccepts(goodNumbers({ ...rule, max: 36500 }), (v) => {
      const { stack, lake: l } = lake({ accessLogsRetentionDays: v });
      expect(rules(stack, l.accessLogsBucket)[0].expirationInDays).toBe(v);
    });
  });

  describe('grants', () => {
    const stack = runStack();
    const l = new DataLake(stack, 'Lake');
    let n = 0;
    const role = () => new iam.Role(stack, `Role${n++}`, { assumedBy: new iam.ServicePrincipal('glue.amazonaws.com') });
    const segment = fc.stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,15}$/).filter((s) => s !== '.' && s !== '..');

    test('prefix: rejects the whole bucket, wildcards and . or .. segments, names each granted prefix in the policy', () => {
      const bad = fc.oneof(
        fc.constantFrom('/', ''),
        fc.tuple(segment, fc.constantFrom('*', '?')).map(([s, w]) => `${s}${w}`),
        fc.tuple(segment, fc.constantFrom('.', '..')).map(([s, d]) => `${s}/${d}/x`),
      );
      assertRejects(bad, 'prefix', (p) => l.grantRead(role(), DataLakeZone.CURATED, p));
      assertAccepts(fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => s.join('/')), (p) => {
        const r = role();
        l.grantReadWrite(r, DataLakeZone.RAW, p);
        const policy = r.node.findChild('DefaultPolicy').node.defaultChild as iam.CfnPolicy;
        expect(JSON.stringify(stack.resolve(policy.policyDocument))).toContain(`/${p}/*`);
      });
    });
  });
});

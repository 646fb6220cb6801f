import { Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';
import { invalidProp } from './errors';
import { acknowledgeWildcardResources, principalConstruct } from './nag';

/** Object actions of a read grant: no wildcard actions, so that cdk-nag has only resources to weigh. */
export const S3_READ_ACTIONS = ['s3:GetObject', 's3:GetObjectVersion', 's3:GetObjectAttributes', 's3:GetObjectTagging'];
/** Object actions of a write grant, multipart uploads included. */
export const S3_WRITE_ACTIONS = ['s3:PutObject', 's3:PutObjectTagging', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'];

/**
 * A key prefix without leading or trailing slashes (`datasets/x/` -> `datasets/x`). Wildcards, a
 * prefix of slashes only (which would mean the whole bucket) and `.` or `..` segments (S3 keys are not
 * paths: `a/../b` is a key of its own, and a grant on it does not mean what it reads) are errors.
 */
export function plainPrefix(scope: IConstruct, prop: string, prefix: string | undefined): string {
  if (prefix === undefined || Token.isUnresolved(prefix)) return prefix ?? '';
  if (/^\/+$/.test(prefix)) {
    throw invalidProp(scope, prop, "must be a key prefix such as 'datasets/imagenet', not '/' (which would be the whole bucket)", prefix);
  }
  const p = prefix.replace(/^\/+|\/+$/g, '');
  if (/[*?]/.test(p)) throw invalidProp(scope, prop, 'must be a plain key prefix without wildcards', prefix);
  if (p.split('/').some((segment) => segment === '.' || segment === '..')) {
    throw invalidProp(scope, prop, "must not hold '.' or '..' segments (S3 keys are not paths)", prefix);
  }
  return p;
}

/** What {@link grantPrefixes} grants. */
export interface PrefixGrant {
  readonly bucket: s3.IBucket;
  /** Plain prefixes (see {@link plainPrefix}); `''` is the whole bucket. */
  readonly prefixes: string[];
  readonly objectActions: string[];
  /** KMS actions on `encryptionKey`, when there is one. */
  readonly keyActions: string[];
  readonly encryptionKey?: kms.IKey;
  /** Why the `<prefix>/*` wildcard (or, for `''`, the whole-bucket wildcard) is safe, for cdk-nag. */
  readonly reason: string;
}

/**
 * Grants object actions under prefixes of a bucket, listing limited to those prefixes by an
 * `s3:prefix` condition, and the KMS actions on the bucket's key; acknowledges the resulting
 * `<bucket>/<prefix>/*` wildcard findings on the grantee, and nothing broader.
 */
export function grantPrefixes(grantee: iam.IGrantable, g: PrefixGrant): iam.Grant {
  const arn = g.bucket.bucketArn;
  const objects = g.prefixes.map((p) => (p ? `${arn}/${p}/*` : `${arn}/*`));
  const scoped = g.prefixes.filter((p) => p !== '');
  let grant = iam.Grant.addToPrincipal({ grantee, actions: g.objectActions, resourceArns: objects }).combine(
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:ListBucket'],
      resourceArns: [arn],
      conditions: scoped.length === g.prefixes.length ? { StringLike: { 's3:prefix': scoped.flatMap((p) => [p, `${p}/*`]) } } : undefined,
    }),
  );
  if (g.encryptionKey) {
    grant = grant.combine(iam.Grant.addToPrincipal({ grantee, actions: g.keyActions, resourceArns: [g.encryptionKey.keyArn] }));
  }
  const principal = principalConstruct(grantee);
  if (principal) acknowledgeWildcardResources(principal, objects, g.reason);
  return grant;
}

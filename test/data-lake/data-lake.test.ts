import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DataLake, DataLakeObjectLockMode, DataLakeZone } from '../../lib';
import { consumerRole, nagFindings, testApp, testStack } from '../util/app';

describe('DataLake with defaults', () => {
  const stack = testStack();
  const lake = new DataLake(stack, 'Lake');
  const template = Template.fromStack(stack);
  const zones = template.findResources('AWS::S3::Bucket', {
    Properties: { BucketEncryption: { ServerSideEncryptionConfiguration: [Match.objectLike({ BucketKeyEnabled: true })] } },
  });

  test('creates three zone buckets and an access-log bucket', () => {
    template.resourceCountIs('AWS::S3::Bucket', 4);
    expect(Object.keys(zones)).toHaveLength(3);
  });

  test('encrypts every zone with the lake key (SSE-KMS, bucket keys), versions it and blocks public access', () => {
    for (const bucket of Object.values(zones)) {
      expect(bucket.Properties).toMatchObject({
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: expect.anything() }, BucketKeyEnabled: true },
          ],
        },
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LoggingConfiguration: { DestinationBucketName: expect.anything(), LogFilePrefix: expect.stringMatching(/^(raw|curated|artifacts)\/$/) },
      });
    }
  });

  test('sends every zone\u2019s events to EventBridge', () => {
    const notifications = template.findResources('Custom::S3BucketNotifications');
    expect(Object.keys(notifications)).toHaveLength(3);
    for (const n of Object.values(notifications)) {
      expect(n.Properties.NotificationConfiguration).toEqual({ EventBridgeConfiguration: {} });
    }
  });

  test('enforces TLS on every bucket', () => {
    const policies = template.findResources('AWS::S3::BucketPolicy');
    expect(Object.keys(policies)).toHaveLength(4);
    for (const policy of Object.values(policies)) {
      expect(policy.Properties.PolicyDocument.Statement).toEqual(
        expect.arrayContaining([expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      );
    }
  });

  test('aborts incomplete uploads, expires old versions and tiers the raw zone', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: { LogFilePrefix: 'raw/' },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 }, NoncurrentVersionExpiration: { NoncurrentDays: 90 } }),
          Match.objectLike({ Transitions: [{ StorageClass: 'INTELLIGENT_TIERING', TransitionInDays: 0 }] }),
        ]),
      },
    });
  });

  test('keeps access logs two years', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 730 })] },
    });
  });

  test('retains every bucket and the key', () => {
    for (const type of ['AWS::S3::Bucket', 'AWS::KMS::Key']) {
      for (const resource of Object.values(template.findResources(type))) {
        expect(resource).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      }
    }
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
  });

  test('gives the S3 URI of a zone and of a prefix', () => {
    expect(stack.resolve(lake.s3Uri(DataLakeZone.CURATED, '/datasets/imagenet/'))).toEqual({
      'Fn::Join': ['', ['s3://', { Ref: expect.stringMatching(/^LakeCurated/) }, '/datasets/imagenet/']],
    });
    expect(stack.resolve(lake.s3Uri(DataLakeZone.RAW))).toEqual({ 'Fn::Join': ['', ['s3://', { Ref: expect.stringMatching(/^LakeRaw/) }, '/']] });
  });

  test('has no unacknowledged cdk-nag finding', () => {
    expect(nagFindings(stack)).toEqual([]);
  });
});

describe('DataLake grants', () => {
  const app = testApp();
  const lakeStack = new Stack(app, 'Lake');
  const lake = new DataLake(lakeStack, 'Lake');
  const consumer = new Stack(app, 'Consumer');
  const reader = consumerRole(new iam.Role(consumer, 'Reader', { assumedBy: new iam.ServicePrincipal('batch.amazonaws.com') }));
  const writer = consumerRole(new iam.Role(consumer, 'Writer', { assumedBy: new iam.ServicePrincipal('batch.amazonaws.com') }));
  lake.grantRead(reader, DataLakeZone.CURATED, 'datasets');
  lake.grantReadWrite(writer, DataLakeZone.ARTIFACTS, 'checkpoints/');
  const template = Template.fromStack(consumer);

  test('scopes object reads to the prefix and listing to the prefix by condition', () => {
    const policy = Object.values(template.findResources('AWS::IAM::Policy')).find((p) =>
      JSON.stringify(p.Properties.Roles).includes('Reader'),
    )!;
    const statements = policy.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>;
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Action: expect.arrayContaining(['s3:GetObject', 's3:GetObjectVersion', 's3:GetObjectAttributes', 's3:GetObjectTagging']),
          Resource: { 'Fn::Join': ['', [expect.anything(), '/datasets/*']] },
        }),
        expect.objectContaining({ Action: 's3:ListBucket', Condition: { StringLike: { 's3:prefix': ['datasets', 'datasets/*'] } } }),
        expect.objectContaining({ Action: 'kms:Decrypt' }),
      ]),
    );
    expect(JSON.stringify(statements)).not.toMatch(/PutObject|DeleteObject|\*"\]?,?"Effect|"s3:\*"/);
  });

  test('lets the writer write under its prefix only', () => {
    const policy = Object.values(template.findResources('AWS::IAM::Policy')).find((p) =>
      JSON.stringify(p.Properties.Roles).includes('Writer'),
    )!;
    const text = JSON.stringify(policy.Properties.PolicyDocument);
    expect(text).toContain('s3:PutObject');
    expect(text).toContain('/checkpoints/*');
    expect(text).toContain('kms:GenerateDataKey');
  });

  test('acknowledges the prefix wildcards across stacks, and nothing else', () => {
    expect(nagFindings(consumer)).toEqual([]);
  });

  test('fails when a prefix holds a wildcard', () => {
    expect(() => lake.grantRead(reader, DataLakeZone.RAW, 'data/*')).toThrow(/^prefix must be a plain key prefix without wildcards, got 'data\/\*'/);
  });

  test('fails when the prefix is empty or missing: a whole zone is an explicit choice', () => {
    expect(() => lake.grantRead(reader, DataLakeZone.RAW, '')).toThrow(
      "prefix must be a key prefix such as 'datasets/imagenet'; to grant the whole raw zone, call grantReadZone(grantee, zone), got ''",
    );
    expect(() => lake.grantReadWrite(reader, DataLakeZone.RAW, undefined as unknown as string)).toThrow(/^prefix must be a key prefix .* call grantReadWriteZone\(grantee, zone\), got undefined/);
    expect(() => lake.grantWrite(reader, DataLakeZone.RAW, '')).toThrow(/call grantWriteZone\(grantee, zone\)/);
  });

  test("fails when the prefix is '/' (the whole bucket)", () => {
    expect(() => lake.grantRead(reader, DataLakeZone.RAW, '/')).toThrow(
      "prefix must be a key prefix such as 'datasets/imagenet', not '/' (which would be the whole bucket), got '/'",
    );
  });

  test("fails when the prefix holds '..' or '.' segments", () => {
    expect(() => lake.grantRead(reader, DataLakeZone.RAW, 'datasets/../models')).toThrow(
      "prefix must not hold '.' or '..' segments (S3 keys are not paths), got 'datasets/../models'",
    );
    expect(() => lake.grantRead(reader, DataLakeZone.RAW, './datasets')).toThrow(/must not hold '.' or '..' segments/);
  });
});

describe('DataLake whole-zone grants', () => {
  const stack = testStack();
  const lake = new DataLake(stack, 'Lake');
  const role = consumerRole(new iam.Role(stack, 'Auditor', { assumedBy: new iam.ServicePrincipal('batch.amazonaws.com') }));
  lake.grantReadZone(role, DataLakeZone.RAW);
  lake.grantReadWriteZone(role, DataLakeZone.ARTIFACTS);
  const template = Template.fromStack(stack);
  const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);

  test('grant every object of the zone and listing without a prefix condition, only when asked', () => {
    const text = JSON.stringify(statements);
    expect(text).toMatch(/LakeRaw[A-Z0-9]+","Arn"\]\},"\/\*"/);
    const listings = statements.filter((st: { Action: unknown }) => st.Action === 's3:ListBucket');
    expect(listings.length).toBeGreaterThan(0);
    for (const l of listings) expect(l.Condition).toBeUndefined();
  });

  test('acknowledge the whole-zone wildcard with a reason that says it is the whole zone', () => {
    expect(nagFindings(role)).toEqual([]);
    const acks = JSON.stringify(role.node.findAll().flatMap((c) => c.node.metadata));
    expect(acks).toContain('A deliberate whole-zone grant (grantReadZone): the grantee may read and list every object of the raw zone');
    expect(acks).toContain('A deliberate whole-zone grant (grantReadWriteZone)');
    expect(acks).not.toContain('limited to that prefix');
  });
});

describe('DataLake, fullest configuration', () => {
  const stack = testStack();
  const key = new kms.Key(stack, 'OwnKey', { enableKeyRotation: true });
  const lake = new DataLake(stack, 'Lake', {
    encryptionKey: key,
    noncurrentVersionExpirationDays: 30,
    abortIncompleteMultipartUploadDays: 2,
    rawIntelligentTieringAfterDays: 14,
    accessLogsRetentionDays: 400,
    eventBridgeEnabled: false,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const template = Template.fromStack(stack);

  test('uses the key passed in and the lifecycle asked for', () => {
    expect(lake.encryptionKey).toBe(key);
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 2 }, NoncurrentVersionExpiration: { NoncurrentDays: 30 } }),
          Match.objectLike({ Transitions: [{ StorageClass: 'INTELLIGENT_TIERING', TransitionInDays: 14 }] }),
        ],
      },
    });
    template.hasResourceProperties('AWS::S3::Bucket', { LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 400 })] } });
  });

  test('deletes and empties the buckets when asked to', () => {
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 4);
    for (const bucket of Object.values(template.findResources('AWS::S3::Bucket'))) expect(bucket.DeletionPolicy).toBe('Delete');
  });

  test('sends no EventBridge notifications when switched off', () => {
    template.resourceCountIs('Custom::S3BucketNotifications', 0);
  });

  test('has no unacknowledged cdk-nag finding', () => {
    expect(nagFindings(stack)).toEqual([]);
  });
});

describe('DataLake with cross-Region replication and Object Lock on the artifacts zone', () => {
  const stack = testStack();
  const curatedReplica = s3.Bucket.fromBucketArn(stack, 'CuratedReplica', 'arn:aws:s3:::lake-curated-replica');
  const artifactsReplica = s3.Bucket.fromBucketArn(stack, 'ArtifactsReplica', 'arn:aws:s3:::lake-artifacts-replica');
  const replicaKey = kms.Key.fromKeyArn(stack, 'ReplicaKey', 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555');
  const lake = new DataLake(stack, 'Lake', {
    replication: { curatedDestination: curatedReplica, artifactsDestination: artifactsReplica, destinationKey: replicaKey, deleteMarkerReplication: true },
    artifactsObjectLockMode: DataLakeObjectLockMode.COMPLIANCE,
    artifactsObjectLockRetention: Duration.days(365),
  });
  const template = Template.fromStack(stack);
  const bucket = (b: s3.Bucket) => template.toJSON().Resources[stack.getLogicalId(b.node.defaultChild as s3.CfnBucket)].Properties;

  test('replicates the curated and artifacts zones, SSE-KMS objects included, re-encrypted with the destination key', () => {
    for (const [zone, replica] of [
      [lake.curatedBucket, 'arn:aws:s3:::lake-curated-replica'],
      [lake.artifactsBucket, 'arn:aws:s3:::lake-artifacts-replica'],
    ] as const) {
      expect(bucket(zone).ReplicationConfiguration).toMatchObject({
        Role: expect.anything(),
        Rules: [
          {
            Status: 'Enabled',
            Destination: { Bucket: replica, EncryptionConfiguration: { ReplicaKmsKeyID: replicaKey.keyArn } },
            SourceSelectionCriteria: { SseKmsEncryptedObjects: { Status: 'Enabled' } },
            DeleteMarkerReplication: { Status: 'Enabled' },
          },
        ],
      });
    }
  });

  test('leaves the raw zone unreplicated', () => {
    expect(bucket(lake.rawBucket).ReplicationConfiguration).toBeUndefined();
  });

  test('locks new artifacts versions in the mode and for the days asked for, and only the artifacts zone', () => {
    expect(bucket(lake.artifactsBucket)).toMatchObject({
      ObjectLockEnabled: true,
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 365 } } },
    });
    expect(bucket(lake.curatedBucket).ObjectLockEnabled).toBeUndefined();
  });

  test('keeps every bucket when it leaves the stack', () => {
    for (const b of Object.values(template.findResources('AWS::S3::Bucket'))) expect(b.DeletionPolicy).toBe('Retain');
  });

  test('has no unacknowledged cdk-nag finding (AwsSolutions, NIST 800-53 R5, HIPAA)', () => {
    expect(nagFindings(stack)).toEqual([]);
  });
});

test('acknowledges replication and Object Lock as optional controls when they are off', () => {
  const stack = testStack();
  const lake = new DataLake(stack, 'Lake');
  const acks = (c: { node: { metadata: { type: string; data: unknown }[] } }) =>
    JSON.stringify(c.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules').map((m) => m.data));
  expect(acks(lake.artifactsBucket)).toMatch(/NIST.800.53.R5-S3BucketReplicationEnabled":"Cross-Region replication is optional \(replication\), off by default/);
  expect(acks(lake.artifactsBucket)).toMatch(/"cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check":"Object Lock is optional \(artifactsObjectLockMode\), off by default/);
});

test('works in an app without cdk.json feature flags, delivering access logs through a bucket policy', () => {
  const stack = new Stack(new App(), 'Bare');
  new DataLake(stack, 'Lake');
  Template.fromStack(stack).hasResourceProperties('AWS::S3::BucketPolicy', {
    PolicyDocument: {
      Statement: Match.arrayWith([
        Match.objectLike({ Principal: { Service: 'logging.s3.amazonaws.com' }, Action: 's3:PutObject' }),
      ]),
    },
  });
});

describe('DataLake validation', () => {
  const make = (props: ConstructorParameters<typeof DataLake>[2]) => () => new DataLake(new Stack(), 'Lake', props);
  test('fails when noncurrentVersionExpirationDays is below 1', () => {
    expect(make({ noncurrentVersionExpirationDays: 0 })).toThrow(/^noncurrentVersionExpirationDays must be an integer of at least 1, got 0/);
  });
  test('fails when abortIncompleteMultipartUploadDays is not an integer', () => {
    expect(make({ abortIncompleteMultipartUploadDays: 1.5 })).toThrow(/^abortIncompleteMultipartUploadDays must be an integer of at least 1, got 1.5/);
  });
  test('fails when rawIntelligentTieringAfterDays is negative', () => {
    expect(make({ rawIntelligentTieringAfterDays: -1 })).toThrow(/^rawIntelligentTieringAfterDays must be an integer of at least 0, got -1/);
  });
  test('fails when access logs are kept less than a year', () => {
    expect(make({ accessLogsRetentionDays: 90 })).toThrow(/^accessLogsRetentionDays must be an integer of at least 365, got 90/);
  });
  test('fails when artifactsObjectLockMode is given without a retention', () => {
    expect(make({ artifactsObjectLockMode: DataLakeObjectLockMode.GOVERNANCE })).toThrow(/^artifactsObjectLockRetention must be given with artifactsObjectLockMode/);
  });
  test('fails when artifactsObjectLockRetention is given without a mode', () => {
    expect(make({ artifactsObjectLockRetention: Duration.days(30) })).toThrow(/^artifactsObjectLockMode must be given with artifactsObjectLockRetention/);
  });
  test('fails when artifactsObjectLockMode is not GOVERNANCE or COMPLIANCE', () => {
    expect(make({ artifactsObjectLockMode: 'LEGAL_HOLD' as DataLakeObjectLockMode, artifactsObjectLockRetention: Duration.days(30) })).toThrow(
      /^artifactsObjectLockMode must be GOVERNANCE or COMPLIANCE, got 'LEGAL_HOLD'/,
    );
  });
  test('fails when artifactsObjectLockRetention is not whole days from 1 day to 100 years', () => {
    const lock = (retention: Duration) => make({ artifactsObjectLockMode: DataLakeObjectLockMode.GOVERNANCE, artifactsObjectLockRetention: retention });
    expect(lock(Duration.hours(36))).toThrow(/^artifactsObjectLockRetention \(days\) must be an integer from 1 to 36500, got 1.5/);
    expect(lock(Duration.days(36501))).toThrow(/^artifactsObjectLockRetention \(days\) must be an integer from 1 to 36500, got 36501/);
  });
  test('fails when Object Lock is combined with RemovalPolicy.DESTROY', () => {
    expect(make({ artifactsObjectLockMode: DataLakeObjectLockMode.GOVERNANCE, artifactsObjectLockRetention: Duration.days(30), removalPolicy: RemovalPolicy.DESTROY })).toThrow(
      /^artifactsObjectLockMode must not be combined with RemovalPolicy.DESTROY/,
    );
  });
  test('fails when both zones replicate to the same bucket', () => {
    const stack = new Stack();
    const replica = s3.Bucket.fromBucketArn(stack, 'Replica', 'arn:aws:s3:::one-replica');
    const destinationKey = kms.Key.fromKeyArn(stack, 'ReplicaKey', 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555');
    expect(() => new DataLake(stack, 'Lake', { replication: { curatedDestination: replica, artifactsDestination: replica, destinationKey } })).toThrow(
      /^replication.artifactsDestination must be another bucket than replication.curatedDestination/,
    );
  });
});

describe('DataLake.fromDataLakeAttributes', () => {
  const importLake = () => {
    const stack = new Stack(testApp(), 'Team');
    const key = kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    const lake = DataLake.fromDataLakeAttributes(stack, 'Lake', {
      rawBucketName: 'team-raw',
      curatedBucketArn: 'arn:aws:s3:::team-curated',
      artifactsBucketName: 'team-artifacts',
      encryptionKey: key,
    });
    return { stack, lake, key };
  };

  test('imports the zones by name or ARN and creates nothing', () => {
    const { stack, lake } = importLake();
    expect(stack.resolve(lake.bucket(DataLakeZone.RAW).bucketName)).toBe('team-raw');
    expect(stack.resolve(lake.bucket(DataLakeZone.CURATED).bucketName)).toBe('team-curated');
    expect(lake.s3Uri(DataLakeZone.ARTIFACTS, 'models/')).toBe('s3://team-artifacts/models/');
    expect(Object.keys(Template.fromStack(stack).toJSON().Resources ?? {})).toEqual([]);
  });

  test('grants on an imported lake are scoped to the prefix and include the key', () => {
    const { stack, lake } = importLake();
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('batch.amazonaws.com') });
    lake.grantRead(role, DataLakeZone.CURATED, 'datasets/a');
    const statements = Template.fromStack(stack).findResources('AWS::IAM::Policy');
    const doc = JSON.stringify(Object.values(statements)[0]);
    expect(doc).toContain('arn:aws:s3:::team-curated/datasets/a/*');
    expect(doc).toContain('"s3:prefix":["datasets/a","datasets/a/*"]');
    expect(doc).toContain('arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab');
  });

  test('fails when a zone is given neither by name nor by ARN', () => {
    const stack = new Stack(testApp(), 'Team');
    const key = kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:eu-west-1:111122223333:key/x');
    expect(() =>
      DataLake.fromDataLakeAttributes(stack, 'Lake', { rawBucketName: 'raw-1', curatedBucketName: 'curated-1', encryptionKey: key }),
    ).toThrow(/artifactsBucketName or artifactsBucketArn must be given, one of the two, got \{\} \(at Team\/Lake\)/);
  });

  test('fails when a zone is given both by name and by ARN', () => {
    const stack = new Stack(testApp(), 'Team');
    const key = kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:eu-west-1:111122223333:key/x');
    expect(() =>
      DataLake.fromDataLakeAttributes(stack, 'Lake', {
        rawBucketName: 'r',
        rawBucketArn: 'arn:aws:s3:::r',
        curatedBucketName: 'c',
        artifactsBucketName: 'a',
        encryptionKey: key,
      }),
    ).toThrow(/rawBucketName or rawBucketArn must be given, one of the two/);
  });
});

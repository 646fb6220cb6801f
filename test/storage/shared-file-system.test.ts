import { RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as iam from 'aws-cdk-lib/aws-iam';
import { DataLake, MlVpc, SharedFileSystem, SharedFileSystemProps } from '../../lib';
import { consumerRole, nagFindings, testStack } from '../util/app';

describe('SharedFileSystem with defaults', () => {
  const stack = testStack();
  const vpc = new MlVpc(stack, 'Vpc').vpc;
  const shared = new SharedFileSystem(stack, 'Shared', { vpc });
  const role = consumerRole(new iam.Role(stack, 'Notebook', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') }));
  shared.grantHomeAccess(role);
  const client = new ec2.SecurityGroup(stack, 'Client', { vpc });
  shared.allowClient(client);
  const template = Template.fromStack(stack);
  const ref = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as import('aws-cdk-lib').CfnElement);

  test('is encrypted with a new rotating key, elastic, with lifecycle to IA and back on first access, retained', () => {
    template.hasResource('AWS::EFS::FileSystem', {
      Properties: Match.objectLike({
        Encrypted: true,
        KmsKeyId: { 'Fn::GetAtt': [ref(shared.encryptionKey as unknown as { node: { defaultChild?: unknown } }), 'Arn'] },
        ThroughputMode: 'elastic',
        PerformanceMode: 'generalPurpose',
        LifecyclePolicies: [{ TransitionToIA: 'AFTER_30_DAYS' }, { TransitionToPrimaryStorageClass: 'AFTER_1_ACCESS' }],
        BackupPolicy: { Status: 'ENABLED' },
      }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    template.hasResource('AWS::KMS::Key', { Properties: Match.objectLike({ EnableKeyRotation: true, Description: Match.stringLikeRegexp('EFS') }), DeletionPolicy: 'Retain' });
  });

  test('denies clients without TLS, and grants nothing to anonymous clients', () => {
    const fs = Object.values(template.findResources('AWS::EFS::FileSystem'))[0];
    expect(fs.Properties.FileSystemPolicy.Statement).toEqual([
      { Sid: 'DenyWithoutTls', Effect: 'Deny', Principal: { AWS: '*' }, Action: '*', Resource: '*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
    ]);
  });

  test('has one mount target in each private subnet', () => {
    template.resourceCountIs('AWS::EFS::MountTarget', 2);
    for (const subnet of vpc.privateSubnets) template.hasResourceProperties('AWS::EFS::MountTarget', { SubnetId: { Ref: ref(subnet) } });
  });

  test('has a home access point that enforces uid/gid 1000 and creates /home with 750', () => {
    template.hasResourceProperties('AWS::EFS::AccessPoint', {
      PosixUser: { Uid: '1000', Gid: '1000' },
      RootDirectory: { Path: '/home', CreationInfo: { OwnerUid: '1000', OwnerGid: '1000', Permissions: '750' } },
    });
  });

  test('selects the file system into a daily AWS Backup plan kept 35 days, in a retained vault under the same key', () => {
    template.hasResource('AWS::Backup::BackupVault', {
      Properties: Match.objectLike({ EncryptionKeyArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('SharedKey'), 'Arn'] } }),
      DeletionPolicy: 'Retain',
    });
    template.hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: Match.objectLike({ BackupPlanRule: [Match.objectLike({ Lifecycle: { DeleteAfterDays: 35 }, ScheduleExpression: 'cron(0 5 * * ? *)' })] }),
    });
    template.hasResourceProperties('AWS::Backup::BackupSelection', {
      BackupSelection: Match.objectLike({ Resources: [{ 'Fn::Join': ['', Match.arrayWith([{ Ref: ref(shared.fileSystem) }])] }] }),
    });
  });

  test('lets a client in on NFS', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp', FromPort: 2049, ToPort: 2049, SourceSecurityGroupId: { 'Fn::GetAtt': [ref(client), 'GroupId'] },
    });
  });

  test('grants home access through the access point only', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
            Resource: { 'Fn::GetAtt': [ref(shared.fileSystem), 'Arn'] },
            Condition: { StringEquals: { 'elasticfilesystem:AccessPointArn': Match.anyValue() }, Bool: { 'elasticfilesystem:AccessedViaMountTarget': 'true' } },
          }),
        ],
      },
    });
  });

  test('gives mount commands over TLS with IAM, for the root and through the access point', () => {
    const root = JSON.stringify(stack.resolve(shared.mountCommands()));
    expect(root).toMatch(/\/shared efs _netdev,tls,iam 0 0/);
    const home = JSON.stringify(stack.resolve(shared.homeMountCommands()));
    expect(home).toMatch(/\/home efs _netdev,tls,iam,accesspoint=/);
  });

  test('has no unacknowledged cdk-nag finding', () => {
    expect(nagFindings(stack)).toEqual([]);
  });
});

describe('SharedFileSystem in its fullest configuration', () => {
  const stack = testStack();
  const vpc = new MlVpc(stack, 'Vpc', { natGateways: 0 }).vpc;
  const lake = new DataLake(stack, 'Lake');
  const shared = new SharedFileSystem(stack, 'Shared', {
    vpc,
    vpcSubnets: { subnets: [vpc.isolatedSubnets[0]] },
    encryptionKey: lake.encryptionKey,
    infrequentAccessAfter: efs.LifecyclePolicy.AFTER_7_DAYS,
    backupRetentionDays: 90,
    homePath: '/users',
    homeUid: 2000,
    homeGid: 3000,
    homePermissions: '0700',
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const role = consumerRole(new iam.Role(stack, 'Admin', { assumedBy: new iam.AccountRootPrincipal() }));
  shared.grantRootAccess(role);
  shared.grantRead(role);
  shared.grantReadWrite(role);
  const template = Template.fromStack(stack);

  test('uses the lake key for the file system and the vault, and creates no key of its own', () => {
    expect(shared.encryptionKey).toBe(lake.encryptionKey);
    template.hasResourceProperties('AWS::EFS::FileSystem', { KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('LakeKey'), 'Arn'] } });
    template.hasResourceProperties('AWS::Backup::BackupVault', { EncryptionKeyArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('LakeKey'), 'Arn'] } });
    expect(Object.keys(template.findResources('AWS::KMS::Key', { Properties: { Description: Match.stringLikeRegexp('EFS') } }))).toEqual([]);
  });

  test('puts its one mount target in the subnet given, and moves files to IA after 7 days', () => {
    template.resourceCountIs('AWS::EFS::MountTarget', 1);
    template.hasResourceProperties('AWS::EFS::FileSystem', { LifecyclePolicies: Match.arrayWith([{ TransitionToIA: 'AFTER_7_DAYS' }]) });
  });

  test('keeps backups 90 days and is destroyed when asked', () => {
    template.hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: Match.objectLike({ BackupPlanRule: [Match.objectLike({ Lifecycle: { DeleteAfterDays: 90 } })] }),
    });
    template.hasResource('AWS::EFS::FileSystem', { DeletionPolicy: 'Delete' });
    template.hasResource('AWS::Backup::BackupVault', { DeletionPolicy: 'Delete' });
  });

  test('creates the home access point as asked', () => {
    template.hasResourceProperties('AWS::EFS::AccessPoint', {
      PosixUser: { Uid: '2000', Gid: '3000' },
      RootDirectory: { Path: '/users', CreationInfo: { OwnerUid: '2000', OwnerGid: '3000', Permissions: '0700' } },
    });
  });

  test('grants root access through EFS\u2019s own grant', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientRootAccess', 'elasticfilesystem:ClientWrite'] }),
        ]),
      },
    });
  });

  test('has no unacknowledged cdk-nag finding', () => {
    expect(nagFindings(stack)).toEqual([]);
  });
});

describe('SharedFileSystem validation', () => {
  const stack = testStack();
  const vpc = new MlVpc(stack, 'Vpc').vpc;
  let n = 0;
  const make = (props: Partial<SharedFileSystemProps>) => () => new SharedFileSystem(stack, `S${n++}`, { vpc, ...props });

  test('fails when the backup retention is under 7 days', () => {
    expect(make({ backupRetentionDays: 1 })).toThrow(/^backupRetentionDays must be an integer from 7 to 36500, got 1 \(at Test\/S\d+\)$/);
  });

  test('fails when the home uid or gid is not a POSIX ID', () => {
    expect(make({ homeUid: -1 })).toThrow(/^homeUid must be an integer from 0 to 4294967295, got -1/);
    expect(make({ homeGid: 1.5 })).toThrow(/^homeGid must be an integer from 0 to 4294967295, got 1.5/);
  });

  test('fails when the home path is not absolute', () => {
    expect(make({ homePath: 'home' })).toThrow(/^homePath must be \/ or an absolute path of one to four directories .*, got 'home'/);
  });

  // Found by test/storage/storage.props.test.ts: EFS refuses these access point paths at deploy time.
  test('fails when the home path is one EFS refuses: five levels, a trailing slash, an empty or hidden directory', () => {
    for (const homePath of ['/a/b/c/d/e', '/home/', '/home//users', '/.home']) {
      expect(make({ homePath })).toThrow(new RegExp(`^homePath must be / or an absolute path of one to four directories .*, got '${homePath}'`));
    }
  });

  test('fails when the home permissions are not octal', () => {
    expect(make({ homePermissions: '789' })).toThrow(/^homePermissions must be octal permissions such as '750', got '789'/);
  });

  test('fails when the VPC has no private subnet and none is given', () => {
    const s = testStack('Public');
    const v = new ec2.Vpc(s, 'V', { subnetConfiguration: [{ name: 'pub', subnetType: ec2.SubnetType.PUBLIC }] });
    expect(() => new SharedFileSystem(s, 'S', { vpc: v })).toThrow(/^vpcSubnets must be given when the VPC has no private subnet, got undefined/);
  });
});

import { Duration, RemovalPolicy, Token, Validations } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { invalidProp, validateNumber } from '../common/errors';
import { efsMountCommands } from './mount-commands';
import { restrictGrantsToAwsServices } from '../common/kms';

/**
 * The settings of a {@link SharedFileSystem}: its props without the VPC and the key, which a composition wires in. A stack that builds one takes this bag.
 */
export interface SharedFileSystemOptions {
  /**
   * The subnets of the mount targets, one per Availability Zone.
   * @default - the VPC's private subnets (with egress, else isolated), one per AZ
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * When files not read for a while move to the Infrequent Access class. A file read there moves
   * back to Standard on its first access.
   * @default efs.LifecyclePolicy.AFTER_30_DAYS
   */
  readonly infrequentAccessAfter?: efs.LifecyclePolicy;
  /**
   * Days that the AWS Backup plan keeps each daily backup (7 to 36500).
   * @default 35
   */
  readonly backupRetentionDays?: number;
  /**
   * The path of the home-directories access point, created on first use: `/` or one to four
   * directories, at most 100 characters.
   * @see https://docs.aws.amazon.com/efs/latest/ug/API_RootDirectory.html
   * @default '/home'
   */
  readonly homePath?: string;
  /**
   * The POSIX user ID that the home access point enforces and owns its directory with.
   * @default 1000 (the first user on Amazon Linux and the SageMaker images)
   */
  readonly homeUid?: number;
  /**
   * The POSIX group ID that the home access point enforces and owns its directory with.
   * @default 1000
   */
  readonly homeGid?: number;
  /**
   * The octal permissions of the home directory when the access point creates it.
   * @default '750'
   */
  readonly homePermissions?: string;
  /**
   * What happens to the file system, its key (when created here) and its backup vault when they
   * leave the stack. The vault keeps its recovery points whatever happens to the file system.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Properties of a {@link SharedFileSystem}. */
export interface SharedFileSystemProps extends SharedFileSystemOptions {
  /** The VPC of the file system's mount targets and its clients. */
  readonly vpc: ec2.IVpc;
  /**
   * The key that encrypts the file system and its backup vault (for example the data lake's key).
   * @default - a new customer-managed key with rotation
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * An Amazon EFS file system shared by notebooks, training jobs and people: home directories,
 * code, small shared datasets.
 *
 * - Encrypted at rest with a customer-managed key (the lake's or a new one); clients must use TLS.
 * - Elastic throughput, General Purpose mode, lifecycle to Infrequent Access after 30 days and back
 *   on first access.
 * - Mount targets in the private subnets, behind a security group that only `connections` opens.
 * - EFS automatic backups on, and the file system selected into an AWS Backup plan (daily, kept
 *   35 days) whose vault is encrypted with the same key and retained.
 * - An access point for home directories that enforces one POSIX user and creates the directory.
 * - Clients authorize with IAM (`grantRead`, `grantReadWrite`, `grantRootAccess`, `grantHomeAccess`)
 *   and mount with `mountCommands` / `homeMountCommands` (`tls,iam`).
 *
 * @see https://docs.aws.amazon.com/efs/latest/ug/awsbackup.html
 */
export class SharedFileSystem extends Construct implements ec2.IConnectable {
  /** The file system. */
  public readonly fileSystem: efs.FileSystem;
  /** The key that encrypts the file system and the backup vault. */
  public readonly encryptionKey: kms.IKey;
  /** The access point for home directories. */
  public readonly homeAccessPoint: efs.AccessPoint;
  /** The backup vault. */
  public readonly backupVault: backup.BackupVault;
  /** The backup plan that selects the file system. */
  public readonly backupPlan: backup.BackupPlan;
  /** Network access to the mount targets (NFS, TCP 2049). */
  public readonly connections: ec2.Connections;
  /** The file system's ID. */
  public readonly fileSystemId: string;

  /**
   * Defines a `SharedFileSystem` in `scope`.
   *
   * @param scope the scope to define the construct in
   * @param id the construct's id, unique in `scope`
   * @param props the construct's configuration, see `SharedFileSystemProps`
   */
  constructor(scope: Construct, id: string, props: SharedFileSystemProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const retentionDays = props.backupRetentionDays ?? 35;
    const homePath = props.homePath ?? '/home';
    const uid = props.homeUid ?? 1000;
    const gid = props.homeGid ?? 1000;
    const permissions = props.homePermissions ?? '750';
    validateNumber(this, 'backupRetentionDays', retentionDays, { integer: true, min: 7, max: 36500 });
    validateNumber(this, 'homeUid', uid, { integer: true, min: 0, max: 4294967295 });
    validateNumber(this, 'homeGid', gid, { integer: true, min: 0, max: 4294967295 });
    // EFS takes '/' or one to four directories, none starting with '.', in at most 100 characters.
    if (!Token.isUnresolved(homePath) && (homePath.length > 100 || !/^(\/|(\/[A-Za-z0-9_-][A-Za-z0-9_.-]*){1,4})$/.test(homePath))) {
      throw invalidProp(this, 'homePath', 'must be / or an absolute path of one to four directories (letters, digits, . _ -, not starting with .), at most 100 characters, such as /home', homePath);
    }
    if (!Token.isUnresolved(permissions) && !/^[0-7]{3,4}$/.test(permissions)) {
      throw invalidProp(this, 'homePermissions', "must be octal permissions such as '750'", permissions);
    }

    const vpcSubnets = props.vpcSubnets ?? defaultPrivateSubnets(this, props.vpc);
    this.encryptionKey =
      props.encryptionKey ??
      restrictGrantsToAwsServices(new kms.Key(this, 'Key', {
        description: `Encrypts the EFS file system ${this.node.path} and its backups`,
        enableKeyRotation: true,
        removalPolicy,
      }));

    this.fileSystem = new efs.FileSystem(this, 'FileSystem', {
      vpc: props.vpc,
      vpcSubnets,
      encrypted: true,
      kmsKey: this.encryptionKey,
      throughputMode: efs.ThroughputMode.ELASTIC,
      performanceMode: efs.PerformanceMode.GENERAL_PURPOSE,
      lifecyclePolicy: props.infrequentAccessAfter ?? efs.LifecyclePolicy.AFTER_30_DAYS,
      outOfInfrequentAccessPolicy: efs.OutOfInfrequentAccessPolicy.AFTER_1_ACCESS,
      enableAutomaticBackups: true,
      // `false` would add a statement giving write and root access to every principal that can
      // mount, which makes grantRead a root grant. The TLS statement below makes the policy exist,
      // and with a policy EFS denies what no grant allows, anonymous clients included.
      allowAnonymousAccess: true,
      removalPolicy,
    });
    this.fileSystem.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyWithoutTls',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['*'],
        resources: ['*'],
        conditions: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
    this.fileSystemId = this.fileSystem.fileSystemId;
    this.connections = this.fileSystem.connections;

    this.homeAccessPoint = this.fileSystem.addAccessPoint('HomeAccessPoint', {
      path: homePath,
      posixUser: { uid: String(uid), gid: String(gid) },
      createAcl: { ownerUid: String(uid), ownerGid: String(gid), permissions },
    });

    this.backupVault = new backup.BackupVault(this, 'BackupVault', {
      encryptionKey: this.encryptionKey,
      removalPolicy,
    });
    this.backupPlan = new backup.BackupPlan(this, 'BackupPlan', {
      backupVault: this.backupVault,
      backupPlanRules: [
        new backup.BackupPlanRule({
          ruleName: 'Daily',
          scheduleExpression: events.Schedule.cron({ hour: '5', minute: '0' }),
          deleteAfter: Duration.days(retentionDays),
        }),
      ],
    });
    const selection = this.backupPlan.addSelection('FileSystem', {
      resources: [backup.BackupResource.fromEfsFileSystem(this.fileSystem)],
    });
    Validations.of(selection).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
      reason:
        'AWS Backup assumes this role to back up the selected file system only; AWS maintains the managed policy as the service adds resource types, and a hand-written copy would go stale.',
    });
  }

  /**
   * Lets a client mount the file system (NFS, TCP 2049). Same as `connections.allowDefaultPortFrom(client)`.
   *
   * @param client the client to allow (a training cluster, an instance, a launch template's security group)
   */
  public allowClient(client: ec2.IConnectable): void {
    this.connections.allowDefaultPortFrom(client);
  }

  /**
   * Grants mounting read-only through a mount target, with IAM authorization.
   *
   * @param grantee the principal to grant to (a role, a user, a function)
   */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.fileSystem.grantRead(grantee);
  }

  /**
   * Grants mounting read-write through a mount target, with IAM authorization.
   *
   * @param grantee the principal to grant to (a role, a user, a function)
   */
  public grantReadWrite(grantee: iam.IGrantable): iam.Grant {
    return this.fileSystem.grantReadWrite(grantee);
  }

  /**
   * Grants mounting read-write as root (no root squashing) through a mount target. For administration only.
   *
   * @param grantee the principal to grant to (a role, a user, a function)
   */
  public grantRootAccess(grantee: iam.IGrantable): iam.Grant {
    return this.fileSystem.grantRootAccess(grantee);
  }

  /**
   * Grants mounting read-write through the home-directories access point only.
   *
   * @param grantee the principal to grant to (a role, a user, a function)
   */
  public grantHomeAccess(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
      resourceArns: [this.fileSystem.fileSystemArn],
      conditions: {
        StringEquals: { 'elasticfilesystem:AccessPointArn': this.homeAccessPoint.accessPointArn },
        Bool: { 'elasticfilesystem:AccessedViaMountTarget': 'true' },
      },
    });
  }

  /**
   * Shell commands for a client's user data that mount the file system's root at `mountPath` with
   * the EFS mount helper (`tls,iam`), with an fstab entry (`_netdev`) so it survives a reboot.
   * Needs `amazon-efs-utils` on the host.
   *
   * @param mountPath where to mount the file system on the client; `/shared` when omitted
   */
  public mountCommands(mountPath: string = '/shared'): string[] {
    return efsMountCommands(this.fileSystemId, mountPath);
  }

  /**
   * Like {@link mountCommands}, through the home-directories access point.
   *
   * @param mountPath where to mount the home directories on the client; `/home` when omitted
   */
  public homeMountCommands(mountPath: string = '/home'): string[] {
    return efsMountCommands(this.fileSystemId, mountPath, this.homeAccessPoint.accessPointId);
  }
}

function defaultPrivateSubnets(scope: Construct, vpc: ec2.IVpc): ec2.SubnetSelection {
  if (vpc.privateSubnets.length > 0) return { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, onePerAz: true };
  if (vpc.isolatedSubnets.length > 0) return { subnetType: ec2.SubnetType.PRIVATE_ISOLATED, onePerAz: true };
  throw invalidProp(scope, 'vpcSubnets', 'must be given when the VPC has no private subnet', undefined);
}

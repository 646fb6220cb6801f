import { Duration, Fn, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { invalidProp, validateNumber } from '../common/errors';
import { IDataLake } from '../data-lake';
import { grantExploration } from './private/access';
import { autoStopScript, starterNotebooksDir } from './private/assets';
import { defaultSubnets, requiredEndpoints, warnMissingEndpoints } from './private/endpoints';
import { ResearchAccessOptions, ResearchResources } from './research-access';
import { restrictGrantsToAwsServices } from '../common/kms';
import { acknowledgeCrossStackReference, acknowledgeInlinePolicy } from '../common/nag';

/**
 * Instance families that the SageMaker API's `InstanceType` enum (the notebook instance types) lists,
 * as generated into cdklabs/cdk-proserve-lib's `SageMakerNotebookInstanceType`.
 *
 * @see https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateNotebookInstance.html
 */
const NOTEBOOK_FAMILIES = new Set([
  't2', 't3',
  'm4', 'm5', 'm5d', 'm6i', 'm6id', 'm7i',
  'c4', 'c5', 'c5d', 'c5n', 'c6i', 'c6id', 'c7i',
  'r5', 'r5d', 'r6i', 'r6id', 'r7i',
  'p2', 'p3', 'p3dn', 'p4d', 'p4de', 'p5', 'p5e', 'p5en',
  'g4dn', 'g5', 'g6', 'g6e', 'gr6',
  'inf1', 'inf2', 'trn1', 'trn1n',
]);

/** The smallest and largest ML storage volume of a notebook instance, GB (CreateNotebookInstance: 5 to 16384). */
const VOLUME_GB = { min: 5, max: 16384 };

/** A lifecycle script may hold at most 16384 characters (CreateNotebookInstanceLifecycleConfig). */
const MAX_SCRIPT_CHARS = 16384;

/** The options of a {@link ResearchNotebook}: its props, less the resources a stack wires in. */
export interface ResearchNotebookOptions extends ResearchAccessOptions {
  /**
   * The ML instance type, `ml.<family>.<size>`, of a family that notebook instances offer.
   * @default 'ml.t3.medium'
   */
  readonly instanceType?: string;
  /**
   * The size of the ML storage volume, GB: 5 to 16384. It can grow later, never shrink.
   * @default 20
   */
  readonly volumeSizeGiB?: number;
  /**
   * How long the instance may stay idle (no kernel busy, no activity) before the lifecycle
   * configuration stops it: whole minutes, from 5 minutes to 7 days.
   * @default Duration.hours(1)
   */
  readonly idleTimeout?: Duration;
  /**
   * The HTTPS URL of a Git repository to clone into the instance as its default repository. The
   * instance has no internet access: the repository must be reachable from the VPC (a NAT gateway,
   * or AWS CodeCommit through its endpoint).
   * @default - no repository
   */
  readonly gitRepositoryUrl?: string;
  /**
   * The branch of `gitRepositoryUrl`.
   * @default - the repository's default branch
   */
  readonly gitBranch?: string;
  /**
   * The Secrets Manager secret with the repository's credentials (`{"username": ..., "password": ...}`).
   * The role may read this secret only.
   * @default - a public repository, no credentials
   */
  readonly gitCredentials?: secretsmanager.ISecret;
  /**
   * Copy the starter notebooks (data-quality report, shard manifest) into `starter-notebooks/` when
   * the instance is created.
   * @default true
   */
  readonly starterNotebooks?: boolean;
  /**
   * The key that encrypts the ML storage volume.
   * @default - a new customer-managed key with rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * The name of the notebook instance.
   * @default - a unique name from the construct path
   */
  readonly notebookInstanceName?: string;
  /**
   * What happens to the instance (its volume holds the users' notebooks) and the key created here when
   * they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Properties of a {@link ResearchNotebook}. */
export interface ResearchNotebookProps extends ResearchNotebookOptions, ResearchResources {
  /** The VPC the instance's network interface lives in. */
  readonly vpc: ec2.IVpc;
  /** The data lake: the role reads the curated zone and works in a scratch prefix of the artifacts zone. */
  readonly dataLake: IDataLake;
  /**
   * The subnets to choose from; the instance goes in the first.
   * @default - the VPC's private subnets (isolated ones when it has no others)
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
}

/**
 * A SageMaker notebook instance for exploring the lake, locked down: in a private subnet with its own
 * security group, no direct internet access, no root access, KMS-encrypted volume, IMDSv2 only, on the
 * newest platform, stopped after an idle hour by a lifecycle configuration that installs nothing.
 *
 * Its execution role reads the curated zone, works in a scratch prefix of the artifacts zone, queries
 * through the Athena workgroup, reads the Glue catalog and may submit preprocessing jobs, and nothing
 * else: no `iam:PassRole`.
 */
export class ResearchNotebook extends Construct implements iam.IGrantable, ec2.IConnectable {
  /**
   * The newest notebook platform, Amazon Linux 2023. `notebook-al2-v3` is still the service default;
   * `notebook-al1-v1`, `notebook-al2-v1` and `notebook-al2-v2` are deprecated.
   *
   * @see https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateNotebookInstance.html
   */
  public static readonly PLATFORM_IDENTIFIER = 'notebook-al2023-v1';

  /** The notebook instance (L1: notebook instances have no L2). */
  public readonly notebookInstance: sagemaker.CfnNotebookInstance;
  /** The lifecycle configuration: idle auto-stop on start, starter notebooks on create. */
  public readonly lifecycleConfig: sagemaker.CfnNotebookInstanceLifecycleConfig;
  /** The Git repository, when `gitRepositoryUrl` is given. */
  public readonly codeRepository?: sagemaker.CfnCodeRepository;
  /** The execution role. */
  public readonly role: iam.Role;
  /** The security group of the instance's network interface: HTTPS out only. */
  public readonly securityGroup: ec2.SecurityGroup;
  /** The key of the ML storage volume. */
  public readonly encryptionKey: kms.IKey;
  /** The starter notebooks, as an asset, when `starterNotebooks` is on. */
  public readonly starterNotebooksAsset?: s3assets.Asset;
  /** The name of the notebook instance. */
  public readonly notebookInstanceName: string;
  /** The ARN of the notebook instance. */
  public readonly notebookInstanceArn: string;
  /** The instance type. */
  public readonly instanceType: string;
  /** The idle time after which the instance stops. */
  public readonly idleTimeout: Duration;
  /** Endpoints the instance needs that the VPC (an MlVpc) lacks; empty when complete or not an MlVpc. */
  public readonly missingEndpoints: string[];
  public readonly grantPrincipal: iam.IPrincipal;
  public readonly connections: ec2.Connections;

  /**
   * Defines a `ResearchNotebook` in `scope`.
   *
   * @param scope the scope to define the construct in
   * @param id the construct's id, unique in `scope`
   * @param props the construct's configuration, see `ResearchNotebookProps`
   */
  constructor(scope: Construct, id: string, props: ResearchNotebookProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.instanceType = props.instanceType ?? 'ml.t3.medium';
    validateInstanceType(this, this.instanceType);
    const volumeSizeGiB = props.volumeSizeGiB ?? 20;
    validateNumber(this, 'volumeSizeGiB', volumeSizeGiB, { integer: true, ...VOLUME_GB });
    this.idleTimeout = props.idleTimeout ?? Duration.hours(1);
    const idleSeconds = validateIdleTimeout(this, this.idleTimeout);
    if (props.gitRepositoryUrl === undefined && (props.gitBranch !== undefined || props.gitCredentials !== undefined)) {
      throw invalidProp(this, props.gitBranch !== undefined ? 'gitBranch' : 'gitCredentials', 'needs gitRepositoryUrl', props.gitBranch ?? 'a secret');
    }
    if (props.gitRepositoryUrl !== undefined && !Token.isUnresolved(props.gitRepositoryUrl) && !/^https:\/\/[^\s/]+\/\S+$/.test(props.gitRepositoryUrl)) {
      throw invalidProp(this, 'gitRepositoryUrl', 'must be an https:// URL of a repository', props.gitRepositoryUrl);
    }
    const stack = Stack.of(this);
    this.notebookInstanceName = props.notebookInstanceName ?? Names.uniqueResourceName(this, { maxLength: 63, separator: '-' });
    if (!Token.isUnresolved(this.notebookInstanceName) && !/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(this.notebookInstanceName)) {
      throw invalidProp(this, 'notebookInstanceName', 'must be 1 to 63 letters, digits and inner hyphens', this.notebookInstanceName);
    }
    this.notebookInstanceArn = stack.formatArn({ service: 'sagemaker', resource: 'notebook-instance', resourceName: this.notebookInstanceName.toLowerCase() });

    this.encryptionKey =
      props.encryptionKey ??
      restrictGrantsToAwsServices(new kms.Key(this, 'Key', { description: `Encrypts the ML storage volume of ${this.node.path}`, enableKeyRotation: true, removalPolicy }));

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Notebook instance ${this.node.path}: HTTPS out to the VPC endpoints and S3, nothing in`,
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to the interface endpoints, the S3 gateway endpoint and Git');
    this.connections = this.securityGroup.connections;

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: `Execution role of the notebook instance ${this.node.path}: exploration of the curated zone`,
    });
    acknowledgeInlinePolicy(this.role);
    this.grantPrincipal = this.role;
    grantExploration(this, this.role, { ...props, encryptionKey: this.encryptionKey, logGroupName: '/aws/sagemaker/NotebookInstances' });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'StopWhenIdle',
        actions: ['sagemaker:DescribeNotebookInstance', 'sagemaker:StopNotebookInstance'],
        resources: [this.notebookInstanceArn],
      }),
    );

    const onCreate: string[] = [];
    if (props.starterNotebooks ?? true) {
      this.starterNotebooksAsset = new s3assets.Asset(this, 'StarterNotebooks', { path: starterNotebooksDir(), exclude: ['__pycache__', '*.pyc'] });
      // The one object of the asset, not the bootstrap bucket: s3:GetObject on its key.
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'StarterNotebooks',
          actions: ['s3:GetObject'],
          resources: [this.starterNotebooksAsset.bucket.arnForObjects(this.starterNotebooksAsset.s3ObjectKey)],
        }),
      );
      onCreate.push(starterNotebooksScript(this.starterNotebooksAsset.s3ObjectUrl));
    }
    const onStart = autoStopLifecycleScript(idleSeconds);
    if (onStart.length > MAX_SCRIPT_CHARS) throw new Error(`The auto-stop script holds ${onStart.length} characters, more than ${MAX_SCRIPT_CHARS}`);
    this.lifecycleConfig = new sagemaker.CfnNotebookInstanceLifecycleConfig(this, 'Lifecycle', {
      onStart: [{ content: Fn.base64(onStart) }],
      onCreate: onCreate.length ? [{ content: Fn.base64(onCreate.join('\n')) }] : undefined,
    });

    if (props.gitRepositoryUrl !== undefined) {
      this.codeRepository = new sagemaker.CfnCodeRepository(this, 'Repository', {
        gitConfig: { repositoryUrl: props.gitRepositoryUrl, branch: props.gitBranch, secretArn: props.gitCredentials?.secretArn },
      });
      props.gitCredentials?.grantRead(this.role);
    }

    const subnets = props.vpc.selectSubnets(props.vpcSubnets ?? defaultSubnets(props.vpc)).subnets;
    if (subnets.length === 0) throw invalidProp(this, 'vpcSubnets', 'must select at least one subnet', props.vpcSubnets ?? 'the private subnets');
    if (Stack.of(subnets[0]) !== Stack.of(this)) {
      acknowledgeCrossStackReference(this, 'sagemaker_notebook_no_direct_internet_access_check', 'DirectInternetAccess is Disabled and SubnetId');
      acknowledgeCrossStackReference(this, 'sagemaker_notebook_instance_inside_vpc_check', 'SubnetId');
    }
    this.notebookInstance = new sagemaker.CfnNotebookInstance(this, 'Resource', {
      notebookInstanceName: this.notebookInstanceName,
      instanceType: this.instanceType,
      platformIdentifier: ResearchNotebook.PLATFORM_IDENTIFIER,
      roleArn: this.role.roleArn,
      subnetId: subnets[0].subnetId,
      securityGroupIds: [this.securityGroup.securityGroupId],
      directInternetAccess: 'Disabled',
      rootAccess: 'Disabled',
      kmsKeyId: this.encryptionKey.keyId,
      volumeSizeInGb: volumeSizeGiB,
      instanceMetadataServiceConfiguration: { minimumInstanceMetadataServiceVersion: '2' },
      lifecycleConfigName: this.lifecycleConfig.attrNotebookInstanceLifecycleConfigName,
      defaultCodeRepository: this.codeRepository?.attrCodeRepositoryName,
    });
    this.notebookInstance.applyRemovalPolicy(removalPolicy);
    // The role's policies first, so that the lifecycle scripts run with their permissions.
    this.notebookInstance.node.addDependency(this.role);

    this.missingEndpoints = warnMissingEndpoints(
      this,
      props.vpc,
      requiredEndpoints({
        athena: props.workgroup !== undefined,
        glue: props.workgroup !== undefined || props.catalog !== undefined,
        batch: props.jobQueue !== undefined,
        secrets: props.gitCredentials !== undefined,
      }),
    );
  }
}

function validateInstanceType(scope: Construct, instanceType: string): void {
  if (Token.isUnresolved(instanceType)) return;
  const match = /^ml\.([a-z0-9]+)\.(medium|large|\d*xlarge)$/.exec(instanceType);
  if (!match || !NOTEBOOK_FAMILIES.has(match[1])) {
    throw invalidProp(scope, 'instanceType', `must be a notebook instance type ml.<family>.<size> of the families ${[...NOTEBOOK_FAMILIES].join(', ')}`, instanceType);
  }
}

/** Whole seconds of an idle timeout of whole minutes from 5 minutes to 7 days (cron checks every 5 minutes). */
function validateIdleTimeout(scope: Construct, timeout: Duration): number {
  if (timeout.isUnresolved()) throw invalidProp(scope, 'idleTimeout', 'must be a literal duration (it is written into the lifecycle script)', 'a token');
  const seconds = timeout.toSeconds();
  if (seconds % 60 !== 0 || seconds < 300 || seconds > 7 * 24 * 3600) {
    throw invalidProp(scope, 'idleTimeout', 'must be whole minutes from 5 minutes to 7 days', timeout.toHumanString());
  }
  return seconds;
}

/**
 * The OnStart script: writes the auto-stop checker and a systemd timer that runs it every five
 * minutes (Amazon Linux 2023 has systemd but no cron). Nothing is downloaded.
 */
function autoStopLifecycleScript(idleSeconds: number): string {
  const checker = autoStopScript();
  return [
    '#!/bin/bash',
    '# cdk-ml-at-scale: stop this notebook instance when idle. Installs nothing from the internet.',
    'set -euo pipefail',
    'DIR=/usr/local/lib/mlscale-autostop',
    'mkdir -p "$DIR"',
    "cat > \"$DIR/autostop.py\" <<'AUTOSTOP_PY'",
    checker.trimEnd(),
    'AUTOSTOP_PY',
    'date -u +%Y-%m-%dT%H:%M:%SZ > "$DIR/started"',
    'AWS_CLI="$(command -v aws || echo /usr/local/bin/aws)"',
    'cat > /etc/systemd/system/mlscale-autostop.service <<UNIT',
    '[Unit]',
    'Description=Stop the notebook instance when idle (cdk-ml-at-scale)',
    '[Service]',
    'Type=oneshot',
    `ExecStart=/usr/bin/python3 $DIR/autostop.py --idle-seconds ${idleSeconds} --started-file $DIR/started --aws-cli $AWS_CLI`,
    'UNIT',
    'cat > /etc/systemd/system/mlscale-autostop.timer <<UNIT',
    '[Unit]',
    'Description=Check every five minutes whether the notebook instance is idle',
    '[Timer]',
    'OnBootSec=5min',
    'OnUnitActiveSec=5min',
    '[Install]',
    'WantedBy=timers.target',
    'UNIT',
    'systemctl daemon-reload',
    'systemctl enable --now mlscale-autostop.timer',
    '',
  ].join('\n');
}

/** The OnCreate script: unpacks the starter notebooks from the CDK asset bucket, through the S3 gateway endpoint. */
function starterNotebooksScript(objectUrl: string): string {
  return [
    '#!/bin/bash',
    '# cdk-ml-at-scale: copy the starter notebooks into the home folder of the instance.',
    'set -euo pipefail',
    'AWS_CLI="$(command -v aws || echo /usr/local/bin/aws)"',
    `"$AWS_CLI" s3 cp ${objectUrl} /tmp/starter-notebooks.zip`,
    'mkdir -p /home/ec2-user/SageMaker/starter-notebooks',
    'python3 -m zipfile -e /tmp/starter-notebooks.zip /home/ec2-user/SageMaker/starter-notebooks',
    'chown -R ec2-user:ec2-user /home/ec2-user/SageMaker/starter-notebooks',
    'rm -f /tmp/starter-notebooks.zip',
    '',
  ].join('\n');
}

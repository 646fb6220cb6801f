import { Aws, Duration, RemovalPolicy, Size, Stack, Token, Validations } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as fsx from 'aws-cdk-lib/aws-fsx';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { invalidProp, validateNumber } from '../common/errors';
import { allowCloudWatchLogs, logRetention } from '../common/logging';
import { acknowledgeWildcardResources, principalConstruct } from '../common/nag';
import { grantPrefixes, plainPrefix, S3_READ_ACTIONS, S3_WRITE_ACTIONS } from '../common/s3-access';
import {
  cpuInstanceFacts,
  gpuInstanceFacts,
  instanceClassLetter,
  instanceFamily,
  InstanceTypeFacts,
  isGraviton,
  knownGpuInstanceTypes,
  schedulableMemoryMiB,
} from './instance-types';
import { hostSetupCommands } from './private/host-setup';

/** The two job queues of a {@link TrainingCluster}. */
export enum TrainingQueue {
  /** The training queue: GPU instances (P family), on-demand. */
  GPU = 'gpu',
  /** The preprocessing queue: CPU instances (C family), Spot by default. */
  CPU = 'cpu',
}

/** Access of the cluster's jobs to one bucket of the data lake. */
export interface LakeAccess {
  /** The bucket. */
  readonly bucket: s3.IBucket;
  /**
   * Key prefixes the jobs may use, such as `datasets/imagenet`.
   * @default - the whole bucket
   */
  readonly prefixes?: string[];
  /**
   * Whether the jobs may also write and delete objects under the prefixes.
   * @default false
   */
  readonly write?: boolean;
  /**
   * The key that encrypts the bucket.
   * @default - the bucket's own `encryptionKey`, if it has one
   */
  readonly encryptionKey?: kms.IKey;
}

/** Properties of a {@link TrainingCluster}. */
export interface TrainingClusterProps {
  /** The VPC the instances run in. */
  readonly vpc: ec2.IVpc;
  /**
   * The subnets the instances run in. With EFA, the GPU instances use only the first of them: a
   * cluster placement group lives in one Availability Zone.
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * GPU instance types of the training compute environment. P family only (p3, p3dn, p4d, p4de, p5,
   * p5e, p5en, p6-b200), unless `allowGpuDevelopmentInstances` also admits G5 types.
   * @default - p4d.24xlarge
   */
  readonly gpuInstanceTypes?: ec2.InstanceType[];
  /**
   * Admit G-family (G5) instance types in the training compute environment: cheap single-GPU
   * development and smoke tests, not production training.
   * @default false
   */
  readonly allowGpuDevelopmentInstances?: boolean;
  /**
   * The most vCPUs the training compute environment runs at once. Batch scales from 0 to this.
   * @default 768 (eight 96-vCPU instances)
   */
  readonly gpuMaxVcpus?: number;
  /**
   * Attach EFA interfaces, one per network card, and launch into a cluster placement group. Needs
   * every GPU instance type to support EFA with the same number of interfaces.
   * @default - true when every GPU instance type supports EFA
   */
  readonly efaEnabled?: boolean;

  /**
   * CPU instance types of the preprocessing compute environment. C family (5th generation or newer)
   * only, unless `allowGeneralPurposeCpuInstances` also admits M and R.
   * @default - c6i.2xlarge, c6i.4xlarge, c6a.2xlarge, c6a.4xlarge
   */
  readonly cpuInstanceTypes?: ec2.InstanceType[];
  /**
   * Admit M (general purpose) and R (memory optimized) families in the preprocessing compute environment.
   * @default false
   */
  readonly allowGeneralPurposeCpuInstances?: boolean;
  /**
   * The most vCPUs the preprocessing compute environment runs at once.
   * @default 256
   */
  readonly cpuMaxVcpus?: number;
  /**
   * Run preprocessing on Spot (SPOT_PRICE_CAPACITY_OPTIMIZED); false runs it on demand (BEST_FIT_PROGRESSIVE).
   * @default true
   */
  readonly cpuSpot?: boolean;

  /**
   * Attach a fair-share scheduling policy to both queues. Jobs must then be submitted with a share
   * identifier.
   * @default false
   */
  readonly fairShareScheduling?: boolean;
  /**
   * Share identifiers of the fair-share policy, with equal weight (for example one per team).
   * @default - none: Batch shares equally among the identifiers that jobs use
   */
  readonly fairShareIdentifiers?: string[];

  /**
   * The FSx for Lustre file system that the instances mount at `lustreMountPath`. The cluster opens
   * TCP 988 and 1018-1023 to it from its security group. Needs `lustreMountName`.
   * @default - no Lustre mount
   */
  readonly lustreFileSystem?: fsx.IFileSystem;
  /**
   * The Lustre mount name of `lustreFileSystem` (`LustreFileSystem.mountName`).
   * @default - required when `lustreFileSystem` is given
   */
  readonly lustreMountName?: string;
  /**
   * The DNS name of `lustreFileSystem`.
   * @default - the file system's `dnsName` when it is a `LustreFileSystem`, else `<fileSystemId>.fsx.<region>.amazonaws.com`
   */
  readonly lustreDnsName?: string;
  /**
   * Where the Lustre file system is mounted on the hosts and in the jobs' containers.
   * @default '/fsx'
   */
  readonly lustreMountPath?: string;
  /**
   * An EFS file system mounted at `sharedFileSystemMountPath` (home directories, code, small files).
   * @default - no EFS mount
   */
  readonly sharedFileSystem?: efs.IFileSystem;
  /**
   * Where the EFS file system is mounted.
   * @default '/home'
   */
  readonly sharedFileSystemMountPath?: string;
  /**
   * Mount the EFS file system through this access point.
   * @default - the file system's root
   */
  readonly sharedFileSystemAccessPoint?: efs.IAccessPoint;
  /**
   * Where local NVMe instance storage is mounted (striped when there are several devices).
   * @default '/scratch'
   */
  readonly scratchMountPath?: string;

  /**
   * Size of each instance's encrypted root volume, which holds the container images.
   * @default 200
   */
  readonly rootVolumeSizeGiB?: number;
  /**
   * The key that encrypts the root volumes and the job log group. A key passed in must let EC2 (via
   * the Auto Scaling service-linked role) and CloudWatch Logs use it.
   * @default - a new customer-managed key with rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * The CloudWatch namespace of the host metrics (GPU utilization and memory, disk, memory).
   * @default 'CdkMlAtScale/Training'
   */
  readonly metricsNamespace?: string;

  /**
   * The data lake locations the jobs read and write.
   * @default - no lake access
   */
  readonly lakeAccess?: LakeAccess[];
  /**
   * How long job logs are kept. At least a year.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the log group and the key created here when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Container image of the preprocessing job.
   * @default - Amazon Linux 2023 from ECR Public, a placeholder for a smoke test
   */
  readonly preprocessImage?: ecs.ContainerImage;
  /**
   * Command of the preprocessing job. `Ref::manifestUri` is replaced by the job parameter of that name.
   * @default - prints the shard index and the manifest location
   */
  readonly preprocessCommand?: string[];
  /**
   * vCPUs of each preprocessing job (each array child).
   * @default 2
   */
  readonly preprocessVcpus?: number;
  /**
   * Memory of each preprocessing job, GiB.
   * @default 4
   */
  readonly preprocessMemoryGiB?: number;

  /**
   * Container image of the training jobs.
   * @default - Amazon Linux 2023 from ECR Public, a placeholder for a smoke test (runs nvidia-smi)
   */
  readonly trainingImage?: ecs.ContainerImage;
  /**
   * Command of the training jobs.
   * @default ['nvidia-smi']
   */
  readonly trainingCommand?: string[];
  /**
   * GPUs of the single-node training job. Must fit at least one GPU instance type.
   * @default - the GPUs of the smallest GPU instance type
   */
  readonly trainingGpus?: number;
  /**
   * vCPUs of the single-node training job.
   * @default - the vCPUs of the smallest GPU instance type
   */
  readonly trainingVcpus?: number;
  /**
   * Memory of the single-node training job, GiB.
   * @default - the schedulable memory of the smallest GPU instance type
   */
  readonly trainingMemoryGiB?: number;
  /**
   * Shared memory (`/dev/shm`) of the training containers, GiB. PyTorch data loaders and NCCL need
   * more than Docker's 64 MiB.
   * @default - half of trainingMemoryGiB, at most 64
   */
  readonly trainingSharedMemoryGiB?: number;

  /**
   * Nodes of the multi-node parallel training job. At least 2; leave undefined for no multi-node job.
   * @default - no multi-node job definition
   */
  readonly multiNodeCount?: number;
  /**
   * Instance type of every node of the multi-node job. One of `gpuInstanceTypes`.
   * @default - the largest GPU instance type (most GPUs, then most vCPUs)
   */
  readonly multiNodeInstanceType?: ec2.InstanceType;
  /**
   * Index of the main node of the multi-node job.
   * @default 0
   */
  readonly multiNodeMainNode?: number;

  /**
   * Attempts of every job, counting the first. Only Spot reclaims and host terminations are retried.
   * @default 3
   */
  readonly retryAttempts?: number;
  /**
   * A job still RUNNABLE after this long for a reason that will not go away (it asks for more than
   * the compute environment can ever give) is cancelled. Between 10 minutes and 86400 minutes.
   * @default Duration.minutes(30)
   */
  readonly stuckJobTimeout?: Duration;
}

const DEFAULT_GPU_TYPES = ['p4d.24xlarge'];
const DEFAULT_CPU_TYPES = ['c6i.2xlarge', 'c6i.4xlarge', 'c6a.2xlarge', 'c6a.4xlarge'];
const PLACEHOLDER_IMAGE = 'public.ecr.aws/amazonlinux/amazonlinux:2023';
const RETRY_STATUS_REASON = 'Host EC2*';

/**
 * GPU training on AWS Batch, fed by CPU preprocessing: the producer/consumer topology of the whitepaper.
 *
 * - A GPU compute environment (P family, on-demand, BEST_FIT_PROGRESSIVE, ECS_AL2023_NVIDIA images,
 *   0 vCPUs when idle) behind the `gpuQueue`, with EFA interfaces and a cluster placement group on
 *   EFA-capable types.
 * - A CPU compute environment (C family, Spot by default) behind the `cpuQueue`.
 * - Launch templates whose MIME multi-part user data installs the Lustre client and mounts the file
 *   system at `/fsx`, EFS at `/home`, stripes local NVMe into `/scratch` and runs the CloudWatch agent
 *   with GPU metrics. IMDSv2 only, hop limit 1 (containers, in bridge or awsvpc mode, cannot reach the
 *   instance role through IMDS and use the job role from the ECS credentials endpoint instead; the
 *   ECS agent runs in the host network), KMS-encrypted root volume.
 * - Job definitions: preprocessing (array jobs), single-node training and, when `multiNodeCount` is
 *   set, multi-node parallel training. Their sizes are checked against the instance types at synth.
 *
 * Scale up, then out: a job that fits one bigger instance runs faster than the same work spread over
 * several smaller ones, because GPUs in one instance talk over NVLink instead of the network. Synth
 * warns when the multi-node job uses a smaller size while a bigger one of the same family is allowed.
 *
 * @see https://docs.aws.amazon.com/batch/latest/userguide/multi-node-parallel-jobs.html
 * @see https://docs.aws.amazon.com/batch/latest/userguide/efa.html
 */
export class TrainingCluster extends Construct implements ec2.IConnectable {
  /** The security group of every instance; allows all traffic within itself when EFA or multi-node is on. */
  public readonly securityGroup: ec2.SecurityGroup;
  /** Network access of the instances. */
  public readonly connections: ec2.Connections;
  /** The key of the root volumes and the log group. */
  public readonly encryptionKey: kms.IKey;
  /** The launch template of the GPU instances. */
  public readonly launchTemplate: ec2.LaunchTemplate;
  /** The launch template of the CPU instances. */
  public readonly cpuLaunchTemplate: ec2.LaunchTemplate;
  /** The cluster placement group of the GPU instances, when EFA is on. */
  public readonly placementGroup?: ec2.PlacementGroup;
  /** The instance role of both compute environments. */
  public readonly instanceRole: iam.Role;
  /** The GPU compute environment. */
  public readonly gpuComputeEnvironment: batch.ManagedEc2EcsComputeEnvironment;
  /** The CPU compute environment. */
  public readonly cpuComputeEnvironment: batch.ManagedEc2EcsComputeEnvironment;
  /** The training queue (GPU). */
  public readonly gpuQueue: batch.JobQueue;
  /** The preprocessing queue (CPU). */
  public readonly cpuQueue: batch.JobQueue;
  /** The fair-share policy of both queues, when enabled. */
  public readonly schedulingPolicy?: batch.FairshareSchedulingPolicy;
  /** The role that the jobs' containers assume. */
  public readonly jobRole: iam.Role;
  /** The role that ECS uses to pull images and write logs. */
  public readonly executionRole: iam.Role;
  /** The log group of every job. */
  public readonly logGroup: logs.LogGroup;
  /** The preprocessing job: submit it as an array job, one child per shard. */
  public readonly preprocessJobDefinition: batch.EcsJobDefinition;
  /** The single-node GPU training job. */
  public readonly trainingJobDefinition: batch.EcsJobDefinition;
  /** The multi-node parallel training job, when `multiNodeCount` is set. */
  public readonly multiNodeTrainingJobDefinition?: batch.MultiNodeJobDefinition;
  /** Whether the GPU instances get EFA interfaces. */
  public readonly efaEnabled: boolean;
  /** EFA interfaces per GPU instance (0 without EFA). */
  public readonly efaInterfaces: number;
  /** Facts of the allowed GPU instance types. */
  public readonly gpuInstanceFacts: InstanceTypeFacts[];
  /** Where the Lustre file system is mounted. */
  public readonly lustreMountPath: string;
  /** The CloudWatch namespace in which the hosts' agent publishes GPU, memory and disk metrics. */
  public readonly metricsNamespace: string;

  constructor(scope: Construct, id: string, props: TrainingClusterProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const lustreMountPath = props.lustreMountPath ?? '/fsx';
    const efsMountPath = props.sharedFileSystemMountPath ?? '/home';
    const scratchPath = props.scratchMountPath ?? '/scratch';
    this.lustreMountPath = lustreMountPath;
    for (const [prop, value] of [
      ['lustreMountPath', lustreMountPath],
      ['sharedFileSystemMountPath', efsMountPath],
      ['scratchMountPath', scratchPath],
    ] as const) {
      if (!Token.isUnresolved(value) && !/^\/[A-Za-z0-9._/-]+$/.test(value)) {
        throw invalidProp(this, prop, 'must be an absolute path of letters, digits, dots, dashes and slashes', value);
      }
    }
    if (new Set([lustreMountPath, efsMountPath, scratchPath]).size !== 3) {
      throw invalidProp(this, 'scratchMountPath', 'must differ from lustreMountPath and sharedFileSystemMountPath', scratchPath);
    }
    const gpuMaxVcpus = props.gpuMaxVcpus ?? 768;
    const cpuMaxVcpus = props.cpuMaxVcpus ?? 256;
    const rootVolumeSizeGiB = props.rootVolumeSizeGiB ?? 200;
    const retryAttempts = props.retryAttempts ?? 3;
    validateNumber(this, 'gpuMaxVcpus', gpuMaxVcpus, { integer: true, min: 1 });
    validateNumber(this, 'cpuMaxVcpus', cpuMaxVcpus, { integer: true, min: 1 });
    validateNumber(this, 'rootVolumeSizeGiB', rootVolumeSizeGiB, { integer: true, min: 30, max: 16384 });
    validateNumber(this, 'retryAttempts', retryAttempts, { integer: true, min: 1, max: 10 });
    const retention = logRetention(this, 'logRetention', props.logRetention);
    if (props.lustreFileSystem && props.lustreMountName === undefined) {
      throw invalidProp(this, 'lustreMountName', 'must be given with lustreFileSystem', props.lustreMountName);
    }
    if (!props.lustreFileSystem && props.lustreMountName !== undefined) {
      throw invalidProp(this, 'lustreFileSystem', 'must be given with lustreMountName', undefined);
    }
    if (props.sharedFileSystemAccessPoint && !props.sharedFileSystem) {
      throw invalidProp(this, 'sharedFileSystem', 'must be given with sharedFileSystemAccessPoint', undefined);
    }

    // ---- instance types
    const gpuFacts = this.validateGpuInstanceTypes(props);
    this.gpuInstanceFacts = gpuFacts;
    const cpuFacts = this.validateCpuInstanceTypes(props);
    const efaCounts = new Set(gpuFacts.map((f) => f.efaInterfaces));
    const allEfa = gpuFacts.every((f) => f.efaInterfaces > 0);
    this.efaEnabled = props.efaEnabled ?? allEfa;
    if (this.efaEnabled) {
      if (!allEfa) {
        const without = gpuFacts.filter((f) => f.efaInterfaces === 0).map((f) => f.instanceType);
        throw invalidProp(this, 'efaEnabled', `needs every GPU instance type to support EFA (${without.join(', ')} do not)`, true);
      }
      if (efaCounts.size > 1) {
        const counts = gpuFacts.map((f) => `${f.instanceType}: ${f.efaInterfaces}`).join(', ');
        throw invalidProp(
          this,
          'gpuInstanceTypes',
          `must share one EFA interface count when EFA is on, since one launch template serves them all (${counts}); use one TrainingCluster per count, or set efaEnabled: false`,
          gpuFacts.map((f) => f.instanceType),
        );
      }
    }
    this.efaInterfaces = this.efaEnabled ? gpuFacts[0].efaInterfaces : 0;

    // ---- job sizes, checked before anything is built
    const preprocessVcpus = props.preprocessVcpus ?? 2;
    const preprocessMemoryGiB = props.preprocessMemoryGiB ?? 4;
    validateNumber(this, 'preprocessVcpus', preprocessVcpus, { min: 0.25 });
    validateNumber(this, 'preprocessMemoryGiB', preprocessMemoryGiB, { min: 0.5 });
    this.requireFit('preprocess', cpuFacts, 0, preprocessVcpus, preprocessMemoryGiB);

    const smallest = (pick: (f: InstanceTypeFacts) => number) => Math.min(...gpuFacts.map(pick));
    const trainingGpus = props.trainingGpus ?? smallest((f) => f.gpus);
    const trainingVcpus = props.trainingVcpus ?? smallest((f) => f.vcpus);
    const trainingMemoryGiB = props.trainingMemoryGiB ?? Math.floor(smallest((f) => schedulableMemoryMiB(f)) / 1024);
    const sharedMemoryGiB = props.trainingSharedMemoryGiB ?? Math.min(64, trainingMemoryGiB / 2);
    validateNumber(this, 'trainingGpus', trainingGpus, { integer: true, min: 1 });
    validateNumber(this, 'trainingVcpus', trainingVcpus, { min: 1 });
    validateNumber(this, 'trainingMemoryGiB', trainingMemoryGiB, { min: 1 });
    validateNumber(this, 'trainingSharedMemoryGiB', sharedMemoryGiB, { min: 0.0625 });
    this.requireFit('training', gpuFacts, trainingGpus, trainingVcpus, trainingMemoryGiB);
    if (!Token.isUnresolved(sharedMemoryGiB) && !Token.isUnresolved(trainingMemoryGiB) && sharedMemoryGiB >= trainingMemoryGiB) {
      throw invalidProp(this, 'trainingSharedMemoryGiB', `must be less than trainingMemoryGiB (${trainingMemoryGiB})`, sharedMemoryGiB);
    }

    let multiNodeFacts: InstanceTypeFacts | undefined;
    if (props.multiNodeCount !== undefined) {
      validateNumber(this, 'multiNodeCount', props.multiNodeCount, { integer: true, min: 2, max: 1000 });
      const mainNode = props.multiNodeMainNode ?? 0;
      validateNumber(this, 'multiNodeMainNode', mainNode, { integer: true, min: 0, max: props.multiNodeCount - 1 });
      multiNodeFacts = this.multiNodeFacts(props, gpuFacts);
      if (!Token.isUnresolved(props.multiNodeCount) && props.multiNodeCount * multiNodeFacts.vcpus > gpuMaxVcpus) {
        throw invalidProp(
          this,
          'gpuMaxVcpus',
          `must hold the multi-node job (${props.multiNodeCount} x ${multiNodeFacts.vcpus} vCPUs of ${multiNodeFacts.instanceType} = ${props.multiNodeCount * multiNodeFacts.vcpus})`,
          gpuMaxVcpus,
        );
      }
      if (!this.efaEnabled) {
        Validations.of(this).addWarning(
          'cdk-ml-at-scale:MultiNodeWithoutEfa',
          `The multi-node job runs on ${multiNodeFacts.instanceType} without EFA: collective communication goes over TCP and will likely bound the training speed.`,
        );
      }
    } else if (props.multiNodeInstanceType !== undefined || props.multiNodeMainNode !== undefined) {
      throw invalidProp(this, 'multiNodeCount', 'must be given with multiNodeInstanceType or multiNodeMainNode', undefined);
    }
    if (!Token.isUnresolved(gpuMaxVcpus) && gpuMaxVcpus < Math.min(...gpuFacts.map((f) => f.vcpus))) {
      throw invalidProp(this, 'gpuMaxVcpus', `must hold at least one GPU instance (${Math.min(...gpuFacts.map((f) => f.vcpus))} vCPUs)`, gpuMaxVcpus);
    }

    // ---- network and keys
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Batch instances of ${this.node.path}`,
      allowAllOutbound: true,
    });
    this.connections = new ec2.Connections({ securityGroups: [this.securityGroup] });
    if (this.efaEnabled || props.multiNodeCount !== undefined) {
      // EFA and multi-node jobs need every port between the nodes (the EFA requirement is all traffic).
      this.securityGroup.addIngressRule(this.securityGroup, ec2.Port.allTraffic(), 'EFA and multi-node traffic within the cluster');
    }
    // Ingress rules on the file systems' groups, added from the cluster side: an imported file system is
    // opened too, and a file system in another stack gets its rule in this stack (remote rule: no cycle).
    // Egress needs no rule: the cluster's group allows all outbound traffic.
    const allowIn = (target: ec2.IConnectable, port: ec2.Port, description: string) => {
      for (const group of target.connections.securityGroups) group.addIngressRule(this.securityGroup, port, description, true);
    };
    if (props.lustreFileSystem) {
      // Lustre needs 988 (LNet) and 1018-1023 (clients' privileged source ports).
      allowIn(props.lustreFileSystem, ec2.Port.tcp(988), 'Lustre (LNet) from the training cluster');
      allowIn(props.lustreFileSystem, ec2.Port.tcpRange(1018, 1023), 'Lustre from the training cluster');
    }
    if (props.sharedFileSystem) allowIn(props.sharedFileSystem, ec2.Port.tcp(2049), 'NFS from the training cluster');

    this.encryptionKey = props.encryptionKey ?? this.createKey(removalPolicy);

    // ---- instance role
    this.instanceRole = new iam.Role(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: `Batch container instances of ${this.node.path}`,
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonEC2ContainerServiceforEC2Role')],
    });
    Validations.of(this.instanceRole).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role]',
      reason:
        'The AWS-maintained policy that ECS container instances need to register with the Batch-managed ECS cluster, pull images and send logs; AWS updates it as ECS changes. Jobs do not get it: they run with the job role.',
    });
    const metricsNamespace = props.metricsNamespace ?? 'CdkMlAtScale/Training';
    this.metricsNamespace = metricsNamespace;
    this.instanceRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': metricsNamespace } },
      }),
    );
    acknowledgeWildcardResources(
      this.instanceRole,
      ['*'],
      'cloudwatch:PutMetricData supports no resource-level permissions; the statement is limited to the cluster\u2019s metrics namespace by condition.',
    );
    if (props.sharedFileSystem) props.sharedFileSystem.grantReadWrite(this.instanceRole);

    // ---- launch templates
    const hostOptions = {
      lustreDnsName: props.lustreFileSystem ? this.lustreDnsName(props) : undefined,
      lustreMountName: props.lustreMountName,
      lustreMountPath,
      efsFileSystemId: props.sharedFileSystem?.fileSystemId,
      efsAccessPointId: props.sharedFileSystemAccessPoint?.accessPointId,
      efsMountPath,
      scratchPath,
      metricsNamespace,
    };
    this.launchTemplate = this.createLaunchTemplate('GpuLaunchTemplate', hostSetupCommands({ ...hostOptions, gpuMetrics: true, efa: this.efaEnabled }), rootVolumeSizeGiB);
    this.cpuLaunchTemplate = this.createLaunchTemplate('CpuLaunchTemplate', hostSetupCommands({ ...hostOptions, gpuMetrics: false, efa: false }), rootVolumeSizeGiB);

    // ---- compute environments
    const subnets = props.vpc.selectSubnets(props.vpcSubnets);
    if (this.efaEnabled) {
      this.placementGroup = new ec2.PlacementGroup(this, 'PlacementGroup', { strategy: ec2.PlacementGroupStrategy.CLUSTER });
    }
    this.gpuComputeEnvironment = new batch.ManagedEc2EcsComputeEnvironment(this, 'GpuComputeEnvironment', {
      vpc: props.vpc,
      vpcSubnets: this.efaEnabled ? { subnets: subnets.subnets.slice(0, 1) } : props.vpcSubnets,
      securityGroups: [this.securityGroup],
      instanceTypes: gpuFacts.map((f) => new ec2.InstanceType(f.instanceType)),
      useOptimalInstanceClasses: false,
      images: [{ imageType: batch.EcsMachineImageType.ECS_AL2023_NVIDIA }],
      instanceRole: this.instanceRole,
      launchTemplate: this.launchTemplate,
      placementGroup: this.placementGroup,
      spot: false,
      allocationStrategy: batch.AllocationStrategy.BEST_FIT_PROGRESSIVE,
      minvCpus: 0,
      maxvCpus: gpuMaxVcpus,
      replaceComputeEnvironment: false,
      terminateOnUpdate: false,
    });
    this.pinLaunchTemplateVersion(this.gpuComputeEnvironment, this.launchTemplate);
    if (this.efaEnabled) this.attachEfaInterfaces();

    const cpuSpot = props.cpuSpot ?? true;
    this.cpuComputeEnvironment = new batch.ManagedEc2EcsComputeEnvironment(this, 'CpuComputeEnvironment', {
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: [this.securityGroup],
      instanceTypes: cpuFacts.map((f) => new ec2.InstanceType(f.instanceType)),
      useOptimalInstanceClasses: false,
      images: [{ imageType: batch.EcsMachineImageType.ECS_AL2023 }],
      instanceRole: this.instanceRole,
      launchTemplate: this.cpuLaunchTemplate,
      spot: cpuSpot,
      allocationStrategy: cpuSpot ? batch.AllocationStrategy.SPOT_PRICE_CAPACITY_OPTIMIZED : batch.AllocationStrategy.BEST_FIT_PROGRESSIVE,
      minvCpus: 0,
      maxvCpus: cpuMaxVcpus,
      replaceComputeEnvironment: false,
      terminateOnUpdate: false,
    });
    this.pinLaunchTemplateVersion(this.cpuComputeEnvironment, this.cpuLaunchTemplate);

    // ---- queues
    if (props.fairShareIdentifiers !== undefined && !props.fairShareScheduling) {
      throw invalidProp(this, 'fairShareScheduling', 'must be true when fairShareIdentifiers are given', props.fairShareScheduling);
    }
    if (props.fairShareScheduling) {
      for (const share of props.fairShareIdentifiers ?? []) {
        if (!Token.isUnresolved(share) && !/^[A-Za-z0-9]{1,254}\*?$/.test(share)) {
          throw invalidProp(this, 'fairShareIdentifiers', 'must be letters and digits, optionally ending in *', share);
        }
      }
      this.schedulingPolicy = new batch.FairshareSchedulingPolicy(this, 'FairShare', {
        shareDecay: Duration.hours(1),
        shares: (props.fairShareIdentifiers ?? []).map((shareIdentifier) => ({ shareIdentifier, weightFactor: 1 })),
      });
    }
    const stuckAfter = props.stuckJobTimeout ?? Duration.minutes(30);
    if (!stuckAfter.isUnresolved() && (stuckAfter.toMinutes({ integral: false }) < 10 || stuckAfter.toMinutes({ integral: false }) > 86400)) {
      throw invalidProp(this, 'stuckJobTimeout', 'must be from 10 to 86400 minutes', stuckAfter.toHumanString());
    }
    const stuckActions: batch.JobStateTimeLimitAction[] = [
      batch.JobStateTimeLimitActionsReason.JOB_RESOURCE_REQUIREMENT,
      batch.JobStateTimeLimitActionsReason.COMPUTE_ENVIRONMENT_MAX_RESOURCE,
    ].map((reason) => ({ reason, maxTime: stuckAfter, action: batch.JobStateTimeLimitActionsAction.CANCEL }));
    this.gpuQueue = new batch.JobQueue(this, 'GpuQueue', {
      computeEnvironments: [{ computeEnvironment: this.gpuComputeEnvironment, order: 1 }],
      priority: 1,
      schedulingPolicy: this.schedulingPolicy,
      jobStateTimeLimitActions: stuckActions,
    });
    this.cpuQueue = new batch.JobQueue(this, 'CpuQueue', {
      computeEnvironments: [{ computeEnvironment: this.cpuComputeEnvironment, order: 1 }],
      priority: 1,
      schedulingPolicy: this.schedulingPolicy,
      jobStateTimeLimitActions: stuckActions,
    });

    // ---- roles and logs
    this.logGroup = new logs.LogGroup(this, 'JobLogs', {
      encryptionKey: this.encryptionKey,
      retention,
      removalPolicy,
    });
    this.jobRole = new iam.Role(this, 'JobRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: `Containers of the jobs of ${this.node.path}`,
    });
    this.executionRole = new iam.Role(this, 'ExecutionRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: `ECS execution role of the jobs of ${this.node.path}: image pulls and logs`,
    });
    for (const access of props.lakeAccess ?? []) this.grantLake(access);

    // ---- job definitions
    const logging = ecs.LogDriver.awsLogs({ logGroup: this.logGroup, streamPrefix: 'job' });
    const retryStrategies = [
      // Spot reclaims and host terminations both report "Host EC2 (instance i-...) terminated."
      batch.RetryStrategy.of(batch.Action.RETRY, batch.Reason.custom({ onStatusReason: RETRY_STATUS_REASON })),
      batch.RetryStrategy.of(batch.Action.EXIT, batch.Reason.custom({ onReason: '*' })),
    ];
    const lustreVolume = props.lustreFileSystem
      ? [batch.EcsVolume.host({ name: 'fsx', hostPath: lustreMountPath, containerPath: lustreMountPath })]
      : [];
    const scratchVolume = batch.EcsVolume.host({ name: 'scratch', hostPath: scratchPath, containerPath: scratchPath });

    this.preprocessJobDefinition = new batch.EcsJobDefinition(this, 'PreprocessJob', {
      container: new batch.EcsEc2ContainerDefinition(this, 'PreprocessContainer', {
        image: props.preprocessImage ?? ecs.ContainerImage.fromRegistry(PLACEHOLDER_IMAGE),
        command: props.preprocessCommand ?? [
          'sh',
          '-c',
          'echo "shard ${AWS_BATCH_JOB_ARRAY_INDEX:-0} of manifest $0"',
          'Ref::manifestUri',
        ],
        cpu: preprocessVcpus,
        memory: Size.mebibytes(Math.floor(preprocessMemoryGiB * 1024)),
        jobRole: this.jobRole,
        executionRole: this.executionRole,
        logging,
        volumes: [...lustreVolume, scratchVolume],
        environment: { LUSTRE_MOUNT_PATH: lustreMountPath, SCRATCH_PATH: scratchPath },
      }),
      parameters: { manifestUri: 'none' },
      retryAttempts,
      retryStrategies,
      propagateTags: true,
    });

    const trainingLinux = (idSuffix: string, efaDevices: number) => {
      const linuxParameters = new batch.LinuxParameters(this, `TrainingLinuxParameters${idSuffix}`, {
        sharedMemorySize: Size.mebibytes(Math.floor(sharedMemoryGiB * 1024)),
      });
      for (let i = 0; i < efaDevices; i++) {
        linuxParameters.addDevices({
          hostPath: `/dev/infiniband/uverbs${i}`,
          containerPath: `/dev/infiniband/uverbs${i}`,
          permissions: [batch.DevicePermission.READ, batch.DevicePermission.WRITE, batch.DevicePermission.MKNOD],
        });
      }
      return linuxParameters;
    };
    const trainingContainer = (id: string, gpu: number, vcpus: number, memoryMiB: number, efaDevices: number) => {
      const container = new batch.EcsEc2ContainerDefinition(this, id, {
        image: props.trainingImage ?? ecs.ContainerImage.fromRegistry(PLACEHOLDER_IMAGE),
        command: props.trainingCommand ?? ['nvidia-smi'],
        gpu,
        cpu: vcpus,
        memory: Size.mebibytes(memoryMiB),
        jobRole: this.jobRole,
        executionRole: this.executionRole,
        logging,
        volumes: [...lustreVolume, scratchVolume],
        linuxParameters: trainingLinux(id, efaDevices),
        environment: {
          LUSTRE_MOUNT_PATH: lustreMountPath,
          SCRATCH_PATH: scratchPath,
          ...(efaDevices > 0 ? { FI_PROVIDER: 'efa', FI_EFA_USE_DEVICE_RDMA: '1' } : {}),
        },
      });
      // NCCL and EFA register (pin) memory: no memlock limit.
      container.addUlimit({ name: batch.UlimitName.MEMLOCK, softLimit: -1, hardLimit: -1 });
      return container;
    };

    this.trainingJobDefinition = new batch.EcsJobDefinition(this, 'TrainingJob', {
      container: trainingContainer('TrainingContainer', trainingGpus, trainingVcpus, Math.floor(trainingMemoryGiB * 1024), 0),
      retryAttempts,
      retryStrategies,
      propagateTags: true,
    });

    if (props.multiNodeCount !== undefined && multiNodeFacts) {
      const f = multiNodeFacts;
      this.multiNodeTrainingJobDefinition = new batch.MultiNodeJobDefinition(this, 'MultiNodeTrainingJob', {
        instanceType: new ec2.InstanceType(f.instanceType),
        mainNode: props.multiNodeMainNode ?? 0,
        containers: [
          {
            startNode: 0,
            endNode: props.multiNodeCount - 1,
            container: trainingContainer('MultiNodeContainer', f.gpus, f.vcpus, schedulableMemoryMiB(f), this.efaInterfaces),
          },
        ],
        retryAttempts,
        retryStrategies,
        propagateTags: true,
      });
      this.warnScaleUp(f, gpuFacts);
    }
  }

  /**
   * GPU utilisation of the GPU hosts, percent (Average over every GPU of every host, 5 minutes), from the
   * CloudWatch agent's nvidia_smi metrics. No data while no GPU host runs.
   * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Agent-NVIDIA-GPU.html
   */
  public metricGpuUtilization(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.hostMetric('nvidia_smi_utilization_gpu', props);
  }

  /** GPU memory utilisation of the GPU hosts, percent (Average, 5 minutes), from the agent's nvidia_smi metrics. */
  public metricGpuMemoryUtilization(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.hostMetric('nvidia_smi_utilization_memory', props);
  }

  private hostMetric(metricName: string, props: cloudwatch.MetricOptions): cloudwatch.Metric {
    // The agent aggregates over no dimension (aggregation_dimensions [[]]): one series per namespace.
    return new cloudwatch.Metric({
      namespace: this.metricsNamespace,
      metricName,
      statistic: cloudwatch.Stats.AVERAGE,
      period: Duration.minutes(5),
      ...props,
    });
  }

  /**
   * Grants submitting jobs to a queue with this cluster's job definitions, and following them
   * (describe, list, terminate), as a pipeline or a user needs.
   */
  public grantSubmitJobs(grantee: iam.IGrantable, queue: TrainingQueue): iam.Grant {
    const jobQueue = queue === TrainingQueue.GPU ? this.gpuQueue : this.cpuQueue;
    const definitions =
      queue === TrainingQueue.GPU
        ? [this.trainingJobDefinition, ...(this.multiNodeTrainingJobDefinition ? [this.multiNodeTrainingJobDefinition] : [])]
        : [this.preprocessJobDefinition];
    const stack = Stack.of(this);
    const definitionArns = definitions.flatMap((d) => {
      const base = stack.formatArn({ service: 'batch', resource: 'job-definition', resourceName: d.jobDefinitionName });
      return [base, `${base}:*`];
    });
    const submit = iam.Grant.addToPrincipal({
      grantee,
      actions: ['batch:SubmitJob', 'batch:TagResource'],
      resourceArns: [jobQueue.jobQueueArn, ...definitionArns],
    });
    const jobArns = stack.formatArn({ service: 'batch', resource: 'job', resourceName: '*' });
    const terminate = iam.Grant.addToPrincipal({ grantee, actions: ['batch:TerminateJob'], resourceArns: [jobArns] });
    const follow = iam.Grant.addToPrincipal({ grantee, actions: ['batch:DescribeJobs', 'batch:ListJobs'], resourceArns: ['*'] });
    const principal = principalConstruct(grantee);
    if (principal) {
      acknowledgeWildcardResources(
        principal,
        definitionArns.filter((a) => a.endsWith(':*')),
        'Every revision of the cluster\u2019s own job definitions: a revision number is assigned at each deployment.',
      );
      acknowledgeWildcardResources(
        principal,
        [jobArns],
        'Job IDs are created at submission; terminating is limited to jobs of this account and region, and needed to cancel a pipeline run.',
      );
      acknowledgeWildcardResources(principal, ['*'], 'batch:DescribeJobs and batch:ListJobs support no resource-level permissions.');
    }
    return submit.combine(terminate).combine(follow);
  }

  // ---------------------------------------------------------------- private

  private lustreDnsName(props: TrainingClusterProps): string {
    if (props.lustreDnsName !== undefined) return props.lustreDnsName;
    const fs = props.lustreFileSystem as fsx.IFileSystem & { readonly dnsName?: string };
    if (typeof fs.dnsName === 'string') return fs.dnsName;
    return `${fs.fileSystemId}.fsx.${Stack.of(this).region}.${Stack.of(this).urlSuffix}`;
  }

  private validateGpuInstanceTypes(props: TrainingClusterProps): InstanceTypeFacts[] {
    const types = (props.gpuInstanceTypes ?? DEFAULT_GPU_TYPES.map((t) => new ec2.InstanceType(t))).map((t) => t.toString());
    if (types.length === 0) throw invalidProp(this, 'gpuInstanceTypes', 'must hold at least one instance type', types);
    const allowed = props.allowGpuDevelopmentInstances ? ['p', 'g'] : ['p'];
    return unique(types).map((type) => {
      if (Token.isUnresolved(type)) throw invalidProp(this, 'gpuInstanceTypes', 'must be known at synth', type);
      const letter = instanceClassLetter(type);
      if (letter === 'g' && !props.allowGpuDevelopmentInstances) {
        throw invalidProp(this, 'gpuInstanceTypes', 'must be P-family types; G-family types need allowGpuDevelopmentInstances: true', type);
      }
      const facts = gpuInstanceFacts(type);
      if (!allowed.includes(letter) || !facts) {
        const known = knownGpuInstanceTypes().filter((t) => allowed.includes(instanceClassLetter(t)));
        throw invalidProp(this, 'gpuInstanceTypes', `must be one of ${known.join(', ')}`, type);
      }
      return facts;
    });
  }

  private validateCpuInstanceTypes(props: TrainingClusterProps): InstanceTypeFacts[] {
    const types = (props.cpuInstanceTypes ?? DEFAULT_CPU_TYPES.map((t) => new ec2.InstanceType(t))).map((t) => t.toString());
    if (types.length === 0) throw invalidProp(this, 'cpuInstanceTypes', 'must hold at least one instance type', types);
    const facts = unique(types).map((type) => {
      if (Token.isUnresolved(type)) throw invalidProp(this, 'cpuInstanceTypes', 'must be known at synth', type);
      const letter = instanceClassLetter(type);
      if ((letter === 'm' || letter === 'r') && !props.allowGeneralPurposeCpuInstances) {
        throw invalidProp(this, 'cpuInstanceTypes', 'must be C-family types; M and R need allowGeneralPurposeCpuInstances: true', type);
      }
      const f = cpuInstanceFacts(type);
      if (!f) {
        throw invalidProp(
          this,
          'cpuInstanceTypes',
          `must be ${props.allowGeneralPurposeCpuInstances ? 'C, M or R' : 'C'}-family types of the 5th generation or newer with a size from large to 48xlarge`,
          type,
        );
      }
      return f;
    });
    if (new Set(facts.map((f) => isGraviton(f.instanceType))).size > 1) {
      throw invalidProp(this, 'cpuInstanceTypes', 'must be all x86 or all Arm (Graviton): a container image is built for one', types);
    }
    return facts;
  }

  /** A job asking more than every allowed instance has waits in RUNNABLE forever: fail at synth instead. */
  private requireFit(job: 'preprocess' | 'training', facts: InstanceTypeFacts[], gpus: number, vcpus: number, memoryGiB: number): void {
    if ([gpus, vcpus, memoryGiB].some((v) => Token.isUnresolved(v))) return;
    const memoryMiB = Math.floor(memoryGiB * 1024);
    const checks: Array<[string, number, (f: InstanceTypeFacts) => number, string]> = [
      [`${job}Gpus`, gpus, (f) => f.gpus, 'GPUs'],
      [`${job}Vcpus`, vcpus, (f) => f.vcpus, 'vCPUs'],
      [`${job}MemoryGiB`, memoryMiB, (f) => schedulableMemoryMiB(f), 'MiB schedulable memory'],
    ];
    for (const [prop, wanted, has, unit] of checks) {
      if (wanted <= Math.max(...facts.map(has))) continue;
      const offer = facts.map((f) => `${f.instanceType}: ${has(f)} ${unit}`).join(', ');
      const shown = prop.endsWith('MemoryGiB') ? memoryGiB : wanted;
      throw invalidProp(this, prop, `must fit an allowed instance type, or the job waits in RUNNABLE forever (${offer})`, shown);
    }
    const fitting = facts.filter((f) => gpus <= f.gpus && vcpus <= f.vcpus && memoryMiB <= schedulableMemoryMiB(f));
    if (fitting.length === 0) {
      throw invalidProp(
        this,
        `${job}Gpus`,
        `with ${vcpus} vCPUs and ${memoryGiB} GiB must fit one allowed instance type together, or the job waits in RUNNABLE forever`,
        gpus,
      );
    }
    const idle = facts.filter((f) => !fitting.includes(f)).map((f) => f.instanceType);
    if (idle.length > 0) {
      Validations.of(this).addWarning(
        `cdk-ml-at-scale:JobDoesNotFitEveryType:${job}`,
        `The ${job} job (${gpus} GPUs, ${vcpus} vCPUs, ${memoryGiB} GiB) fits only ${fitting.map((f) => f.instanceType).join(', ')}: the allowed type(s) ${idle.join(', ')} never run it. Drop them, or size the job to fit every allowed type.`,
      );
    }
  }

  private multiNodeFacts(props: TrainingClusterProps, gpuFacts: InstanceTypeFacts[]): InstanceTypeFacts {
    if (props.multiNodeInstanceType === undefined) {
      return [...gpuFacts].sort((a, b) => b.gpus - a.gpus || b.vcpus - a.vcpus)[0];
    }
    const type = props.multiNodeInstanceType.toString();
    const f = gpuFacts.find((g) => g.instanceType === type);
    if (!f) {
      throw invalidProp(this, 'multiNodeInstanceType', `must be one of gpuInstanceTypes (${gpuFacts.map((g) => g.instanceType).join(', ')})`, type);
    }
    return f;
  }

  /** Scale up, then out: more nodes of a smaller size than allowed costs network time for nothing. */
  private warnScaleUp(used: InstanceTypeFacts, gpuFacts: InstanceTypeFacts[]): void {
    const bigger = gpuFacts.filter(
      (f) => instanceFamily(f.instanceType) === instanceFamily(used.instanceType) && (f.gpus > used.gpus || (f.gpus === used.gpus && f.vcpus > used.vcpus)),
    );
    if (bigger.length === 0) return;
    const best = bigger.sort((a, b) => b.gpus - a.gpus || b.vcpus - a.vcpus)[0];
    Validations.of(this).addWarning(
      'cdk-ml-at-scale:ScaleUpBeforeOut',
      `The multi-node job runs on ${used.instanceType} (${used.gpus} GPUs) while ${best.instanceType} (${best.gpus} GPUs) of the same family is allowed. Scale up, then out: fill the bigger instance first, since GPUs within an instance talk over NVLink and across instances over the network.`,
    );
  }

  private createKey(removalPolicy: RemovalPolicy): kms.Key {
    const key = new kms.Key(this, 'Key', {
      description: `Encrypts the root volumes and job logs of ${this.node.path}`,
      enableKeyRotation: true,
      removalPolicy,
    });
    // Root volumes: EC2 Auto Scaling (Batch's launcher) uses the key through EC2 for volumes of this account.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowEbsThroughEc2',
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey', 'kms:CreateGrant'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'kms:CallerAccount': Aws.ACCOUNT_ID, 'kms:ViaService': `ec2.${Aws.REGION}.amazonaws.com` },
        },
      }),
    );
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowAutoScalingGrantsForEbs',
        principals: [new iam.AnyPrincipal()],
        actions: ['kms:CreateGrant'],
        resources: ['*'],
        conditions: { StringEquals: { 'kms:CallerAccount': Aws.ACCOUNT_ID }, Bool: { 'kms:GrantIsForAWSResource': true } },
      }),
    );
    allowCloudWatchLogs(key);
    return key;
  }

  private createLaunchTemplate(id: string, commands: string[], rootVolumeSizeGiB: number): ec2.LaunchTemplate {
    const shell = ec2.UserData.forLinux();
    shell.addCommands(...commands);
    const userData = new ec2.MultipartUserData();
    userData.addPart(ec2.MultipartBody.fromUserData(shell));
    return new ec2.LaunchTemplate(this, id, {
      userData,
      // Hop limit 1: containers (bridge and awsvpc mode) cannot reach the instance role through IMDS;
      // they get the job role from the ECS credentials endpoint instead. The ECS agent runs in the host
      // network and is one hop away.
      httpTokens: ec2.LaunchTemplateHttpTokens.REQUIRED,
      httpPutResponseHopLimit: 1,
      httpEndpoint: true,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(rootVolumeSizeGiB, {
            volumeType: ec2.EbsDeviceVolumeType.GP3,
            encrypted: true,
            kmsKey: this.encryptionKey,
            deleteOnTermination: true,
          }),
        },
      ],
    });
  }

  /** Point the environment at the template's latest version, so that a template change reaches it. */
  private pinLaunchTemplateVersion(ce: batch.ManagedEc2EcsComputeEnvironment, template: ec2.LaunchTemplate): void {
    const cfn = ce.node.defaultChild as batch.CfnComputeEnvironment;
    cfn.addPropertyOverride('ComputeResources.LaunchTemplate.Version', template.latestVersionNumber);
  }

  /**
   * EFA interfaces go in the launch template, one per network card: card 0 at device index 0, the
   * others at device index 1. With network interfaces in the template, the security group must be
   * on them, and the compute environment must name none (the two are mutually exclusive).
   */
  private attachEfaInterfaces(): void {
    const interfaces = Array.from({ length: this.efaInterfaces }, (_, card) => ({
      NetworkCardIndex: card,
      DeviceIndex: card === 0 ? 0 : 1,
      InterfaceType: 'efa',
      Groups: [this.securityGroup.securityGroupId],
      DeleteOnTermination: true,
      Description: `EFA on network card ${card}`,
    }));
    const template = this.launchTemplate.node.defaultChild as ec2.CfnLaunchTemplate;
    template.addPropertyOverride('LaunchTemplateData.NetworkInterfaces', interfaces);
    template.addPropertyDeletionOverride('LaunchTemplateData.SecurityGroupIds');
    const ce = this.gpuComputeEnvironment.node.defaultChild as batch.CfnComputeEnvironment;
    ce.addPropertyDeletionOverride('ComputeResources.SecurityGroupIds');
  }

  private grantLake(access: LakeAccess): void {
    grantPrefixes(this.jobRole, {
      bucket: access.bucket,
      prefixes: (access.prefixes ?? ['']).map((p) => plainPrefix(this, 'lakeAccess.prefixes', p)),
      objectActions: access.write ? [...S3_READ_ACTIONS, ...S3_WRITE_ACTIONS] : S3_READ_ACTIONS,
      keyActions: access.write ? ['kms:Decrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt'],
      encryptionKey: access.encryptionKey ?? access.bucket.encryptionKey,
      reason:
        'Object keys under these lake prefixes are written at run time (shards, checkpoints, models) and cannot be listed in advance; the grant is limited to the prefixes.',
    });
  }
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

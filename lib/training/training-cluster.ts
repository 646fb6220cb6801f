import { Aws, Duration, RemovalPolicy, Size, Stack, Token, Validations } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, IConstruct } from 'constructs';
import { invalidProp, requireLiteral, validateNumber } from '../common/errors';
import { allowCloudWatchLogs, logRetention } from '../common/logging';
import { acknowledgeControlTowerRule, acknowledgeInlinePolicy, acknowledgeRegulatedRule, acknowledgeWildcardResources, principalConstruct } from '../common/nag';
import { ILustreCache } from '../storage/lustre-cache';
import { InstanceTypeFacts, schedulableMemoryMiB } from './instance-types';
import {
  Advice,
  checkStuckJobTimeout,
  cpuFleetFacts,
  DEFAULT_CPU_TYPES,
  DEFAULT_GPU_TYPES,
  defaultTrainingSize,
  efaSetting,
  gpuFleetFacts,
  jobFit,
  maxNodesOf,
  multiNodeFacts,
  RuleViolation,
  scaleUpAdvice,
} from './private/fleet-rules';
import { hostSetupCommands } from './private/host-setup';
import { restrictGrantsToAwsServices } from '../common/kms';

/** The two job queues of a {@link TrainingCluster}. */
export enum TrainingQueue {
  /** The training queue: GPU instances (P family), on-demand. */
  GPU = 'gpu',
  /** The preprocessing queue: CPU instances (C family), Spot by default. */
  CPU = 'cpu',
}

/**
 * The settings of a {@link TrainingCluster}: its props without the resources that a composition wires
 * in (VPC, file systems). A stack that builds a cluster takes this bag.
 */
export interface TrainingClusterOptions {
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
   * Where the Lustre file system is mounted on the hosts and in the jobs' containers.
   * @default '/fsx'
   */
  readonly lustreMountPath?: string;
  /**
   * Where the EFS file system is mounted.
   * @default '/home'
   */
  readonly sharedFileSystemMountPath?: string;
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
   * The security group of every instance. The cluster adds its rules to it (EFA and multi-node
   * traffic within the group, Lustre, NFS).
   * @default - a new security group that allows all outbound traffic
   */
  readonly securityGroup?: ec2.ISecurityGroup;
  /**
   * The role that the jobs' containers assume (trusted by `ecs-tasks.amazonaws.com`). Grant it lake
   * access through the cluster: `lake.grantRead(cluster, zone, prefix)`.
   * @default - a new role with no permissions but those granted to the cluster
   */
  readonly jobRole?: iam.IRole;
  /**
   * The role of the container instances (trusted by `ec2.amazonaws.com`). A role passed in must carry
   * `AmazonEC2ContainerServiceforEC2Role` or its equivalent; the cluster adds `cloudwatch:PutMetricData`
   * for its namespace, and EFS access when `sharedFileSystem` is given.
   * @default - a new role with AmazonEC2ContainerServiceforEC2Role
   */
  readonly instanceRole?: iam.IRole;
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
   * the compute environment can ever give) is cancelled. From 10 minutes to 24 hours (Batch's
   * `maxTimeSeconds`: 600 to 86,400).
   * @default Duration.minutes(30)
   */
  readonly stuckJobTimeout?: Duration;
}

/** Properties of a {@link TrainingCluster}. */
export interface TrainingClusterProps extends TrainingClusterOptions {
  /** The VPC the instances run in. */
  readonly vpc: ec2.IVpc;
  /**
   * The FSx for Lustre file system that the instances mount at `lustreMountPath`: a `LustreCache`, or
   * one imported with `LustreCache.fromLustreCacheAttributes`. The cluster opens TCP 988 and
   * 1018-1023 in both directions between its security group and the file system's.
   * @default - no Lustre mount
   */
  readonly lustre?: ILustreCache;
  /**
   * An EFS file system mounted at `sharedFileSystemMountPath` (home directories, code, small files).
   * @default - no EFS mount
   */
  readonly sharedFileSystem?: efs.IFileSystem;
  /**
   * Mount the EFS file system through this access point.
   * @default - the file system's root
   */
  readonly sharedFileSystemAccessPoint?: efs.IAccessPoint;
}

const PLACEHOLDER_IMAGE = 'public.ecr.aws/amazonlinux/amazonlinux:2023';
/** The namespace of the hosts' CloudWatch agent metrics, unless `metricsNamespace` says otherwise. */
const DEFAULT_METRICS_NAMESPACE = 'CdkMlAtScale/Training';
const RETRY_STATUS_REASON = 'Host EC2*';

/** The job definitions of a training cluster. */
export enum TrainingJob {
  /** The preprocessing job (CPU queue), submitted as an array job. */
  PREPROCESS = 'preprocess',
  /** The single-node training job (GPU queue). */
  SINGLE_NODE_TRAINING = 'single-node-training',
  /** The multi-node parallel training job (GPU queue), when the cluster has one. */
  MULTI_NODE_TRAINING = 'multi-node-training',
}

/**
 * A training cluster: created here ({@link TrainingCluster}) or imported
 * ({@link TrainingCluster.fromTrainingClusterAttributes}). `TrainingPipeline` takes this interface and
 * derives its job type, GPU and node ceilings and share identifier from it; `StallMonitor` takes it and
 * reads its queues and GPU metrics. Its grant principal is the jobs' role, so that
 * `lake.grantRead(cluster, zone, prefix)` lets the jobs read.
 */
export interface ITrainingCluster extends IConstruct, iam.IGrantable {
  /** The GPUs of the largest instance type of the GPU queue: the most one training container can get. */
  readonly maxGpusPerInstance: number;
  /**
   * The most nodes a multi-node job can run on at once (the GPU environment's vCPU ceiling over the
   * vCPUs of one node); undefined without a multi-node job definition.
   */
  readonly maxNodes?: number;
  /** Whether the queues have a fair-share policy: jobs must then be submitted with a share identifier. */
  readonly fairShareScheduling: boolean;
  /** The CloudWatch namespace in which the GPU hosts' agent publishes their GPU, memory and disk metrics. */
  readonly metricsNamespace: string;
  /**
   * GPU utilisation of the GPU hosts, percent (Average over every GPU of every host, 5 minutes), from the
   * CloudWatch agent's nvidia_smi metrics in `metricsNamespace`. No data while no GPU host runs.
   *
   * @param props options that override the metric's period, statistic, label or unit
   */
  metricGpuUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /**
   * GPU memory utilisation of the GPU hosts, percent (Average, 5 minutes), from the agent's nvidia_smi
   * metrics in `metricsNamespace`.
   *
   * @param props options that override the metric's period, statistic, label or unit
   */
  metricGpuMemoryUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
  /**
   * The job queue of a fleet.
   *
   * @param queue the fleet: GPU or CPU
   */
  jobQueue(queue: TrainingQueue): batch.IJobQueue;
  /**
   * A job definition of the cluster; undefined for the multi-node job when there is none.
   *
   * @param job the kind of job
   */
  jobDefinition(job: TrainingJob): batch.IJobDefinition | undefined;
  /**
   * Grants submitting jobs to a queue with the cluster's job definitions, and following them
   * (describe, list, terminate).
   *
   * @param grantee the principal to grant to (a role, a user, a function)
   * @param queue the fleet whose queue the jobs go to
   */
  grantSubmitJobs(grantee: iam.IGrantable, queue: TrainingQueue): iam.Grant;
}

/** An existing training cluster to import with {@link TrainingCluster.fromTrainingClusterAttributes}. */
export interface TrainingClusterAttributes {
  /** The GPU (training) job queue. */
  readonly gpuQueue: batch.IJobQueue;
  /** The CPU (preprocessing) job queue. */
  readonly cpuQueue: batch.IJobQueue;
  /** The preprocessing job definition. */
  readonly preprocessJobDefinition: batch.IJobDefinition;
  /** The single-node training job definition. */
  readonly trainingJobDefinition: batch.IJobDefinition;
  /**
   * The multi-node parallel training job definition.
   * @default - none
   */
  readonly multiNodeTrainingJobDefinition?: batch.IJobDefinition;
  /** The GPUs of the largest instance type of the GPU queue. */
  readonly maxGpusPerInstance: number;
  /**
   * The most nodes a multi-node job can run on at once.
   * @default - required with `multiNodeTrainingJobDefinition`
   */
  readonly maxNodes?: number;
  /**
   * Whether the queues have a fair-share scheduling policy.
   * @default false
   */
  readonly fairShareScheduling?: boolean;
  /** The role that the jobs' containers assume: the cluster's grant principal. */
  readonly jobRole: iam.IRole;
  /**
   * The CloudWatch namespace in which the cluster's GPU hosts publish their agent metrics (the
   * `metricsNamespace` the cluster was created with). The GPU metrics, and a `StallMonitor`'s GPU panel
   * and "GPUs starved" alarm, read it: a wrong namespace leaves them without data.
   * @default 'CdkMlAtScale/Training' (the namespace of a `TrainingCluster` created with the defaults)
   */
  readonly metricsNamespace?: string;
}

/** What a created and an imported cluster share: job lookup, the GPU metrics and the submit grant. */
abstract class TrainingClusterBase extends Construct implements ITrainingCluster {
  public abstract readonly grantPrincipal: iam.IPrincipal;
  public abstract readonly maxGpusPerInstance: number;
  public abstract readonly maxNodes?: number;
  public abstract readonly fairShareScheduling: boolean;
  public abstract readonly metricsNamespace: string;

  /**
   * GPU utilisation of the GPU hosts, percent (Average over every GPU of every host, 5 minutes), from the
   * CloudWatch agent's nvidia_smi metrics. No data while no GPU host runs.
   *
   * @param props options that override the metric's period, statistic, label or unit
   * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Agent-NVIDIA-GPU.html
   */
  public metricGpuUtilization(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.hostMetric('nvidia_smi_utilization_gpu', props);
  }

  /**
   * GPU memory utilisation of the GPU hosts, percent (Average, 5 minutes), from the agent's nvidia_smi metrics.
   *
   * @param props options that override the metric's period, statistic, label or unit
   */
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

  public abstract jobQueue(queue: TrainingQueue): batch.IJobQueue;
  public abstract jobDefinition(job: TrainingJob): batch.IJobDefinition | undefined;

  /**
   * Grants submitting jobs to a queue with the cluster's job definitions, and following them (describe, list, terminate).
   *
   * @param grantee the principal to grant to (a role, a user, a function)
   * @param queue the fleet whose queue the jobs go to
   */
  public grantSubmitJobs(grantee: iam.IGrantable, queue: TrainingQueue): iam.Grant {
    const jobQueue = this.jobQueue(queue);
    const definitions = (
      queue === TrainingQueue.GPU ? [TrainingJob.SINGLE_NODE_TRAINING, TrainingJob.MULTI_NODE_TRAINING] : [TrainingJob.PREPROCESS]
    ).flatMap((job) => this.jobDefinition(job) ?? []);
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
}

/** A cluster that exists already, imported by {@link TrainingCluster.fromTrainingClusterAttributes}. */
class ImportedTrainingCluster extends TrainingClusterBase {
  public readonly grantPrincipal: iam.IPrincipal;
  public readonly maxGpusPerInstance: number;
  public readonly maxNodes?: number;
  public readonly fairShareScheduling: boolean;
  public readonly metricsNamespace: string;
  private readonly attrs: TrainingClusterAttributes;

  constructor(scope: Construct, id: string, attrs: TrainingClusterAttributes) {
    super(scope, id);
    requireLiteral(this, 'maxGpusPerInstance', attrs.maxGpusPerInstance, 'it bounds the GPUs a pipeline run may ask for');
    requireLiteral(this, 'maxNodes', attrs.maxNodes, 'it bounds the nodes a pipeline run may ask for');
    validateNumber(this, 'maxGpusPerInstance', attrs.maxGpusPerInstance, { integer: true, min: 1, max: 64 });
    validateNumber(this, 'maxNodes', attrs.maxNodes, { integer: true, min: 2, max: 1000 });
    if (attrs.multiNodeTrainingJobDefinition && attrs.maxNodes === undefined) {
      throw invalidProp(this, 'maxNodes', 'must be given with multiNodeTrainingJobDefinition', undefined);
    }
    if (!attrs.multiNodeTrainingJobDefinition && attrs.maxNodes !== undefined) {
      throw invalidProp(this, 'maxNodes', 'applies only with multiNodeTrainingJobDefinition', attrs.maxNodes);
    }
    this.attrs = attrs;
    this.grantPrincipal = attrs.jobRole.grantPrincipal;
    this.maxGpusPerInstance = attrs.maxGpusPerInstance;
    this.maxNodes = attrs.maxNodes;
    this.fairShareScheduling = attrs.fairShareScheduling ?? false;
    const namespace = attrs.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE;
    // CloudWatch: 1 to 255 characters, not starting with ':' (API_Metric), ASCII without control
    // characters, AWS/ reserved for AWS services (API_PutMetricData).
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_Metric.html
    if (!Token.isUnresolved(namespace) && (!/^[\x20-\x7e]{1,255}$/.test(namespace) || namespace.startsWith(':') || namespace.startsWith('AWS/'))) {
      throw invalidProp(this, 'metricsNamespace', "must be a custom CloudWatch namespace: 1 to 255 printable ASCII characters, not starting with ':' or 'AWS/'", namespace);
    }
    this.metricsNamespace = namespace;
  }

  public jobQueue(queue: TrainingQueue): batch.IJobQueue {
    return queue === TrainingQueue.GPU ? this.attrs.gpuQueue : this.attrs.cpuQueue;
  }

  public jobDefinition(job: TrainingJob): batch.IJobDefinition | undefined {
    switch (job) {
      case TrainingJob.PREPROCESS:
        return this.attrs.preprocessJobDefinition;
      case TrainingJob.SINGLE_NODE_TRAINING:
        return this.attrs.trainingJobDefinition;
      case TrainingJob.MULTI_NODE_TRAINING:
        return this.attrs.multiNodeTrainingJobDefinition;
    }
  }
}

/** One Batch fleet: what differs between the GPU and the CPU fleet. */
interface FleetSpec {
  /** `Gpu` or `Cpu`: the prefix of the construct ids (kept stable: they name retained resources' neighbours). */
  readonly idPrefix: 'Gpu' | 'Cpu';
  readonly hostCommands: string[];
  readonly facts: InstanceTypeFacts[];
  readonly imageType: batch.EcsMachineImageType;
  readonly spot: boolean;
  readonly maxvCpus: number;
  readonly vpcSubnets?: ec2.SubnetSelection;
  readonly placementGroup?: ec2.PlacementGroup;
}

/** What one fleet consists of. */
interface Fleet {
  readonly launchTemplate: ec2.LaunchTemplate;
  readonly computeEnvironment: batch.ManagedEc2EcsComputeEnvironment;
  readonly queue: batch.JobQueue;
}

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
export class TrainingCluster extends TrainingClusterBase implements ec2.IConnectable {
  /**
   * Imports an existing cluster (its queues and job definitions), so that a `TrainingPipeline` can
   * drive it. Nothing is created.
   *
   * @param scope the scope to define the imported construct in
   * @param id the id of the imported construct, unique in `scope`
   * @param attrs the existing cluster's queues, job definitions and limits
   */
  public static fromTrainingClusterAttributes(scope: Construct, id: string, attrs: TrainingClusterAttributes): ITrainingCluster {
    return new ImportedTrainingCluster(scope, id, attrs);
  }

  /** The security group of every instance; allows all traffic within itself when EFA or multi-node is on. */
  public readonly securityGroup: ec2.ISecurityGroup;
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
  public readonly instanceRole: iam.IRole;
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
  public readonly jobRole: iam.IRole;
  /** The jobs' role: `lake.grantRead(cluster, zone, prefix)` grants to it. */
  public readonly grantPrincipal: iam.IPrincipal;
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
  /** The GPUs of the largest GPU instance type. */
  public readonly maxGpusPerInstance: number;
  /** The most nodes the multi-node job can run on at once; undefined without one. */
  public readonly maxNodes?: number;
  /** Whether the queues have a fair-share policy. */
  public readonly fairShareScheduling: boolean;
  /** Where the Lustre file system is mounted. */
  public readonly lustreMountPath: string;
  /** The CloudWatch namespace in which the hosts' agent publishes GPU, memory and disk metrics. */
  public readonly metricsNamespace: string;

  /**
   * Defines a `TrainingCluster` in `scope`.
   *
   * @param scope the scope to define the construct in
   * @param id the construct's id, unique in `scope`
   * @param props the construct's configuration, see `TrainingClusterProps`
   */
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
      if (!Token.isUnresolved(value) && (!/^\/[A-Za-z0-9._/-]+$/.test(value) || value.split('/').slice(1).some((segment) => segment === '' || segment === '.' || segment === '..'))) {
        throw invalidProp(this, prop, 'must be an absolute path of letters, digits, dots, dashes and slashes, with no empty, "." or ".." segment', value);
      }
    }
    if (new Set([lustreMountPath, efsMountPath, scratchPath]).size !== 3) {
      throw invalidProp(this, 'scratchMountPath', 'must differ from lustreMountPath and sharedFileSystemMountPath', scratchPath);
    }
    // These feed the fit checks, ceilings and MiB conversions below: a token would compute garbage.
    const arithmetic: Array<[string, number | undefined]> = [
      ['gpuMaxVcpus', props.gpuMaxVcpus],
      ['cpuMaxVcpus', props.cpuMaxVcpus],
      ['preprocessVcpus', props.preprocessVcpus],
      ['preprocessMemoryGiB', props.preprocessMemoryGiB],
      ['trainingGpus', props.trainingGpus],
      ['trainingVcpus', props.trainingVcpus],
      ['trainingMemoryGiB', props.trainingMemoryGiB],
      ['trainingSharedMemoryGiB', props.trainingSharedMemoryGiB],
      ['multiNodeCount', props.multiNodeCount],
      ['multiNodeMainNode', props.multiNodeMainNode],
    ];
    for (const [prop, value] of arithmetic) requireLiteral(this, prop, value, 'job sizes are checked against the instance types at synth');
    const gpuMaxVcpus = props.gpuMaxVcpus ?? 768;
    const cpuMaxVcpus = props.cpuMaxVcpus ?? 256;
    const rootVolumeSizeGiB = props.rootVolumeSizeGiB ?? 200;
    const retryAttempts = props.retryAttempts ?? 3;
    validateNumber(this, 'gpuMaxVcpus', gpuMaxVcpus, { integer: true, min: 1 });
    validateNumber(this, 'cpuMaxVcpus', cpuMaxVcpus, { integer: true, min: 1 });
    validateNumber(this, 'rootVolumeSizeGiB', rootVolumeSizeGiB, { integer: true, min: 30, max: 16384 });
    validateNumber(this, 'retryAttempts', retryAttempts, { integer: true, min: 1, max: 10 });
    const retention = logRetention(this, 'logRetention', props.logRetention);
    if (props.sharedFileSystemAccessPoint && !props.sharedFileSystem) {
      throw invalidProp(this, 'sharedFileSystem', 'must be given with sharedFileSystemAccessPoint', undefined);
    }
    const stuckAfter = props.stuckJobTimeout ?? Duration.minutes(30);
    if (!stuckAfter.isUnresolved()) this.rule(() => checkStuckJobTimeout(stuckAfter.toSeconds({ integral: false }), stuckAfter.toHumanString()));
    this.fairShareScheduling = props.fairShareScheduling ?? false;
    if (props.fairShareIdentifiers !== undefined && !props.fairShareScheduling) {
      throw invalidProp(this, 'fairShareScheduling', 'must be true when fairShareIdentifiers are given', props.fairShareScheduling);
    }
    for (const share of props.fairShareIdentifiers ?? []) {
      if (!Token.isUnresolved(share) && !/^[A-Za-z0-9]{1,254}\*?$/.test(share)) {
        throw invalidProp(this, 'fairShareIdentifiers', 'must be letters and digits, optionally ending in *', share);
      }
    }

    // ---- subnets: private (or isolated) only; Batch instances get no public IP
    const subnets = this.privateSubnets(props);

    // ---- instance types (pure rules, lib/training/private/fleet-rules.ts)
    const typeNames = (prop: string, types: ec2.InstanceType[]) =>
      types.map((t) => {
        const name = t.toString();
        if (Token.isUnresolved(name)) throw invalidProp(this, prop, 'must be known at synth', name);
        return name;
      });
    const gpuTypes = typeNames('gpuInstanceTypes', props.gpuInstanceTypes ?? DEFAULT_GPU_TYPES.map((t) => new ec2.InstanceType(t)));
    const cpuTypes = typeNames('cpuInstanceTypes', props.cpuInstanceTypes ?? DEFAULT_CPU_TYPES.map((t) => new ec2.InstanceType(t)));
    const gpuFacts = this.rule(() => gpuFleetFacts(gpuTypes, props.allowGpuDevelopmentInstances ?? false));
    this.gpuInstanceFacts = gpuFacts;
    this.maxGpusPerInstance = Math.max(...gpuFacts.map((f) => f.gpus));
    const cpuFacts = this.rule(() => cpuFleetFacts(cpuTypes, props.allowGeneralPurposeCpuInstances ?? false));
    const efa = this.rule(() => efaSetting(gpuFacts, props.efaEnabled));
    this.efaEnabled = efa.enabled;
    this.efaInterfaces = efa.interfaces;

    // ---- job sizes, checked before anything is built
    const preprocessVcpus = props.preprocessVcpus ?? 2;
    const preprocessMemoryGiB = props.preprocessMemoryGiB ?? 4;
    validateNumber(this, 'preprocessVcpus', preprocessVcpus, { min: 0.25 });
    validateNumber(this, 'preprocessMemoryGiB', preprocessMemoryGiB, { min: 0.5 });
    this.advise(this.rule(() => jobFit('preprocess', cpuFacts, 0, preprocessVcpus, preprocessMemoryGiB)));

    const defaults = defaultTrainingSize(gpuFacts);
    const trainingGpus = props.trainingGpus ?? defaults.gpus;
    const trainingVcpus = props.trainingVcpus ?? defaults.vcpus;
    const trainingMemoryGiB = props.trainingMemoryGiB ?? defaults.memoryGiB;
    const sharedMemoryGiB = props.trainingSharedMemoryGiB ?? Math.min(64, trainingMemoryGiB / 2);
    validateNumber(this, 'trainingGpus', trainingGpus, { integer: true, min: 1 });
    validateNumber(this, 'trainingVcpus', trainingVcpus, { min: 1 });
    validateNumber(this, 'trainingMemoryGiB', trainingMemoryGiB, { min: 1 });
    validateNumber(this, 'trainingSharedMemoryGiB', sharedMemoryGiB, { min: 0.0625 });
    this.advise(this.rule(() => jobFit('training', gpuFacts, trainingGpus, trainingVcpus, trainingMemoryGiB)));
    if (sharedMemoryGiB >= trainingMemoryGiB) {
      throw invalidProp(this, 'trainingSharedMemoryGiB', `must be less than trainingMemoryGiB (${trainingMemoryGiB})`, sharedMemoryGiB);
    }

    let multiNode: InstanceTypeFacts | undefined;
    if (props.multiNodeCount !== undefined) {
      validateNumber(this, 'multiNodeCount', props.multiNodeCount, { integer: true, min: 2, max: 1000 });
      const mainNode = props.multiNodeMainNode ?? 0;
      validateNumber(this, 'multiNodeMainNode', mainNode, { integer: true, min: 0, max: props.multiNodeCount - 1 });
      multiNode = this.rule(() => multiNodeFacts(gpuFacts, props.multiNodeInstanceType?.toString()));
      if (props.multiNodeCount * multiNode.vcpus > gpuMaxVcpus) {
        throw invalidProp(
          this,
          'gpuMaxVcpus',
          `must hold the multi-node job (${props.multiNodeCount} x ${multiNode.vcpus} vCPUs of ${multiNode.instanceType} = ${props.multiNodeCount * multiNode.vcpus})`,
          gpuMaxVcpus,
        );
      }
      this.maxNodes = Math.min(1000, maxNodesOf(multiNode, gpuMaxVcpus));
      if (!this.efaEnabled) {
        Validations.of(this).addWarning(
          'cdk-ml-at-scale:MultiNodeWithoutEfa',
          `The multi-node job runs on ${multiNode.instanceType} without EFA: collective communication goes over TCP and will likely bound the training speed.`,
        );
      }
    } else if (props.multiNodeInstanceType !== undefined || props.multiNodeMainNode !== undefined) {
      throw invalidProp(this, 'multiNodeCount', 'must be given with multiNodeInstanceType or multiNodeMainNode', undefined);
    }
    if (gpuMaxVcpus < Math.min(...gpuFacts.map((f) => f.vcpus))) {
      throw invalidProp(this, 'gpuMaxVcpus', `must hold at least one GPU instance (${Math.min(...gpuFacts.map((f) => f.vcpus))} vCPUs)`, gpuMaxVcpus);
    }

    // ---- network and keys
    this.securityGroup =
      props.securityGroup ??
      new ec2.SecurityGroup(this, 'SecurityGroup', {
        vpc: props.vpc,
        description: `Batch instances of ${this.node.path}`,
        allowAllOutbound: true,
      });
    this.connections = new ec2.Connections({ securityGroups: [this.securityGroup] });
    if (this.efaEnabled || props.multiNodeCount !== undefined) {
      // EFA and multi-node jobs need every port between the nodes (the EFA requirement is all traffic).
      this.securityGroup.addIngressRule(this.securityGroup, ec2.Port.allTraffic(), 'EFA and multi-node traffic within the cluster');
      acknowledgeRegulatedRule(
        this.securityGroup,
        'EC2RestrictedCommonPorts',
        'The all-traffic rule admits only members of this same security group (the cluster\u2019s own nodes), as EFA and multi-node jobs require; no port is open to any address range.',
      );
    }
    if (props.lustre) this.openLustre(props.lustre);
    if (props.sharedFileSystem) {
      for (const group of props.sharedFileSystem.connections.securityGroups) {
        group.addIngressRule(this.securityGroup, ec2.Port.tcp(2049), 'NFS from the training cluster', true);
      }
    }

    this.encryptionKey = props.encryptionKey ?? this.createKey(removalPolicy);

    // ---- instance role
    this.instanceRole = props.instanceRole ?? this.createInstanceRole();
    const metricsNamespace = props.metricsNamespace ?? DEFAULT_METRICS_NAMESPACE;
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

    // ---- the two fleets: launch template, compute environment and queue each
    const hostOptions = {
      lustreDnsName: props.lustre?.dnsName,
      lustreMountName: props.lustre?.mountName,
      lustreMountPath,
      efsFileSystemId: props.sharedFileSystem?.fileSystemId,
      efsAccessPointId: props.sharedFileSystemAccessPoint?.accessPointId,
      efsMountPath,
      scratchPath,
      metricsNamespace,
    };
    if (this.efaEnabled) {
      this.placementGroup = new ec2.PlacementGroup(this, 'PlacementGroup', { strategy: ec2.PlacementGroupStrategy.CLUSTER });
    }
    if (this.fairShareScheduling) {
      this.schedulingPolicy = new batch.FairshareSchedulingPolicy(this, 'FairShare', {
        shareDecay: Duration.hours(1),
        shares: (props.fairShareIdentifiers ?? []).map((shareIdentifier) => ({ shareIdentifier, weightFactor: 1 })),
      });
    }
    const stuckActions: batch.JobStateTimeLimitAction[] = [
      batch.JobStateTimeLimitActionsReason.JOB_RESOURCE_REQUIREMENT,
      batch.JobStateTimeLimitActionsReason.COMPUTE_ENVIRONMENT_MAX_RESOURCE,
    ].map((reason) => ({ reason, maxTime: stuckAfter, action: batch.JobStateTimeLimitActionsAction.CANCEL }));
    const fleet = (spec: FleetSpec) => this.createFleet(props.vpc, spec, rootVolumeSizeGiB, stuckActions);

    const gpu = fleet({
      idPrefix: 'Gpu',
      hostCommands: hostSetupCommands({ ...hostOptions, gpuMetrics: true, efa: this.efaEnabled }),
      facts: gpuFacts,
      imageType: batch.EcsMachineImageType.ECS_AL2023_NVIDIA,
      spot: false,
      maxvCpus: gpuMaxVcpus,
      // A cluster placement group lives in one Availability Zone.
      vpcSubnets: this.efaEnabled ? { subnets: subnets.slice(0, 1) } : props.vpcSubnets,
      placementGroup: this.placementGroup,
    });
    this.launchTemplate = gpu.launchTemplate;
    this.gpuComputeEnvironment = gpu.computeEnvironment;
    this.gpuQueue = gpu.queue;
    if (this.efaEnabled) this.attachEfaInterfaces();

    const cpu = fleet({
      idPrefix: 'Cpu',
      hostCommands: hostSetupCommands({ ...hostOptions, gpuMetrics: false, efa: false }),
      facts: cpuFacts,
      imageType: batch.EcsMachineImageType.ECS_AL2023,
      spot: props.cpuSpot ?? true,
      maxvCpus: cpuMaxVcpus,
      vpcSubnets: props.vpcSubnets,
    });
    this.cpuLaunchTemplate = cpu.launchTemplate;
    this.cpuComputeEnvironment = cpu.computeEnvironment;
    this.cpuQueue = cpu.queue;

    // ---- roles and logs
    this.logGroup = new logs.LogGroup(this, 'JobLogs', {
      encryptionKey: this.encryptionKey,
      retention,
      removalPolicy,
    });
    this.jobRole =
      props.jobRole ??
      new iam.Role(this, 'JobRole', {
        assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
        description: `Containers of the jobs of ${this.node.path}`,
      });
    this.grantPrincipal = this.jobRole.grantPrincipal;
    if (!props.jobRole) acknowledgeInlinePolicy(this.jobRole);
    this.executionRole = new iam.Role(this, 'ExecutionRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: `ECS execution role of the jobs of ${this.node.path}: image pulls and logs`,
    });
    acknowledgeInlinePolicy(this.executionRole);

    // ---- job definitions
    const logging = ecs.LogDriver.awsLogs({ logGroup: this.logGroup, streamPrefix: 'job' });
    const retryStrategies = [
      // Spot reclaims and host terminations both report "Host EC2 (instance i-...) terminated."
      batch.RetryStrategy.of(batch.Action.RETRY, batch.Reason.custom({ onStatusReason: RETRY_STATUS_REASON })),
      batch.RetryStrategy.of(batch.Action.EXIT, batch.Reason.custom({ onReason: '*' })),
    ];
    const lustreVolume = props.lustre ? [batch.EcsVolume.host({ name: 'fsx', hostPath: lustreMountPath, containerPath: lustreMountPath })] : [];
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
    const trainingContainer = (containerId: string, gpus: number, vcpus: number, memoryMiB: number, efaDevices: number) => {
      const container = new batch.EcsEc2ContainerDefinition(this, containerId, {
        image: props.trainingImage ?? ecs.ContainerImage.fromRegistry(PLACEHOLDER_IMAGE),
        command: props.trainingCommand ?? ['nvidia-smi'],
        gpu: gpus,
        cpu: vcpus,
        memory: Size.mebibytes(memoryMiB),
        jobRole: this.jobRole,
        executionRole: this.executionRole,
        logging,
        volumes: [...lustreVolume, scratchVolume],
        linuxParameters: trainingLinux(containerId, efaDevices),
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

    if (props.multiNodeCount !== undefined && multiNode) {
      const f = multiNode;
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
      this.advise(scaleUpAdvice(f, gpuFacts));
    }
  }

  /**
   * The job queue of a fleet.
   *
   * @param queue the fleet: GPU or CPU
   */
  public jobQueue(queue: TrainingQueue): batch.IJobQueue {
    return queue === TrainingQueue.GPU ? this.gpuQueue : this.cpuQueue;
  }

  /**
   * A job definition of the cluster; undefined for the multi-node job when there is none.
   *
   * @param job the kind of job
   */
  public jobDefinition(job: TrainingJob): batch.IJobDefinition | undefined {
    switch (job) {
      case TrainingJob.PREPROCESS:
        return this.preprocessJobDefinition;
      case TrainingJob.SINGLE_NODE_TRAINING:
        return this.trainingJobDefinition;
      case TrainingJob.MULTI_NODE_TRAINING:
        return this.multiNodeTrainingJobDefinition;
    }
  }

  // ---------------------------------------------------------------- private

  /** Runs a pure rule, turning its violation into this construct's error (with its path). */
  private rule<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof RuleViolation) throw invalidProp(this, err.prop, err.rule, err.value);
      throw err;
    }
  }

  private advise(advice: Advice | undefined): void {
    if (advice) Validations.of(this).addWarning(`cdk-ml-at-scale:${advice.id}`, advice.message);
  }

  /**
   * The subnets of the instances: private or isolated only. Without a selection, a VPC with neither
   * would fall back to its public subnets, where Batch instances get no public IP and cannot start.
   */
  private privateSubnets(props: TrainingClusterProps): ec2.ISubnet[] {
    const vpc = props.vpc;
    if (props.vpcSubnets === undefined && vpc.privateSubnets.length === 0 && vpc.isolatedSubnets.length === 0) {
      throw invalidProp(this, 'vpc', 'must have private or isolated subnets (the instances do not run in public subnets)', vpc.node.path);
    }
    const selected = vpc.selectSubnets(props.vpcSubnets).subnets;
    const publicIds = new Set(vpc.publicSubnets.map((s) => s.subnetId));
    const exposed = selected.filter((s) => publicIds.has(s.subnetId));
    if (exposed.length > 0) {
      throw invalidProp(this, 'vpcSubnets', 'must select private or isolated subnets, not public ones', exposed.map((s) => s.node.path));
    }
    return selected;
  }

  /**
   * Lustre needs TCP 988 (LNet) and 1018-1023 between the clients and the file system, in both
   * directions: the servers also connect to the clients. The rules on the file system's groups are
   * added from the cluster's side (remote rules), so a file system of another stack (or an imported
   * one) gets them in this stack, without a dependency cycle.
   * @see https://docs.aws.amazon.com/fsx/latest/LustreGuide/limit-access-security-groups.html
   */
  private openLustre(lustre: ILustreCache): void {
    const ports: Array<[ec2.Port, string]> = [
      [ec2.Port.tcp(988), 'Lustre (LNet)'],
      [ec2.Port.tcpRange(1018, 1023), 'Lustre'],
    ];
    for (const group of lustre.connections.securityGroups) {
      for (const [port, label] of ports) {
        group.addIngressRule(this.securityGroup, port, `${label} from the training cluster`, true);
        group.addEgressRule(this.securityGroup, port, `${label} to the training cluster`, true);
        this.securityGroup.addIngressRule(group, port, `${label} from the FSx for Lustre file system`);
      }
    }
  }

  private createInstanceRole(): iam.Role {
    const role = new iam.Role(this, 'InstanceRole', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: `Batch container instances of ${this.node.path}`,
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonEC2ContainerServiceforEC2Role')],
    });
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role]',
      reason:
        'The AWS-maintained policy that ECS container instances need to register with the Batch-managed ECS cluster, pull images and send logs; AWS updates it as ECS changes. Jobs do not get it: they run with the job role.',
    });
    acknowledgeInlinePolicy(role);
    return role;
  }

  /** One fleet: its launch template, its managed compute environment (0 vCPUs when idle) and its queue. */
  private createFleet(vpc: ec2.IVpc, spec: FleetSpec, rootVolumeSizeGiB: number, stuckActions: batch.JobStateTimeLimitAction[]): Fleet {
    const launchTemplate = this.createLaunchTemplate(`${spec.idPrefix}LaunchTemplate`, spec.hostCommands, rootVolumeSizeGiB);
    const computeEnvironment = new batch.ManagedEc2EcsComputeEnvironment(this, `${spec.idPrefix}ComputeEnvironment`, {
      vpc,
      vpcSubnets: spec.vpcSubnets,
      securityGroups: [this.securityGroup],
      instanceTypes: spec.facts.map((f) => new ec2.InstanceType(f.instanceType)),
      useOptimalInstanceClasses: false,
      images: [{ imageType: spec.imageType }],
      instanceRole: this.instanceRole,
      launchTemplate,
      placementGroup: spec.placementGroup,
      spot: spec.spot,
      allocationStrategy: spec.spot ? batch.AllocationStrategy.SPOT_PRICE_CAPACITY_OPTIMIZED : batch.AllocationStrategy.BEST_FIT_PROGRESSIVE,
      minvCpus: 0,
      maxvCpus: spec.maxvCpus,
      replaceComputeEnvironment: false,
      terminateOnUpdate: false,
    });
    // Point the environment at the template's latest version, so that a template change reaches it.
    const cfn = computeEnvironment.node.defaultChild as batch.CfnComputeEnvironment;
    cfn.addPropertyOverride('ComputeResources.LaunchTemplate.Version', launchTemplate.latestVersionNumber);
    const queue = new batch.JobQueue(this, `${spec.idPrefix}Queue`, {
      computeEnvironments: [{ computeEnvironment, order: 1 }],
      priority: 1,
      schedulingPolicy: this.schedulingPolicy,
      jobStateTimeLimitActions: stuckActions,
    });
    return { launchTemplate, computeEnvironment, queue };
  }

  private createKey(removalPolicy: RemovalPolicy): kms.Key {
    const key = restrictGrantsToAwsServices(new kms.Key(this, 'Key', {
      description: `Encrypts the root volumes and job logs of ${this.node.path}`,
      enableKeyRotation: true,
      removalPolicy,
    }));
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
      // One-minute instance metrics (Control Tower CT.EC2.PR.10): GPU hosts are few and costly to leave idle.
      detailedMonitoring: true,
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
      // No public IP (Control Tower CT.EC2.PR.9). EC2 accepts the flag only on a single-interface launch:
      // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_InstanceNetworkInterfaceSpecification.html
      ...(this.efaInterfaces === 1 ? { AssociatePublicIpAddress: false } : {}),
      Groups: [this.securityGroup.securityGroupId],
      DeleteOnTermination: true,
      Description: `EFA on network card ${card}`,
    }));
    const template = this.launchTemplate.node.defaultChild as ec2.CfnLaunchTemplate;
    template.addPropertyOverride('LaunchTemplateData.NetworkInterfaces', interfaces);
    if (this.efaInterfaces > 1) {
      acknowledgeControlTowerRule(
        this.launchTemplate,
        'ec2_launch_template_public_ip_disabled_check',
        'EC2 takes AssociatePublicIpAddress only on a launch with one network interface (EC2 API reference, InstanceNetworkInterfaceSpecification), and this one has an EFA per network card; the instances launch in private subnets, which map no public IP on launch.',
      );
    }
    template.addPropertyDeletionOverride('LaunchTemplateData.SecurityGroupIds');
    const ce = this.gpuComputeEnvironment.node.defaultChild as batch.CfnComputeEnvironment;
    ce.addPropertyDeletionOverride('ComputeResources.SecurityGroupIds');
  }
}

import { CfnParameter, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as efs from 'aws-cdk-lib/aws-efs';
import * as fsx from 'aws-cdk-lib/aws-fsx';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DataLake, DataLakeZone } from '../../lib/data-lake';
import { LustreCache } from '../../lib/storage';
import { TrainingCluster, TrainingClusterAttributes, TrainingClusterProps, TrainingJob, TrainingQueue } from '../../lib/training';
import { consumerRole, nagFindings, testApp, testStack } from '../util/app';

/** Renders a CloudFormation value as text, tokens as `${Ref:X}` and `${GetAtt:X.Y}`. */
function flatten(node: unknown): string {
  if (typeof node === 'string') return node;
  if (Array.isArray(node)) return node.map(flatten).join('');
  const o = node as Record<string, unknown>;
  if (o['Fn::Join']) {
    const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
    return parts.map(flatten).join(sep);
  }
  if (o.Ref) return `\${Ref:${String(o.Ref)}}`;
  if (o['Fn::GetAtt']) return `\${GetAtt:${(o['Fn::GetAtt'] as string[]).join('.')}}`;
  if (o['Fn::Base64']) return flatten(o['Fn::Base64']);
  return JSON.stringify(node);
}

/** The host setup script of a launch template: the shell part of its MIME multi-part user data. */
function userDataOf(template: Template, idPrefix: string): string {
  const lts = template.findResources('AWS::EC2::LaunchTemplate');
  const [, lt] = Object.entries(lts).find(([id]) => id.startsWith(idPrefix))!;
  return flatten(lt.Properties.LaunchTemplateData.UserData);
}

function build(props: Partial<TrainingClusterProps> = {}): { stack: Stack; vpc: ec2.Vpc; cluster: TrainingCluster } {
  const stack = testStack();
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const cluster = new TrainingCluster(stack, 'Cluster', { vpc, ...props });
  return { stack, vpc, cluster };
}

/** What a metric reads: namespace, name, dimensions, statistic, period (seconds) and label. */
function metricShape(metric: cloudwatch.Metric) {
  const { namespace, metricName, dimensions, statistic, label } = metric;
  return { namespace, metricName, dimensions, statistic, period: metric.period.toSeconds(), label };
}

const QUEUE_ARN = 'arn:aws:batch:us-east-1:123456789012';

/** The attributes of a cluster created elsewhere (queues and job definitions by ARN), in `stack`. */
function importedAttributes(stack: Stack): TrainingClusterAttributes {
  return {
    gpuQueue: batch.JobQueue.fromJobQueueArn(stack, 'Gpu', `${QUEUE_ARN}:job-queue/gpu`),
    cpuQueue: batch.JobQueue.fromJobQueueArn(stack, 'Cpu', `${QUEUE_ARN}:job-queue/cpu`),
    preprocessJobDefinition: batch.EcsJobDefinition.fromJobDefinitionArn(stack, 'Prep', `${QUEUE_ARN}:job-definition/prep`),
    trainingJobDefinition: batch.EcsJobDefinition.fromJobDefinitionArn(stack, 'Train', `${QUEUE_ARN}:job-definition/train`),
    maxGpusPerInstance: 4,
    jobRole: iam.Role.fromRoleName(stack, 'Jobs', 'jobs'),
  };
}

function fails(props: Partial<TrainingClusterProps>, message: string | RegExp): void {
  // An imported VPC is enough here, and much cheaper to build than a new one.
  const stack = testStack();
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-1',
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    privateSubnetIds: ['subnet-1', 'subnet-2'],
  });
  expect(() => new TrainingCluster(stack, 'Cluster', { vpc, ...props })).toThrow(message);
}

describe('TrainingCluster with defaults', () => {
  const { stack, cluster } = build();
  const template = Template.fromStack(stack);
  const gpuUserData = userDataOf(template, 'ClusterGpuLaunchTemplate');
  const cpuUserData = userDataOf(template, 'ClusterCpuLaunchTemplate');

  test('runs training on a managed on-demand P-family environment that idles at 0 vCPUs', () => {
    template.hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      Type: 'managed',
      ComputeResources: Match.objectLike({
        Type: 'EC2',
        InstanceTypes: ['p4d.24xlarge'],
        AllocationStrategy: 'BEST_FIT_PROGRESSIVE',
        Ec2Configuration: [{ ImageType: 'ECS_AL2023_NVIDIA' }],
        MinvCpus: 0,
        MaxvCpus: 768,
      }),
    });
  });

  test('runs preprocessing on C-family Spot instances with price-capacity-optimized allocation', () => {
    template.hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      ComputeResources: Match.objectLike({
        Type: 'SPOT',
        AllocationStrategy: 'SPOT_PRICE_CAPACITY_OPTIMIZED',
        InstanceTypes: ['c6i.2xlarge', 'c6i.4xlarge', 'c6a.2xlarge', 'c6a.4xlarge'],
        Ec2Configuration: [{ ImageType: 'ECS_AL2023' }],
        MinvCpus: 0,
        SecurityGroupIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^ClusterSecurityGroup'), 'GroupId'] }],
      }),
    });
  });

  test('gives p4d.24xlarge four EFA interfaces, one per network card, carrying the security group', () => {
    const lt = template.findResources('AWS::EC2::LaunchTemplate');
    const gpu = Object.entries(lt).find(([id]) => id.startsWith('ClusterGpuLaunchTemplate'))![1];
    const nics = gpu.Properties.LaunchTemplateData.NetworkInterfaces;
    expect(nics).toHaveLength(4);
    expect(nics.map((n: { NetworkCardIndex: number }) => n.NetworkCardIndex)).toEqual([0, 1, 2, 3]);
    expect(nics.map((n: { DeviceIndex: number }) => n.DeviceIndex)).toEqual([0, 1, 1, 1]);
    for (const nic of nics) {
      expect(nic).toMatchObject({ InterfaceType: 'efa', Groups: [{ 'Fn::GetAtt': [expect.stringMatching(/^ClusterSecurityGroup/), 'GroupId'] }] });
    }
    expect(gpu.Properties.LaunchTemplateData.SecurityGroupIds).toBeUndefined();
    expect(cluster.efaInterfaces).toBe(4);
    // EC2 refuses AssociatePublicIpAddress on a multi-interface launch (and assigns no public IP to one).
    for (const nic of nics) expect(nic.AssociatePublicIpAddress).toBeUndefined();
    expect(gpuUserData).toContain('modprobe efa');
    expect(cpuUserData).not.toContain('modprobe efa');
  });

  test('names no security group on the GPU environment, since its template has network interfaces', () => {
    const ces = template.findResources('AWS::Batch::ComputeEnvironment', {
      Properties: { ComputeResources: { Ec2Configuration: [{ ImageType: 'ECS_AL2023_NVIDIA' }] } },
    });
    const [gpu] = Object.values(ces);
    expect(gpu.Properties.ComputeResources.SecurityGroupIds).toBeUndefined();
    expect(gpu.Properties.ComputeResources.Subnets).toHaveLength(1);
  });

  test('launches EFA instances into a cluster placement group', () => {
    template.hasResourceProperties('AWS::EC2::PlacementGroup', { Strategy: 'cluster' });
    template.hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      ComputeResources: Match.objectLike({ PlacementGroup: { 'Fn::GetAtt': [Match.anyValue(), 'GroupName'] } }),
    });
  });

  test('lets all traffic flow within the security group for EFA', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: '-1',
      GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ClusterSecurityGroup'), 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ClusterSecurityGroup'), 'GroupId'] },
    });
  });

  test('requires IMDSv2 with hop limit 1 and a KMS-encrypted 200 GiB gp3 root volume on both templates', () => {
    const lts = template.findResources('AWS::EC2::LaunchTemplate');
    expect(Object.keys(lts)).toHaveLength(2);
    for (const lt of Object.values(lts)) {
      expect(lt.Properties.LaunchTemplateData).toMatchObject({
        MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1, HttpEndpoint: 'enabled' },
        Monitoring: { Enabled: true },
        BlockDeviceMappings: [
          { DeviceName: '/dev/xvda', Ebs: { Encrypted: true, VolumeType: 'gp3', VolumeSize: 200, KmsKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^ClusterKey/), 'Arn'] } } },
        ],
      });
    }
  });

  test('pins each environment to its template\u2019s latest version', () => {
    const ces = template.findResources('AWS::Batch::ComputeEnvironment');
    for (const ce of Object.values(ces)) {
      expect(ce.Properties.ComputeResources.LaunchTemplate).toEqual({
        LaunchTemplateId: { Ref: expect.stringMatching(/LaunchTemplate/) },
        Version: { 'Fn::GetAtt': [expect.stringMatching(/LaunchTemplate/), 'LatestVersionNumber'] },
      });
    }
  });

  test('builds the user data as MIME multi-part', () => {
    expect(gpuUserData).toMatch(/^Content-Type: multipart\/mixed; boundary=/);
    expect(gpuUserData).toContain('Content-Type: text/x-shellscript');
  });

  test('stripes local NVMe into /scratch, and handles one device or none', () => {
    expect(gpuUserData).toContain("lsblk -d -n -o NAME,MODEL | awk '/Amazon EC2 NVMe Instance Storage/");
    expect(gpuUserData).toContain('mdadm --create /dev/md/scratch --level=0');
    expect(gpuUserData).toContain('elif [ "${#NVME[@]}" -eq 1 ]; then');
    expect(gpuUserData).toContain('chmod 1777 /scratch');
  });

  test('runs the CloudWatch agent with nvidia_smi GPU metrics on GPU hosts only', () => {
    expect(gpuUserData).toContain('amazon-cloudwatch-agent');
    expect(gpuUserData).toContain('"nvidia_gpu"');
    expect(gpuUserData).toContain('"utilization_gpu"');
    expect(gpuUserData).toContain('"memory_used"');
    expect(cpuUserData).toContain('amazon-cloudwatch-agent');
    expect(cpuUserData).not.toContain('nvidia_gpu');
  });

  test('mounts no file system when none is given', () => {
    expect(gpuUserData).not.toContain('lustre-client');
    expect(gpuUserData).not.toContain('mount -t lustre');
    expect(gpuUserData).not.toContain('amazon-efs-utils');
  });

  test('lets the hosts publish metrics only to the cluster\u2019s namespace', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'cloudwatch:PutMetricData', Condition: { StringEquals: { 'cloudwatch:namespace': 'CdkMlAtScale/Training' } } }),
        ]),
      },
    });
  });

  test('creates a training queue and a preprocessing queue that cancel jobs that can never run', () => {
    template.resourceCountIs('AWS::Batch::JobQueue', 2);
    template.resourceCountIs('AWS::Batch::SchedulingPolicy', 0);
    template.hasResourceProperties('AWS::Batch::JobQueue', {
      JobStateTimeLimitActions: Match.arrayWith([
        { Action: 'CANCEL', MaxTimeSeconds: 1800, Reason: 'MISCONFIGURATION:JOB_RESOURCE_REQUIREMENT', State: 'RUNNABLE' },
      ]),
    });
  });

  test('defines a preprocessing job that takes the shard manifest as a parameter', () => {
    template.hasResourceProperties('AWS::Batch::JobDefinition', {
      Type: 'container',
      Parameters: { manifestUri: 'none' },
      ContainerProperties: Match.objectLike({
        Command: Match.arrayWith(['Ref::manifestUri']),
        ResourceRequirements: Match.arrayWith([{ Type: 'MEMORY', Value: '4096' }, { Type: 'VCPU', Value: '2' }]),
      }),
    });
  });

  test('sizes the training job to the smallest allowed GPU instance', () => {
    template.hasResourceProperties('AWS::Batch::JobDefinition', {
      ContainerProperties: Match.objectLike({
        ResourceRequirements: Match.arrayWith([{ Type: 'VCPU', Value: '96' }, { Type: 'GPU', Value: '8' }]),
        LinuxParameters: { SharedMemorySize: 65536 },
        Ulimits: [{ Name: 'memlock', SoftLimit: -1, HardLimit: -1 }],
      }),
    });
  });

  test('retries Spot reclaims and host terminations, and exits on anything else', () => {
    const defs = template.findResources('AWS::Batch::JobDefinition');
    expect(Object.keys(defs)).toHaveLength(2);
    for (const def of Object.values(defs)) {
      expect(def.Properties.RetryStrategy).toEqual({
        Attempts: 3,
        EvaluateOnExit: [
          { Action: 'RETRY', OnStatusReason: 'Host EC2*' },
          { Action: 'EXIT', OnReason: '*' },
        ],
      });
    }
  });

  test('defines no multi-node job unless asked', () => {
    expect(cluster.multiNodeTrainingJobDefinition).toBeUndefined();
    template.resourcePropertiesCountIs('AWS::Batch::JobDefinition', { Type: 'multinode' }, 0);
  });

  test('logs to a KMS-encrypted log group kept a year and retained', () => {
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 365, KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ClusterKey'), 'Arn'] } },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    template.hasResource('AWS::KMS::Key', { Properties: { EnableKeyRotation: true }, DeletionPolicy: 'Retain' });
  });

  test('reads GPU utilisation and GPU memory from the agent\u2019s nvidia_smi metrics in its namespace (Average, 5 minutes)', () => {
    expect(cluster.metricsNamespace).toBe('CdkMlAtScale/Training');
    expect(metricShape(cluster.metricGpuUtilization())).toEqual({
      namespace: 'CdkMlAtScale/Training',
      metricName: 'nvidia_smi_utilization_gpu',
      dimensions: undefined,
      statistic: 'Average',
      period: 300,
      label: undefined,
    });
    expect(metricShape(cluster.metricGpuMemoryUtilization({ label: 'memory' }))).toMatchObject({ metricName: 'nvidia_smi_utilization_memory', statistic: 'Average', label: 'memory' });
  });

  test('its GPU metrics are those of the same cluster imported with the defaults', () => {
    const other = testStack('Other');
    const imported = TrainingCluster.fromTrainingClusterAttributes(other, 'Imported', importedAttributes(other));
    expect(metricShape(imported.metricGpuUtilization())).toEqual(metricShape(cluster.metricGpuUtilization()));
    expect(metricShape(imported.metricGpuMemoryUtilization())).toEqual(metricShape(cluster.metricGpuMemoryUtilization()));
    expect(imported.metricsNamespace).toBe(cluster.metricsNamespace);
  });

  test('passes cdk-nag with no unacknowledged finding', () => {
    expect(nagFindings(cluster)).toEqual([]);
  });
});

describe('TrainingCluster.fromTrainingClusterAttributes: GPU metrics', () => {
  const stack = testStack();
  const imported = TrainingCluster.fromTrainingClusterAttributes(stack, 'Imported', { ...importedAttributes(stack), metricsNamespace: 'Team/Gpus' });

  test('reads the GPU metrics in the namespace given', () => {
    expect(imported.metricsNamespace).toBe('Team/Gpus');
    expect(metricShape(imported.metricGpuUtilization())).toEqual({
      namespace: 'Team/Gpus',
      metricName: 'nvidia_smi_utilization_gpu',
      dimensions: undefined,
      statistic: 'Average',
      period: 300,
      label: undefined,
    });
    expect(metricShape(imported.metricGpuMemoryUtilization())).toMatchObject({ namespace: 'Team/Gpus', metricName: 'nvidia_smi_utilization_memory', statistic: 'Average', period: 300 });
  });

  test('applies the metric options given (period, statistic, label)', () => {
    const metric = imported.metricGpuUtilization({ period: Duration.minutes(1), statistic: cloudwatch.Stats.MAXIMUM, label: 'busiest GPU' });
    expect(metricShape(metric)).toMatchObject({ namespace: 'Team/Gpus', metricName: 'nvidia_smi_utilization_gpu', statistic: 'Maximum', period: 60, label: 'busiest GPU' });
  });

  test.each([
    ['is an AWS namespace', 'AWS/EC2', "'AWS/EC2'"],
    ['is empty', '', "''"],
    ['starts with a colon', ':gpus', "':gpus'"],
    ['is longer than 255 characters', 'n'.repeat(256), `'${'n'.repeat(256)}'`],
    ['holds a control character', 'team\ngpus', "'team\ngpus'"],
  ])('fails when metricsNamespace %s', (_, namespace, rendered) => {
    const s = testStack();
    expect(() => TrainingCluster.fromTrainingClusterAttributes(s, 'Bad', { ...importedAttributes(s), metricsNamespace: namespace })).toThrow(
      `metricsNamespace must be a custom CloudWatch namespace: 1 to 255 printable ASCII characters, not starting with ':' or 'AWS/', got ${rendered} (at Test/Bad)`,
    );
  });
});

describe('TrainingCluster, fullest configuration', () => {
  const stack = testStack();
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const lustre = new fsx.LustreFileSystem(stack, 'Lustre', {
    vpc,
    vpcSubnet: vpc.privateSubnets[0],
    storageCapacityGiB: 1200,
    lustreConfiguration: { deploymentType: fsx.LustreDeploymentType.PERSISTENT_2, perUnitStorageThroughput: 125 },
    fileSystemTypeVersion: fsx.FileSystemTypeVersion.V_2_15,
  });
  const shared = new efs.FileSystem(stack, 'Shared', { vpc, encrypted: true });
  const accessPoint = shared.addAccessPoint('Home', { path: '/home' });
  const lakeKey = new kms.Key(stack, 'LakeKey', { enableKeyRotation: true });
  const curated = new s3.Bucket(stack, 'Curated', { encryption: s3.BucketEncryption.KMS, encryptionKey: lakeKey });
  const artifacts = new s3.Bucket(stack, 'Artifacts', { encryption: s3.BucketEncryption.KMS, encryptionKey: lakeKey });
  const lake = DataLake.fromDataLakeAttributes(stack, 'Lake', {
    rawBucketName: 'raw-zone',
    curatedBucketName: curated.bucketName,
    artifactsBucketName: artifacts.bucketName,
    encryptionKey: lakeKey,
  });
  const lustreCache = LustreCache.fromLustreCacheAttributes(stack, 'LustreCache', {
    fileSystemId: lustre.fileSystemId,
    dnsName: lustre.dnsName,
    mountName: lustre.mountName,
    securityGroups: lustre.connections.securityGroups,
  });
  const cluster = new TrainingCluster(stack, 'Cluster', {
    vpc,
    gpuInstanceTypes: [new ec2.InstanceType('p5.48xlarge'), new ec2.InstanceType('p5e.48xlarge')],
    gpuMaxVcpus: 1536,
    cpuInstanceTypes: [new ec2.InstanceType('c7i.4xlarge'), new ec2.InstanceType('m7i.4xlarge')],
    allowGeneralPurposeCpuInstances: true,
    cpuSpot: false,
    cpuMaxVcpus: 512,
    fairShareScheduling: true,
    fairShareIdentifiers: ['research', 'prod'],
    lustre: lustreCache,
    sharedFileSystem: shared,
    sharedFileSystemAccessPoint: accessPoint,
    rootVolumeSizeGiB: 500,
    trainingGpus: 4,
    trainingVcpus: 96,
    trainingMemoryGiB: 1000,
    multiNodeCount: 4,
    multiNodeMainNode: 1,
    retryAttempts: 5,
    stuckJobTimeout: Duration.hours(2),
  });
  lake.grantRead(cluster, DataLakeZone.CURATED, 'datasets/imagenet');
  lake.grantReadWrite(cluster, DataLakeZone.ARTIFACTS, 'checkpoints');
  lake.grantReadWrite(cluster, DataLakeZone.ARTIFACTS, 'models');
  const pipelineRole = consumerRole(new iam.Role(stack, 'PipelineRole', { assumedBy: new iam.ServicePrincipal('states.amazonaws.com') }));
  cluster.grantSubmitJobs(pipelineRole, TrainingQueue.GPU);
  cluster.grantSubmitJobs(pipelineRole, TrainingQueue.CPU);
  const template = Template.fromStack(stack);
  const gpuUserData = userDataOf(template, 'ClusterGpuLaunchTemplate');
  const cpuUserData = userDataOf(template, 'ClusterCpuLaunchTemplate');
  const clusterSg = { 'Fn::GetAtt': [stack.getLogicalId(cluster.securityGroup.node.defaultChild as ec2.CfnSecurityGroup), 'GroupId'] };
  const lustreSg = { 'Fn::GetAtt': [Match.stringLikeRegexp('^LustreFsxLustreSecurityGroup'), 'GroupId'] };

  test('mounts the Lustre file system at /fsx by its DNS name and mount name, on both kinds of host', () => {
    const dns = flatten(stack.resolve(lustre.dnsName));
    const mountName = flatten(stack.resolve(lustre.mountName));
    expect(mountName).toBe(`\${GetAtt:${stack.getLogicalId(lustre.node.defaultChild as fsx.CfnFileSystem)}.LustreMountName}`);
    for (const userData of [gpuUserData, cpuUserData]) {
      expect(userData).toContain('"$PKG" install -y lustre-client');
      expect(userData).toContain(`${dns}@tcp:/${mountName} /fsx lustre defaults,relatime,flock,_netdev`);
      expect(userData).toContain(`mount -t lustre -o relatime,flock ${dns}@tcp:/${mountName} /fsx`);
    }
  });

  test('mounts EFS at /home through the access point, over TLS with IAM', () => {
    const fsId = flatten(stack.resolve(shared.fileSystemId));
    const apId = flatten(stack.resolve(accessPoint.accessPointId));
    expect(gpuUserData).toContain('amazon-efs-utils');
    expect(gpuUserData).toContain(`${fsId}:/ /home efs _netdev,tls,iam,accesspoint=${apId}`);
  });

  test('opens TCP 988 and 1018-1023 between the cluster and the Lustre file system, in both directions (its group allows all outbound)', () => {
    for (const [from, to] of [[988, 988], [1018, 1023]]) {
      template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        IpProtocol: 'tcp', FromPort: from, ToPort: to, GroupId: lustreSg, SourceSecurityGroupId: clusterSg,
      });
      template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        IpProtocol: 'tcp', FromPort: from, ToPort: to, GroupId: clusterSg, SourceSecurityGroupId: lustreSg,
      });
    }
  });

  test('opens NFS from the cluster to EFS and lets the hosts mount it', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp', FromPort: 2049, ToPort: 2049, SourceSecurityGroupId: clusterSg,
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'] })]) },
    });
  });

  test('gives p5 and p5e 32 EFA interfaces', () => {
    expect(cluster.efaInterfaces).toBe(32);
    const lt = Object.entries(template.findResources('AWS::EC2::LaunchTemplate')).find(([id]) => id.startsWith('ClusterGpuLaunchTemplate'))![1];
    expect(lt.Properties.LaunchTemplateData.NetworkInterfaces).toHaveLength(32);
    expect(lt.Properties.LaunchTemplateData.BlockDeviceMappings[0].Ebs.VolumeSize).toBe(500);
  });

  test('defines a multi-node job with the EFA devices and the /fsx host volume', () => {
    const defs = template.findResources('AWS::Batch::JobDefinition', { Properties: { Type: 'multinode' } });
    const [def] = Object.values(defs);
    expect(def.Properties.NodeProperties).toMatchObject({ NumNodes: 4, MainNode: 1 });
    const [range] = def.Properties.NodeProperties.NodeRangeProperties;
    expect(range.TargetNodes).toBe('0:3');
    expect(range.Container.InstanceType).toBe('p5.48xlarge');
    expect(range.Container.LinuxParameters.Devices).toHaveLength(32);
    expect(range.Container.LinuxParameters.Devices[31]).toEqual({
      HostPath: '/dev/infiniband/uverbs31',
      ContainerPath: '/dev/infiniband/uverbs31',
      Permissions: ['read', 'write', 'mknod'],
    });
    expect(range.Container.Volumes).toEqual(expect.arrayContaining([{ Name: 'fsx', Host: { SourcePath: '/fsx' } }]));
    expect(range.Container.MountPoints).toEqual(expect.arrayContaining([{ SourceVolume: 'fsx', ContainerPath: '/fsx' }]));
    expect(range.Container.ResourceRequirements).toEqual(expect.arrayContaining([{ Type: 'GPU', Value: '8' }]));
    expect(def.Properties.RetryStrategy.Attempts).toBe(5);
  });

  test('uses the sizes given for the single-node job', () => {
    template.hasResourceProperties('AWS::Batch::JobDefinition', {
      Type: 'container',
      ContainerProperties: Match.objectLike({
        ResourceRequirements: Match.arrayWith([{ Type: 'MEMORY', Value: String(1000 * 1024) }, { Type: 'GPU', Value: '4' }]),
      }),
    });
  });

  test('runs preprocessing on demand when Spot is off', () => {
    template.hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      ComputeResources: Match.objectLike({ Type: 'EC2', AllocationStrategy: 'BEST_FIT_PROGRESSIVE', InstanceTypes: ['c7i.4xlarge', 'm7i.4xlarge'], MaxvCpus: 512 }),
    });
  });

  test('attaches one fair-share policy to both queues', () => {
    template.resourceCountIs('AWS::Batch::SchedulingPolicy', 1);
    template.hasResourceProperties('AWS::Batch::SchedulingPolicy', {
      FairsharePolicy: Match.objectLike({ ShareDistribution: [{ ShareIdentifier: 'research', WeightFactor: 1 }, { ShareIdentifier: 'prod', WeightFactor: 1 }] }),
    });
    const queues = template.findResources('AWS::Batch::JobQueue');
    for (const q of Object.values(queues)) expect(q.Properties.SchedulingPolicyArn).toBeDefined();
    template.hasResourceProperties('AWS::Batch::JobQueue', {
      JobStateTimeLimitActions: Match.arrayWith([Match.objectLike({ MaxTimeSeconds: 7200 })]),
    });
  });

  test('lets the jobs read and write only the lake prefixes given, with explicit actions', () => {
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: stack.getLogicalId(cluster.jobRole.node.defaultChild as iam.CfnRole) }] },
    });
    const statements = Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>);
    const text = JSON.stringify(statements);
    expect(text).not.toMatch(/"s3:[A-Za-z]*\*"/);
    expect(text).toContain('/datasets/imagenet/*');
    expect(text).toContain('/checkpoints/*');
    expect(text).toContain('/models/*');
    const writes = statements.filter((s) => (s.Action as string[]).includes?.('s3:PutObject'));
    expect(writes.length).toBeGreaterThan(0);
    for (const w of writes) expect(JSON.stringify(w.Resource)).not.toContain('datasets');
    expect(text).toContain('"s3:prefix":["datasets/imagenet","datasets/imagenet/*"]');
  });

  test('grants submitting to each queue with its own job definitions, and following the jobs', () => {
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: stack.getLogicalId(pipelineRole.node.defaultChild as iam.CfnRole) }] },
    });
    const statements = Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>);
    const submit = statements.filter((s) => JSON.stringify(s.Action).includes('batch:SubmitJob'));
    const resources = JSON.stringify(submit.map((s) => s.Resource));
    expect(resources).toContain(stack.getLogicalId(cluster.gpuQueue.node.defaultChild as never));
    expect(resources).toContain(stack.getLogicalId(cluster.cpuQueue.node.defaultChild as never));
    expect(resources).toContain(':job-definition/');
    expect(JSON.stringify(statements)).toContain('batch:DescribeJobs');
  });

  test('passes cdk-nag with no unacknowledged finding, for the cluster and the grantee', () => {
    expect(nagFindings(cluster)).toEqual([]);
    expect(nagFindings(pipelineRole)).toEqual([]);
  });
});

describe('TrainingCluster with an imported Lustre file system and no EFA', () => {
  const stack = testStack();
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const lustreSg = ec2.SecurityGroup.fromSecurityGroupId(stack, 'LustreSg', 'sg-0123456789abcdef0', { allowAllOutbound: false });
  const lustre = LustreCache.fromLustreCacheAttributes(stack, 'Lustre', {
    fileSystemId: 'fs-0123456789abcdef0',
    dnsName: 'fs-0123456789abcdef0.fsx.eu-west-1.amazonaws.com',
    mountName: 'abcdefgh',
    securityGroups: [lustreSg],
  });
  const cluster = new TrainingCluster(stack, 'Cluster', {
    vpc,
    gpuInstanceTypes: [new ec2.InstanceType('p3.8xlarge'), new ec2.InstanceType('p3.16xlarge')],
    lustre,
    lustreMountPath: '/data',
    multiNodeCount: 2,
    multiNodeInstanceType: new ec2.InstanceType('p3.8xlarge'),
  });
  const template = Template.fromStack(stack);
  const annotations = Annotations.fromStack(stack);

  test('opens 988 and 1018-1023 to and from the imported file system\u2019s security group', () => {
    const clusterSg = { 'Fn::GetAtt': [Match.stringLikeRegexp('^ClusterSecurityGroup'), 'GroupId'] };
    for (const [from, to] of [[988, 988], [1018, 1023]]) {
      template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        IpProtocol: 'tcp', FromPort: from, ToPort: to, GroupId: 'sg-0123456789abcdef0', SourceSecurityGroupId: clusterSg,
      });
      template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
        IpProtocol: 'tcp', FromPort: from, ToPort: to, GroupId: 'sg-0123456789abcdef0', DestinationSecurityGroupId: clusterSg,
      });
      template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        IpProtocol: 'tcp', FromPort: from, ToPort: to, GroupId: clusterSg, SourceSecurityGroupId: 'sg-0123456789abcdef0',
      });
    }
  });

  test('mounts it by the imported DNS name and the mount name given, at the path given', () => {
    const userData = userDataOf(template, 'ClusterGpuLaunchTemplate');
    expect(userData).toContain("echo 'fs-0123456789abcdef0.fsx.eu-west-1.amazonaws.com@tcp:/abcdefgh /data lustre");
    expect(cluster.maxNodes).toBe(Math.floor(768 / 32));
  });

  test('has no EFA, no placement group, and the security group on the environment', () => {
    expect(cluster.efaEnabled).toBe(false);
    template.resourceCountIs('AWS::EC2::PlacementGroup', 0);
    const lts = template.findResources('AWS::EC2::LaunchTemplate');
    for (const lt of Object.values(lts)) expect(lt.Properties.LaunchTemplateData.NetworkInterfaces).toBeUndefined();
    template.hasResourceProperties('AWS::Batch::ComputeEnvironment', {
      ComputeResources: Match.objectLike({ InstanceTypes: ['p3.8xlarge', 'p3.16xlarge'], SecurityGroupIds: Match.anyValue() }),
    });
  });

  test('warns to scale up before out when the multi-node job uses a smaller size than allowed', () => {
    annotations.hasWarning('/Test/Cluster', Match.stringLikeRegexp('p3.8xlarge \\(4 GPUs\\) while p3.16xlarge \\(8 GPUs\\).*Scale up, then out'));
  });

  test('warns that a multi-node job without EFA is network-bound', () => {
    annotations.hasWarning('/Test/Cluster', Match.stringLikeRegexp('without EFA'));
  });
});

describe('TrainingCluster, other choices', () => {
  test('admits G5 with the development opt-in, without EFA when a type lacks it', () => {
    const { stack, cluster } = build({
      gpuInstanceTypes: [new ec2.InstanceType('g5.xlarge'), new ec2.InstanceType('g5.12xlarge')],
      allowGpuDevelopmentInstances: true,
    });
    expect(cluster.efaEnabled).toBe(false);
    Template.fromStack(stack).hasResourceProperties('AWS::Batch::JobDefinition', {
      ContainerProperties: Match.objectLike({ ResourceRequirements: Match.arrayWith([{ Type: 'GPU', Value: '1' }]) }),
    });
  });

  test('puts the rules for a file system of another stack in the cluster\u2019s stack, so the stacks form no cycle', () => {
    const app = testApp();
    const storage = new Stack(app, 'Storage');
    const vpc = new ec2.Vpc(storage, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const lustre = new LustreCache(storage, 'Lustre', { vpc, deploymentType: fsx.LustreDeploymentType.SCRATCH_2 });
    const training = new Stack(app, 'Training');
    new TrainingCluster(training, 'Cluster', { vpc, lustre });
    expect(() => app.synth()).not.toThrow();
    const trainingTemplate = Template.fromStack(training);
    trainingTemplate.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { FromPort: 988, ToPort: 988 });
    trainingTemplate.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { FromPort: 1018, ToPort: 1023 });
    trainingTemplate.hasResourceProperties('AWS::EC2::SecurityGroupEgress', { FromPort: 1018, ToPort: 1023 });
    const storageTemplate = Template.fromStack(storage);
    for (const type of ['AWS::EC2::SecurityGroupIngress', 'AWS::EC2::SecurityGroupEgress']) {
      storageTemplate.resourcePropertiesCountIs(type, { Description: Match.stringLikeRegexp('training cluster') }, 0);
    }
  });

  test('takes the team\u2019s own job role, instance role and security group, and is the grantee of lake grants', () => {
    const stack = testStack();
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-1', availabilityZones: ['eu-west-1a'], privateSubnetIds: ['subnet-1'] });
    const jobRole = iam.Role.fromRoleArn(stack, 'TeamJobRole', 'arn:aws:iam::123456789012:role/team-jobs');
    const instanceRole = iam.Role.fromRoleArn(stack, 'TeamInstanceRole', 'arn:aws:iam::123456789012:role/team-instances');
    const securityGroup = ec2.SecurityGroup.fromSecurityGroupId(stack, 'TeamGroup', 'sg-0aaaaaaaaaaaaaaaa');
    const lake = DataLake.fromDataLakeAttributes(stack, 'Lake', {
      rawBucketName: 'raw', curatedBucketName: 'curated', artifactsBucketName: 'artifacts',
      encryptionKey: kms.Key.fromKeyArn(stack, 'LakeKey', 'arn:aws:kms:eu-west-1:123456789012:key/1'),
    });
    const cluster = new TrainingCluster(stack, 'Cluster', { vpc, jobRole, instanceRole, securityGroup, multiNodeCount: 2 });
    lake.grantRead(cluster, DataLakeZone.CURATED, 'datasets');
    const t = Template.fromStack(stack);
    expect(cluster.jobRole).toBe(jobRole);
    expect(cluster.grantPrincipal).toBe(jobRole.grantPrincipal);
    t.resourceCountIs('AWS::IAM::Role', 1); // the execution role only
    t.resourceCountIs('AWS::EC2::SecurityGroup', 0);
    t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { GroupId: 'sg-0aaaaaaaaaaaaaaaa', SourceSecurityGroupId: 'sg-0aaaaaaaaaaaaaaaa', IpProtocol: '-1' });
    t.hasResourceProperties('AWS::IAM::Policy', {
      Roles: ['team-jobs'],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 's3:ListBucket', Condition: { StringLike: { 's3:prefix': ['datasets', 'datasets/*'] } } })]) },
    });
    t.hasResourceProperties('AWS::IAM::Policy', {
      Roles: ['team-instances'],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'cloudwatch:PutMetricData' })]) },
    });
    t.hasResourceProperties('AWS::Batch::JobDefinition', {
      ContainerProperties: Match.objectLike({ JobRoleArn: 'arn:aws:iam::123456789012:role/team-jobs' }),
    });
  });

  test('tells a pipeline what it needs: GPUs per instance, node ceiling, fair share, queues and job definitions', () => {
    const { cluster } = build({ multiNodeCount: 2, fairShareScheduling: true });
    expect(cluster.maxGpusPerInstance).toBe(8);
    expect(cluster.maxNodes).toBe(8); // 768 vCPUs / 96 per p4d.24xlarge
    expect(cluster.fairShareScheduling).toBe(true);
    expect(cluster.jobQueue(TrainingQueue.GPU)).toBe(cluster.gpuQueue);
    expect(cluster.jobQueue(TrainingQueue.CPU)).toBe(cluster.cpuQueue);
    expect(cluster.jobDefinition(TrainingJob.PREPROCESS)).toBe(cluster.preprocessJobDefinition);
    expect(cluster.jobDefinition(TrainingJob.SINGLE_NODE_TRAINING)).toBe(cluster.trainingJobDefinition);
    expect(cluster.jobDefinition(TrainingJob.MULTI_NODE_TRAINING)).toBe(cluster.multiNodeTrainingJobDefinition);
  });

  test('imports an existing cluster by its attributes', () => {
    const stack = testStack();
    const arn = 'arn:aws:batch:us-east-1:123456789012';
    const imported = TrainingCluster.fromTrainingClusterAttributes(stack, 'Imported', {
      gpuQueue: batch.JobQueue.fromJobQueueArn(stack, 'Gpu', `${arn}:job-queue/gpu`),
      cpuQueue: batch.JobQueue.fromJobQueueArn(stack, 'Cpu', `${arn}:job-queue/cpu`),
      preprocessJobDefinition: batch.EcsJobDefinition.fromJobDefinitionArn(stack, 'Prep', `${arn}:job-definition/prep`),
      trainingJobDefinition: batch.EcsJobDefinition.fromJobDefinitionArn(stack, 'Train', `${arn}:job-definition/train`),
      maxGpusPerInstance: 4,
      jobRole: iam.Role.fromRoleName(stack, 'Jobs', 'jobs'),
    });
    expect(imported.maxGpusPerInstance).toBe(4);
    expect(imported.maxNodes).toBeUndefined();
    expect(imported.fairShareScheduling).toBe(false);
    expect(imported.jobDefinition(TrainingJob.MULTI_NODE_TRAINING)).toBeUndefined();
    expect(() =>
      TrainingCluster.fromTrainingClusterAttributes(stack, 'Bad', {
        gpuQueue: imported.jobQueue(TrainingQueue.GPU), cpuQueue: imported.jobQueue(TrainingQueue.CPU),
        preprocessJobDefinition: imported.jobDefinition(TrainingJob.PREPROCESS)!, trainingJobDefinition: imported.jobDefinition(TrainingJob.SINGLE_NODE_TRAINING)!,
        multiNodeTrainingJobDefinition: imported.jobDefinition(TrainingJob.SINGLE_NODE_TRAINING)!,
        maxGpusPerInstance: 4, jobRole: iam.Role.fromRoleName(stack, 'Jobs2', 'jobs'),
      }),
    ).toThrow('maxNodes must be given with multiNodeTrainingJobDefinition, got undefined (at Test/Bad)');
  });

  test('mixes EFA counts when EFA is switched off, with no placement group and the group on the environment', () => {
    const { stack, cluster } = build({ gpuInstanceTypes: [new ec2.InstanceType('p4d.24xlarge'), new ec2.InstanceType('p5.48xlarge')], efaEnabled: false });
    const t = Template.fromStack(stack);
    expect(cluster.efaInterfaces).toBe(0);
    t.resourceCountIs('AWS::EC2::PlacementGroup', 0);
    const [gpu] = Object.values(t.findResources('AWS::Batch::ComputeEnvironment', {
      Properties: { ComputeResources: { InstanceTypes: ['p4d.24xlarge', 'p5.48xlarge'] } },
    }));
    expect(gpu.Properties.ComputeResources.SecurityGroupIds).toHaveLength(1);
    expect(gpu.Properties.ComputeResources.Subnets).toHaveLength(2);
  });

  test('warns when a job fits only some of the allowed types, naming those that never run it', () => {
    const { stack } = build({
      gpuInstanceTypes: [new ec2.InstanceType('p4d.24xlarge'), new ec2.InstanceType('g5.xlarge')],
      allowGpuDevelopmentInstances: true,
      trainingGpus: 8,
      trainingVcpus: 32,
      trainingMemoryGiB: 256,
    });
    Annotations.fromStack(stack).hasWarning(
      '/Test/Cluster',
      Match.stringLikeRegexp('The training job \\(8 GPUs.*fits only p4d.24xlarge: the allowed type\\(s\\) g5.xlarge never run it'),
    );
  });

  test('does not warn when every job fits every allowed type', () => {
    const { stack } = build({});
    Annotations.fromStack(stack).hasNoWarning('/Test/Cluster', Match.stringLikeRegexp('never run it'));
  });

  test('does not warn when the multi-node job uses the biggest size', () => {
    const { stack } = build({ multiNodeCount: 2 });
    Annotations.fromStack(stack).hasNoWarning('/Test/Cluster', Match.stringLikeRegexp('Scale up'));
  });

  test('deletes the log group and key when asked', () => {
    const { stack } = build({ removalPolicy: RemovalPolicy.DESTROY, logRetention: logs.RetentionDays.TWO_YEARS });
    const t = Template.fromStack(stack);
    t.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete', Properties: Match.objectLike({ RetentionInDays: 731 }) });
    t.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
  });
});

describe('TrainingCluster fails', () => {
  const p = (t: string) => new ec2.InstanceType(t);

  test('fails when a G-family type is given without the development opt-in', () => {
    fails({ gpuInstanceTypes: [p('g5.xlarge')] }, "gpuInstanceTypes must be P-family types; G-family types need allowGpuDevelopmentInstances: true, got 'g5.xlarge' (at Test/Cluster)");
  });
  test('fails when a GPU type is not a known P type', () => {
    fails({ gpuInstanceTypes: [p('p2.xlarge')] }, /^gpuInstanceTypes must be one of p3.2xlarge, .*p6-b200.48xlarge, got 'p2.xlarge'/);
    fails({ gpuInstanceTypes: [p('c6i.large')] }, /^gpuInstanceTypes must be one of .*, got 'c6i.large'/);
  });
  test('fails when no GPU type is given', () => {
    fails({ gpuInstanceTypes: [] }, 'gpuInstanceTypes must hold at least one instance type, got []');
  });
  test('fails when GPU types with different EFA counts share the launch template', () => {
    fails({ gpuInstanceTypes: [p('p4d.24xlarge'), p('p5.48xlarge')] }, /^gpuInstanceTypes must share one EFA interface count when EFA is on.*p4d.24xlarge: 4, p5.48xlarge: 32/);
  });
  test('fails when EFA is forced on a type without EFA', () => {
    fails({ gpuInstanceTypes: [p('p3.8xlarge')], efaEnabled: true }, 'efaEnabled needs every GPU instance type to support EFA (p3.8xlarge do not), got true');
  });
  test('fails when a CPU type is M or R without the opt-in', () => {
    fails({ cpuInstanceTypes: [p('m7i.xlarge')] }, "cpuInstanceTypes must be C-family types; M and R need allowGeneralPurposeCpuInstances: true, got 'm7i.xlarge'");
  });
  test('fails when a CPU type is not a known C type', () => {
    fails({ cpuInstanceTypes: [p('t3.large')] }, "cpuInstanceTypes must be C-family types of the 5th generation or newer with a size from large to 48xlarge, got 't3.large'");
  });
  test('fails when CPU types mix x86 and Graviton', () => {
    fails({ cpuInstanceTypes: [p('c7i.xlarge'), p('c7g.xlarge')] }, /^cpuInstanceTypes must be all x86 or all Arm/);
  });
  test('fails when the training job asks for more GPUs than any allowed instance has', () => {
    fails({ trainingGpus: 16 }, 'trainingGpus must fit an allowed instance type, or the job waits in RUNNABLE forever (p4d.24xlarge: 8 GPUs), got 16');
  });
  test('fails when the training job asks for more vCPUs or memory than any allowed instance has', () => {
    fails({ trainingVcpus: 128 }, 'trainingVcpus must fit an allowed instance type, or the job waits in RUNNABLE forever (p4d.24xlarge: 96 vCPUs), got 128');
    fails({ trainingMemoryGiB: 1152 }, /^trainingMemoryGiB must fit an allowed instance type, or the job waits in RUNNABLE forever \(p4d.24xlarge: 1120665 MiB schedulable memory\), got 1152/);
  });
  test('fails when no single instance type fits GPUs, vCPUs and memory together', () => {
    fails(
      { gpuInstanceTypes: [p('g5.12xlarge'), p('g5.16xlarge')], allowGpuDevelopmentInstances: true, trainingGpus: 4, trainingVcpus: 64, trainingMemoryGiB: 100 },
      /^trainingGpus with 64 vCPUs and 100 GiB must fit one allowed instance type together, or the job waits in RUNNABLE forever, got 4/,
    );
  });
  test('fails when the preprocessing job does not fit a CPU instance', () => {
    fails({ preprocessVcpus: 32 }, /^preprocessVcpus must fit an allowed instance type.*c6i.4xlarge: 16 vCPUs.*, got 32/);
    fails({ preprocessMemoryGiB: 64 }, /^preprocessMemoryGiB must fit an allowed instance type/);
  });
  test('fails when the training job sizes are not positive', () => {
    fails({ trainingGpus: 0 }, 'trainingGpus must be an integer of at least 1, got 0');
    fails({ preprocessVcpus: 0 }, 'preprocessVcpus must be a number of at least 0.25, got 0');
  });
  test('fails when shared memory is not less than the job memory', () => {
    fails({ trainingMemoryGiB: 32, trainingSharedMemoryGiB: 64 }, 'trainingSharedMemoryGiB must be less than trainingMemoryGiB (32), got 64');
  });
  test('fails when the multi-node job has fewer than 2 nodes', () => {
    fails({ multiNodeCount: 1 }, 'multiNodeCount must be an integer from 2 to 1000, got 1');
  });
  test('fails when the multi-node instance type is not allowed', () => {
    fails({ multiNodeCount: 2, multiNodeInstanceType: p('p5.48xlarge') }, "multiNodeInstanceType must be one of gpuInstanceTypes (p4d.24xlarge), got 'p5.48xlarge'");
  });
  test('fails when the main node is outside the nodes', () => {
    fails({ multiNodeCount: 2, multiNodeMainNode: 2 }, 'multiNodeMainNode must be an integer from 0 to 1, got 2');
  });
  test('fails when multi-node settings come without a node count', () => {
    fails({ multiNodeMainNode: 0 }, 'multiNodeCount must be given with multiNodeInstanceType or multiNodeMainNode, got undefined');
  });
  test('fails when the GPU environment cannot hold the multi-node job', () => {
    fails({ multiNodeCount: 16 }, 'gpuMaxVcpus must hold the multi-node job (16 x 96 vCPUs of p4d.24xlarge = 1536), got 768');
  });
  test('fails when the GPU environment cannot hold one instance', () => {
    fails({ gpuMaxVcpus: 64 }, 'gpuMaxVcpus must hold at least one GPU instance (96 vCPUs), got 64');
  });
  test('fails when max vCPUs are not positive integers', () => {
    fails({ cpuMaxVcpus: 0 }, 'cpuMaxVcpus must be an integer of at least 1, got 0');
  });
  test('fails when an EFS access point comes without its file system', () => {
    const stack = testStack();
    const vpc = new ec2.Vpc(stack, 'Vpc');
    const ap = efs.AccessPoint.fromAccessPointId(stack, 'Ap', 'fsap-1');
    expect(() => new TrainingCluster(stack, 'A', { vpc, sharedFileSystemAccessPoint: ap })).toThrow('sharedFileSystem must be given with sharedFileSystemAccessPoint, got undefined');
  });
  test('fails when logs are kept less than a year', () => {
    fails({ logRetention: logs.RetentionDays.SIX_MONTHS }, 'logRetention must keep logs at least 365 days, got 180');
  });
  test('fails when the root volume is too small for GPU images', () => {
    fails({ rootVolumeSizeGiB: 20 }, 'rootVolumeSizeGiB must be an integer from 30 to 16384, got 20');
  });
  test('fails when the retry attempts are out of range', () => {
    fails({ retryAttempts: 0 }, 'retryAttempts must be an integer from 1 to 10, got 0');
    fails({ retryAttempts: 11 }, 'retryAttempts must be an integer from 1 to 10, got 11');
  });
  test('fails when the stuck-job timeout is under 10 minutes', () => {
    fails({ stuckJobTimeout: Duration.minutes(5) }, "stuckJobTimeout must be from 10 minutes (600 s) to 24 hours (86,400 s), the bounds of Batch\u2019s maxTimeSeconds, got '5 minutes'");
  });
  test('fails when the stuck-job timeout is over 24 hours (Batch counts seconds)', () => {
    fails({ stuckJobTimeout: Duration.hours(48) }, "stuckJobTimeout must be from 10 minutes (600 s) to 24 hours (86,400 s), the bounds of Batch\u2019s maxTimeSeconds, got '2 days'");
  });
  test('fails when the VPC has no private or isolated subnets', () => {
    const stack = testStack();
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-1', availabilityZones: ['eu-west-1a'], publicSubnetIds: ['subnet-1'] });
    expect(() => new TrainingCluster(stack, 'Cluster', { vpc })).toThrow(
      "vpc must have private or isolated subnets (the instances do not run in public subnets), got 'Test/Vpc'",
    );
  });
  test('fails when the subnets selected are public', () => {
    const stack = testStack();
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-1', availabilityZones: ['eu-west-1a'], publicSubnetIds: ['subnet-1'], privateSubnetIds: ['subnet-2'],
    });
    expect(() => new TrainingCluster(stack, 'Cluster', { vpc, vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC } })).toThrow(
      /^vpcSubnets must select private or isolated subnets, not public ones/,
    );
  });
  test('fails when a job size or a ceiling is a token', () => {
    const stack = testStack();
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-1', availabilityZones: ['eu-west-1a'], privateSubnetIds: ['subnet-1'] });
    const token = Token.asNumber(new CfnParameter(stack, 'Size', { type: 'Number' }).valueAsNumber);
    for (const prop of ['gpuMaxVcpus', 'trainingMemoryGiB', 'multiNodeCount'] as const) {
      expect(() => new TrainingCluster(stack, `C${prop}`, { vpc, [prop]: token })).toThrow(
        `${prop} must be a literal number known at synth, not a token (job sizes are checked against the instance types at synth), got an unresolved token`,
      );
    }
  });
  test('fails when share identifiers come without fair-share scheduling, or are malformed', () => {
    fails({ fairShareIdentifiers: ['a'] }, 'fairShareScheduling must be true when fairShareIdentifiers are given, got undefined');
    fails({ fairShareScheduling: true, fairShareIdentifiers: ['team a'] }, "fairShareIdentifiers must be letters and digits, optionally ending in *, got 'team a'");
  });
  test('fails when a mount path is not absolute, climbs out with "..", or two mounts share a path', () => {
    const rule = 'must be an absolute path of letters, digits, dots, dashes and slashes, with no empty, "." or ".." segment';
    fails({ lustreMountPath: 'fsx' }, `lustreMountPath ${rule}, got 'fsx'`);
    fails({ lustreMountPath: '/fsx/../etc' }, `lustreMountPath ${rule}, got '/fsx/../etc'`);
    fails({ sharedFileSystemMountPath: '/home/./user' }, `sharedFileSystemMountPath ${rule}, got '/home/./user'`);
    fails({ scratchMountPath: '/scratch//tmp' }, `scratchMountPath ${rule}, got '/scratch//tmp'`);
    fails({ scratchMountPath: '/scratch/' }, `scratchMountPath ${rule}, got '/scratch/'`);
    fails({ scratchMountPath: '/fsx' }, "scratchMountPath must differ from lustreMountPath and sharedFileSystemMountPath, got '/fsx'");
  });
});

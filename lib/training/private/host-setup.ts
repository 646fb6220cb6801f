import { efsMountCommands, lustreMountCommands } from '../../storage/mount-commands';

/** What the host setup script does on a Batch instance at boot. */
export interface HostSetupOptions {
  /** FSx for Lustre DNS name; with `lustreMountName`, mounts the file system. */
  readonly lustreDnsName?: string;
  readonly lustreMountName?: string;
  readonly lustreMountPath: string;
  /** EFS file system ID; mounts it over TLS with IAM authorization. */
  readonly efsFileSystemId?: string;
  readonly efsAccessPointId?: string;
  readonly efsMountPath: string;
  /** Where local NVMe instance storage is mounted. */
  readonly scratchPath: string;
  /** Whether the host has EFA interfaces: loads the driver and checks the devices. */
  readonly efa: boolean;
  /** Whether the CloudWatch agent collects GPU metrics (nvidia_smi). */
  readonly gpuMetrics: boolean;
  /** The CloudWatch namespace of the agent's metrics. */
  readonly metricsNamespace: string;
}

/** Where the agent's configuration is written. */
export const CLOUDWATCH_AGENT_CONFIG_PATH = '/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json';

/**
 * The CloudWatch agent configuration: GPU metrics from nvidia-smi (published as `nvidia_smi_<measurement>`,
 * per GPU index), memory, and disk use of the root volume and the scratch array.
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch-Agent-NVIDIA-GPU.html
 */
export function cloudWatchAgentConfig(options: Pick<HostSetupOptions, 'gpuMetrics' | 'metricsNamespace' | 'scratchPath'>): object {
  const collected: Record<string, unknown> = {
    mem: { measurement: ['mem_used_percent'] },
    disk: { measurement: ['used_percent'], resources: ['/', options.scratchPath], ignore_file_system_types: ['sysfs', 'devtmpfs', 'tmpfs', 'lustre', 'nfs4'] },
  };
  if (options.gpuMetrics) {
    collected.nvidia_gpu = {
      measurement: [
        'utilization_gpu',
        'utilization_memory',
        'memory_total',
        'memory_used',
        'memory_free',
        'temperature_gpu',
        'power_draw',
      ],
    };
  }
  return {
    agent: { metrics_collection_interval: 60, run_as_user: 'root' },
    metrics: {
      namespace: options.metricsNamespace,
      append_dimensions: { InstanceId: '${aws:InstanceId}', InstanceType: '${aws:InstanceType}' },
      aggregation_dimensions: [['InstanceType'], []],
      metrics_collected: collected,
    },
  };
}

/**
 * The shell commands of the host setup part of the launch template's MIME multi-part user data.
 * Batch adds its own part (ECS cluster registration); this part runs first, so `/fsx`, `/home` and
 * `/scratch` exist before the ECS agent takes jobs.
 */
export function hostSetupCommands(options: HostSetupOptions): string[] {
  const commands: string[] = ['set -euxo pipefail', 'PKG=$(command -v dnf || command -v yum)'];

  if (options.lustreDnsName !== undefined && options.lustreMountName !== undefined) {
    commands.push(
      '# FSx for Lustre client: the lustre-client package on Amazon Linux 2023, amazon-linux-extras on Amazon Linux 2',
      'if command -v amazon-linux-extras >/dev/null; then amazon-linux-extras install -y lustre; else "$PKG" install -y lustre-client; fi',
      'modprobe lustre',
      ...lustreMountCommands(options.lustreDnsName, options.lustreMountName, options.lustreMountPath),
    );
  }

  if (options.efsFileSystemId !== undefined) {
    commands.push(
      '# Amazon EFS with the EFS mount helper (TLS, IAM authorization)',
      '"$PKG" install -y amazon-efs-utils',
      ...efsMountCommands(options.efsFileSystemId, options.efsMountPath, options.efsAccessPointId),
    );
  }

  const scratch = options.scratchPath;
  commands.push(
    '# Local NVMe instance storage as scratch: one device is formatted as is, several are striped (RAID 0)',
    `mkdir -p ${scratch}`,
    `if ! mountpoint -q ${scratch}; then`,
    "  mapfile -t NVME < <(lsblk -d -n -o NAME,MODEL | awk '/Amazon EC2 NVMe Instance Storage/ {print \"/dev/\" $1}')",
    '  if [ "${#NVME[@]}" -gt 1 ]; then',
    '    "$PKG" install -y mdadm',
    '    mdadm --create /dev/md/scratch --level=0 --force --run --raid-devices="${#NVME[@]}" "${NVME[@]}"',
    '    mkfs.xfs -f /dev/md/scratch',
    `    mount -o noatime /dev/md/scratch ${scratch}`,
    '  elif [ "${#NVME[@]}" -eq 1 ]; then',
    '    mkfs.xfs -f "${NVME[0]}"',
    `    mount -o noatime "\${NVME[0]}" ${scratch}`,
    '  fi',
    'fi',
    `chmod 1777 ${scratch}`,
  );

  commands.push(
    '# CloudWatch agent',
    '"$PKG" install -y amazon-cloudwatch-agent',
    `mkdir -p $(dirname ${CLOUDWATCH_AGENT_CONFIG_PATH})`,
    `cat > ${CLOUDWATCH_AGENT_CONFIG_PATH} <<'CWAGENTCONFIG'`,
    JSON.stringify(cloudWatchAgentConfig(options), undefined, 2),
    'CWAGENTCONFIG',
    `/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:${CLOUDWATCH_AGENT_CONFIG_PATH}`,
  );

  if (options.efa) {
    commands.push(
      '# EFA: the kernel driver is in the Amazon Linux kernel; libfabric and NCCL come with the container image.',
      '# Fail the boot visibly when the devices that the job definitions pass in are missing.',
      'modprobe efa',
      'ls -l /dev/infiniband/uverbs0',
    );
  }
  return commands;
}

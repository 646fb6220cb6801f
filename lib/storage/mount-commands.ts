/**
 * Shell commands that mount shared file systems on EC2 hosts (Batch compute environments,
 * notebooks). Each set writes an fstab entry with `_netdev`, so the mount survives a reboot and
 * waits for the network, then mounts it. Values may be CDK tokens: they render into user data.
 */

/**
 * Mounts an FSx for Lustre file system: `mount -t lustre -o relatime,flock <dns>@tcp:/<mount> <path>`.
 *
 * @param dnsName the file system's DNS name (`LustreFileSystem.dnsName`)
 * @param mountName the file system's mount name (`LustreFileSystem.mountName`)
 * @param mountPath where to mount it on the host
 * @see https://docs.aws.amazon.com/fsx/latest/LustreGuide/mount-fs-auto-mount-onreboot.html
 */
export function lustreMountCommands(dnsName: string, mountName: string, mountPath = '/fsx'): string[] {
  return [
    `mkdir -p ${mountPath}`,
    `grep -q ' ${mountPath} lustre ' /etc/fstab || echo '${dnsName}@tcp:/${mountName} ${mountPath} lustre defaults,relatime,flock,_netdev,x-systemd.automount,x-systemd.requires=network.service 0 0' >> /etc/fstab`,
    `mount ${mountPath} || mount -t lustre -o relatime,flock ${dnsName}@tcp:/${mountName} ${mountPath}`,
  ];
}

/**
 * Mounts an Amazon EFS file system with the EFS mount helper, over TLS and with IAM authorization.
 *
 * @param fileSystemId the file system's ID
 * @param mountPath where to mount it on the host
 * @param accessPointId mount through this access point
 * @see https://docs.aws.amazon.com/efs/latest/ug/automount-with-efs-mount-helper.html
 */
export function efsMountCommands(fileSystemId: string, mountPath: string, accessPointId?: string): string[] {
  const options = ['_netdev', 'tls', 'iam', ...(accessPointId ? [`accesspoint=${accessPointId}`] : [])].join(',');
  return [
    `mkdir -p ${mountPath}`,
    `grep -q ' ${mountPath} efs ' /etc/fstab || echo '${fileSystemId}:/ ${mountPath} efs ${options} 0 0' >> /etc/fstab`,
    `mount ${mountPath}`,
  ];
}

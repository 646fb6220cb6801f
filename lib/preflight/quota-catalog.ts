/**
 * The Service Quotas that a deploy of this library's resources, and a first run, can hit: codes, names,
 * whether AWS raises them on request, and the value a new account commonly starts with (shown when
 * preflight cannot read the account).
 *
 * Sources (checked for this catalog):
 * - EC2 vCPU quotas by instance class, on demand and Spot: "Amazon EC2 service quotas",
 *   https://docs.aws.amazon.com/ec2/latest/instancetypes/ec2-instance-quotas.html, and
 *   `aws service-quotas get-aws-default-service-quota --service-code ec2 --quota-code L-1216C47A`
 *   (AWS CLI examples: "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances", default 5).
 *   The accelerated classes (P, G and VT, Inf, Trn, DL, F) commonly start at 0 vCPUs in a new account.
 * - VPC: https://docs.aws.amazon.com/general/latest/gr/vpc-service.html (VPCs per Region 5, internet
 *   gateways per Region 5, NAT gateways per Availability Zone 5, gateway endpoints per Region 20) and
 *   https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-limits-endpoints.html (interface and Gateway
 *   Load Balancer endpoints per VPC 50); Elastic IP addresses per Region 5 (`ec2` L-0263D0A3),
 *   https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html and
 *   https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/elastic-ip-addresses-eip.html.
 * - Lambda: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html (concurrent executions,
 *   1000, "new accounts have reduced concurrency and memory quotas") and
 *   https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html (at least 100 stay unreserved).
 * - FSx for Lustre: codes and values as Service Quotas lists them (`aws service-quotas
 *   list-aws-default-service-quotas --service-code fsx`: storage capacity per deployment type 100,800 GiB,
 *   file systems per deployment type 100), seen in public quota listings; preflight reads the real ones.
 * - AWS Batch: https://docs.aws.amazon.com/batch/latest/userguide/service_limits.html (50 compute
 *   environments and 50 job queues per Region, not adjustable).
 * - EFS: https://docs.aws.amazon.com/efs/latest/ug/limits.html (1000 file systems per account).
 * - SageMaker notebook instances: one quota per instance type, named `<type> for notebook instance usage`,
 *   https://docs.aws.amazon.com/general/latest/gr/sagemaker.html; its code differs per type, so
 *   preflight finds it by name.
 */

/** One quota that preflight knows. */
export interface QuotaDefinition {
  /** The Service Quotas service code, for example `ec2`. */
  readonly serviceCode: string;
  /** The quota code, for example `L-417A185B`. */
  readonly quotaCode: string;
  /** The quota's name in Service Quotas. */
  readonly quotaName: string;
  /** Whether AWS raises it on request. */
  readonly adjustable: boolean;
  /** The value a new account commonly starts with, where AWS documents one. */
  readonly newAccountValue?: number;
}

const q = (serviceCode: string, quotaCode: string, quotaName: string, newAccountValue?: number, adjustable = true): QuotaDefinition => ({
  serviceCode,
  quotaCode,
  quotaName,
  adjustable,
  newAccountValue,
});

/** The instance classes that EC2 counts vCPUs for, each with its on-demand and its Spot quota. */
export const EC2_VCPU_QUOTAS: Readonly<Record<string, { readonly onDemand: QuotaDefinition; readonly spot?: QuotaDefinition }>> = {
  Standard: {
    onDemand: q('ec2', 'L-1216C47A', 'Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances', 5),
    spot: q('ec2', 'L-34B43A08', 'All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests', 5),
  },
  P: {
    onDemand: q('ec2', 'L-417A185B', 'Running On-Demand P instances', 0),
    spot: q('ec2', 'L-7212CCBC', 'All P Spot Instance Requests', 0),
  },
  G: {
    onDemand: q('ec2', 'L-DB2E81BA', 'Running On-Demand G and VT instances', 0),
    spot: q('ec2', 'L-3819A6DF', 'All G and VT Spot Instance Requests', 0),
  },
  Inf: {
    onDemand: q('ec2', 'L-1945791B', 'Running On-Demand Inf instances', 0),
    spot: q('ec2', 'L-B5D1601B', 'All Inf Spot Instance Requests', 0),
  },
  Trn: {
    onDemand: q('ec2', 'L-2C3B7624', 'Running On-Demand Trn instances', 0),
    spot: q('ec2', 'L-6B0D517C', 'All Trn Spot Instance Requests', 0),
  },
  DL: {
    onDemand: q('ec2', 'L-6E869C2A', 'Running On-Demand DL instances', 0),
    spot: q('ec2', 'L-85EED4F7', 'All DL Spot Instance Requests', 0),
  },
  X: {
    onDemand: q('ec2', 'L-7295265B', 'Running On-Demand X instances', 0),
    spot: q('ec2', 'L-E3A00192', 'All X Spot Instance Requests', 0),
  },
  F: { onDemand: q('ec2', 'L-74FC7D96', 'Running On-Demand F instances', 0) },
  HighMemory: { onDemand: q('ec2', 'L-43DA4232', 'Running On-Demand High Memory instances', 0) },
};

/** The other quotas, by what they count. */
export const QUOTAS = {
  lambdaConcurrency: q('lambda', 'L-B99A9384', 'Concurrent executions', 10),
  elasticIps: q('ec2', 'L-0263D0A3', 'EC2-VPC Elastic IPs', 5),
  vpcs: q('vpc', 'L-F678F1CE', 'VPCs per Region', 5),
  internetGateways: q('vpc', 'L-A4707A72', 'Internet gateways per Region', 5),
  natGatewaysPerAz: q('vpc', 'L-FE5A380F', 'NAT gateways per Availability Zone', 5),
  interfaceEndpointsPerVpc: q('vpc', 'L-29B6F2EB', 'Interface VPC endpoints per VPC', 50),
  gatewayEndpoints: q('vpc', 'L-1B52E74A', 'Gateway VPC endpoints per Region', 20),
  batchComputeEnvironments: q('batch', 'L-144F0CA5', 'Compute environment limit', 50, false),
  batchJobQueues: q('batch', 'L-4CEA37AD', 'Job queue limit', 50, false),
  efsFileSystems: q('elasticfilesystem', 'L-848C634D', 'File systems per account', 1000),
  lustrePersistent2Storage: q('fsx', 'L-8F1B9C74', 'Lustre Persistent_2 storage capacity', 100800),
  lustrePersistent1Storage: q('fsx', 'L-C8640C82', 'Lustre Persistent_1 storage capacity', 100800),
  lustreScratchStorage: q('fsx', 'L-AD2FC696', 'Lustre Scratch storage capacity', 100800),
  lustrePersistent2FileSystems: q('fsx', 'L-FD6F2F22', 'Lustre Persistent_2 file systems', 100),
  lustrePersistent1FileSystems: q('fsx', 'L-9AFA1F09', 'Lustre Persistent_1 file systems', 100),
  lustreScratchFileSystems: q('fsx', 'L-C48231E5', 'Lustre Scratch file systems', 100),
} as const;

/** Lambda keeps at least this many executions unreserved for functions without reserved concurrency. */
export const LAMBDA_MIN_UNRESERVED = 100;

/**
 * The EC2 instance class whose vCPU quota an instance type (`p4d.24xlarge`), family (`c6i`) or Batch
 * keyword (`optimal`) counts against, or undefined when unknown.
 */
export function instanceQuotaClass(instanceType: string): string | undefined {
  const family = instanceType.split('.')[0].toLowerCase();
  if (['optimal', 'default_x86_64', 'default_arm64'].includes(family)) return 'Standard';
  if (/^p\d/.test(family)) return 'P';
  if (/^(g\d|vt\d)/.test(family)) return 'G';
  if (/^inf\d/.test(family)) return 'Inf';
  if (/^trn\d/.test(family)) return 'Trn';
  if (/^dl\d/.test(family)) return 'DL';
  if (/^f\d/.test(family)) return 'F';
  if (/^u-|^u\d/.test(family)) return 'HighMemory';
  if (/^x\d/.test(family)) return 'X';
  if (/^[acdhimrtz]\d/.test(family)) return 'Standard';
  return undefined;
}

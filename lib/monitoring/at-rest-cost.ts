import { readCloudAssembly } from '../preflight/quota-needs';
import { CatalogSource, LUSTRE_OFFERINGS } from '../storage/storage-catalog';
import { AT_REST_PRICES, AtRestPrice, HOURS_PER_MONTH, NOTEBOOK_INSTANCE_HOUR_USD, NOTEBOOK_INSTANCE_SOURCE } from './cost-catalog';

/** A synthesized CloudFormation template and the stack it belongs to. */
export interface StackTemplate {
  /** The stack's name (or artifact id). */
  readonly stackName: string;
  /** The template, as parsed JSON (`Resources` is read). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a parsed template is JSON of any shape (jsii allows no `unknown` maps)
  readonly template: { [key: string]: any };
}

/** One resource that costs money while nothing trains. */
export interface CostLine {
  /** The stack that holds the resource. */
  readonly stackName: string;
  /** The resource's logical id. */
  readonly logicalId: string;
  /** The CloudFormation type. */
  readonly resourceType: string;
  /** What is charged, e.g. `2 AZ x 730 interface endpoint-hour per Availability Zone`. */
  readonly basis: string;
  /** The monthly charge in USD. */
  readonly monthlyUsd: number;
  /** Where the price comes from. */
  readonly source: CatalogSource;
}

/** Resources of one type that cost nothing while idle, or only by the data they hold. */
export interface UsageOnlyResources {
  /** The CloudFormation type. */
  readonly resourceType: string;
  /** How many the app has. */
  readonly count: number;
  /** What they are charged for instead. */
  readonly chargedFor: string;
}

/** A resource that charges at rest but that the catalog cannot price. */
export interface UnpricedResource {
  /** The stack that holds the resource. */
  readonly stackName: string;
  /** The resource's logical id. */
  readonly logicalId: string;
  /** The CloudFormation type. */
  readonly resourceType: string;
  /** Why it has no price. */
  readonly why: string;
}

/** What `npm run cost` reports. */
export interface AtRestCostReport {
  /** Every resource with an at-rest charge, in stack and logical-id order. */
  readonly lines: CostLine[];
  /** Resources charged only by use or by the data they hold: not in the total. */
  readonly usageOnly: UsageOnlyResources[];
  /** Resources that cost money at rest but that the catalog cannot price: named, never silently left out. */
  readonly unpriced: UnpricedResource[];
  /** The sum of `lines`, USD per month. */
  readonly totalMonthlyUsd: number;
}

/** What resources of a type are charged for when nothing trains (not in the total). */
const USAGE_ONLY: Record<string, string> = {
  'AWS::S3::Bucket': 'GB stored and requests',
  'AWS::EFS::FileSystem': 'GB stored (nothing when empty)',
  'AWS::Logs::LogGroup': 'GB ingested and stored',
  'AWS::EC2::FlowLog': 'GB of flow logs delivered',
  'AWS::Lambda::Function': 'invocations and GB-seconds',
  'AWS::StepFunctions::StateMachine': 'state transitions',
  'AWS::SNS::Topic': 'requests and deliveries',
  'AWS::SQS::Queue': 'requests',
  'AWS::Batch::ComputeEnvironment': 'instance-hours while jobs run (minimum vCPUs 0)',
  'AWS::Backup::BackupVault': 'GB of backups',
  'AWS::FSx::DataRepositoryAssociation': 'S3 requests of imports and exports',
  'AWS::Glue::Crawler': 'DPU-hours while crawling',
  'AWS::Glue::Job': 'DPU-hours while running',
  'AWS::Athena::WorkGroup': 'TB scanned',
  'AWS::RedshiftServerless::Workgroup': 'RPU-hours while queries run',
  'AWS::RedshiftServerless::Namespace': 'GB of managed storage',
  'AWS::EMRServerless::Application': 'vCPU- and GB-hours while jobs run',
  'AWS::SageMaker::Domain': 'GB in its EFS home volume',
  'AWS::GreengrassV2::Deployment': 'active core devices',
  'AWS::Events::Rule': 'custom events published',
};

const monthly = (price: AtRestPrice, quantity: number) => price.usd * quantity;
const round2 = (usd: number) => Math.round(usd * 100) / 100;

/**
 * The monthly cost of the resources in these templates that charge while nothing trains, with the
 * source of each price. Resources charged only by use or data are counted apart, not in the total;
 * resources that charge at rest but that the catalog cannot price are listed as unpriced.
 */
export function atRestCost(stacks: StackTemplate[]): AtRestCostReport {
  const lines: CostLine[] = [];
  const unpriced: UnpricedResource[] = [];
  const usage = new Map<string, number>();
  for (const { stackName, template } of stacks) {
    const resources = (template.Resources ?? {}) as Record<string, { Type: string; Properties?: Record<string, unknown> }>;
    for (const [logicalId, resource] of Object.entries(resources)) {
      const props = resource.Properties ?? {};
      const add = (basis: string, monthlyUsd: number, source: CatalogSource) =>
        lines.push({ stackName, logicalId, resourceType: resource.Type, basis, monthlyUsd: round2(monthlyUsd), source });
      const perHour = (price: AtRestPrice, units = 1, unitLabel = '') =>
        add(`${units > 1 || unitLabel ? `${units}${unitLabel} x ` : ''}${HOURS_PER_MONTH} ${price.unit}`, monthly(price, units * HOURS_PER_MONTH), price.source);
      switch (resource.Type) {
        case 'AWS::EC2::NatGateway':
          perHour(AT_REST_PRICES.natGatewayHour);
          break;
        case 'AWS::EC2::EIP':
          perHour(AT_REST_PRICES.publicIpv4Hour);
          break;
        case 'AWS::EC2::VPCEndpoint': {
          if (props.VpcEndpointType !== 'Interface') break; // gateway endpoints are free
          const azs = Array.isArray(props.SubnetIds) ? props.SubnetIds.length : 1;
          perHour(AT_REST_PRICES.interfaceEndpointAzHour, azs, ' AZ');
          break;
        }
        case 'AWS::KMS::Key': {
          const key = AT_REST_PRICES.kmsKeyMonth;
          if (props.EnableKeyRotation !== true) {
            add(`1 ${key.unit}`, key.usd, key.source);
            break;
          }
          // With automatic rotation a key costs more from its first and its second rotation, and no more
          // after that: what it costs from then on (RotationPeriodInDays, 365 by default, after each).
          const rotation = AT_REST_PRICES.kmsKeyRotationMonth;
          const days = typeof props.RotationPeriodInDays === 'number' ? props.RotationPeriodInDays : 365;
          add(`1 ${key.unit} + 2 ${rotation.unit} (from the second rotation, ${2 * days} days after creation)`, key.usd + 2 * rotation.usd, rotation.source);
          break;
        }
        case 'AWS::CloudWatch::Alarm': {
          const metrics = Array.isArray(props.Metrics) ? (props.Metrics as Record<string, unknown>[]) : undefined;
          const count = metrics ? metrics.filter((m) => m.MetricStat !== undefined).length : 1;
          const periods = metrics
            ? metrics.map((m) => (m.MetricStat as { Period?: number } | undefined)?.Period).filter((p): p is number => typeof p === 'number')
            : [props.Period as number];
          const price = periods.some((p) => p < 60) ? AT_REST_PRICES.highResolutionAlarmMetricMonth : AT_REST_PRICES.alarmMetricMonth;
          add(`${count} ${price.unit}`, monthly(price, count), price.source);
          break;
        }
        case 'AWS::CloudWatch::Dashboard':
          add(`1 ${AT_REST_PRICES.dashboardMonth.unit}`, AT_REST_PRICES.dashboardMonth.usd, AT_REST_PRICES.dashboardMonth.source);
          break;
        case 'AWS::SecretsManager::Secret':
          add(`1 ${AT_REST_PRICES.secretMonth.unit}`, AT_REST_PRICES.secretMonth.usd, AT_REST_PRICES.secretMonth.source);
          break;
        case 'AWS::FSx::FileSystem': {
          if (props.FileSystemType !== 'LUSTRE') {
            unpriced.push({ stackName, logicalId, resourceType: resource.Type, why: `FSx ${String(props.FileSystemType)} is not in the catalog` });
            break;
          }
          const lustre = (props.LustreConfiguration ?? {}) as { DeploymentType?: string; PerUnitStorageThroughput?: number };
          const capacity = props.StorageCapacity;
          const offering = LUSTRE_OFFERINGS.find(
            (o) =>
              o.deploymentType === (lustre.DeploymentType ?? 'SCRATCH_1') &&
              o.storageType === ((props.StorageType as string | undefined) ?? 'SSD') &&
              o.perUnitStorageThroughput === lustre.PerUnitStorageThroughput,
          );
          if (!offering || typeof capacity !== 'number') {
            unpriced.push({ stackName, logicalId, resourceType: resource.Type, why: `no catalog price for ${JSON.stringify({ ...lustre, capacity })}` });
            break;
          }
          const tier = offering.perUnitStorageThroughput ? ` at ${offering.perUnitStorageThroughput} MB/s/TiB` : '';
          add(`${capacity} GB-month of ${offering.deploymentType}${tier}`, capacity * offering.priceUsdPerGBMonth, offering.priceSource);
          break;
        }
        case 'AWS::SageMaker::NotebookInstance': {
          const volume = typeof props.VolumeSizeInGB === 'number' ? props.VolumeSizeInGB : 5;
          const storage = AT_REST_PRICES.sagemakerStorageGBMonth;
          add(`${volume} ${storage.unit}`, monthly(storage, volume), storage.source);
          // With a lifecycle configuration (the library's idle auto-stop) a notebook at rest is stopped:
          // only its volume is charged. Without one it runs until someone stops it.
          if (props.LifecycleConfigName === undefined) {
            const type = String(props.InstanceType);
            const hourly = NOTEBOOK_INSTANCE_HOUR_USD[type];
            if (hourly === undefined) {
              unpriced.push({ stackName, logicalId, resourceType: resource.Type, why: `no catalog price for notebook instance type ${type}` });
            } else {
              add(`${HOURS_PER_MONTH} ${type} instance-hour (no idle auto-stop)`, hourly * HOURS_PER_MONTH, NOTEBOOK_INSTANCE_SOURCE);
            }
          }
          break;
        }
        case 'AWS::Batch::ComputeEnvironment': {
          const min = (props.ComputeResources as { MinvCpus?: number } | undefined)?.MinvCpus ?? 0;
          if (min > 0) {
            unpriced.push({ stackName, logicalId, resourceType: resource.Type, why: `minimum vCPUs ${min} keeps instances running; price them with the EC2 on-demand rates of the allowed types` });
          } else {
            usage.set(resource.Type, (usage.get(resource.Type) ?? 0) + 1);
          }
          break;
        }
        case 'AWS::EMRServerless::Application':
          if (props.InitialCapacity !== undefined) {
            unpriced.push({ stackName, logicalId, resourceType: resource.Type, why: 'pre-initialized capacity is billed while the application is started' });
          } else {
            usage.set(resource.Type, (usage.get(resource.Type) ?? 0) + 1);
          }
          break;
        default:
          if (USAGE_ONLY[resource.Type] !== undefined) usage.set(resource.Type, (usage.get(resource.Type) ?? 0) + 1);
      }
    }
  }
  const usageOnly = [...usage.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([resourceType, count]) => ({ resourceType, count, chargedFor: USAGE_ONLY[resourceType] }));
  const totalMonthlyUsd = round2(lines.reduce((sum, line) => sum + line.monthlyUsd, 0));
  return { lines, usageOnly, unpriced, totalMonthlyUsd };
}

/** Reads the stacks of a synthesized cloud assembly (`cdk.out`), nested assemblies (stages) included. */
export function readAssemblyTemplates(assemblyDir: string): StackTemplate[] {
  return readCloudAssembly(assemblyDir).map((s) => ({ stackName: s.stackName, template: s.template }));
}

/** The report as a Markdown table, with the total and what is not in it. */
export function formatAtRestCost(report: AtRestCostReport): string {
  const usd = (n: number) => `$${n.toFixed(2)}`;
  const out = ['| Stack | Resource | Charged for | USD/month | Price source |', '| --- | --- | --- | ---: | --- |'];
  for (const l of report.lines) {
    out.push(`| ${l.stackName} | ${l.logicalId} (${l.resourceType}) | ${l.basis} | ${usd(l.monthlyUsd)} | ${l.source.url}${l.source.confirmed ? '' : ' (unconfirmed)'} |`);
  }
  out.push(`| **Total** | | | **${usd(report.totalMonthlyUsd)}** | |`);
  out.push('');
  if (report.unpriced.length > 0) {
    out.push('Charged at rest but not priced by the catalog (not in the total):');
    for (const u of report.unpriced) out.push(`- ${u.stackName} ${u.logicalId} (${u.resourceType}): ${u.why}`);
    out.push('');
  }
  out.push('Charged only by use or by the data they hold (not in the total): ' +
    report.usageOnly.map((u) => `${u.count} ${u.resourceType} (${u.chargedFor})`).join('; ') + '.');
  return out.join('\n');
}

/** What each kind of resource costs at rest in all, as a Markdown table: the README's figures. */
export function formatAtRestCostSummary(report: AtRestCostReport): string {
  const groups = new Map<string, { count: number; usd: number }>();
  for (const line of report.lines) {
    const g = groups.get(line.resourceType) ?? { count: 0, usd: 0 };
    g.count += 1;
    g.usd += line.monthlyUsd;
    groups.set(line.resourceType, g);
  }
  const out = ['| Resource type | Resources | USD/month |', '| --- | ---: | ---: |'];
  for (const [type, g] of [...groups.entries()].sort((a, b) => b[1].usd - a[1].usd || a[0].localeCompare(b[0]))) {
    out.push(`| ${type} | ${g.count} | $${g.usd.toFixed(2)} |`);
  }
  out.push(`| **Total** | | **$${report.totalMonthlyUsd.toFixed(2)}** |`);
  return out.join('\n');
}

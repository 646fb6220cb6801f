import * as fs from 'node:fs';
import * as path from 'node:path';
import { cpuInstanceFacts, gpuInstanceFacts } from '../training/instance-types';
import { EC2_VCPU_QUOTAS, instanceQuotaClass, LAMBDA_MIN_UNRESERVED, QUOTAS, QuotaDefinition } from './quota-catalog';

/** Where preflight reads the applied value of a need from. */
export enum AppliedValueSource {
  /** Service Quotas: the applied value, else the AWS default (ListServiceQuotas, ListAWSDefaultServiceQuotas). */
  SERVICE_QUOTAS = 'service-quotas',
  /**
   * Lambda's GetAccountSettings `AccountLimit.ConcurrentExecutions`: the Region's real concurrency limit,
   * which Service Quotas may show as the 1000 default in a new account that actually has 10.
   */
  LAMBDA_ACCOUNT_CONCURRENCY = 'lambda-account-concurrency',
  /** Lambda's GetAccountSettings `AccountLimit.UnreservedConcurrentExecutions`: what other reservations leave. */
  LAMBDA_UNRESERVED_CONCURRENCY = 'lambda-unreserved-concurrency',
}

/** One quota that the synthesized app needs. */
export interface QuotaNeed {
  /** The Service Quotas service code, for example `ec2`. */
  readonly serviceCode: string;
  /**
   * The quota code, for example `L-417A185B`.
   * @default - none: the quota is found by its name (SageMaker's per-instance-type quotas)
   */
  readonly quotaCode?: string;
  /** The quota's name in Service Quotas. */
  readonly quotaName: string;
  /** What the deploy and a first run need. */
  readonly needed: number;
  /**
   * What the app can use at its configured maximum (for example a compute environment's `maxvCpus`).
   * @default - the same as `needed`
   */
  readonly neededAtMaximum?: number;
  /** The unit of `needed`: `vCPUs`, `GiB`, `concurrent executions` or `resources`. */
  readonly unit: string;
  /** Which resources need it, and how the figure was derived. */
  readonly reasons: string[];
  /** Whether AWS raises the quota on request. */
  readonly adjustable: boolean;
  /**
   * The value a new account commonly starts with.
   * @default - not documented
   */
  readonly newAccountValue?: number;
  /** Where the applied value is read from. */
  readonly appliedValueSource: AppliedValueSource;
}

/** What a synthesized cloud assembly needs. */
export interface QuotaNeeds {
  /** The stacks read, by name. */
  readonly stacks: string[];
  /**
   * The Region of the stacks, when they name one.
   * @default - environment-agnostic stacks: the Region comes from the caller or the AWS configuration
   */
  readonly region?: string;
  /** The quotas needed, ordered by service and name. */
  readonly needs: QuotaNeed[];
  /** What preflight saw but could not turn into a need (unknown instance types, Fargate, unresolved values). */
  readonly notes: string[];
}

type Json = Record<string, unknown>;

/** One stack template of a cloud assembly. */
export interface AssemblyStack {
  readonly stackName: string;
  readonly region?: string;
  readonly template: Json;
}

/**
 * Reads every stack template of a synthesized cloud assembly (`cdk.out`), nested assemblies (stages) included.
 * @throws Error when the directory holds no cloud assembly
 */
export function readCloudAssembly(directory: string): AssemblyStack[] {
  const manifestPath = path.join(directory, 'manifest.json');
  if (!fs.existsSync(manifestPath)) {
    throw new Error(`No cloud assembly in ${directory} (no manifest.json): run \`npx cdk synth\` first, or point to the synthesized directory.`);
  }
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as { artifacts?: Record<string, Json> };
  const stacks: AssemblyStack[] = [];
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    const props = (artifact.properties ?? {}) as Json;
    if (artifact.type === 'aws:cloudformation:stack' && typeof props.templateFile === 'string') {
      const env = typeof artifact.environment === 'string' ? artifact.environment : '';
      const region = /^aws:\/\/[^/]*\/(.+)$/.exec(env)?.[1];
      stacks.push({
        stackName: typeof props.stackName === 'string' ? props.stackName : id,
        region: region && region !== 'unknown-region' ? region : undefined,
        template: JSON.parse(fs.readFileSync(path.join(directory, props.templateFile), 'utf8')) as Json,
      });
    } else if (artifact.type === 'cdk:cloud-assembly' && typeof props.directoryName === 'string') {
      stacks.push(...readCloudAssembly(path.join(directory, props.directoryName)));
    }
  }
  return stacks;
}

/** Derives the quota needs of a synthesized cloud assembly directory (`cdk.out`). */
export function quotaNeedsOfAssembly(directory: string): QuotaNeeds {
  return quotaNeedsOfStacks(readCloudAssembly(directory));
}

class NeedBuilder {
  public needed = 0;
  public atMaximum = 0;
  public readonly reasons: string[] = [];
  constructor(
    public readonly def: QuotaDefinition | { serviceCode: string; quotaCode?: string; quotaName: string; adjustable: boolean; newAccountValue?: number },
    public readonly unit: string,
    public readonly source: AppliedValueSource,
  ) {}
}

/**
 * Derives the quota needs of stack templates, from resource types and properties alone, so that a stack
 * the app gains later is counted too.
 */
export function quotaNeedsOfStacks(stacks: AssemblyStack[]): QuotaNeeds {
  const builders = new Map<string, NeedBuilder>();
  const notes: string[] = [];
  const builder = (def: NeedBuilder['def'], unit: string, source = AppliedValueSource.SERVICE_QUOTAS): NeedBuilder => {
    const key = `${source}/${def.serviceCode}/${def.quotaCode ?? def.quotaName}`;
    let b = builders.get(key);
    if (!b) builders.set(key, (b = new NeedBuilder(def, unit, source)));
    return b;
  };
  /** Adds to a quota that counts every resource in the Region or account. */
  const addSum = (def: NeedBuilder['def'], unit: string, needed: number, atMaximum: number, reason: string) => {
    const b = builder(def, unit);
    b.needed += needed;
    b.atMaximum += atMaximum;
    b.reasons.push(reason);
  };
  /** Raises a quota that applies per VPC, per Availability Zone or per job. */
  const addMax = (def: NeedBuilder['def'], unit: string, needed: number, atMaximum: number, reason: string) => {
    const b = builder(def, unit);
    b.needed = Math.max(b.needed, needed);
    b.atMaximum = Math.max(b.atMaximum, atMaximum);
    b.reasons.push(reason);
  };

  const counts = new Map<string, { def: QuotaDefinition; ids: string[] }>();
  const count = (def: QuotaDefinition, id: string) => {
    const c = counts.get(def.quotaCode) ?? { def, ids: [] };
    c.ids.push(id);
    counts.set(def.quotaCode, c);
  };
  const interfaceEndpointsByVpc = new Map<string, string[]>();
  const natGatewaysByAz = new Map<string, string[]>();
  let functionCount = 0;
  let reservedTotal = 0;
  const reservations: string[] = [];
  let mapConcurrency = 0;
  const maps: string[] = [];

  for (const stack of stacks) {
    const resources = (stack.template.Resources ?? {}) as Record<string, { Type?: string; Properties?: Json }>;
    for (const [logicalId, resource] of Object.entries(resources)) {
      const id = `${stack.stackName}/${logicalId}`;
      const p = resource.Properties ?? {};
      switch (resource.Type) {
        case 'AWS::Batch::ComputeEnvironment':
          computeEnvironmentNeeds(id, p, addSum, notes);
          count(QUOTAS.batchComputeEnvironments, id);
          break;
        case 'AWS::Batch::JobQueue':
          count(QUOTAS.batchJobQueues, id);
          break;
        case 'AWS::Batch::JobDefinition':
          multiNodeNeeds(id, p, addMax, notes);
          break;
        case 'AWS::Lambda::Function': {
          functionCount++;
          const reserved = literalNumber(p.ReservedConcurrentExecutions);
          if (reserved !== undefined && reserved > 0) {
            reservedTotal += reserved;
            reservations.push(`${id} reserves ${reserved}`);
          } else if (p.ReservedConcurrentExecutions !== undefined && reserved === undefined) {
            notes.push(`${id}: ReservedConcurrentExecutions is not a literal number; not counted`);
          }
          break;
        }
        case 'AWS::StepFunctions::StateMachine':
          for (const m of distributedLambdaMaps(p)) {
            mapConcurrency = Math.max(mapConcurrency, m.concurrency);
            maps.push(`${id} state ${m.state} runs up to ${m.concurrency} child executions at once${m.unbounded ? ' (MaxConcurrency unset: counted as 1000)' : ''}`);
          }
          break;
        case 'AWS::FSx::FileSystem':
          lustreNeeds(id, p, addSum, addMax, notes);
          break;
        case 'AWS::EFS::FileSystem':
          count(QUOTAS.efsFileSystems, id);
          break;
        case 'AWS::EC2::VPC':
          count(QUOTAS.vpcs, id);
          break;
        case 'AWS::EC2::InternetGateway':
          count(QUOTAS.internetGateways, id);
          break;
        case 'AWS::EC2::EIP':
          count(QUOTAS.elasticIps, id);
          break;
        case 'AWS::EC2::NatGateway': {
          if (p.ConnectivityType === 'private') break;
          const subnet = resources[refTarget(p.SubnetId) ?? '']?.Properties?.AvailabilityZone;
          const az = `${stack.stackName}:${JSON.stringify(subnet ?? p.SubnetId)}`;
          natGatewaysByAz.set(az, [...(natGatewaysByAz.get(az) ?? []), id]);
          break;
        }
        case 'AWS::EC2::VPCEndpoint': {
          const type = p.VpcEndpointType ?? 'Gateway';
          if (type === 'Gateway') {
            count(QUOTAS.gatewayEndpoints, id);
          } else if (type === 'Interface' || type === 'GatewayLoadBalancer') {
            const vpc = `${stack.stackName}:${JSON.stringify(p.VpcId)}`;
            interfaceEndpointsByVpc.set(vpc, [...(interfaceEndpointsByVpc.get(vpc) ?? []), id]);
          }
          break;
        }
        case 'AWS::SageMaker::NotebookInstance': {
          const type = typeof p.InstanceType === 'string' ? p.InstanceType : undefined;
          if (type) {
            addSum(
              { serviceCode: 'sagemaker', quotaName: `${type} for notebook instance usage`, adjustable: true },
              'instances',
              1,
              1,
              `${id}: one ${type} notebook instance`,
            );
          }
          addSum({ serviceCode: 'sagemaker', quotaName: 'Total number of notebook instances', adjustable: true }, 'instances', 1, 1, `${id}`);
          break;
        }
        default:
          break;
      }
    }
  }

  for (const { def, ids } of counts.values()) addSum(def, 'resources', ids.length, ids.length, summarize(ids));
  for (const ids of interfaceEndpointsByVpc.values()) addMax(QUOTAS.interfaceEndpointsPerVpc, 'per VPC', ids.length, ids.length, `${ids.length} in one VPC: ${summarize(ids)}`);
  for (const ids of natGatewaysByAz.values()) addMax(QUOTAS.natGatewaysPerAz, 'per AZ', ids.length, ids.length, `${ids.length} in one Availability Zone: ${summarize(ids)}`);

  if (functionCount > 0) {
    // Lambda keeps 100 executions unreserved; the largest Distributed Map of function calls runs that many at once.
    const floor = reservedTotal > 0 ? LAMBDA_MIN_UNRESERVED : 0;
    const needed = reservedTotal + Math.max(floor, mapConcurrency, 1);
    const b = builder(QUOTAS.lambdaConcurrency, 'concurrent executions', AppliedValueSource.LAMBDA_ACCOUNT_CONCURRENCY);
    b.needed = needed;
    b.atMaximum = needed;
    b.reasons.push(`${functionCount} functions, ${reservedTotal} reserved${reservations.length ? ` (${reservations.join('; ')})` : ''}`);
    if (floor) b.reasons.push(`Lambda keeps ${LAMBDA_MIN_UNRESERVED} unreserved beside any reservation`);
    b.reasons.push(...maps);
    if (reservedTotal > 0) {
      const u = builder(
        { ...QUOTAS.lambdaConcurrency, quotaName: 'Concurrent executions left unreserved by other functions' },
        'concurrent executions',
        AppliedValueSource.LAMBDA_UNRESERVED_CONCURRENCY,
      );
      u.needed = reservedTotal + LAMBDA_MIN_UNRESERVED;
      u.atMaximum = u.needed;
      u.reasons.push(`the app reserves ${reservedTotal}, and ${LAMBDA_MIN_UNRESERVED} must stay unreserved`);
    }
  }

  const needs: QuotaNeed[] = [...builders.values()]
    .map((b) => ({
      serviceCode: b.def.serviceCode,
      quotaCode: b.def.quotaCode,
      quotaName: b.def.quotaName,
      needed: b.needed,
      neededAtMaximum: b.atMaximum > b.needed ? b.atMaximum : undefined,
      unit: b.unit,
      reasons: b.reasons,
      adjustable: b.def.adjustable,
      newAccountValue: b.def.newAccountValue,
      appliedValueSource: b.source,
    }))
    .sort((a, b) => a.serviceCode.localeCompare(b.serviceCode) || a.quotaName.localeCompare(b.quotaName));
  const regions = [...new Set(stacks.map((s) => s.region).filter((r): r is string => r !== undefined))];
  if (regions.length > 1) notes.push(`The stacks span several Regions (${regions.join(', ')}); quotas are per Region: run preflight once per Region with --region`);
  return { stacks: stacks.map((s) => s.stackName), region: regions.length === 1 ? regions[0] : undefined, needs, notes };
}

type Add = (def: NeedBuilder['def'], unit: string, needed: number, atMaximum: number, reason: string) => void;

/** vCPUs of an instance type: the library's tables, else the usual size ladder (large 2, xlarge 4, Nxlarge 4N). */
export function instanceVcpus(instanceType: string): number | undefined {
  const known = gpuInstanceFacts(instanceType) ?? cpuInstanceFacts(instanceType);
  if (known) return known.vcpus;
  const size = /\.(\d*)xlarge$/.exec(instanceType);
  if (size) return 4 * (size[1] ? Number(size[1]) : 1);
  if (/\.(large|medium|small|micro|nano)$/.test(instanceType)) return 2;
  return undefined;
}

function computeEnvironmentNeeds(id: string, p: Json, addSum: Add, notes: string[]): void {
  const cr = p.ComputeResources as Json | undefined;
  // CloudFormation accepts `managed` and `MANAGED` alike (CDK writes the former).
  if (String(p.Type).toUpperCase() !== 'MANAGED' || !cr) return;
  const kind = String(cr.Type).toUpperCase();
  if (kind === 'FARGATE' || kind === 'FARGATE_SPOT') {
    notes.push(`${id}: Fargate compute environment; Fargate vCPU quotas are not checked`);
    return;
  }
  const spot = kind === 'SPOT';
  const maxv = literalNumber(cr.MaxvCpus);
  const minv = Math.max(literalNumber(cr.MinvCpus) ?? 0, literalNumber(cr.DesiredvCpus) ?? 0);
  const types = Array.isArray(cr.InstanceTypes) ? cr.InstanceTypes.filter((t): t is string => typeof t === 'string') : [];
  if (maxv === undefined) {
    notes.push(`${id}: MaxvCpus is not a literal number; not counted`);
    return;
  }
  const byClass = new Map<string, { largest?: number; largestType?: string; unknownSize: boolean }>();
  for (const t of types.length ? types : ['optimal']) {
    const cls = instanceQuotaClass(t);
    if (!cls) {
      notes.push(`${id}: instance type ${t} has no known vCPU quota class; not counted`);
      continue;
    }
    const entry = byClass.get(cls) ?? { unknownSize: false };
    const vcpus = instanceVcpus(t);
    if (vcpus === undefined) entry.unknownSize = true;
    else if (entry.largest === undefined || vcpus > entry.largest) {
      entry.largest = vcpus;
      entry.largestType = t;
    }
    byClass.set(cls, entry);
  }
  for (const [cls, entry] of byClass) {
    const quotas = EC2_VCPU_QUOTAS[cls];
    const def = spot ? quotas.spot : quotas.onDemand;
    if (!def) {
      notes.push(`${id}: ${cls} instances have no Spot vCPU quota that preflight knows; not counted`);
      continue;
    }
    // A first run needs one instance of the largest allowed type (Batch may pick it), or the environment's
    // minimum; with sizes unknown (families such as c6i), the environment's maximum.
    const one = entry.unknownSize || entry.largest === undefined ? maxv : entry.largest;
    const needed = Math.min(maxv, Math.max(one, minv));
    const what = entry.unknownSize || entry.largest === undefined ? 'instance sizes unknown: its maximum' : `one ${entry.largestType} (${entry.largest} vCPUs)`;
    addSum(def, 'vCPUs', needed, maxv, `${id}: ${spot ? 'Spot' : 'on-demand'} Batch compute environment, ${what} for a first run, up to ${maxv} (maxvCpus)`);
  }
}

function multiNodeNeeds(id: string, p: Json, addMax: Add, notes: string[]): void {
  if (String(p.Type).toLowerCase() !== 'multinode') return;
  const np = p.NodeProperties as Json | undefined;
  const nodes = literalNumber(np?.NumNodes);
  const ranges = Array.isArray(np?.NodeRangeProperties) ? (np.NodeRangeProperties as Json[]) : [];
  const type = ranges.map((r) => (r.Container as Json | undefined)?.InstanceType).find((t): t is string => typeof t === 'string');
  if (nodes === undefined || !type) {
    notes.push(`${id}: multi-node job definition without a literal node count and instance type; not counted`);
    return;
  }
  const cls = instanceQuotaClass(type);
  const vcpus = instanceVcpus(type);
  if (!cls || vcpus === undefined) {
    notes.push(`${id}: multi-node instance type ${type} is not known; not counted`);
    return;
  }
  // Multi-node parallel jobs run on demand only, all nodes at once.
  addMax(EC2_VCPU_QUOTAS[cls].onDemand, 'vCPUs', nodes * vcpus, nodes * vcpus, `${id}: multi-node job of ${nodes} ${type} (${nodes} x ${vcpus} vCPUs, all at once)`);
}

function lustreNeeds(id: string, p: Json, addSum: Add, addMax: Add, notes: string[]): void {
  if (p.FileSystemType !== 'LUSTRE') return;
  const capacity = literalNumber(p.StorageCapacity);
  const deployment = String((p.LustreConfiguration as Json | undefined)?.DeploymentType ?? 'SCRATCH_1');
  if (capacity === undefined) {
    notes.push(`${id}: StorageCapacity is not a literal number; not counted`);
    return;
  }
  const what = `${id}: ${deployment} ${capacity} GiB`;
  if (p.StorageType === 'HDD') {
    addMax({ serviceCode: 'fsx', quotaCode: 'L-736F3D6F', quotaName: 'Lustre Persistent HDD storage capacity (per file system)', adjustable: true }, 'GiB', capacity, capacity, what);
  } else if (deployment === 'PERSISTENT_2') {
    addSum(QUOTAS.lustrePersistent2Storage, 'GiB', capacity, capacity, what);
  } else if (deployment === 'PERSISTENT_1') {
    addSum(QUOTAS.lustrePersistent1Storage, 'GiB', capacity, capacity, what);
  } else {
    addSum(QUOTAS.lustreScratchStorage, 'GiB', capacity, capacity, what);
  }
  const countDef =
    deployment === 'PERSISTENT_2' ? QUOTAS.lustrePersistent2FileSystems : deployment === 'PERSISTENT_1' ? QUOTAS.lustrePersistent1FileSystems : QUOTAS.lustreScratchFileSystems;
  addSum(countDef, 'resources', 1, 1, id);
}

/** The Distributed Maps of a state machine whose child executions invoke Lambda functions. */
function distributedLambdaMaps(p: Json): { state: string; concurrency: number; unbounded: boolean }[] {
  const definition = p.Definition ?? parseDefinition(p.DefinitionString);
  if (!definition || typeof definition !== 'object') return [];
  const found: { state: string; concurrency: number; unbounded: boolean }[] = [];
  const walk = (states: unknown) => {
    if (!states || typeof states !== 'object') return;
    for (const [name, state] of Object.entries(states as Record<string, Json>)) {
      const processor = (state.ItemProcessor ?? state.Iterator) as Json | undefined;
      if (state.Type === 'Map' && processor) {
        const mode = (processor.ProcessorConfig as Json | undefined)?.Mode;
        if (mode === 'DISTRIBUTED' && JSON.stringify(processor.States ?? {}).match(/lambda:invoke|:lambda:[^"]*:function:/)) {
          const max = literalNumber(state.MaxConcurrency);
          found.push({ state: name, concurrency: max && max > 0 ? max : 1000, unbounded: !(max && max > 0) });
        }
        walk(processor.States);
      }
      for (const branch of Array.isArray(state.Branches) ? (state.Branches as Json[]) : []) walk(branch.States);
    }
  };
  walk((definition as Json).States);
  return found;
}

/** A DefinitionString, with every intrinsic (inside JSON strings, where CDK puts them) replaced by a placeholder. */
function parseDefinition(value: unknown): unknown {
  const flat = flatten(value);
  if (flat === undefined) return undefined;
  try {
    return JSON.parse(flat);
  } catch {
    return undefined;
  }
}

function flatten(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && 'Fn::Join' in value) {
    const [sep, parts] = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    return parts.map((part) => (typeof part === 'string' ? part : 'TOKEN')).join(sep);
  }
  return undefined;
}

function literalNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value)) return Number(value);
  return undefined;
}

function refTarget(value: unknown): string | undefined {
  return value && typeof value === 'object' && typeof (value as Json).Ref === 'string' ? ((value as Json).Ref as string) : undefined;
}

function summarize(ids: string[]): string {
  return ids.length <= 3 ? ids.join(', ') : `${ids.slice(0, 3).join(', ')} and ${ids.length - 3} more`;
}

/**
 * Maps an error raised by a construct of the reference app back to the configuration key it came
 * from, so that `cdk synth` prints `ml-at-scale.storage.lustreStorageCapacityGiB: must be ..., got 3000`
 * rather than a stack trace naming the construct's prop.
 */
import { MlAtScaleError } from '../lib';
import { CONFIG_KEY } from './config';

/** Where one construct of the reference app takes its props from in the configuration. */
export interface ConstructConfigKeys {
  /** The stack, by its name without the prefix (`Storage` for `MlAtScale-Storage`). */
  readonly stack: string;
  /** The construct's path within the stack (`''` for the stack itself). */
  readonly construct: string;
  /** Each prop the configuration sets, and its key under `ml-at-scale`. */
  readonly props: Readonly<Record<string, string>>;
}

const same = (section: string, props: string[]): Record<string, string> =>
  Object.fromEntries(props.map((prop) => [prop, `${section}.${prop}`]));

/** Every construct prop that bin/reference-app.ts sets from the configuration. */
export const CONSTRUCT_CONFIG_KEYS: readonly ConstructConfigKeys[] = [
  { stack: 'Network', construct: 'Network', props: same('network', ['cidr', 'maxAzs', 'natGateways', 'interfaceEndpoints']) },
  {
    stack: 'DataLake',
    construct: 'DataLake',
    props: same('dataLake', ['noncurrentVersionExpirationDays', 'abortIncompleteMultipartUploadDays', 'rawIntelligentTieringAfterDays', 'accessLogsRetentionDays']),
  },
  {
    stack: 'Storage',
    construct: 'LustreCache',
    props: {
      deploymentType: 'storage.lustreDeploymentType',
      storageCapacityGiB: 'storage.lustreStorageCapacityGiB',
      perUnitStorageThroughputMBpsPerTiB: 'storage.lustrePerUnitStorageThroughputMBpsPerTiB',
      demand: 'storage.lustreDemand',
    },
  },
  {
    stack: 'Training',
    construct: 'Cluster',
    props: same('training', [
      'gpuInstanceTypes',
      'allowGpuDevelopmentInstances',
      'gpuMaxVcpus',
      'cpuInstanceTypes',
      'allowGeneralPurposeCpuInstances',
      'cpuMaxVcpus',
      'cpuSpot',
      'multiNodeCount',
      'fairShareScheduling',
    ]),
  },
  { stack: 'Pipeline', construct: 'Sharder', props: same('pipeline', ['sourcePrefix', 'targetShardSizeMiB', 'maxConcurrency', 'shardReservedConcurrency']) },
  { stack: 'Pipeline', construct: 'Pipeline', props: same('pipeline', ['triggerOnNewData']) },
  { stack: 'Pipeline', construct: '', props: same('pipeline', ['triggerOnNewData']) },
  { stack: 'Etl', construct: 'Catalog', props: { schedule: 'etl.crawlerSchedule', 'targets.prefix': 'etl.inputPrefix' } },
  {
    stack: 'Etl',
    construct: 'EtlJob',
    props: {
      'input.prefix': 'etl.inputPrefix',
      'output.prefix': 'etl.outputPrefix',
      inputFormat: 'etl.inputFormat',
      partitionKeys: 'etl.partitionKeys',
      workerType: 'etl.workerType',
      numberOfWorkers: 'etl.numberOfWorkers',
    },
  },
  { stack: 'Etl', construct: 'Workgroup', props: { bytesScannedCutoffPerQuery: 'etl.bytesScannedCutoffPerQueryMiB' } },
  { stack: 'Etl', construct: 'Spectrum', props: { baseCapacityRpus: 'etl.spectrumBaseCapacityRpus' } },
  { stack: 'Etl', construct: 'SparkApplication', props: { maximumVcpus: 'etl.sparkMaximumVcpus', 'lakeAccess.prefix': 'etl.inputPrefix' } },
  { stack: 'Etl', construct: '', props: { spectrum: 'etl.spectrumEnabled', sparkApplication: 'etl.sparkApplicationEnabled' } },
  {
    stack: 'Notebooks',
    construct: 'Notebook',
    props: {
      instanceType: 'notebooks.instanceType',
      volumeSizeGiB: 'notebooks.volumeSizeGiB',
      idleTimeout: 'notebooks.idleTimeoutMinutes',
      curatedReadPrefixes: 'notebooks.curatedReadPrefixes',
      jobQueue: 'notebooks.submitPreprocessing',
    },
  },
  {
    stack: 'Notebooks',
    construct: 'Studio',
    props: {
      userProfileNames: 'notebooks.studioUserProfiles',
      idleTimeout: 'notebooks.studioIdleTimeoutMinutes',
      curatedReadPrefixes: 'notebooks.curatedReadPrefixes',
    },
  },
  { stack: 'Notebooks', construct: '', props: { notebookEnabled: 'notebooks.instanceEnabled', studioEnabled: 'notebooks.studioEnabled' } },
  {
    stack: 'Edge',
    construct: 'EdgeDeployment',
    props: {
      componentName: 'edge.componentName',
      releases: 'edge.releases',
      deployedVersion: 'edge.deployedVersion',
      thingGroupName: 'edge.thingGroupName',
      roleAliasName: 'edge.roleAliasName',
      credentialDuration: 'edge.credentialDurationSeconds',
      recipeLockFile: 'edge.recipeLockFile',
    },
  },
  { stack: 'Edge', construct: 'ModelRelease', props: { baseVersion: 'edge.releaseBaseVersion' } },
  { stack: 'Edge', construct: 'OnPremisesIngest', props: { gatewayArn: 'edge.onPremisesGatewayArn', clientList: 'edge.onPremisesClientList' } },
  { stack: 'Edge', construct: '', props: { modelReleaseEnabled: 'edge.automaticReleases' } },
  {
    stack: 'Monitoring',
    construct: 'StallMonitor',
    props: {
      alarmEmail: 'monitoring.alarmEmail',
      gpuStarvedUtilizationPercent: 'monitoring.gpuStarvedUtilizationPercent',
      storageNearLimitPercent: 'monitoring.storageNearLimitPercent',
      starvedFor: 'monitoring.starvedForMinutes',
      stuckRunnableAfter: 'monitoring.stuckRunnableAfterMinutes',
    },
  },
];

/** The parts of a construct's error: the prop, the rule, the value as rendered, the construct path. */
export interface ConstructErrorParts {
  readonly prop: string;
  readonly rule: string;
  readonly value: string;
  readonly constructPath?: string;
}

/**
 * The parts of an error a construct raised for bad input: an {@link MlAtScaleError}, or an error
 * whose message has the library's shape `<prop> <rule>, got <value> (at <path>)` (a construct that
 * wraps a pure rule's error into a plain `Error`). Anything else is not bad input: undefined.
 */
export function constructErrorParts(err: unknown): ConstructErrorParts | undefined {
  if (err instanceof MlAtScaleError) return err;
  if (!(err instanceof Error)) return undefined;
  const match = /^(\S+) (.+), got (.+) \(at ([^()\s]+)\)$/s.exec(err.message);
  if (!match) return undefined;
  return { prop: match[1], rule: match[2], value: match[3], constructPath: match[4] };
}

/** The configuration key behind a construct's prop, or undefined when the configuration does not set it. */
export function configKeyOf(parts: ConstructErrorParts, stackPrefix: string): string | undefined {
  if (!parts.constructPath) return undefined;
  const [stackId, ...rest] = parts.constructPath.split('/');
  const within = rest.join('/');
  const candidates = CONSTRUCT_CONFIG_KEYS.filter(
    (c) => stackId === `${stackPrefix}-${c.stack}` && (within === c.construct || (c.construct !== '' && within.startsWith(`${c.construct}/`))),
  ).sort((a, b) => b.construct.length - a.construct.length);
  for (const candidate of candidates) {
    for (const [prop, key] of Object.entries(candidate.props)) {
      // `demand.gpuCount` and `dataRepositoryAssociations[0].bucketPrefix` name a field of a prop.
      if (parts.prop === prop) return `${CONFIG_KEY}.${key}`;
      if (parts.prop.startsWith(`${prop}.`) || parts.prop.startsWith(`${prop}[`)) return `${CONFIG_KEY}.${key}${parts.prop.slice(prop.length)}`;
    }
  }
  return undefined;
}

/**
 * One line for an error a construct raised while the reference app was built:
 * `ml-at-scale.<key>: <rule>, got <value>` where the configuration sets the prop, else the
 * construct's own message (which names the prop and the construct path). Undefined for an error
 * that is not bad input (a bug, which keeps its stack trace).
 */
export function describeConstructError(err: unknown, stackPrefix: string): string | undefined {
  const parts = constructErrorParts(err);
  if (!parts) return undefined;
  const key = configKeyOf(parts, stackPrefix);
  const line = key ? `${key}: ${parts.rule}, got ${parts.value}` : (err as Error).message;
  return line.replace(/\s*\n\s*/g, ' ');
}

/**
 * The reference app's configuration: one object under the cdk.json context key `ml-at-scale`,
 * typed and validated when the app starts. An empty object synthesizes the whole topology: an omitted
 * construct setting stays undefined, so that the construct's own default applies (each default is
 * stated once, in the construct; the README's table repeats it, and a test checks that it agrees).
 *
 * Override with your own cdk.json, with `-c ml-at-scale='{"network":{"natGateways":0}}'`, or one
 * value at a time with `-c ml-at-scale.network.natGateways=0`.
 */
import { z } from 'zod';
import { applyPreset, PRESETS } from './presets';

/** The context key that holds the configuration. */
export const CONFIG_KEY = 'ml-at-scale';

const int = (min: number, max?: number) => {
  let s = z.number({ error: 'must be a number' }).int({ error: 'must be an integer' }).min(min, { error: `must be at least ${min}` });
  if (max !== undefined) s = s.max(max, { error: `must be at most ${max}` });
  return s;
};

const networkSchema = z
  .strictObject({
    cidr: z
      .string()
      .regex(/^\d{1,3}(\.\d{1,3}){3}\/(1[6-9]|2[0-8])$/, { error: 'must be an IPv4 CIDR block from /16 to /28' })
      .default('10.0.0.0/16'),
    maxAzs: int(2, 6).default(2),
    natGateways: int(0, 6).default(1),
    /** Interface endpoints by service short name (`ecr.api`, `logs`, ...); omitted: none with a NAT gateway, MlVpc's default set without. */
    interfaceEndpoints: z
      .array(z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, { error: 'must be a service short name such as ecr.api' }))
      .optional(),
  })
  .refine((n) => n.natGateways <= n.maxAzs, { error: 'natGateways must not exceed maxAzs', path: ['natGateways'] });

const dataLakeSchema = z.strictObject({
  noncurrentVersionExpirationDays: int(1).optional(),
  abortIncompleteMultipartUploadDays: int(1).optional(),
  rawIntelligentTieringAfterDays: int(0).optional(),
  accessLogsRetentionDays: int(365).optional(),
});

const positive = z.number({ error: 'must be a number' }).positive({ error: 'must be greater than 0' });

/**
 * The storage stack: FSx for Lustre (sized by capacity or by a training demand) and the shared EFS.
 * The construct checks capacity steps and throughput tiers per deployment type.
 */
const storageSchema = z.strictObject({
  lustreDeploymentType: z
    .enum(['SCRATCH_2', 'PERSISTENT_1', 'PERSISTENT_2'], { error: "must be 'SCRATCH_2', 'PERSISTENT_1' or 'PERSISTENT_2'" })
    .optional(),
  /** Omitted: sized from `lustreDemand`, else 1200. */
  lustreStorageCapacityGiB: int(1200).optional(),
  /** Omitted: the cheapest tier that meets `lustreDemand`, else 250 (PERSISTENT_2) or 200 (PERSISTENT_1). */
  lustrePerUnitStorageThroughputMBpsPerTiB: int(1).optional(),
  /** The training demand that sizes the file system, or that a given capacity is checked against. */
  lustreDemand: z
    .strictObject({
      gpuCount: int(1),
      samplesPerSecondPerGpu: positive,
      bytesPerSample: positive,
      datasetGiB: positive,
      epochs: int(1).optional(),
      gpusPerInstance: int(1).optional(),
    })
    .optional(),
  sharedFileSystemEnabled: z.boolean({ error: 'must be true or false' }).optional(),
});

const instanceType = z.string().regex(/^[a-z][a-z0-9-]*\.[0-9a-z]+$/, { error: 'must be an EC2 instance type such as p4d.24xlarge' });

/** The training cluster (AWS Batch): instance types, sizes, Spot, multi-node. */
const trainingSchema = z.strictObject({
  gpuInstanceTypes: z.array(instanceType).min(1, { error: 'must hold at least one instance type' }).optional(),
  allowGpuDevelopmentInstances: z.boolean({ error: 'must be true or false' }).optional(),
  gpuMaxVcpus: int(1).optional(),
  cpuInstanceTypes: z
    .array(instanceType)
    .min(1, { error: 'must hold at least one instance type' })
    .optional(),
  allowGeneralPurposeCpuInstances: z.boolean({ error: 'must be true or false' }).optional(),
  cpuMaxVcpus: int(1).optional(),
  cpuSpot: z.boolean({ error: 'must be true or false' }).optional(),
  /** Nodes of the multi-node training job; omitted: no multi-node job definition. */
  multiNodeCount: int(2, 1000).optional(),
  fairShareScheduling: z.boolean({ error: 'must be true or false' }).optional(),
});

/** The data pipeline: the dataset sharder (raw zone to curated shards) and the training pipeline. */
const pipelineSchema = z.strictObject({
  /** Prefix of the raw zone that runs read (and that starts runs when triggerOnNewData is on); '' is the whole zone. */
  sourcePrefix: z
    .string()
    .regex(/^([A-Za-z0-9!_.()-]+\/)*$/, { error: "must be '' or a key prefix ending in / such as 'incoming/'" })
    .optional(),
  targetShardSizeMiB: int(1, 5120).optional(),
  maxConcurrency: int(1, 10000).optional(),
  /** Omitted: no reserved concurrency (opt-in; it needs Lambda quota room, see the README). */
  shardReservedConcurrency: int(1).optional(),
  /** Start a training run for every object that lands under sourcePrefix (each one launches GPU jobs). */
  triggerOnNewData: z.boolean({ error: 'must be true or false' }).optional(),
});

const lakePrefix = z.string().regex(/^[A-Za-z0-9!_.()-]+(\/[A-Za-z0-9!_.()-]+)*$/, { error: "must be a key prefix such as 'incoming/events', without leading or trailing /" });

/**
 * The ETL and analytics stack: Glue catalog, raw-zone crawler, the Spark job from raw to curated, the
 * Athena workgroup, and the optional Redshift Serverless (Spectrum) and EMR Serverless parts. Omitted
 * values take the constructs' defaults.
 */
const etlSchema = z.strictObject({
  /** Raw-zone prefix the ETL job reads and the crawler crawls. */
  inputPrefix: lakePrefix.default('incoming'),
  /** Curated-zone prefix the ETL job writes. */
  outputPrefix: lakePrefix.default('datasets'),
  inputFormat: z.enum(['csv', 'json'], { error: "must be 'csv' or 'json'" }).optional(),
  partitionKeys: z.array(z.string().regex(/^[a-z_][a-z0-9_]*$/, { error: 'must be a lower-case column name' })).optional(),
  workerType: z
    .enum(['G.1X', 'G.2X', 'G.4X', 'G.8X', 'G.12X', 'G.16X', 'R.1X', 'R.2X', 'R.4X', 'R.8X'], { error: 'must be a Glue 5.0 Spark worker type such as G.1X' })
    .optional(),
  numberOfWorkers: int(2).optional(),
  /** Glue cron, e.g. `cron(0 2 * * ? *)`; omitted: the crawler runs on demand. */
  crawlerSchedule: z.string().regex(/^cron\(.+\)$/, { error: 'must be a cron(...) expression such as cron(0 2 * * ? *)' }).optional(),
  bytesScannedCutoffPerQueryMiB: int(10).optional(),
  /** A Redshift Serverless warehouse for Spectrum (it costs while it runs queries, and its storage). */
  spectrumEnabled: z.boolean({ error: 'must be true or false' }).default(false),
  spectrumBaseCapacityRpus: int(4, 512).optional(),
  /** An EMR Serverless Spark application (no cost while stopped). */
  sparkApplicationEnabled: z.boolean({ error: 'must be true or false' }).default(true),
  sparkMaximumVcpus: int(1).optional(),
});

/**
 * The research environment: a SageMaker notebook instance (on) and a Studio domain (off). Ranges are
 * the services' (the constructs check them too); omitted values take the constructs' defaults.
 */
/** The stall monitor: a dashboard of the training cluster and alarms to an SNS topic. */
const monitoringSchema = z.strictObject({
  /** An e-mail address subscribed to the alarm topic; omitted: no subscription. */
  alarmEmail: z.string().regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, { error: 'must be an e-mail address' }).optional(),
  gpuStarvedUtilizationPercent: int(1, 99).optional(),
  storageNearLimitPercent: int(1, 100).optional(),
  starvedForMinutes: int(5, 1440).optional(),
  stuckRunnableAfterMinutes: int(1, 1440).optional(),
});

const notebooksSchema = z.strictObject({
  instanceEnabled: z.boolean({ error: 'must be true or false' }).default(true),
  /** Omitted: ml.t3.medium. */
  instanceType: z.string().regex(/^ml\.[a-z0-9]+\.[0-9a-z]+$/, { error: 'must be a notebook instance type such as ml.t3.medium' }).optional(),
  /** Omitted: 20. */
  volumeSizeGiB: int(5, 16384).optional(),
  /** Omitted: 60. The instance stops after this many idle minutes. */
  idleTimeoutMinutes: int(5, 10080).optional(),
  /** Omitted: the whole curated zone. */
  curatedReadPrefixes: z.array(z.string()).min(1, { error: 'must hold at least one prefix' }).optional(),
  /** Let the notebooks submit preprocessing jobs to the training stack's CPU queue. */
  submitPreprocessing: z.boolean({ error: 'must be true or false' }).default(false),
  studioEnabled: z.boolean({ error: 'must be true or false' }).default(false),
  /** Omitted: no user profile. */
  studioUserProfiles: z.array(z.string().regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/, { error: 'must be 1 to 63 letters, digits and inner hyphens' })).optional(),
  /** Omitted: 60. JupyterLab apps shut down after this many idle minutes. */
  studioIdleTimeoutMinutes: int(60, 525600).optional(),
});

/**
 * The edge stack (IoT Greengrass v2): off unless enabled, since its component versions need their model
 * files in the artifacts zone when it deploys. Omitted values take the constructs' defaults.
 */
const edgeSchema = z.strictObject({
  enabled: z.boolean({ error: 'must be true or false' }).default(false),
  componentName: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, { error: 'must be 1 to 128 letters, digits, dots, hyphens or underscores' })
    .default('com.example.ReferenceModel'),
  /** The component versions the app declares; the automatic line starts above them. */
  releases: z
    .array(
      z.strictObject({
        version: z.string().regex(/^\d+\.\d+\.\d+$/, { error: 'must be major.minor.patch such as 0.1.0' }),
        modelKey: z.string().min(1, { error: 'must be an object key under the models prefix' }),
        modelSha256: z.string().optional(),
      }),
    )
    .min(1, { error: 'must hold at least one release' })
    .default([{ version: '0.1.0', modelKey: 'models/reference/model.json' }]),
  /** Omitted: the highest release. */
  deployedVersion: z.string().optional(),
  thingGroupName: z.string().regex(/^[a-zA-Z0-9:_-]{1,128}$/, { error: 'must be 1 to 128 letters, digits, colons, underscores or hyphens' }).optional(),
  roleAliasName: z.string().regex(/^[\w=,@-]{1,128}$/, { error: 'must be 1 to 128 letters, digits or =,@-_' }).optional(),
  /** Omitted: 3600. */
  credentialDurationSeconds: int(900, 43200).optional(),
  /** Release each new model under models/ automatically. */
  automaticReleases: z.boolean({ error: 'must be true or false' }).default(true),
  /** Omitted: 1.0.0. */
  releaseBaseVersion: z.string().regex(/^\d+\.\d+\.\d+$/, { error: 'must be major.minor.patch such as 1.0.0' }).optional(),
  /** Omitted: edge-recipes.lock.json beside cdk.json. */
  recipeLockFile: z.string().optional(),
  /** An activated S3 File Gateway: when set, an NFS share into raw/on-premises/. */
  onPremisesGatewayArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:storagegateway:[a-z0-9-]+:\d{12}:gateway\/sgw-[0-9A-Fa-f]{8}$/, { error: 'must be the ARN of an S3 File Gateway' })
    .optional(),
  /** The NFS clients of that share (IP addresses or CIDR blocks). */
  onPremisesClientList: z.array(z.string()).optional(),
})
  .refine((e) => !e.onPremisesGatewayArn || (e.onPremisesClientList?.length ?? 0) > 0, {
    error: 'must list the NFS clients of the on-premises share',
    path: ['onPremisesClientList'],
  });

/** The schema of the whole configuration. */
export const configSchema = z.strictObject({
  /** A stage preset (`dev` or `prod`, bin/presets.ts) under the rest of the configuration; omitted: none. */
  preset: z.enum(Object.keys(PRESETS) as [string, ...string[]], { error: `must be one of ${Object.keys(PRESETS).map((p) => `'${p}'`).join(', ')}` }).optional(),
  /** Prefix of every stack name: `<prefix>-Network`, `<prefix>-DataLake`, ... */
  stackPrefix: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,63}$/, { error: 'must start with a letter and hold only letters, digits and hyphens (64 at most)' })
    .default('MlAtScale'),
  /** Account and region: both given make the stacks environment-specific; omitted, environment-agnostic. */
  env: z
    .strictObject({
      account: z.string().regex(/^\d{12}$/, { error: 'must be a 12-digit AWS account ID' }).optional(),
      region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: 'must be an AWS region such as us-east-1' }).optional(),
    })
    .default({}),
  /** `retain` keeps buckets, keys, file systems and logs when a stack is deleted; `destroy` removes them. */
  removalPolicy: z.enum(['retain', 'destroy'], { error: "must be 'retain' or 'destroy'" }).default('retain'),
  /** Tags applied to every resource. */
  tags: z.record(z.string(), z.string()).default({}),
  network: networkSchema.default(() => networkSchema.parse({})),
  dataLake: dataLakeSchema.default(() => dataLakeSchema.parse({})),
  storage: storageSchema.default(() => storageSchema.parse({})),
  training: trainingSchema.default(() => trainingSchema.parse({})),
  pipeline: pipelineSchema.default(() => pipelineSchema.parse({})),
  etl: etlSchema.default(() => etlSchema.parse({})),
  notebooks: notebooksSchema.default(() => notebooksSchema.parse({})),
  edge: edgeSchema.default(() => edgeSchema.parse({})),
  monitoring: monitoringSchema.default(() => monitoringSchema.parse({})),
});

/** The validated configuration, every default filled in. */
export type MlAtScaleConfig = z.infer<typeof configSchema>;

/**
 * Builds the configuration from the app's context: the object under `ml-at-scale` (or its JSON text,
 * as `-c` passes it), then every `ml-at-scale.<path>` key over it. Throws one error listing every
 * problem, each as `ml-at-scale.<key>: <rule>, got <value>`.
 */
export function loadConfig(context: Record<string, unknown>): MlAtScaleConfig {
  let raw: unknown = context[CONFIG_KEY] ?? {};
  if (typeof raw === 'string') raw = parseJson(CONFIG_KEY, raw);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new Error(`Invalid configuration:\n  ${CONFIG_KEY}: must be an object, got ${JSON.stringify(raw)}`);
  }
  const merged = structuredClone(raw) as Record<string, unknown>;
  for (const [key, value] of Object.entries(context)) {
    if (!key.startsWith(`${CONFIG_KEY}.`)) continue;
    setPath(merged, key.slice(CONFIG_KEY.length + 1).split('.'), typeof value === 'string' ? parseScalar(value) : value);
  }
  const result = configSchema.safeParse(applyPreset(merged, CONFIG_KEY), { reportInput: true });
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const key = [CONFIG_KEY, ...issue.path.map(String)].join('.');
    if (issue.code === 'unrecognized_keys') return `${key}: unknown key(s) ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
    return `${key}: ${issue.message}, got ${JSON.stringify(issue.input)}`;
  });
  throw new Error(`Invalid configuration:\n  ${lines.join('\n  ')}`);
}

function parseJson(key: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`Invalid configuration:\n  ${key}: must be a JSON object, got ${JSON.stringify(text)}`);
  }
}

/** `-c key=value` always passes a string: read numbers, booleans and JSON as such. */
function parseScalar(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const segment of path.slice(0, -1)) {
    const next = node[segment];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[segment] = {};
    node = node[segment] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}

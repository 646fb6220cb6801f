/**
 * Stage presets: starting points for a configuration. `ml-at-scale.preset` names one, and every key the
 * configuration gives itself overrides the preset's value (objects merge key by key; arrays and scalars
 * replace). A preset states only what differs from the constructs' defaults.
 */

/** A configuration fragment: what a preset sets. */
export type ConfigFragment = { readonly [key: string]: unknown };

/** The presets, by name. */
export const PRESETS: Readonly<Record<string, ConfigFragment>> = {
  /**
   * Development: the cheapest file system that links to S3 (SCRATCH_2) and small GPU instances allowed;
   * like the default, one NAT gateway and no interface endpoints. Data is still
   * retained: DESTROY stays an explicit opt-in (`-c ml-at-scale.removalPolicy=destroy`).
   */
  dev: {
    storage: { lustreDeploymentType: 'SCRATCH_2' },
    training: { allowGpuDevelopmentInstances: true, gpuInstanceTypes: ['g5.xlarge', 'g5.12xlarge'], gpuMaxVcpus: 96 },
  },
  /**
   * Production: PERSISTENT_2, everything retained, EFA-capable GPU instances (P5 and P5e: 32 EFA
   * interfaces each, so one launch template serves both) with a multi-node job,
   * a NAT gateway per Availability Zone, and MlVpc's default interface endpoints.
   */
  prod: {
    removalPolicy: 'retain',
    network: {
      natGateways: 2,
      // MlVpc.DEFAULT_INTERFACE_ENDPOINTS by short name: AWS API traffic stays off the NAT gateways.
      interfaceEndpoints: [
        'ecr.api', 'ecr.dkr', 'ecs', 'ecs-agent', 'ecs-telemetry', 'logs', 'monitoring', 'sts', 'kms',
        'sagemaker.api', 'sagemaker.runtime', 'glue', 'athena', 'xray', 'states',
      ],
    },
    storage: { lustreDeploymentType: 'PERSISTENT_2' },
    training: { gpuInstanceTypes: ['p5.48xlarge', 'p5e.48xlarge'], multiNodeCount: 2 },
  },
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `over` on top of `base`: objects merge key by key, everything else in `over` replaces. */
export function mergeConfig(base: ConfigFragment, over: ConfigFragment): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    out[key] = isObject(value) && isObject(out[key]) ? mergeConfig(out[key] as ConfigFragment, value) : value;
  }
  return out;
}

/**
 * The raw configuration with its preset applied under it. Throws `ml-at-scale.preset: ...` for a name
 * that is not a preset. The `preset` key stays, so that the schema and the README record it.
 */
export function applyPreset(raw: Record<string, unknown>, configKey: string): Record<string, unknown> {
  const name = raw.preset;
  if (name === undefined) return raw;
  const preset = typeof name === 'string' ? PRESETS[name] : undefined;
  if (!preset || !Object.prototype.hasOwnProperty.call(PRESETS, name as string)) {
    throw new Error(
      `Invalid configuration:\n  ${configKey}.preset: must be one of ${Object.keys(PRESETS).map((p) => `'${p}'`).join(', ')}, got ${JSON.stringify(name)}`,
    );
  }
  return mergeConfig(preset, raw);
}

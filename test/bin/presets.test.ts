import { loadConfig } from '../../bin/config';
import { MlVpc } from '../../lib';
import { applyPreset, mergeConfig, PRESETS } from '../../bin/presets';

describe('stage presets', () => {
  test('dev: SCRATCH_2, small GPU instances allowed, still RETAIN', () => {
    const config = loadConfig({ 'ml-at-scale': { preset: 'dev' } });
    expect(config.storage.lustreDeploymentType).toBe('SCRATCH_2');
    expect(config.training.allowGpuDevelopmentInstances).toBe(true);
    expect(config.training.gpuInstanceTypes).toEqual(['g5.xlarge', 'g5.12xlarge']);
    expect(config.removalPolicy).toBe('retain');
  });

  test('prod: PERSISTENT_2, RETAIN, EFA instance types with a multi-node job, a NAT gateway per AZ', () => {
    const config = loadConfig({ 'ml-at-scale.preset': 'prod' });
    expect(config.storage.lustreDeploymentType).toBe('PERSISTENT_2');
    expect(config.removalPolicy).toBe('retain');
    expect(config.training.gpuInstanceTypes).toEqual(['p5.48xlarge', 'p5e.48xlarge']);
    expect(config.training.multiNodeCount).toBe(2);
    expect(config.network.natGateways).toBe(config.network.maxAzs);
    expect(config.network.interfaceEndpoints).toEqual(
      MlVpc.DEFAULT_INTERFACE_ENDPOINTS.map((s) => s.shortName),
    );
  });

  test('is a starting point: every key the configuration gives overrides the preset, one key at a time', () => {
    const config = loadConfig({
      'ml-at-scale': { preset: 'dev', storage: { lustreDeploymentType: 'PERSISTENT_2' } },
      'ml-at-scale.removalPolicy': 'destroy',
      'ml-at-scale.training.gpuInstanceTypes': '["g5.2xlarge"]',
    });
    expect(config.storage.lustreDeploymentType).toBe('PERSISTENT_2');
    expect(config.removalPolicy).toBe('destroy');
    expect(config.training.gpuInstanceTypes).toEqual(['g5.2xlarge']);
    expect(config.training.allowGpuDevelopmentInstances).toBe(true); // still the preset's
    expect(config.preset).toBe('dev');
  });

  test('merges objects key by key and replaces arrays and scalars', () => {
    expect(mergeConfig({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, d: 2 })).toEqual({ a: { b: 1, c: [3] }, d: 2 });
    expect(applyPreset({ x: 1 }, 'k')).toEqual({ x: 1 });
  });

  test('fails when the preset is not one of the presets, naming the key', () => {
    expect(() => loadConfig({ 'ml-at-scale': { preset: 'staging' } })).toThrow(
      `ml-at-scale.preset: must be one of ${Object.keys(PRESETS).map((p) => `'${p}'`).join(', ')}, got "staging"`,
    );
    expect(() => loadConfig({ 'ml-at-scale': { preset: 'toString' } })).toThrow(/ml-at-scale.preset: must be one of/);
  });
});

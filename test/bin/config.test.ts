import { CDK_JSON_CONFIG } from '../util/app';
import { configSchema, loadConfig } from '../../bin/config';

describe('loadConfig', () => {
  test('fills every default from an empty context', () => {
    const config = loadConfig({});
    expect(config).toEqual(configSchema.parse({}));
    expect(config.stackPrefix).toBe('MlAtScale');
    expect(config.removalPolicy).toBe('retain');
    expect(config.network).toMatchObject({ maxAzs: 2, natGateways: 1, cidr: '10.0.0.0/16' });
    expect(config.env).toEqual({});
  });

  test('accepts the block that cdk.json ships', () => {
    expect(() => loadConfig({ 'ml-at-scale': CDK_JSON_CONFIG })).not.toThrow();
  });

  test('reads the block as JSON text, as `-c ml-at-scale=...` passes it', () => {
    const config = loadConfig({ 'ml-at-scale': '{"network":{"natGateways":0}}' });
    expect(config.network.natGateways).toBe(0);
    expect(config.network.maxAzs).toBe(2);
  });

  test('lets `-c ml-at-scale.<path>=<value>` override one value at a time', () => {
    const config = loadConfig({
      'ml-at-scale': { network: { natGateways: 2 } },
      'ml-at-scale.network.natGateways': '0',
      'ml-at-scale.env.region': 'eu-west-1',
      'ml-at-scale.stackPrefix': 'Team7',
    });
    expect(config.network.natGateways).toBe(0);
    expect(config.env.region).toBe('eu-west-1');
    expect(config.stackPrefix).toBe('Team7');
  });

  test('fails when a value breaks its rule, naming the key, the rule and the value', () => {
    expect(() => loadConfig({ 'ml-at-scale': { network: { maxAzs: 1 } } })).toThrow(
      'ml-at-scale.network.maxAzs: must be at least 2, got 1',
    );
  });

  test('fails when natGateways exceeds maxAzs', () => {
    expect(() => loadConfig({ 'ml-at-scale.network.natGateways': '3' })).toThrow(
      'ml-at-scale.network.natGateways: natGateways must not exceed maxAzs, got {"cidr":"10.0.0.0/16","maxAzs":2,"natGateways":3}',
    );
  });

  test('fails when a key is unknown, so that typos do not pass silently', () => {
    expect(() => loadConfig({ 'ml-at-scale': { netwrok: {} } })).toThrow("ml-at-scale: unknown key(s) 'netwrok'");
  });

  test('fails when the account is not 12 digits', () => {
    expect(() => loadConfig({ 'ml-at-scale.env.account': 'abc' })).toThrow('ml-at-scale.env.account: must be a 12-digit AWS account ID, got "abc"');
  });

  test('fails when removalPolicy is neither retain nor destroy', () => {
    expect(() => loadConfig({ 'ml-at-scale.removalPolicy': 'snapshot' })).toThrow(
      `ml-at-scale.removalPolicy: must be 'retain' or 'destroy', got "snapshot"`,
    );
  });

  test('fails when the block is not JSON', () => {
    expect(() => loadConfig({ 'ml-at-scale': '{network' })).toThrow('ml-at-scale: must be a JSON object, got "{network"');
  });

  test('lists every problem at once', () => {
    expect(() => loadConfig({ 'ml-at-scale': { network: { maxAzs: 9 }, dataLake: { accessLogsRetentionDays: 30 } } })).toThrow(
      /network\.maxAzs: must be at most 6, got 9\n {2}ml-at-scale\.dataLake\.accessLogsRetentionDays: must be at least 365, got 30/,
    );
  });
});

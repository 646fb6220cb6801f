import { loadConfig } from '../../bin/config';

describe('the edge block of the configuration', () => {
  test('is off by default, with one reference release', () => {
    const { edge } = loadConfig({});
    expect(edge).toEqual({
      enabled: false,
      componentName: 'com.example.ReferenceModel',
      releases: [{ version: '0.1.0', modelKey: 'models/reference/model.json' }],
      automaticReleases: true,
    });
  });

  test('leaves omitted construct settings undefined, so that the constructs\u2019 defaults apply', () => {
    const { edge } = loadConfig({ 'ml-at-scale.edge.enabled': 'true' });
    expect(edge.credentialDurationSeconds).toBeUndefined();
    expect(edge.releaseBaseVersion).toBeUndefined();
    expect(edge.recipeLockFile).toBeUndefined();
  });

  test.each([
    ['edge.credentialDurationSeconds', 600, 'ml-at-scale.edge.credentialDurationSeconds: must be at least 900, got 600'],
    ['edge.releases', [{ version: '1.0', modelKey: 'models/m.json' }], 'ml-at-scale.edge.releases.0.version: must be major.minor.patch such as 0.1.0, got "1.0"'],
    ['edge.releases', [], 'ml-at-scale.edge.releases: must hold at least one release, got []'],
    ['edge.componentName', 'a b', 'ml-at-scale.edge.componentName: must be 1 to 128 letters, digits, dots, hyphens or underscores, got "a b"'],
    ['edge.thingGroupName', 'my fleet', 'ml-at-scale.edge.thingGroupName: must be 1 to 128 letters, digits, colons, underscores or hyphens, got "my fleet"'],
    ['edge.roleAliasName', 'a/b', 'ml-at-scale.edge.roleAliasName: must be 1 to 128 letters, digits or =,@-_, got "a/b"'],
    ['edge.releaseBaseVersion', 'v2', 'ml-at-scale.edge.releaseBaseVersion: must be major.minor.patch such as 1.0.0, got "v2"'],
    ['edge.onPremisesGatewayArn', 'sgw-1', 'ml-at-scale.edge.onPremisesGatewayArn: must be the ARN of an S3 File Gateway, got "sgw-1"'],
  ])('fails when %s breaks its rule, naming the key', (key, value, message) => {
    expect(() => loadConfig({ [`ml-at-scale.${key}`]: JSON.stringify(value) })).toThrow(message);
  });

  test('fails when an on-premises gateway has no NFS clients', () => {
    expect(() => loadConfig({ 'ml-at-scale.edge.onPremisesGatewayArn': 'arn:aws:storagegateway:eu-west-1:123456789012:gateway/sgw-12A3456B' })).toThrow(
      'ml-at-scale.edge.onPremisesClientList: must list the NFS clients of the on-premises share',
    );
  });
});

/**
 * Jest snapshot serializer: replaces asset hashes (64 hex characters) so that a snapshot
 * changes only when the template does, not when a bundled asset's bytes do.
 */
const ASSET_HASH = /[0-9a-f]{64}/g;

const serializer: jest.SnapshotSerializerPlugin = {
  test: (val: unknown) => typeof val === 'string' && /[0-9a-f]{64}/.test(val),
  serialize: (val: string) => JSON.stringify(val.replace(ASSET_HASH, '[ASSET-HASH]')),
};

export = serializer;

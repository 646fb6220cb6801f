export * from './fsx-rules';
export * from './throughput-sizing';
export * from './storage-catalog';
export * from './mount-commands';
export * from './lustre-cache';
export * from './shared-file-system';

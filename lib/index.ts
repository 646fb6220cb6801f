export * from './network';
export * from './data-lake';
export * from './storage';
export * from './training';
export * from './sharding';
export * from './pipeline';
export * from './stacks';

export * from './network';
export * from './data-lake';
export * from './storage';
export * from './stacks';

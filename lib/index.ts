export * from './network';
export * from './data-lake';
export * from './stacks';

export * from './instance-types';
export * from './training-cluster';

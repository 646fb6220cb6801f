export * from './edge-deployment';
export * from './edge-model-release';

export * from './edge-deployment';
export * from './edge-model-release';
export * from './on-premises-ingest';

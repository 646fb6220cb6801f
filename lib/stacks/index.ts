export * from './network-stack';
export * from './data-lake-stack';
export * from './storage-stack';
export * from './training-stack';
export * from './pipeline-stack';
export * from './etl-stack';
export * from './notebooks-stack';
export * from './edge-stack';

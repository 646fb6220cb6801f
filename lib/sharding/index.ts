export * from './dataset-sharder';

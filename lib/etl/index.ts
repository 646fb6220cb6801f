export * from './data-catalog';
export * from './analytics-workgroup';
export * from './spark-etl-job';
export * from './spectrum-warehouse';
export * from './spark-application';

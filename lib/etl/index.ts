export * from './data-catalog';
export * from './analytics-workgroup';

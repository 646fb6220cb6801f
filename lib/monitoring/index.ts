export * from './cost-catalog';
export * from './at-rest-cost';

export * from './cost-catalog';
export * from './at-rest-cost';
export * from './stall-monitor';

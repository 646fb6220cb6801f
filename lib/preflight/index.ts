export { Preflight, formatPreflightReport } from './preflight';
export { checkQuotas, QuotaStatus } from './quota-check';
export type { PreflightReport, QuotaCheck, QuotaCheckOptions } from './quota-check';
export { AppliedValueSource, quotaNeedsOfAssembly } from './quota-needs';
export type { QuotaNeed, QuotaNeeds } from './quota-needs';

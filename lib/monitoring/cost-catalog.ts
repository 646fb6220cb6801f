import { CatalogSource } from '../storage/storage-catalog';

/*
 * Prices of what costs money while nothing trains, each with its source. us-east-1 list prices in USD;
 * a month is 730 hours, as AWS's pricing examples use. AWS renders its pricing pages from a script, so
 * these were not read from aws.amazon.com itself: each says `confirmed: false` and names what was seen.
 * FSx for Lustre prices come from the storage catalog (lib/storage/storage-catalog.ts).
 */

/** Hours in the month that AWS's pricing examples use. */
export const HOURS_PER_MONTH = 730;

/** One at-rest price. */
export interface AtRestPrice {
  /** The price, in USD, per `unit`. */
  readonly usd: number;
  /** What the price is for, e.g. `NAT gateway-hour`. */
  readonly unit: string;
  /** Where it comes from. */
  readonly source: CatalogSource;
}

const READ = '2026-12-02';
const unconfirmed = (url: string, note: string): CatalogSource => ({ url, read: READ, confirmed: false, note });

/** The at-rest prices that `npm run cost` applies. */
export const AT_REST_PRICES = {
  natGatewayHour: {
    usd: 0.045,
    unit: 'NAT gateway-hour',
    source: unconfirmed('https://aws.amazon.com/vpc/pricing/', 'US East rate, quoted as $0.045/hour (plus $0.045/GB processed) by several 2026 pricing guides.'),
  },
  publicIpv4Hour: {
    usd: 0.005,
    unit: 'public IPv4 address-hour',
    source: unconfirmed('https://aws.amazon.com/vpc/pricing/', 'Public IPv4 addresses, in use or idle, at $0.005/hour since February 2024 (quoted by 2026 NAT gateway pricing guides).'),
  },
  interfaceEndpointAzHour: {
    usd: 0.01,
    unit: 'interface endpoint-hour per Availability Zone',
    source: unconfirmed('https://aws.amazon.com/privatelink/pricing/', 'The PrivateLink page bills each endpoint per AZ per hour while provisioned; $0.01/hour quoted by public templates ("~$0.01 per hour ($7.60/month)").'),
  },
  kmsKeyMonth: {
    usd: 1,
    unit: 'customer-managed key-month',
    source: unconfirmed('https://aws.amazon.com/kms/pricing/', '$1 per key per month; requests beyond the free tier are usage, not at rest.'),
  },
  alarmMetricMonth: {
    usd: 0.1,
    unit: 'standard-resolution alarm metric-month',
    source: unconfirmed('https://aws.amazon.com/cloudwatch/pricing/', '$0.10 per alarm metric per month at standard resolution; $0.30 at high resolution.'),
  },
  highResolutionAlarmMetricMonth: {
    usd: 0.3,
    unit: 'high-resolution alarm metric-month',
    source: unconfirmed('https://aws.amazon.com/cloudwatch/pricing/', '$0.30 per alarm metric per month for periods under 60 s.'),
  },
  dashboardMonth: {
    usd: 3,
    unit: 'dashboard-month',
    source: unconfirmed('https://aws.amazon.com/cloudwatch/pricing/', '$3 per dashboard per month; the first 3 dashboards of an account are free, not counted here.'),
  },
  secretMonth: {
    usd: 0.4,
    unit: 'secret-month',
    source: unconfirmed('https://aws.amazon.com/secrets-manager/pricing/', '$0.40 per secret per month.'),
  },
  sagemakerStorageGBMonth: {
    usd: 0.14,
    unit: 'GB-month of notebook ML storage',
    source: unconfirmed('https://aws.amazon.com/sagemaker/pricing/', 'ML general purpose SSD storage of notebook instances, $0.14 per GB-month in us-east-1.'),
  },
} satisfies Record<string, AtRestPrice>;

/** On-demand prices per hour of SageMaker notebook instance types that the library's defaults use. */
export const NOTEBOOK_INSTANCE_HOUR_USD: Record<string, number> = {
  'ml.t3.medium': 0.05,
  'ml.t3.large': 0.1,
  'ml.t3.xlarge': 0.2,
  'ml.m5.xlarge': 0.23,
  'ml.m5.2xlarge': 0.461,
};

/** Where the notebook instance prices come from. */
export const NOTEBOOK_INSTANCE_SOURCE: CatalogSource = unconfirmed(
  'https://aws.amazon.com/sagemaker/pricing/',
  'Notebook instance on-demand prices in us-east-1 as published for ml.t3 and ml.m5; other types are reported as not priced.',
);

import { CatalogSource } from '../storage/storage-catalog';

/*
 * Prices of what costs money while nothing trains, each with its source. us-east-1 list prices in USD;
 * a month is 730 hours, as AWS's pricing examples use. AWS renders its pricing tables from a script, so
 * a price says `confirmed: true` only where an AWS page or AWS documentation states it in words (the
 * note quotes them); the others say `confirmed: false` and name what was seen, and where.
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
const confirmed = (url: string, note: string): CatalogSource => ({ url, read: READ, confirmed: true, note });

/**
 * An AWS Solutions implementation guide whose cost page states its figures "with `On-Demand` prices in the
 * `us-east-1` Region" (read on a stored copy of the page).
 */
const CLICKSTREAM_COST = 'https://docs.aws.amazon.com/solutions/latest/clickstream-analytics-on-aws/cost.html';

/**
 * An AWS Solutions implementation guide whose cost page prices its "Small deployment (10 accounts, 1 region - US
 * East/N. Virginia)" from a sample cost table (read on a stored copy of the page). The table names no Region
 * itself; its US East examples use its figures ("$3.00 * 1 dashboard", "$0.10 * 4 alarms").
 */
const ASR_COST = 'https://docs.aws.amazon.com/solutions/latest/automated-security-response-on-aws/cost.html';

/** The at-rest prices that `npm run cost` applies. */
export const AT_REST_PRICES = {
  natGatewayHour: {
    usd: 0.045,
    unit: 'NAT gateway-hour',
    source: confirmed(CLICKSTREAM_COST, 'AWS cost page, us-east-1 on-demand prices: "NAT fixed cost: $64 (2 Availability Zones ' +
      'and a NAT per Availability Zone, $0.045 per NAT Gateway Hour)" (plus "$0.045 per GB Data Processed by NAT gateways", ' +
      'usage). The rate table of https://aws.amazon.com/vpc/pricing/ is rendered by a script.'),
  },
  publicIpv4Hour: {
    usd: 0.005,
    unit: 'public IPv4 address-hour',
    source: unconfirmed('https://aws.amazon.com/vpc/pricing/', 'No AWS text stating the figure was in the stored material: the ' +
      'AWS SDK docs (Subnet MapPublicIpOnLaunch) say only that AWS "charges for all public IPv4 addresses" and point to ' +
      'the "Public IPv4 Address tab on the Amazon VPC pricing page". $0.005 per IP per hour from February 1, 2024 is ' +
      'quoted from the AWS News Blog post (aws.amazon.com/blogs/aws/new-aws-public-ipv4-address-charge-public-ip-insights/) ' +
      'by third parties only (blogs and READMEs: "a charge of $0.005 per IP per hour for all public IPv4 addresses, whether ' +
      'attached to a service or not"), and by cloudburn.io ("$0.005/hour per IP").'),
  },
  interfaceEndpointAzHour: {
    usd: 0.01,
    unit: 'interface endpoint-hour per Availability Zone',
    source: confirmed(CLICKSTREAM_COST, 'AWS cost page, us-east-1 on-demand prices: "VPC endpoint fixed cost: $14.62 ' +
      '(Availability Zones $0.01 per AZ Hour)". https://aws.amazon.com/privatelink/pricing/ bills "each hour that your VPC ' +
      'endpoint remains provisioned in each Availability Zone"; its rate table is rendered by a script.'),
  },
  kmsKeyMonth: {
    usd: 1,
    unit: 'customer-managed key-month',
    source: confirmed('https://aws.amazon.com/kms/pricing/', '"Each AWS KMS key that you create in KMS costs $1/month" ' +
      '("(prorated hourly)" on aws.amazon.com/fr/kms/pricing/), the same in every Region. Rotation is priced apart ' +
      '(kmsKeyRotationMonth). Requests beyond the free tier are usage, not at rest.'),
  },
  kmsKeyRotationMonth: {
    usd: 1,
    unit: 'key rotation-month',
    source: confirmed(ASR_COST, '"the first and second rotations of the key add $1/month (prorated hourly)": a key with ' +
      'automatic rotation costs $2 a month from its first rotation and $3 from its second, and no more after that. ' +
      '(The older stored KMS page said "each newly generated backing key costs an additional $1/month", uncapped.)'),
  },

  alarmMetricMonth: {
    usd: 0.1,
    unit: 'standard-resolution alarm metric-month',
    source: confirmed(ASR_COST, 'AWS cost page, sample cost table: "Standard Resolution (60 sec) costs $0.10 for each alarm ' +
      'metric"; its US East (N. Virginia) example: "$0.10 * 4 alarms = $0.40". The stored copy of ' +
      'https://aws.amazon.com/cloudwatch/pricing/ shows only the free tier ("10 Alarm metrics"), not counted here.'),
  },
  highResolutionAlarmMetricMonth: {
    usd: 0.3,
    unit: 'high-resolution alarm metric-month',
    source: confirmed(ASR_COST, 'For periods under 60 s. AWS cost page, sample cost table (the prices of its US East (N. ' +
      'Virginia) examples; the table names no Region): "High Resolution (10 sec) costs $0.30 per alarm metric". The AWS ' +
      'Compute Blog (Faster scaling with Amazon EC2 Auto Scaling Target Tracking, 2024) gives the same for US East (Ohio): ' +
      '"$0.30 per alarm metric as compared to $0.10 per alarm metric for standard resolution alarms".'),
  },
  dashboardMonth: {
    usd: 3,
    unit: 'dashboard-month',
    source: confirmed(ASR_COST, 'AWS cost page, sample cost table: "$3.00 per dashboard per month"; its US East (N. Virginia) ' +
      'example: "$3.00 * 1 dashboard = $3.00". Not counted: the free tier, "3 Custom Dashboards referencing up to 50 ' +
      'metrics each per month" (https://aws.amazon.com/cloudwatch/pricing/).'),
  },
  secretMonth: {
    usd: 0.4,
    unit: 'secret-month',
    source: confirmed(CLICKSTREAM_COST, 'AWS cost page, us-east-1 on-demand prices: "the guidance creates a secret in Secrets ' +
      'Manager to store the Redshift credentials ... Cost: 0.40 USD/month." The table of ' +
      'https://aws.amazon.com/secrets-manager/pricing/ is rendered by a script.'),
  },
  sagemakerStorageGBMonth: {
    usd: 0.14,
    unit: 'GB-month of notebook ML storage',
    source: unconfirmed('https://aws.amazon.com/sagemaker/pricing/', 'ML general purpose SSD storage of notebook instances, ' +
      '$0.14 per GB-month in us-east-1 as last known. Not on an AWS page in the stored material (the AWS docs read, ' +
      'notebooks-usage-metering and API references, state no storage price); seen only in third-party text: a cost ' +
      'review ("Notebook EBS storage bills at $0.14 per GB-month") and a design note that attributes "$0.14 per GB-month ' +
      'for its attached volume" to the asynchronous inference example (#11) of the AWS SageMaker pricing page.'),
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
  'Notebook instance on-demand prices in us-east-1 as last known for ml.t3 and ml.m5; other types are reported as not ' +
    'priced. Not on an AWS page in the stored material (the AWS usage-metering page names ml.t3.medium as the default ' +
    'type without a price). Third-party text disagrees for ml.t3.medium: a cost script says "ml.t3.medium instance: ' +
    '$0.0582 per hour" for notebooks, Region not given; a design note gives ml.m5.2xlarge $0.461 per hour for hosting ' +
    '(AWS Price List usage type USE1-Host:ml.m5.2xlarge), not for notebooks. Check before quoting.',
);

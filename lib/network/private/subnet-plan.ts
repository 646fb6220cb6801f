/**
 * How MlVpc splits its range into subnets: pure arithmetic, unit-tested without synthesis.
 *
 * AWS subnets are /16 to /28, and AWS reserves five addresses in each (the first four and the last).
 * @see https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html
 */

/** The smallest subnet AWS allows. */
export const SMALLEST_SUBNET_MASK = 28;
/** The largest VPC range (and subnet) AWS allows. */
export const LARGEST_VPC_MASK = 16;
/** Addresses AWS reserves in every subnet. */
export const RESERVED_ADDRESSES_PER_SUBNET = 5;
/** Public subnets hold only NAT gateways (one address each): /24 when the range allows it. */
const PUBLIC_MASK = 24;

/** The masks of one subnet layout. */
export interface SubnetPlan {
  /** Mask of each private subnet (one per Availability Zone). */
  readonly privateMask: number;
  /** Mask of each public subnet, when there are public subnets (NAT gateways). */
  readonly publicMask?: number;
  /** Usable addresses of each private subnet. */
  readonly privateUsableAddresses: number;
}

/** What a range must hold. */
export interface SubnetDemand {
  /** How many Availability Zones the VPC spans (one subnet of each kind per zone). */
  readonly azCount: number;
  /** Whether public subnets are needed (NAT gateways live there). */
  readonly publicSubnets: boolean;
  /** Addresses each private subnet must have beyond AWS's reserved ones (one per interface endpoint, at least one for hosts). */
  readonly privateAddressesNeeded: number;
}

/** The prefix length of an IPv4 CIDR block such as `10.0.0.0/16`, or undefined when it is not one. */
export function prefixLength(cidr: string): number | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const mask = Number(match[5]);
  if (octets.some((o) => o > 255) || mask > 32) return undefined;
  return mask;
}

/** The block's network address (its host bits zeroed), as `a.b.c.d/n`; `cidr` must parse with {@link prefixLength}. */
export function networkBlock(cidr: string): string {
  const [address, maskText] = cidr.split('/');
  const mask = Number(maskText);
  const value = address.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const size = 2 ** (32 - mask);
  const base = value - (value % size);
  return `${[24, 16, 8, 0].map((shift) => Math.floor(base / 2 ** shift) % 256).join('.')}/${mask}`;
}

function log2Ceil(n: number): number {
  return Math.ceil(Math.log2(n));
}

/**
 * The subnet layout of a range of prefix length `vpcMask`, or undefined when the range is too small.
 *
 * Each private subnet gets an equal, power-of-two share of the range, sized so that one share is
 * always left over: it holds the public subnets, or room to add them later. `/16` over two zones
 * gives private `/18` and public `/24` subnets. Public subnets are `/24`, or smaller when they must
 * share a small range.
 */
export function planSubnets(vpcMask: number, demand: SubnetDemand): SubnetPlan | undefined {
  const privateMask = vpcMask + log2Ceil(demand.azCount + 1);
  const publicMask = demand.publicSubnets ? Math.max(PUBLIC_MASK, privateMask + log2Ceil(demand.azCount)) : undefined;
  const privateUsableAddresses = 2 ** (32 - privateMask) - RESERVED_ADDRESSES_PER_SUBNET;
  if (privateMask > SMALLEST_SUBNET_MASK || (publicMask ?? 0) > SMALLEST_SUBNET_MASK) return undefined;
  if (privateUsableAddresses < demand.privateAddressesNeeded) return undefined;
  return { privateMask, publicMask, privateUsableAddresses };
}

/** The longest prefix (smallest range) that holds `demand`, or undefined when even a /16 does not. */
export function smallestRangeMask(demand: SubnetDemand): number | undefined {
  for (let mask = SMALLEST_SUBNET_MASK; mask >= LARGEST_VPC_MASK; mask--) {
    if (planSubnets(mask, demand)) return mask;
  }
  return undefined;
}

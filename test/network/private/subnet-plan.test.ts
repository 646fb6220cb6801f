import { planSubnets, prefixLength, smallestRangeMask } from '../../../lib/network/private/subnet-plan';

describe('planSubnets', () => {
  const twoZonesWithNat = { azCount: 2, publicSubnets: true, privateAddressesNeeded: 16 };

  test('gives a /16 over two zones private /18 and public /24 subnets', () => {
    expect(planSubnets(16, twoZonesWithNat)).toEqual({ privateMask: 18, publicMask: 24, privateUsableAddresses: 16379 });
  });

  test('leaves one private-sized share free for the public subnets, whatever the zone count', () => {
    for (let azCount = 2; azCount <= 6; azCount++) {
      for (let vpcMask = 16; vpcMask <= 28; vpcMask++) {
        const plan = planSubnets(vpcMask, { azCount, publicSubnets: true, privateAddressesNeeded: 1 });
        if (!plan) continue;
        const range = 2 ** (32 - vpcMask);
        const used = azCount * 2 ** (32 - plan.privateMask) + azCount * 2 ** (32 - plan.publicMask!);
        expect(used).toBeLessThanOrEqual(range);
        expect(plan.publicMask).toBeLessThanOrEqual(28);
        expect(plan.privateMask).toBeLessThanOrEqual(28);
      }
    }
  });

  test('has no public subnets for an isolated VPC', () => {
    expect(planSubnets(20, { azCount: 3, publicSubnets: false, privateAddressesNeeded: 16 })).toEqual({ privateMask: 22, privateUsableAddresses: 1019 });
  });

  test('refuses a range whose private subnets would be smaller than /28', () => {
    expect(planSubnets(27, { azCount: 2, publicSubnets: false, privateAddressesNeeded: 1 })).toBeUndefined();
  });

  test('refuses a range whose private subnets cannot hold the interface endpoints', () => {
    // /26 over two zones gives /28 private subnets: 11 usable addresses, not the 16 needed.
    expect(planSubnets(26, { azCount: 2, publicSubnets: false, privateAddressesNeeded: 16 })).toBeUndefined();
  });
});

describe('smallestRangeMask', () => {
  test('names the smallest range that holds the demand', () => {
    expect(smallestRangeMask({ azCount: 2, publicSubnets: true, privateAddressesNeeded: 16 })).toBe(25);
    expect(smallestRangeMask({ azCount: 6, publicSubnets: true, privateAddressesNeeded: 16 })).toBe(22);
  });
});

describe('prefixLength', () => {
  test('reads the prefix length of an IPv4 CIDR block', () => {
    expect(prefixLength('10.0.0.0/16')).toBe(16);
    expect(prefixLength('192.168.4.0/22')).toBe(22);
  });

  test('refuses what is not an IPv4 CIDR block', () => {
    expect(prefixLength('10.0.0.0')).toBeUndefined();
    expect(prefixLength('10.0.0.256/16')).toBeUndefined();
    expect(prefixLength('10.0.0.0/33')).toBeUndefined();
  });
});

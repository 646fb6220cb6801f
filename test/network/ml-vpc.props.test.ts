import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import fc from 'fast-check';
import { MlVpc, MlVpcProps } from '../../lib';
import { testApp } from '../util/app';
import { assertAccepts, assertRejects, badNumbers, goodNumbers } from '../util/props';

// Property-based checks of every validated prop of MlVpc (see test/util/props.ts). The stacks are in a
// region whose six zones the context lists, so that maxAzs up to 6 takes effect.
const ZONES = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c', 'eu-west-1d', 'eu-west-1e', 'eu-west-1f'];
let runs = 0;
function vpc(props: MlVpcProps): { stack: Stack; vpc: MlVpc } {
  const app = testApp({ context: { 'availability-zones:account=123456789012:region=eu-west-1': ZONES } });
  const stack = new Stack(app, `Run${runs++}`, { env: { account: '123456789012', region: 'eu-west-1' } });
  // No interface endpoints: they are not what is checked, and each costs a resource per zone.
  return { stack, vpc: new MlVpc(stack, 'Vpc', { interfaceEndpoints: [], ...props }) };
}
const natCount = (v: MlVpc) => v.vpc.node.findAll().filter((c) => c instanceof ec2.CfnNatGateway).length;

describe('MlVpc props', () => {
  test('maxAzs: rejects values outside 2 to 6, spreads the VPC over that many zones', () => {
    const rule = { integer: true, min: 2, max: 6 };
    assertRejects(badNumbers(rule), 'maxAzs', (v) => vpc({ maxAzs: v, natGateways: 0 }));
    assertAccepts(goodNumbers(rule), (v) => {
      expect(vpc({ maxAzs: v, natGateways: 1 }).vpc.vpc.availabilityZones).toEqual(ZONES.slice(0, v));
    });
  });

  test('natGateways: rejects values outside 0 to maxAzs, creates that many NAT gateways', () => {
    assertRejects(
      fc.integer({ min: 2, max: 6 }).chain((maxAzs) => fc.tuple(fc.constant(maxAzs), badNumbers({ integer: true, min: 0, max: maxAzs }))),
      'natGateways',
      ([maxAzs, v]) => vpc({ maxAzs, natGateways: v }),
    );
    assertAccepts(
      fc.integer({ min: 2, max: 6 }).chain((maxAzs) => fc.tuple(fc.constant(maxAzs), fc.integer({ min: 0, max: maxAzs }))),
      ([maxAzs, v]) => expect(natCount(vpc({ maxAzs, natGateways: v }).vpc)).toBe(v),
    );
  });

  test('cidr: rejects what is not an IPv4 block from /16 to /28, or too small for the subnets; keeps valid ones on the VPC', () => {
    const dotted = (n: number) => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
    // A block of 10.0.0.0/8 with its host bits zero.
    const block = (mask: fc.Arbitrary<number>) =>
      fc.tuple(fc.integer({ min: 0, max: 2 ** 24 - 1 }), mask).map(([n, m]) => `${dotted(10 * 2 ** 24 + n - (n % 2 ** (32 - m)))}/${m}`);
    const bad = fc.oneof(
      block(fc.integer({ min: 8, max: 15 })),
      block(fc.integer({ min: 29, max: 32 })),
      block(fc.integer({ min: 26, max: 28 })), // too small for two public and two private subnets with room
      fc.tuple(fc.integer({ min: 16, max: 24 }), fc.integer({ min: 1, max: 255 })).map(([m, host]) => `10.0.0.${host}/${m}`), // host bits set
      fc.constantFrom('10.0.0.0', '10.0.0/16', 'ten/16', '10.0.0.0/16/1', '', '10.0.256.0/16'),
    );
    assertRejects(bad, 'cidr', (v) => vpc({ cidr: v }));
    assertAccepts(block(fc.integer({ min: 16, max: 22 })), (cidr) => {
      const { stack, vpc: v } = vpc({ cidr });
      expect(stack.resolve((v.vpc.node.defaultChild as ec2.CfnVPC).cidrBlock)).toBe(cidr);
    });
  });
});

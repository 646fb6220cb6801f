import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import fc from 'fast-check';
import { MlAtScaleError } from '../../lib';
import { testStack } from './app';

/**
 * Helpers of the property-based prop tests (`*.props.test.ts`): every validated prop of a construct
 * rejects generated bad values with an `MlAtScaleError` that names it, and takes generated good values
 * into its resource. A fixed seed makes a failure reproduce; a modest run count keeps each file fast.
 */
export const RUNS: fc.Parameters<unknown> = { numRuns: 25, seed: 14 };

let runs = 0;
/** A fresh stack in a fresh app, for one run. */
export function runStack(): Stack {
  return testStack(`Run${runs++}`);
}

/** An imported VPC with two private subnets: construction without the cost of a new VPC. */
export function importedVpc(stack: Stack): ec2.IVpc {
  return ec2.Vpc.fromVpcAttributes(stack, 'ImportedVpc', {
    vpcId: 'vpc-0123456789abcdef0',
    vpcCidrBlock: '10.0.0.0/16',
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    privateSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
    privateSubnetRouteTableIds: ['rtb-0123456789abcdef0', 'rtb-0123456789abcdef1'],
  });
}

/** The error `build` throws, or a failure that says it threw none or another kind. */
export function errorOf(build: () => unknown): MlAtScaleError {
  try {
    build();
  } catch (err) {
    if (err instanceof MlAtScaleError) return err;
    throw new Error(`expected an MlAtScaleError, got ${String(err)}`);
  }
  throw new Error('expected an MlAtScaleError, but the value was accepted');
}

/** Asserts that `build` throws an MlAtScaleError about `prop`, whose message starts with the prop's name. */
export function expectRejected(build: () => unknown, prop: string): void {
  const err = errorOf(build);
  if (err.prop !== prop || !err.message.startsWith(`${prop} `)) {
    throw new Error(`expected an error about ${prop}, got: ${err.message}`);
  }
}

/** Every generated value is rejected, naming `prop`. */
export function assertRejects<T>(values: fc.Arbitrary<T>, prop: string, build: (value: T) => unknown): void {
  fc.assert(fc.property(values, (v) => expectRejected(() => build(v), prop)), RUNS);
}

/** Runs of an accepting property: each builds a construct in a stack of its own. */
export const ACCEPT_RUNS = 10;

/** Every generated value is accepted, and `check` finds it in the resource (fewer runs for a costly construct). */
export function assertAccepts<T>(values: fc.Arbitrary<T>, check: (value: T) => void, numRuns = ACCEPT_RUNS): void {
  fc.assert(fc.property(values, (v) => check(v)), { ...RUNS, numRuns });
}

/** Numbers that break `{ integer, min, max }`: below, above, fractional, and not finite. */
export function badNumbers(rule: { min?: number; max?: number; integer?: boolean }): fc.Arbitrary<number> {
  const choices: Array<fc.Arbitrary<number>> = [fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY)];
  if (rule.min !== undefined) choices.push(fc.integer({ min: -1_000_000, max: Math.ceil(rule.min) - 1 }));
  if (rule.max !== undefined) choices.push(fc.integer({ min: Math.floor(rule.max) + 1, max: Math.floor(rule.max) + 1_000_000 }));
  if (rule.integer) {
    choices.push(fc.double({ min: rule.min ?? -1e6, max: rule.max ?? 1e6, noInteger: true, noNaN: true, noDefaultInfinity: true }));
  }
  return fc.oneof(...choices);
}

/** Numbers that keep `{ integer, min, max }`, both ends included. */
export function goodNumbers(rule: { min: number; max: number; integer?: boolean }): fc.Arbitrary<number> {
  const inner = rule.integer
    ? fc.integer({ min: rule.min, max: rule.max })
    : fc.double({ min: rule.min, max: rule.max, noNaN: true, noDefaultInfinity: true });
  return fc.oneof(fc.constantFrom(rule.min, rule.max), inner);
}

import { CfnParameter, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { MlAtScaleError } from '../../lib';
import { invalidProp, validateNumber } from '../../lib/common/errors';

describe('MlAtScaleError', () => {
  test('carries the prop, the rule, the value and the construct path, in the one message shape', () => {
    const scope = new Construct(new Stack(), 'Thing');
    const err = invalidProp(scope, 'storageCapacityGiB', 'must be 1200, 2400 or a multiple of 2400', 3000);
    expect(err).toBeInstanceOf(MlAtScaleError);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('MlAtScaleError');
    expect(err.prop).toBe('storageCapacityGiB');
    expect(err.rule).toBe('must be 1200, 2400 or a multiple of 2400');
    expect(err.value).toBe('3000');
    expect(err.constructPath).toBe('Default/Thing');
    expect(err.message).toBe('storageCapacityGiB must be 1200, 2400 or a multiple of 2400, got 3000 (at Default/Thing)');
  });

  test('renders strings quoted and has no path without a scope', () => {
    const err = new MlAtScaleError('prefix', 'must not contain ..', 'a/../b');
    expect(err.message).toBe("prefix must not contain .., got 'a/../b'");
    expect(err.constructPath).toBeUndefined();
  });

  test('renders an unresolved token as such, string or number', () => {
    const stack = new Stack();
    const text = new CfnParameter(stack, 'Text').valueAsString;
    const count = new CfnParameter(stack, 'Count', { type: 'Number' }).valueAsNumber;
    expect(new MlAtScaleError('cidr', 'must be known at synth', text).message).toBe('cidr must be known at synth, got an unresolved token');
    expect(new MlAtScaleError('maxAzs', 'must be known at synth', count).value).toBe('an unresolved token');
  });

  test('validateNumber throws it', () => {
    expect(() => validateNumber(undefined, 'maxAzs', 1, { integer: true, min: 2 })).toThrow(MlAtScaleError);
  });
});

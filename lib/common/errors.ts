import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** Renders a value for an error message: strings quoted, everything else as JSON. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value === undefined) return 'undefined';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return JSON.stringify(value);
}

/**
 * The library's one error shape for bad input: `<prop> <rule>, got <value>`, followed by the
 * construct path so that a user with many instances knows which one is wrong.
 */
export function invalidProp(scope: IConstruct | undefined, prop: string, rule: string, got: unknown): Error {
  const where = scope ? ` (at ${scope.node.path})` : '';
  return new Error(`${prop} ${rule}, got ${describeValue(got)}${where}`);
}

/** Options for {@link validateNumber}. */
export interface NumberRule {
  readonly min?: number;
  readonly max?: number;
  readonly integer?: boolean;
}

/**
 * Throws unless `value` is a finite number within the rule. Unresolved tokens and
 * `undefined` (an omitted optional prop) pass: they are checked where they resolve.
 */
export function validateNumber(scope: IConstruct | undefined, prop: string, value: number | undefined, rule: NumberRule): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  const { min, max, integer } = rule;
  const kind = integer ? 'an integer' : 'a number';
  let text: string;
  if (min !== undefined && max !== undefined) text = `must be ${kind} from ${min} to ${max}`;
  else if (min !== undefined) text = `must be ${kind} of at least ${min}`;
  else if (max !== undefined) text = `must be ${kind} of at most ${max}`;
  else text = `must be ${kind}`;
  const bad =
    !Number.isFinite(value) ||
    (integer === true && !Number.isInteger(value)) ||
    (min !== undefined && value < min) ||
    (max !== undefined && value > max);
  if (bad) throw invalidProp(scope, prop, text, value);
}

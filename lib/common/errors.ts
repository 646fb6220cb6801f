import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** Renders a value for an error message: strings quoted, everything else as JSON. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (Token.isUnresolved(value)) return 'an unresolved token';
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * The library's one error for bad input, thrown at synth time.
 *
 * Its message has the shape `<prop> <rule>, got <value> (at <construct path>)`, and it carries each
 * part, so that an app can map a construct prop back to its own configuration key.
 */
export class MlAtScaleError extends Error {
  /** The prop (or option) that was wrong, as the construct names it. */
  public readonly prop: string;
  /** The rule that the value broke, for example `must be an integer from 1 to 8`. */
  public readonly rule: string;
  /** The value that was given, rendered for a message. */
  public readonly value: string;
  /** The path of the construct that rejected it, where there is one. */
  public readonly constructPath?: string;

  constructor(prop: string, rule: string, value: unknown, scope?: IConstruct) {
    const rendered = describeValue(value);
    const where = scope ? ` (at ${scope.node.path})` : '';
    super(`${prop} ${rule}, got ${rendered}${where}`);
    this.name = 'MlAtScaleError';
    this.prop = prop;
    this.rule = rule;
    this.value = rendered;
    this.constructPath = scope?.node.path;
    Object.setPrototypeOf(this, MlAtScaleError.prototype);
  }
}

/**
 * The library's one error shape for bad input: `<prop> <rule>, got <value>`, followed by the
 * construct path so that a user with many instances knows which one is wrong.
 */
export function invalidProp(scope: IConstruct | undefined, prop: string, rule: string, got: unknown): MlAtScaleError {
  return new MlAtScaleError(prop, rule, got, scope);
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

/**
 * Throws when a prop that feeds synth-time arithmetic (a size, a count, a ceiling) is an unresolved
 * token: a token stands for a value CloudFormation knows only at deploy time, so any number computed
 * from it here would be garbage (a token number is an encoded NaN-like double).
 */
export function requireLiteral(scope: IConstruct | undefined, prop: string, value: number | undefined, why: string): void {
  if (value !== undefined && Token.isUnresolved(value)) {
    throw invalidProp(scope, prop, `must be a literal number known at synth, not a token (${why})`, value);
  }
}

/**
 * JSONata snippets shared by the library's state machines (not part of the public API).
 */

/** A JSONata string literal. JSON's double-quoted strings are valid JSONata strings. */
export function jsonataString(value: string): string {
  return JSON.stringify(value);
}

/**
 * A JSONata expression that renders the value at `path` for a failure cause, the way the library's
 * errors do: strings in single quotes, anything else as JSON, and `nothing` when it is absent.
 */
export function jsonataDescribe(path: string): string {
  return `($exists(${path}) ? ($type(${path}) = 'string' ? "'" & ${path} & "'" : $string(${path})) : 'nothing')`;
}

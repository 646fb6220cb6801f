import { Stack } from 'aws-cdk-lib';
import { Match, Matcher } from 'aws-cdk-lib/assertions';
import { IConstruct } from 'constructs';

const WARNING = 'aws:cdk:warning';

/**
 * The warnings recorded on `scope` and every construct under it, as `<path>: <message>` lines, read
 * from the construct tree without a synth: a synth with a warning prints aws-cdk-lib's validation
 * report to the console, and tests print nothing but results.
 */
export function warningsOf(scope: IConstruct): string[] {
  return scope.node
    .findAll()
    .flatMap((c) => c.node.metadata.filter((m) => m.type === WARNING).map((m) => `${c.node.path}: ${String(m.data)}`));
}

/**
 * `Annotations.fromStack(stack)`'s warning checks without its synth (which prints the validation
 * report of every warning): the same paths (`/Stack/Construct`, or `*`) and message matchers.
 */
export class QuietAnnotations {
  public static fromStack(stack: Stack): QuietAnnotations {
    return new QuietAnnotations(stack);
  }

  private constructor(private readonly stack: Stack) {}

  public hasWarning(constructPath: string, message: unknown): void {
    const found = this.warnings(constructPath, message);
    if (found.length === 0) {
      throw new Error(`No warning at ${constructPath} matches ${JSON.stringify(message)}; the warnings are:\n${warningsOf(this.stack).join('\n')}`);
    }
  }

  public hasNoWarning(constructPath: string, message: unknown): void {
    const found = this.warnings(constructPath, message);
    if (found.length > 0) throw new Error(`Expected no warning at ${constructPath} matching ${JSON.stringify(message)}, found:\n${found.join('\n')}`);
  }

  private warnings(constructPath: string, message: unknown): string[] {
    const matcher = Matcher.isMatcher(message) ? message : Match.exact(message);
    return this.stack.node.findAll().flatMap((c) =>
      c.node.metadata
        .filter((m) => m.type === WARNING)
        .filter(() => constructPath === '*' || `/${c.node.path}` === constructPath)
        .filter((m) => !matcher.test(m.data).hasFailed())
        .map((m) => `/${c.node.path}: ${String(m.data)}`),
    );
  }
}

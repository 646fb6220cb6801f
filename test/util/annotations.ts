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

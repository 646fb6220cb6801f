/**
 * `npm run cost`: what the platform costs per month while nothing trains.
 *
 *   npm run cost                                  the reference app with cdk.json's configuration
 *   npm run cost -- -c ml-at-scale.network.natGateways=0   with context overrides, as `cdk synth -c`
 *   npm run cost -- --assembly cdk.out            any synthesized cloud assembly (a team's own app)
 *   npm run cost -- --summary                     one line per resource type (the README's table)
 *
 * Prints a Markdown table of every resource that charges at rest, its monthly figure and the source of
 * each price, and the total. Exits 2 on bad arguments.
 */
import { atRestCost, formatAtRestCost, formatAtRestCostSummary, readAssemblyTemplates } from '../lib/monitoring';
import { synthesizeReferenceApp } from './reference-assembly';

const USAGE = 'usage: npm run cost -- [--assembly DIR] [--summary] [-c key=value ...]';

function main(argv: string[]): number {
  let assembly: string | undefined;
  let summary = false;
  const context: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--assembly' && argv[i + 1]) assembly = argv[++i];
    else if (arg === '--summary') summary = true;
    else if ((arg === '-c' || arg === '--context') && argv[i + 1]?.includes('=')) {
      const [key, ...rest] = argv[++i].split('=');
      context[key] = rest.join('=');
    } else {
      console.error(`${USAGE}\nunknown or incomplete argument: ${arg}`);
      return 2;
    }
  }
  const stacks = assembly ? readAssemblyTemplates(assembly) : synthesizeReferenceApp(context);
  const report = atRestCost(stacks);
  console.log(summary ? formatAtRestCostSummary(report) : formatAtRestCost(report));
  return 0;
}

process.exitCode = main(process.argv.slice(2));

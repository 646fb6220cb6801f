import { parseArgs } from 'node:util';
import { formatPreflightReport } from '../preflight';
import { checkQuotas, QuotaStatus } from '../quota-check';
import { quotaNeedsOfAssembly } from '../quota-needs';

/*
 * The logic of `npm run preflight`, kept out of scripts/preflight.ts so that tests can call it without
 * spawning a process.
 */

export const USAGE = `Usage: npm run preflight -- [--app cdk.out] [--region us-east-1] [--offline] [--max-attempts 5]

Reads the synthesized cloud assembly (run \`npx cdk synth\` first), derives the quotas that the deploy and
a first run need, and compares them with the account of your AWS credentials. Read-only: it never
requests an increase; it prints the command for each shortfall.

Options:
  --app DIR           the cloud assembly directory (default cdk.out)
  --region REGION     the Region to compare in (default: the stacks', AWS_REGION, or your profile's)
  --offline           print what the app needs without asking AWS
  --max-attempts N    attempts per AWS call, with backoff on throttling (default 5)
  --help              show this help

Exit code: 0 all ok, 1 a quota is short, 2 bad arguments or no cloud assembly, 3 could not compare.`;

/** Runs the command; returns the exit code. */
export async function runPreflightCli(argv: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  let values: { app?: string; region?: string; offline?: boolean; 'max-attempts'?: string; help?: boolean };
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        'app': { type: 'string' },
        'region': { type: 'string' },
        'offline': { type: 'boolean' },
        'max-attempts': { type: 'string' },
        'help': { type: 'boolean' },
      },
    }).values;
  } catch (e) {
    err(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    out(USAGE);
    return 0;
  }
  const maxAttempts = values['max-attempts'] === undefined ? undefined : Number(values['max-attempts']);
  if (maxAttempts !== undefined && (!Number.isInteger(maxAttempts) || maxAttempts < 1)) {
    err(`--max-attempts must be an integer of at least 1, got '${values['max-attempts']}'`);
    return 2;
  }
  let needs;
  try {
    needs = quotaNeedsOfAssembly(values.app ?? 'cdk.out');
  } catch (e) {
    err((e as Error).message);
    return 2;
  }
  const report = await checkQuotas(needs, { region: values.region, offline: values.offline, maxAttempts });
  out(formatPreflightReport(report));
  if (report.checks.some((c) => c.status === QuotaStatus.SHORT)) return 1;
  return report.compared ? 0 : 3;
}

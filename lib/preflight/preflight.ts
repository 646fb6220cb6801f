import { checkQuotas, PreflightReport, QuotaCheck, QuotaCheckOptions, QuotaStatus } from './quota-check';
import { QuotaNeeds, quotaNeedsOfAssembly } from './quota-needs';

/**
 * Reads a synthesized cloud assembly, derives the quotas that its deploy and a first run need, and
 * compares them with the account (read-only).
 *
 * `npm run preflight` wraps it; teams wrap it in their own tooling:
 * `Preflight.format(await Preflight.check('cdk.out', { region: 'us-east-1' }))`.
 */
export class Preflight {
  /**
   * What the cloud assembly in `assemblyDirectory` (`cdk.out`) needs, read from its templates.
   *
   * @param assemblyDirectory the folder of a synthesized cloud assembly, such as `cdk.out`
   */
  public static needs(assemblyDirectory: string): QuotaNeeds {
    return quotaNeedsOfAssembly(assemblyDirectory);
  }

  /**
   * What the cloud assembly needs, compared with the account of the current AWS credentials. Never
   * changes the account. Without credentials, Region or network, the report says it could not compare.
   *
   * @param assemblyDirectory the folder of a synthesized cloud assembly, such as `cdk.out`
   * @param options the Region, the attempts per AWS call, or offline; the defaults of `QuotaCheckOptions` when omitted
   */
  public static async check(assemblyDirectory: string, options?: QuotaCheckOptions): Promise<PreflightReport> {
    return checkQuotas(quotaNeedsOfAssembly(assemblyDirectory), options);
  }

  /**
   * The report as text: a table, the requests to make, and what could not be compared.
   *
   * @param report a report from `check`
   */
  public static format(report: PreflightReport): string {
    return formatPreflightReport(report);
  }

  private constructor() {}
}

/** The report as text: a table, then the increase requests, then what could not be compared. */
export function formatPreflightReport(report: PreflightReport): string {
  const lines: string[] = [];
  const where = report.region ? ` in ${report.region}` : '';
  lines.push(`Preflight: ${report.needs.stacks.length} stacks, ${report.checks.length} quotas${where}.`);
  lines.push('');
  const rows = report.checks.map((c) => [
    `${c.need.quotaName} (${c.need.serviceCode})`,
    c.quotaCode ?? c.need.quotaCode ?? 'by name',
    `${c.need.needed}`,
    c.need.neededAtMaximum !== undefined ? `${c.need.neededAtMaximum}` : '',
    report.compared || c.applied !== undefined ? appliedText(c) : c.need.newAccountValue !== undefined ? `(new account: ${c.need.newAccountValue})` : '',
    statusText(c.status),
  ]);
  const header = ['Quota', 'Code', 'Needed', 'At max', 'Applied', 'Status'];
  lines.push(...table([header, ...rows]));
  lines.push('');
  lines.push('Why:');
  for (const c of report.checks) {
    const unit = c.need.unit === 'resources' ? '' : ` ${c.need.unit}`;
    lines.push(`  ${c.need.quotaName}: ${c.need.needed}${unit}${c.need.neededAtMaximum !== undefined ? ` (up to ${c.need.neededAtMaximum})` : ''}`);
    for (const reason of c.need.reasons) lines.push(`    - ${reason}`);
    if (c.note) lines.push(`    note: ${c.note}`);
  }
  for (const note of report.needs.notes) lines.push(`  note: ${note}`);

  const short = report.checks.filter((c) => c.status === QuotaStatus.SHORT);
  const belowMax = report.checks.filter((c) => c.status === QuotaStatus.BELOW_MAXIMUM && c.requestCommand);
  if (short.length || belowMax.length) {
    lines.push('');
    lines.push('Requests to make (preflight changes nothing in the account; requesting is your decision):');
    for (const c of short) lines.push(`  # ${c.need.quotaName}: short by ${c.need.needed - (c.applied ?? 0)}`, `  ${c.requestCommand ?? `(no request possible: ${c.note ?? 'quota code unknown'})`}`);
    for (const c of belowMax) lines.push(`  # optional, to run ${c.need.quotaName} at the app's maximum`, `  ${c.requestCommand}`);
  }
  lines.push('');
  if (!report.compared) {
    lines.push('COULD NOT COMPARE with the account' + (report.problems.length ? ':' : '.'));
    for (const p of report.problems) lines.push(`  - ${p}`);
    lines.push('The table shows what the app needs; "new account" is the value a new account commonly starts with.');
  } else if (short.length) {
    lines.push(`SHORT: ${short.length} quota(s) below what the deploy or a first run needs.`);
  } else {
    lines.push('OK: the account covers what the deploy and a first run need.');
  }
  return lines.join('\n');
}

function appliedText(c: QuotaCheck): string {
  if (c.applied === undefined) return 'unknown';
  return c.appliedFrom === 'applied' ? `${c.applied}` : `${c.applied} (${c.appliedFrom})`;
}

function statusText(status: QuotaStatus): string {
  switch (status) {
    case QuotaStatus.OK:
      return 'ok';
    case QuotaStatus.BELOW_MAXIMUM:
      return 'ok (below max)';
    case QuotaStatus.SHORT:
      return 'SHORT';
    default:
      return 'not compared';
  }
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const numeric = new Set([2, 3]);
  return rows.map((r) =>
    r
      .map((cell, i) => (numeric.has(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd(),
  );
}

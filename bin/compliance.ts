/**
 * The rule packs that every synth of the reference app runs, and that the compliance test runs on it:
 * cdk-nag's AwsSolutions, NIST 800-53 R5 and HIPAA Security packs, and the AWS Control Tower proactive
 * controls through cfn-guard. A finding fails the synth unless the construct that causes it
 * acknowledges it; docs/security.md lists every acknowledgement and every disabled rule.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { App, IPolicyValidationContext, IPolicyValidationPlugin, PolicyValidationPluginReport, PolicyViolationBeta1, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks } from 'cdk-nag';

/**
 * Control Tower rules switched off for the whole app, by guard file name (`ct-s3-pr-10`), each with
 * the reason docs/security.md repeats. None: every finding is fixed or acknowledged where it arises.
 */
export const DISABLED_CONTROL_TOWER_RULES: Record<string, string> = {};

/** The package of cdk-validator-cfnguard, and the Control Tower guard rules it bundles. */
const CFN_GUARD_PACKAGE = path.dirname(require.resolve('@cdklabs/cdk-validator-cfnguard/package.json'));
const CONTROL_TOWER_RULES = path.join(CFN_GUARD_PACKAGE, 'rules', 'control-tower', 'cfn-guard');
const TEMPLATE_PLACEHOLDER = '<template>';

interface GuardRules {
  /** Each guard file with the resource types it reports on. */
  readonly files: Array<{ readonly file: string; readonly types: string[] }>;
  /** A digest of the validator's version and of every guard file's name and bytes. */
  readonly digest: string;
}

/**
 * The resource types a guard file reports on: the "Reports on:" line of its header, which every Control
 * Tower guard file has (`#   AWS::S3::Bucket, AWS::S3::BucketPolicy`). A file without one is taken to
 * report on every type it names in quotes; one that names none runs on every template.
 */
export function guardFileTypes(text: string): string[] {
  const header = /^#\s*Reports on:\s*\n#\s*(\S.*)$/m.exec(text);
  const declared = header ? [...header[1].matchAll(/AWS::[A-Za-z0-9]+::[A-Za-z0-9]+/g)].map((m) => m[0]) : [];
  return declared.length > 0 ? declared : [...text.matchAll(/["'](AWS::[A-Za-z0-9]+::[A-Za-z0-9]+)["']/g)].map((m) => m[1]);
}

/** The guard files, each read once per process for both its resource types and the digest. */
let guardRules: GuardRules | undefined;
function loadGuardRules(): GuardRules {
  if (guardRules === undefined) {
    const { version } = JSON.parse(fs.readFileSync(path.join(CFN_GUARD_PACKAGE, 'package.json'), 'utf8')) as { version: string };
    const hash = crypto.createHash('sha256').update(version);
    const files = guardFiles(CONTROL_TOWER_RULES).map((file) => {
      const text = fs.readFileSync(file, 'utf8');
      hash.update(path.relative(CONTROL_TOWER_RULES, file)).update('\0').update(text);
      return { file, types: guardFileTypes(text) };
    });
    guardRules = { files, digest: hash.digest('hex') };
  }
  return guardRules;
}

/** Where results are kept between synths: CDK_GUARD_CACHE, or node_modules/.cache/cdk-ml-at-scale/cfn-guard. */
export function guardCacheDir(): string {
  return process.env.CDK_GUARD_CACHE ?? path.join(__dirname, '..', 'node_modules', '.cache', 'cdk-ml-at-scale', 'cfn-guard');
}

/**
 * The Control Tower controls, with `CfnGuardValidator` itself (the same plugin name, findings, rule names
 * and acknowledgements), made cheaper in two ways:
 * - each template runs only with the guard files that report on a resource type it holds (`guardFileTypes`):
 *   on a template without one, a guard file reports SKIP after tens of milliseconds of cfn-guard's CPU. The
 *   files that merely name a type of the template (a Control Tower rule about RDS instances names
 *   AWS::IAM::Role for its monitoring role) no longer run: 5.85 s of cfn-guard fell to 4.0 s on the whole app;
 * - a template's findings are kept, keyed by a digest of the template's bytes, the validator's version,
 *   the guard files, the disabled ones and the ones selected, so that a synth re-runs cfn-guard only on
 *   the templates that changed. Acknowledgements are applied by aws-cdk-lib after the plugin reports, so a
 *   kept result is exactly what a new run would report. `CDK_GUARD_CACHE=off` runs every template.
 */
export class ControlTowerChecks implements IPolicyValidationPlugin {
  public readonly name = 'cdk-validator-cfnguard';
  private readonly disabledRules = Object.keys(DISABLED_CONTROL_TOWER_RULES);

  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const cacheDir = process.env.CDK_GUARD_CACHE === 'off' ? undefined : guardCacheDir();
    const violations: PolicyViolationBeta1[] = [];
    for (const templatePath of context.templatePaths) {
      const text = fs.readFileSync(templatePath);
      const template = JSON.parse(text.toString('utf8')) as { Resources?: Record<string, { Type: string }> };
      const present = new Set(Object.values(template.Resources ?? {}).map((r) => r.Type));
      const { files, digest } = loadGuardRules();
      const rules = files
        .filter(({ types }) => types.length === 0 || types.some((t) => present.has(t)))
        .map(({ file }) => file);
      if (rules.length === 0) continue;
      const key = crypto
        .createHash('sha256')
        .update(digest)
        .update(JSON.stringify(this.disabledRules))
        .update(rules.map((file) => path.relative(CONTROL_TOWER_RULES, file)).join('\n'))
        .update('\0')
        .update(text)
        .digest('hex');
      const cached = cacheDir ? readCachedViolations(cacheDir, key, templatePath) : undefined;
      if (cached) {
        violations.push(...cached);
        continue;
      }
      const report = new CfnGuardValidator({ controlTowerRulesEnabled: false, rules, disabledRules: this.disabledRules, maxBuffer: 64 * 1024 * 1024 }).validate({
        ...context,
        templatePaths: [templatePath],
      });
      violations.push(...report.violations);
      if (cacheDir) writeCachedViolations(cacheDir, key, templatePath, report.violations);
    }
    return { success: violations.length === 0, violations };
  }
}
// Templates run one after the other. On this project's 2-core machines two cfn-guard processes at once
// took longer than the same two in turn (1.18 s against 0.93 s), and cfn-guard in two worker threads made
// the whole app's checks slower (5.4-5.6 s against 4.0-4.2 s).

/** The findings kept for a template digest, with their template path set to `templatePath`; undefined if none is kept. */
export function readCachedViolations(dir: string, key: string, templatePath: string): PolicyViolationBeta1[] | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, `${key}.json`), 'utf8');
  } catch {
    return undefined;
  }
  try {
    return withTemplatePath(JSON.parse(text) as PolicyViolationBeta1[], TEMPLATE_PLACEHOLDER, templatePath);
  } catch {
    return undefined; // a damaged entry: run cfn-guard again
  }
}

/** Keeps a template's findings under its digest, the template path left out (the next synth may write elsewhere). */
export function writeCachedViolations(dir: string, key: string, templatePath: string, violations: PolicyViolationBeta1[]): void {
  const portable = withTemplatePath(violations, templatePath, TEMPLATE_PLACEHOLDER);
  fs.mkdirSync(dir, { recursive: true });
  // Written whole, then renamed into place: a concurrent synth reads the old entry, the new one or none.
  const temporary = path.join(dir, `${key}.${process.pid}.tmp`);
  fs.writeFileSync(temporary, JSON.stringify(portable));
  fs.renameSync(temporary, path.join(dir, `${key}.json`));
}

/** The findings with every violating resource's template path `from` replaced by `to`. */
function withTemplatePath(violations: PolicyViolationBeta1[], from: string, to: string): PolicyViolationBeta1[] {
  return violations.map((v) => ({
    ...v,
    violatingResources: v.violatingResources.map((r) => ({ ...r, templatePath: r.templatePath === from ? to : r.templatePath })),
  }));
}

function guardFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? guardFiles(path.join(dir, e.name)) : e.name.endsWith('.guard') ? [path.join(dir, e.name)] : []));
}

/** Registers the four rule packs on an app. */
export function addCompliancePlugins(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new NIST80053R5Checks(app), new HIPAASecurityChecks(app), new ControlTowerChecks());
}

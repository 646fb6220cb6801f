/**
 * The rule packs that every synth of the reference app runs, and that the compliance test runs on it:
 * cdk-nag's AwsSolutions, NIST 800-53 R5 and HIPAA Security packs, and the AWS Control Tower proactive
 * controls through cfn-guard. A finding fails the synth unless the construct that causes it
 * acknowledges it; docs/security.md lists every acknowledgement and every disabled rule.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { App, IPolicyValidationContext, IPolicyValidationPlugin, PolicyValidationPluginReport, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks } from 'cdk-nag';

/**
 * Control Tower rules switched off for the whole app, by guard file name (`ct-s3-pr-10`), each with
 * the reason docs/security.md repeats. None: every finding is fixed or acknowledged where it arises.
 */
export const DISABLED_CONTROL_TOWER_RULES: Record<string, string> = {};

/** The Control Tower guard rules that cdk-validator-cfnguard bundles. */
const CONTROL_TOWER_RULES = path.join(path.dirname(require.resolve('@cdklabs/cdk-validator-cfnguard/package.json')), 'rules', 'control-tower', 'cfn-guard');

/**
 * The Control Tower controls, run only with the guard files that name a resource type present in the
 * templates: a file about other types would report "not applicable", and cfn-guard spends about half
 * a second of CPU per file and template. A file whose types cannot be read is always run. Findings,
 * rule names and acknowledgements are those of `CfnGuardValidator` itself (same plugin name).
 */
export class ControlTowerChecks implements IPolicyValidationPlugin {
  public readonly name = 'cdk-validator-cfnguard';
  private readonly disabledRules = Object.keys(DISABLED_CONTROL_TOWER_RULES);

  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const present = new Set<string>();
    for (const templatePath of context.templatePaths) {
      const template = JSON.parse(fs.readFileSync(templatePath, 'utf8')) as { Resources?: Record<string, { Type: string }> };
      for (const resource of Object.values(template.Resources ?? {})) present.add(resource.Type);
    }
    const rules = guardFiles(CONTROL_TOWER_RULES).filter((file) => {
      const types = [...fs.readFileSync(file, 'utf8').matchAll(/["'](AWS::[A-Za-z0-9]+::[A-Za-z0-9]+)["']/g)].map((m) => m[1]);
      return types.length === 0 || types.some((t) => present.has(t));
    });
    if (rules.length === 0) return { success: true, violations: [] };
    return new CfnGuardValidator({ controlTowerRulesEnabled: false, rules, disabledRules: this.disabledRules, maxBuffer: 64 * 1024 * 1024 }).validate(context);
  }
}

function guardFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? guardFiles(path.join(dir, e.name)) : e.name.endsWith('.guard') ? [path.join(dir, e.name)] : []));
}

/** Registers the four rule packs on an app. */
export function addCompliancePlugins(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new NIST80053R5Checks(app), new HIPAASecurityChecks(app), new ControlTowerChecks());
}

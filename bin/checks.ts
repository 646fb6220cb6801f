import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

/**
 * The rule packs every synth of the reference app runs: a finding that no construct acknowledges, with
 * a reason, fails the synth. One function, so that the synth benchmark's one-bucket baseline
 * (bench/synth-ratio.ts) runs exactly the same validation.
 */
export function addReferenceChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}

import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

/**
 * A team app as `cdk init` makes it, with cdk-nag's AwsSolutions pack registered: `app.synth()`
 * throws on any finding that no construct acknowledges.
 */
export function teamApp(): App {
  const app = new App();
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

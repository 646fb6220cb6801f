import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { everythingOnContext, referenceApp } from './fixture';

/**
 * Template budget: every stack of the reference app, with every optional stack and option on and under
 * each preset, stays below 80% of CloudFormation's per-template quotas, so that a stack fails here long
 * before a deployment fails.
 *
 * Quotas (AWS CloudFormation User Guide, "Understand CloudFormation quotas",
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html):
 * 500 resources, 200 outputs and 200 parameters per template, 1,024 bytes of description, and a template
 * body of 1 MB in an Amazon S3 object. CDK deploys every template through the bootstrap bucket, so the S3
 * limit is the one that applies (51,200 bytes is the limit of a body passed inline); 1 MB is counted here
 * as 1,000,000 bytes, the stricter reading.
 */
const QUOTAS = {
  resources: 500,
  outputs: 200,
  parameters: 200,
  templateBytes: 1_000_000,
  descriptionBytes: 1_024,
};
const SHARE = 0.8;

interface Figures {
  readonly resources: number;
  readonly outputs: number;
  readonly parameters: number;
  readonly templateBytes: number;
  readonly descriptionBytes: number;
}

const lockDir = fs.mkdtempSync(path.join(os.tmpdir(), 'template-budget-'));
const everythingOn = everythingOnContext(lockDir);
const configurations: Record<string, Record<string, unknown>> = {
  'everything on': everythingOn,
  'everything on, dev preset': { ...everythingOn, 'ml-at-scale.preset': 'dev' },
  'everything on, prod preset': { ...everythingOn, 'ml-at-scale.preset': 'prod' },
};

// Each configuration's stacks, measured once: the template as `cdk deploy` uploads it (the assembly's file).
const measured: Array<{ configuration: string; stack: string; figures: Figures }> = [];
for (const [configuration, context] of Object.entries(configurations)) {
  const { app } = referenceApp(context);
  for (const stack of app.synth().stacks) {
    const t = stack.template as { Resources?: object; Outputs?: object; Parameters?: object; Description?: string };
    measured.push({
      configuration,
      stack: stack.stackName,
      figures: {
        resources: Object.keys(t.Resources ?? {}).length,
        outputs: Object.keys(t.Outputs ?? {}).length,
        parameters: Object.keys(t.Parameters ?? {}).length,
        templateBytes: fs.statSync(stack.templateFullPath).size,
        descriptionBytes: Buffer.byteLength(t.Description ?? '', 'utf8'),
      },
    });
  }
}

test('measures every stack of every configuration', () => {
  // The edge stack is the optional one: nine stacks per configuration means everything is on.
  for (const configuration of Object.keys(configurations)) {
    expect(measured.filter((m) => m.configuration === configuration).map((m) => m.stack).sort()).toEqual([
      'MlAtScale-DataLake',
      'MlAtScale-Edge',
      'MlAtScale-Etl',
      'MlAtScale-Monitoring',
      'MlAtScale-Network',
      'MlAtScale-Notebooks',
      'MlAtScale-Pipeline',
      'MlAtScale-Storage',
      'MlAtScale-Training',
    ]);
  }
  for (const m of measured) expect(m.figures.resources).toBeGreaterThan(0);
});

test.each(Object.keys(QUOTAS) as Array<keyof Figures>)('keeps %s below 80%% of the quota in every stack', (figure) => {
  const limit = QUOTAS[figure];
  const over = measured
    .filter((m) => m.figures[figure] >= SHARE * limit)
    .map((m) => `${m.stack} (${m.configuration}): ${figure} ${m.figures[figure]} is at least ${SHARE * 100}% of the CloudFormation quota of ${limit}`);
  expect(over).toEqual([]);
});

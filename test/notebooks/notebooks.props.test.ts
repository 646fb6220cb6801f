import { Duration, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import fc from 'fast-check';
import { DataLake, IDataLake, ResearchNotebook, ResearchNotebookProps, ResearchStudio, ResearchStudioProps } from '../../lib';
import { assertAccepts, assertRejects, badNumbers, goodNumbers, importedVpc, runStack } from '../util/props';

// Property-based checks of every validated prop of the research notebook and Studio (see test/util/props.ts).

function base(): { stack: Stack; lake: IDataLake } {
  const stack = runStack();
  const encryptionKey = kms.Key.fromKeyArn(stack, 'LakeKey', 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab');
  return { stack, lake: DataLake.fromDataLakeAttributes(stack, 'Lake', { rawBucketName: 'raw', curatedBucketName: 'curated', artifactsBucketName: 'artifacts', encryptionKey }) };
}
function notebook(props: Partial<ResearchNotebookProps>): { stack: Stack; nb: ResearchNotebook } {
  const { stack, lake } = base();
  return { stack, nb: new ResearchNotebook(stack, 'Notebook', { vpc: importedVpc(stack), dataLake: lake, ...props }) };
}
function studio(props: Partial<ResearchStudioProps>): { stack: Stack; studio: ResearchStudio } {
  const { stack, lake } = base();
  return { stack, studio: new ResearchStudio(stack, 'Studio', { vpc: importedVpc(stack), dataLake: lake, ...props }) };
}
/** SageMaker names: 1 to 63 letters, digits and inner hyphens. */
const goodNames = fc.stringMatching(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,20}$/);
const badNames = fc.oneof(
  fc.constant(''),
  goodNames.map((n) => `-${n}`),
  goodNames.map((n) => `${n}-`),
  fc.tuple(goodNames, fc.constantFrom('_', '.', ' ', '/')).map(([n, c]) => `${n}${c}${n}`),
  fc.stringMatching(/^[a-z]{64,70}$/),
);
const minutes = (m: number) => Duration.minutes(m);

describe('ResearchNotebook props', () => {
  test('volumeSizeGiB: rejects values outside 5 to 16384 GiB, keeps valid ones on the instance', () => {
    const rule = { integer: true, min: 5, max: 16384 };
    assertRejects(badNumbers(rule), 'volumeSizeGiB', (v) => notebook({ volumeSizeGiB: v }));
    assertAccepts(goodNumbers(rule), (v) => {
      const { stack, nb } = notebook({ volumeSizeGiB: v });
      expect(stack.resolve(nb.notebookInstance.volumeSizeInGb)).toBe(v);
    });
  });

  test('idleTimeout: rejects what is not whole minutes from 5 minutes to 7 days, writes valid ones into the auto-stop script', () => {
    const bad = fc.oneof(fc.integer({ min: 0, max: 4 }).map(minutes), fc.integer({ min: 10081, max: 100_000 }).map(minutes), fc.integer({ min: 301, max: 9999 }).filter((s) => s % 60 !== 0).map((s) => Duration.seconds(s)));
    assertRejects(bad, 'idleTimeout', (v) => notebook({ idleTimeout: v }));
    assertAccepts(fc.integer({ min: 5, max: 10080 }), (m) => {
      const { stack, nb } = notebook({ idleTimeout: minutes(m) });
      expect(JSON.stringify(stack.resolve(nb.lifecycleConfig.onStart))).toMatch(new RegExp(`\\b${m * 60}\\b`));
    });
  });

  test('instanceType: rejects what is not an ml.<family>.<size> notebook type, keeps valid ones on the instance', () => {
    const bad = fc.oneof(fc.constantFrom('t3.medium', 'ml.t3', 'ml.t3.huge', 'ml.x9.large', 'ML.T3.MEDIUM', 'ml.t3.medium ', ''), fc.stringMatching(/^ml\.zz[0-9]\.(medium|large|xlarge)$/));
    assertRejects(bad, 'instanceType', (v) => notebook({ instanceType: v }));
    assertAccepts(fc.constantFrom('ml.t3.medium', 'ml.t3.large', 'ml.m5.xlarge', 'ml.g5.2xlarge', 'ml.c5.4xlarge'), (v) => {
      const { stack, nb } = notebook({ instanceType: v });
      expect(stack.resolve(nb.notebookInstance.instanceType)).toBe(v);
    });
  });

  test('notebookInstanceName: rejects what SageMaker refuses, names the instance with valid ones', () => {
    assertRejects(badNames, 'notebookInstanceName', (v) => notebook({ notebookInstanceName: v }));
    assertAccepts(goodNames, (v) => {
      const { stack, nb } = notebook({ notebookInstanceName: v });
      expect(stack.resolve(nb.notebookInstance.notebookInstanceName)).toBe(v);
    });
  });

  test('gitRepositoryUrl: rejects what is not an https:// repository URL', () => {
    const bad = fc.oneof(fc.constantFrom('http://example.com/repo.git', 'git@github.com:org/repo.git', 'https://', 'https://host', 'https://host/', ''), fc.stringMatching(/^[a-z]{2,8}$/).map((host) => `ftp://${host}.example.com/repo.git`));
    assertRejects(bad, 'gitRepositoryUrl', (v) => notebook({ gitRepositoryUrl: v }));
  });
});

describe('ResearchStudio props', () => {
  test('idleTimeout: rejects what is not whole minutes from 60 minutes to 365 days, keeps valid ones in the JupyterLab idle settings', () => {
    const bad = fc.oneof(fc.integer({ min: 0, max: 59 }).map(minutes), fc.integer({ min: 525_601, max: 1_000_000 }).map(minutes), fc.integer({ min: 3601, max: 9999 }).filter((s) => s % 60 !== 0).map((s) => Duration.seconds(s)));
    assertRejects(bad, 'idleTimeout', (v) => studio({ idleTimeout: v }));
    assertAccepts(fc.integer({ min: 60, max: 525_600 }), (m) => {
      const { stack, studio: s } = studio({ idleTimeout: minutes(m) });
      const settings = stack.resolve(s.domain.defaultUserSettings).jupyterLabAppSettings.appLifecycleManagement.idleSettings;
      expect(settings.idleTimeoutInMinutes).toBe(m);
    });
  });

  test('domainName: rejects what SageMaker refuses, names the domain with valid ones', () => {
    assertRejects(badNames, 'domainName', (v) => studio({ domainName: v }));
    assertAccepts(goodNames, (v) => {
      const { stack, studio: s } = studio({ domainName: v });
      expect(stack.resolve(s.domain.domainName)).toBe(v);
    });
  });

  test('userProfileNames: rejects invalid or repeated names, creates a profile per valid name', () => {
    const bad = fc.oneof(
      fc.tuple(goodNames, badNames).map(([ok, b]) => [ok, b]),
      goodNames.map((n) => [n, n.toUpperCase()]), // the same name, whatever its case
    );
    assertRejects(bad, 'userProfileNames', (v) => studio({ userProfileNames: v }));
    assertAccepts(fc.uniqueArray(goodNames, { minLength: 1, maxLength: 3, selector: (n) => n.toLowerCase() }), (names) => {
      const { stack, studio: s } = studio({ userProfileNames: names });
      expect(names.map((n) => stack.resolve(s.userProfiles[n].userProfileName))).toEqual(names);
    });
  });
});

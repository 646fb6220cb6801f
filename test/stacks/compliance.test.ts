import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { addCompliancePlugins, ControlTowerChecks, DISABLED_CONTROL_TOWER_RULES, guardFileTypes, readCachedViolations, writeCachedViolations } from '../../bin/compliance';
import * as lib from '../../lib';
import { referenceApp } from './fixture';

/**
 * The reference app with every optional stack and feature on, synthesized once under the four rule
 * packs of `cdk synth` (bin/compliance.ts): AwsSolutions, NIST 800-53 R5, HIPAA Security (cdk-nag) and
 * the Control Tower proactive controls (cfn-guard). One more stack holds the DataLake options that the
 * app leaves off (replication, Object Lock), so that their acknowledgements are checked too.
 */
const lockDir = fs.mkdtempSync(path.join(os.tmpdir(), 'compliance-lock-'));
// An empty cache of cfn-guard results of its own: this synth runs cfn-guard on every template.
const guardCache = fs.mkdtempSync(path.join(os.tmpdir(), 'guard-cache-'));
const cacheBefore = process.env.CDK_GUARD_CACHE;
process.env.CDK_GUARD_CACHE = guardCache;
afterAll(() => {
  if (cacheBefore === undefined) delete process.env.CDK_GUARD_CACHE;
  else process.env.CDK_GUARD_CACHE = cacheBefore;
});
const { app } = referenceApp({
  '@aws-cdk/core:failSynthOnValidationErrors': false,
  'ml-at-scale.edge.enabled': 'true',
  'ml-at-scale.edge.recipeLockFile': path.join(lockDir, 'lock.json'),
  'ml-at-scale.edge.onPremisesGatewayArn': 'arn:aws:storagegateway:us-east-1:123456789012:gateway/sgw-12345678',
  'ml-at-scale.edge.onPremisesClientList': ['10.0.0.0/16'],
  'ml-at-scale.etl.spectrumEnabled': 'true',
  'ml-at-scale.etl.sparkApplicationEnabled': 'true',
  'ml-at-scale.notebooks.studioEnabled': 'true',
  'ml-at-scale.notebooks.studioUserProfiles': ['researcher'],
  'ml-at-scale.notebooks.submitPreprocessing': 'true',
  'ml-at-scale.storage.sharedFileSystemEnabled': 'true',
  'ml-at-scale.monitoring.alarmEmail': 'ml-ops@example.com',
});
// The replicas live in a second Region; imported by ARN, they need no stack of their own.
const replicas = new Stack(app, 'CompliancePlusReplicas');
new lib.DataLakeStack(app, 'CompliancePlus', {
  dataLake: {
    replication: {
      curatedDestination: s3.Bucket.fromBucketArn(replicas, 'CuratedReplica', 'arn:aws:s3:::lake-curated-replica'),
      artifactsDestination: s3.Bucket.fromBucketArn(replicas, 'ArtifactsReplica', 'arn:aws:s3:::lake-artifacts-replica'),
      destinationKey: kms.Key.fromKeyArn(replicas, 'ReplicaKey', 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555'),
    },
    artifactsObjectLockMode: lib.DataLakeObjectLockMode.GOVERNANCE,
    artifactsObjectLockRetention: Duration.days(30),
  },
});
addCompliancePlugins(app);
const outdir = app.synth().directory;

interface Report {
  pluginReports: Array<{
    pluginName: string;
    violations: Array<{ ruleName: string; violatingConstructs?: Array<{ constructPath?: string; cloudFormationResource?: { templatePath: string; logicalId: string } }> }>;
    suppressedViolations?: unknown[];
  }>;
}
const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as Report;

describe('the reference app with every option on, under the four rule packs', () => {
  test('synthesizes every stack, the edge stack and the extra DataLake options included', () => {
    const templates = fs.readdirSync(outdir).filter((f) => f.endsWith('.template.json'));
    expect(templates).toEqual(expect.arrayContaining(['MlAtScale-Edge.template.json', 'MlAtScale-Etl.template.json', 'CompliancePlus.template.json']));
    expect(templates.length).toBeGreaterThanOrEqual(10);
  });

  test('has no unacknowledged finding in AwsSolutions, NIST 800-53 R5, HIPAA Security or Control Tower', () => {
    const findings = report.pluginReports.flatMap((p) =>
      p.violations.flatMap((v) =>
        (v.violatingConstructs ?? []).map(
          (c) => `${p.pluginName}: ${v.ruleName} at ${c.constructPath ?? `${c.cloudFormationResource?.templatePath} ${c.cloudFormationResource?.logicalId}`}`,
        ),
      ),
    );
    expect(findings).toEqual([]);
  });

  test('ran cfn-guard: its acknowledged findings are in the report', () => {
    const guard = report.pluginReports.find((p) => p.pluginName === 'cdk-validator-cfnguard');
    expect(guard?.suppressedViolations?.length ?? 0).toBeGreaterThan(0);
  });
});

describe('the kept cfn-guard results', () => {
  const templatePaths = fs.readdirSync(outdir).filter((f) => f.endsWith('.template.json')).map((f) => path.join(outdir, f));
  const context = { templatePaths } as unknown as Parameters<ControlTowerChecks['validate']>[0];

  test('a second run over the same templates reports, from the kept results, what cfn-guard reports', () => {
    // One kept result per template that any guard file applies to.
    expect(fs.readdirSync(guardCache).filter((f) => f.endsWith('.json')).length).toBeGreaterThanOrEqual(templatePaths.length - 1);
    const kept = new ControlTowerChecks().validate(context);
    // The smallest template with several findings, from the kept results and by cfn-guard again.
    const count = (t: string) => kept.violations.filter((v) => v.violatingResources.some((r) => r.templatePath === t)).length;
    const [chosen] = templatePaths.filter((t) => count(t) > 1).sort((a, b) => fs.statSync(a).size - fs.statSync(b).size);
    expect(chosen).toBeDefined();
    const single = { templatePaths: [chosen] } as unknown as Parameters<ControlTowerChecks['validate']>[0];
    const fromKept = new ControlTowerChecks().validate(single);
    process.env.CDK_GUARD_CACHE = 'off';
    try {
      expect(fromKept).toEqual(new ControlTowerChecks().validate(single));
    } finally {
      process.env.CDK_GUARD_CACHE = guardCache;
    }
  });

  test('finds what CfnGuardValidator finds with every Control Tower rule, though it runs only the rules that report on the template\'s types', () => {
    // A template of the types that many guard files name without reporting on them (a rule about RDS
    // instances names AWS::IAM::Role for their monitoring role), each with a finding. The validator's
    // default runs all of its guard files on every template (2 to 9 s per template of the reference app;
    // on all nine templates of the app with every option on, both found the same). Cache off: both run.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guard-types-'));
    const templatePath = path.join(dir, 'Types.template.json');
    const statement = (action: string) => ({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: '*', Principal: { Service: 'lambda.amazonaws.com' } }] });
    fs.writeFileSync(
      templatePath,
      JSON.stringify({
        Resources: {
          Role: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: statement('sts:AssumeRole'), Policies: [{ PolicyName: 'p', PolicyDocument: statement('s3:*') }] } },
          Key: { Type: 'AWS::KMS::Key', Properties: { KeyPolicy: { Version: '2012-10-17', Statement: [] } } },
          Group: { Type: 'AWS::EC2::SecurityGroup', Properties: { GroupDescription: 'g', SecurityGroupIngress: [{ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, CidrIp: '0.0.0.0/0' }] } },
          Logs: { Type: 'AWS::Logs::LogGroup', Properties: {} },
        },
      }),
    );
    const single = { templatePaths: [templatePath] } as unknown as Parameters<ControlTowerChecks['validate']>[0];
    process.env.CDK_GUARD_CACHE = 'off';
    try {
      const ours = new ControlTowerChecks().validate(single);
      const everyRule = new CfnGuardValidator({ disabledRules: Object.keys(DISABLED_CONTROL_TOWER_RULES), maxBuffer: 64 * 1024 * 1024 }).validate(single);
      const sorted = (violations: unknown[]) => violations.map((v) => JSON.stringify(v)).sort();
      expect(ours.violations.length).toBeGreaterThanOrEqual(4);
      expect(sorted(ours.violations)).toEqual(sorted(everyRule.violations));
    } finally {
      process.env.CDK_GUARD_CACHE = guardCache;
    }
  });

  test('a guard file runs on the types its header says it reports on, not on every type it names', () => {
    const rds = ['# Reports on:', '#   AWS::RDS::DBInstance', '#', 'let t = "AWS::IAM::Role"'].join('\n');
    expect(guardFileTypes(rds)).toEqual(['AWS::RDS::DBInstance']);
    expect(guardFileTypes(['# Reports on:', '#   AWS::IAM::Policy, AWS::IAM::Role', '#'].join('\n'))).toEqual(['AWS::IAM::Policy', 'AWS::IAM::Role']);
    // Without the header: every type named in quotes; none named: every template.
    expect(guardFileTypes('let t = "AWS::IAM::Role"\nlet u = \'AWS::KMS::Key\'')).toEqual(['AWS::IAM::Role', 'AWS::KMS::Key']);
    expect(guardFileTypes('rule r { true }')).toEqual([]);
    // Every guard file the validator bundles has the header.
    const dir = path.join(path.dirname(require.resolve('@cdklabs/cdk-validator-cfnguard/package.json')), 'rules', 'control-tower', 'cfn-guard');
    const files = fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.guard'));
    expect(files.length).toBeGreaterThan(200);
    expect(files.filter((f) => !/^#\s*Reports on:\s*\n#\s*AWS::/m.test(fs.readFileSync(path.join(dir, f), 'utf8')))).toEqual([]);
  });

  test('a kept result is used as it is, with the template path of this synth', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guard-entry-'));
    const violation = {
      ruleName: 'marker_check',
      description: 'planted',
      fix: 'none',
      violatingResources: [{ resourceLogicalId: 'R', templatePath: '/old/cdk.out/T.template.json', locations: ['Properties'] }],
    };
    writeCachedViolations(dir, 'k', '/old/cdk.out/T.template.json', [violation]);
    expect(readCachedViolations(dir, 'k', '/new/out/T.template.json')).toEqual([
      { ...violation, violatingResources: [{ ...violation.violatingResources[0], templatePath: '/new/out/T.template.json' }] },
    ]);
    expect(readCachedViolations(dir, 'missing', '/new/out/T.template.json')).toBeUndefined();
    fs.writeFileSync(path.join(dir, 'broken.json'), '{');
    expect(readCachedViolations(dir, 'broken', '/new/out/T.template.json')).toBeUndefined();
  });

  test('a changed template misses the kept results and is checked again', () => {
    const changedDir = fs.mkdtempSync(path.join(os.tmpdir(), 'guard-changed-'));
    const changed = path.join(changedDir, 'MlAtScale-DataLake.template.json');
    const template = JSON.parse(fs.readFileSync(path.join(outdir, 'MlAtScale-DataLake.template.json'), 'utf8')) as { Description?: string };
    template.Description = `${template.Description ?? ''} (changed)`;
    fs.writeFileSync(changed, JSON.stringify(template));
    const before = fs.readdirSync(guardCache).length;
    new ControlTowerChecks().validate({ templatePaths: [changed] } as unknown as Parameters<ControlTowerChecks['validate']>[0]);
    expect(fs.readdirSync(guardCache).length).toBe(before + 1);
  });
});

// ---- docs/security.md: the table of every acknowledged or disabled rule, against the construct tree.

const PACKS: Record<string, string> = {
  AwsSolutions: 'AwsSolutions',
  'NIST.800.53.R5': 'NIST 800-53 R5',
  'HIPAA.Security': 'HIPAA Security',
  'cdk-validator-cfnguard': 'Control Tower',
  'CloudFormation-Validate': 'CloudFormation validation',
};
const libraryClasses = new Set<unknown>(Object.values(lib as Record<string, unknown>).filter((v) => typeof v === 'function'));

/** The library construct (or reference stack) whose tree holds a construct: the "where" of a row. */
function owner(construct: IConstruct): string {
  for (let c: IConstruct | undefined = construct; c; c = c.node.scope) {
    if (libraryClasses.has(c.constructor)) return c.constructor.name;
  }
  return construct.node.path;
}

/** `rule | pack | where` of an acknowledgement id such as `Annotation::AwsSolutions-IAM5[Resource::*]`. */
function rowKey(id: string, where: string): string {
  const bare = id.replace(/^Annotation::/, '');
  const ns = bare.replace(/\[.*$/, '').indexOf('::');
  if (ns >= 0) return `${bare.slice(ns + 2)} | ${PACKS[bare.slice(0, ns)] ?? bare.slice(0, ns)} | ${where}`;
  const rule = bare.replace(/\[.*$/, '');
  const pack = Object.keys(PACKS).find((p) => rule.startsWith(`${p}-`));
  if (!pack) return `${rule} | ? | ${where}`;
  return `${pack === 'AwsSolutions' ? rule : rule.slice(pack.length + 1)} | ${PACKS[pack]} | ${where}`;
}

function acknowledgedInCode(): Set<string> {
  const keys = new Set<string>();
  for (const construct of app.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const id of Object.keys(entry.data as Record<string, string>)) keys.add(rowKey(id, owner(construct)));
    }
  }
  for (const rule of Object.keys(DISABLED_CONTROL_TOWER_RULES)) keys.add(`${rule} | Control Tower | app (disabled)`);
  return keys;
}

/** Rows of the table in docs/security.md: | Rule | Packs | Where | Why it is safe |. */
function documented(): Set<string> {
  const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'security.md'), 'utf8');
  const keys = new Set<string>();
  for (const line of doc.split('\n')) {
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    if (cells.length !== 4 || !cells[0].startsWith('`')) continue;
    const rule = cells[0].replace(/`/g, '');
    const where = (/^`([^`]+)`/.exec(cells[2]) ?? [])[1] ?? cells[2];
    if (cells[3].length < 20) keys.add(`${rule} | ${cells[1]} | ${where} | (no reason)`);
    for (const pack of cells[1].split(',').map((p) => p.trim())) keys.add(`${rule} | ${pack} | ${where}`);
  }
  return keys;
}

describe('docs/security.md', () => {
  const code = acknowledgedInCode();
  const docs = documented();

  test('lists every acknowledged or disabled rule of the code, by rule, pack and construct', () => {
    expect([...code].filter((k) => !docs.has(k)).sort()).toEqual([]);
  });

  test('lists nothing that the code no longer acknowledges, and gives each row a reason', () => {
    expect([...docs].filter((k) => !code.has(k)).sort()).toEqual([]);
  });
});

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GetAccountSettingsCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  AccessDeniedException,
  ListAWSDefaultServiceQuotasCommand,
  ListServiceQuotasCommand,
  ServiceQuota,
  ServiceQuotasClient,
  TooManyRequestsException,
} from '@aws-sdk/client-service-quotas';
import { Stack } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { loadConfig } from '../../bin/config';
import { AppliedValueSource, checkQuotas, Preflight, QuotaNeed, QuotaNeeds, QuotaStatus } from '../../lib/preflight';
import { runPreflightCli } from '../../lib/preflight/private/cli';
import { readCloudAssembly } from '../../lib/preflight/quota-needs';
import { sharedReferenceApp } from '../stacks/fixture';
import { CDK_JSON_CONFIG, testApp } from '../util/app';

// The SDK's notice that its 2027 releases need Node 22 is for users, not for test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

// The reference app, synthesized once through bin/'s own functions (createReferenceStacks, loadConfig).
const { app, stacks } = sharedReferenceApp();
const assembly = app.synth();
const cluster = stacks.training.cluster;
const config = loadConfig({ 'ml-at-scale': CDK_JSON_CONFIG });
const needs = Preflight.needs(assembly.directory);

const need = (n: QuotaNeeds, code: string, source = AppliedValueSource.SERVICE_QUOTAS): QuotaNeed => {
  const found = n.needs.find((x) => x.quotaCode === code && x.appliedValueSource === source);
  if (!found) throw new Error(`no need for ${code} (${source}) in ${n.needs.map((x) => x.quotaCode).join(', ')}`);
  return found;
};

const sq = mockClient(ServiceQuotasClient);
const lambdaMock = mockClient(LambdaClient);
const REGION = 'us-east-1';

beforeEach(() => {
  sq.reset();
  lambdaMock.reset();
});

afterAll(() => {
  sq.restore();
  lambdaMock.restore();
});

/** Service Quotas with every quota the app needs at `value` (`overrides` by code); ListServiceQuotas holds those in `applied`. */
function serviceQuotas(value: (code: string) => number, applied: (code: string) => boolean = () => true): void {
  const quotas = (service: string, appliedOnly: boolean): ServiceQuota[] =>
    needs.needs
      .filter((n) => n.serviceCode === service && n.appliedValueSource === AppliedValueSource.SERVICE_QUOTAS)
      // A need found by name (a notebook instance type's quota) gets a code of its own here.
      .map((n) => ({ ...n, quotaCode: n.quotaCode ?? `L-BYNAME-${n.quotaName.length}` }))
      .filter((n) => (appliedOnly ? applied(n.quotaCode) : true))
      .map((n) => ({ ServiceCode: service, QuotaCode: n.quotaCode, QuotaName: n.quotaName, Value: value(n.quotaCode) }));
  sq.on(ListServiceQuotasCommand).callsFake((input) => ({ Quotas: quotas(input.ServiceCode, true) }));
  sq.on(ListAWSDefaultServiceQuotasCommand).callsFake((input) => ({ Quotas: quotas(input.ServiceCode, false) }));
}

describe('what the reference app needs', () => {
  test('the reference app sets no reserved concurrency by default', () => {
    const functions = readCloudAssembly(assembly.directory).flatMap((s) =>
      Object.values((s.template.Resources ?? {}) as Record<string, { Type: string; Properties: Record<string, unknown> }>).filter((r) => r.Type === 'AWS::Lambda::Function'),
    );
    expect(functions.length).toBeGreaterThan(0);
    for (const fn of functions) expect(fn.Properties).not.toHaveProperty('ReservedConcurrentExecutions');
    expect(needs.needs.some((n) => n.appliedValueSource === AppliedValueSource.LAMBDA_UNRESERVED_CONCURRENCY)).toBe(false);
  });

  test('reads every stack of the app', () => {
    expect([...needs.stacks].sort()).toEqual(assembly.stacks.map((s) => s.stackName).sort());
  });

  test('needs P-family on-demand vCPUs for one instance of the largest GPU type, up to gpuMaxVcpus', () => {
    const largest = Math.max(...cluster.gpuInstanceFacts.map((f) => f.vcpus));
    const p = need(needs, 'L-417A185B');
    expect(p).toMatchObject({ serviceCode: 'ec2', needed: largest, neededAtMaximum: cluster.gpuComputeEnvironment.maxvCpus, unit: 'vCPUs' });
    expect(p.reasons.join('\n')).toMatch(/on-demand Batch compute environment, one p4d\.24xlarge \(96 vCPUs\)/);
  });

  test('needs standard Spot vCPUs for the CPU environment', () => {
    expect(cluster.cpuComputeEnvironment.spot).toBe(true);
    const spot = need(needs, 'L-34B43A08');
    expect(spot.neededAtMaximum).toBe(cluster.cpuComputeEnvironment.maxvCpus);
    expect(spot.needed).toBe(16); // c6i.4xlarge and c6a.4xlarge, the largest allowed CPU types
  });

  test('needs Lambda concurrency for the Distributed Map, read from GetAccountSettings', () => {
    const c = need(needs, 'L-B99A9384', AppliedValueSource.LAMBDA_ACCOUNT_CONCURRENCY);
    expect(c.needed).toBe(stacks.pipeline.sharder.maxConcurrency);
    expect(c.reasons.join('\n')).toMatch(/0 reserved/);
  });

  test('needs FSx for Lustre storage, the network and the Batch environments', () => {
    const lustre = readCloudAssembly(assembly.directory)
      .flatMap((s) => Object.values((s.template.Resources ?? {}) as Record<string, { Type: string; Properties: { StorageCapacity?: number } }>))
      .filter((r) => r.Type === 'AWS::FSx::FileSystem');
    expect(need(needs, 'L-8F1B9C74').needed).toBe(lustre.reduce((sum, r) => sum + (r.Properties.StorageCapacity ?? 0), 0));
    expect(need(needs, 'L-FD6F2F22').needed).toBe(lustre.length);
    expect(need(needs, 'L-F678F1CE').needed).toBe(1);
    expect(need(needs, 'L-0263D0A3').needed).toBe(config.network.natGateways);
    expect(need(needs, 'L-FE5A380F').needed).toBe(1);
    // The default app has a NAT gateway and so no interface endpoints: no endpoint quota is needed.
    expect(config.network.natGateways).toBeGreaterThan(0);
    expect(needs.needs.find((x) => x.quotaCode === 'L-29B6F2EB')).toBeUndefined();
    expect(need(needs, 'L-144F0CA5')).toMatchObject({ needed: 2, adjustable: false });
  });
});

describe('what other resources need', () => {
  // A stack of its own: the kinds the reference app does not use yet.
  const stack = new Stack(testApp(), 'Extra');
  new lambda.CfnFunction(stack, 'Reserved', { code: { zipFile: 'x' }, role: 'arn:aws:iam::111111111111:role/r', runtime: 'nodejs24.x', handler: 'index.handler', reservedConcurrentExecutions: 30 });
  new batch.CfnJobDefinition(stack, 'MultiNode', {
    type: 'multinode',
    nodeProperties: { numNodes: 4, mainNode: 0, nodeRangeProperties: [{ targetNodes: '0:', container: { image: 'x', instanceType: 'p5.48xlarge' } }] },
  });
  new batch.CfnComputeEnvironment(stack, 'Fargate', { type: 'MANAGED', computeResources: { type: 'FARGATE', maxvCpus: 16, subnets: ['subnet-1'] } });
  new sagemaker.CfnNotebookInstance(stack, 'Notebook', { instanceType: 'ml.t3.medium', roleArn: 'arn:aws:iam::111111111111:role/r' });
  const extra = Preflight.needs(synthDirectory(stack));

  test('counts reserved concurrency with the 100 that Lambda keeps unreserved', () => {
    expect(need(extra, 'L-B99A9384', AppliedValueSource.LAMBDA_ACCOUNT_CONCURRENCY).needed).toBe(130);
    expect(need(extra, 'L-B99A9384', AppliedValueSource.LAMBDA_UNRESERVED_CONCURRENCY).needed).toBe(130);
  });

  test('counts a multi-node job as all its nodes at once, on demand', () => {
    expect(need(extra, 'L-417A185B').needed).toBe(4 * 192);
  });

  test('finds SageMaker notebook quotas by name, and notes what it does not check', () => {
    expect(extra.needs.find((n) => n.serviceCode === 'sagemaker' && n.quotaName === 'ml.t3.medium for notebook instance usage')).toMatchObject({ needed: 1, quotaCode: undefined });
    expect(extra.notes.join('\n')).toMatch(/Fargate compute environment/);
  });
});

describe('compared with an account (read-only)', () => {
  test('a fresh account: Lambda concurrency 10 and no P vCPUs are short, with the request to make', async () => {
    serviceQuotas((code) => (code === 'L-417A185B' ? 0 : code === 'L-34B43A08' ? 5 : 100800), (code) => code === 'L-417A185B');
    lambdaMock.on(GetAccountSettingsCommand).resolves({ AccountLimit: { ConcurrentExecutions: 10, UnreservedConcurrentExecutions: 10 } });

    const report = await checkQuotas(needs, { region: REGION });

    expect(report.problems).toEqual([]);
    expect(report.compared).toBe(true);
    const p = report.checks.find((c) => c.need.quotaCode === 'L-417A185B')!;
    expect(p).toMatchObject({ status: QuotaStatus.SHORT, applied: 0, appliedFrom: 'applied' });
    expect(p.requestCommand).toBe('aws service-quotas request-service-quota-increase --service-code ec2 --quota-code L-417A185B --desired-value 96 --region us-east-1');
    const l = report.checks.find((c) => c.need.quotaCode === 'L-B99A9384')!;
    expect(l).toMatchObject({ status: QuotaStatus.SHORT, applied: 10, appliedFrom: 'GetAccountSettings' });
    expect(l.requestCommand).toContain('--service-code lambda --quota-code L-B99A9384 --desired-value 40');
    expect(report.checks.find((c) => c.need.quotaCode === 'L-34B43A08')).toMatchObject({ status: QuotaStatus.SHORT, appliedFrom: 'AWS default' });
    const text = Preflight.format(report);
    expect(text).toMatch(/Running On-Demand P instances \(ec2\)\s+L-417A185B\s+96\s+768\s+0\s+SHORT/);
    expect(text).toContain('preflight changes nothing in the account');
    expect(text).toMatch(/SHORT: 3 quota\(s\)/);
    // It only reads.
    const commands = [...sq.calls(), ...lambdaMock.calls()].map((c) => c.args[0].constructor.name);
    expect(new Set(commands)).toEqual(new Set(['ListServiceQuotasCommand', 'ListAWSDefaultServiceQuotasCommand', 'GetAccountSettingsCommand']));
  });

  test('an established account: every quota is ok', async () => {
    serviceQuotas(() => 100000);
    lambdaMock.on(GetAccountSettingsCommand).resolves({ AccountLimit: { ConcurrentExecutions: 1000, UnreservedConcurrentExecutions: 1000 } });

    const report = await checkQuotas(needs, { region: REGION });

    expect(report.compared).toBe(true);
    expect(report.checks.map((c) => c.status)).toEqual(report.checks.map(() => QuotaStatus.OK));
    expect(Preflight.format(report)).toMatch(/OK: the account covers what the deploy and a first run need/);
    expect(sq.commandCalls(ListAWSDefaultServiceQuotasCommand)).toHaveLength(0);
  });

  test('reads every page of a quota list', async () => {
    const page = (code: string, value: number): ServiceQuota => ({ ServiceCode: 'ec2', QuotaCode: code, QuotaName: code, Value: value });
    serviceQuotas(() => 100000);
    // Tokens as each call sent them (the paginator reuses one input object across pages).
    const tokens: (string | undefined)[] = [];
    sq.on(ListServiceQuotasCommand, { ServiceCode: 'ec2' })
      .callsFake((input) => {
        tokens.push(input.NextToken);
        if (!input.NextToken) return { Quotas: [page('L-00000001', 1)], NextToken: 'page-2' };
        if (input.NextToken === 'page-2') return { Quotas: [page('L-0263D0A3', 5), page('L-34B43A08', 640)], NextToken: 'page-3' };
        return { Quotas: [page('L-417A185B', 768)] };
      });
    lambdaMock.on(GetAccountSettingsCommand).resolves({ AccountLimit: { ConcurrentExecutions: 1000, UnreservedConcurrentExecutions: 1000 } });

    const report = await checkQuotas(needs, { region: REGION });

    expect(tokens).toEqual([undefined, 'page-2', 'page-3']);
    expect(report.checks.find((c) => c.need.quotaCode === 'L-417A185B')).toMatchObject({ applied: 768, status: QuotaStatus.OK });
    expect(report.checks.find((c) => c.need.quotaCode === 'L-34B43A08')).toMatchObject({ applied: 640, status: QuotaStatus.OK });
  });

  test('throttling: says so and what to do, and still compares what it could read', async () => {
    serviceQuotas(() => 100000);
    sq.on(ListServiceQuotasCommand, { ServiceCode: 'ec2' }).rejects(new TooManyRequestsException({ message: 'Rate exceeded', $metadata: {} }));
    lambdaMock.on(GetAccountSettingsCommand).resolves({ AccountLimit: { ConcurrentExecutions: 1000, UnreservedConcurrentExecutions: 1000 } });

    const report = await checkQuotas(needs, { region: REGION });

    expect(report.compared).toBe(false);
    expect(report.problems).toEqual([
      "AWS throttled servicequotas:ListServiceQuotas for ec2 (TooManyRequestsException) even after the SDK's retries. Wait a minute and run preflight again, or pass a higher --max-attempts.",
    ]);
    expect(report.checks.filter((c) => c.need.serviceCode === 'ec2').map((c) => c.status)).toEqual([QuotaStatus.UNKNOWN, QuotaStatus.UNKNOWN, QuotaStatus.UNKNOWN]);
    expect(report.checks.find((c) => c.need.quotaCode === 'L-B99A9384')!.status).toBe(QuotaStatus.OK);
    expect(Preflight.format(report)).toMatch(/COULD NOT COMPARE with the account:\n {2}- AWS throttled/);
  });

  test('access denied: names the read-only permissions preflight needs', async () => {
    serviceQuotas(() => 100000);
    lambdaMock.on(GetAccountSettingsCommand).rejects(Object.assign(new Error('User is not authorized to perform: lambda:GetAccountSettings'), { name: 'AccessDeniedException' }));
    sq.on(ListServiceQuotasCommand, { ServiceCode: 'fsx' }).rejects(new AccessDeniedException({ message: 'not authorized', $metadata: {} }));

    const report = await checkQuotas(needs, { region: REGION });

    expect(report.problems).toEqual([
      'Access denied to servicequotas:ListServiceQuotas for fsx (AccessDeniedException). Preflight needs read-only servicequotas:ListServiceQuotas, servicequotas:ListAWSDefaultServiceQuotas and lambda:GetAccountSettings.',
      'Access denied to lambda:GetAccountSettings (AccessDeniedException). Preflight needs read-only servicequotas:ListServiceQuotas, servicequotas:ListAWSDefaultServiceQuotas and lambda:GetAccountSettings.',
    ]);
    expect(report.checks.find((c) => c.need.quotaCode === 'L-B99A9384')!.status).toBe(QuotaStatus.UNKNOWN);
    expect(report.checks.find((c) => c.need.quotaCode === 'L-417A185B')!.status).toBe(QuotaStatus.OK);
  });

  test('no credentials: prints the needs and says plainly it could not compare, after one attempt', async () => {
    sq.onAnyCommand().rejects(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }));
    lambdaMock.onAnyCommand().rejects(new Error('must not be called'));

    const report = await checkQuotas(needs, { region: REGION });

    expect(report.compared).toBe(false);
    expect(report.checks.every((c) => c.status === QuotaStatus.UNKNOWN)).toBe(true);
    expect(sq.calls()).toHaveLength(1);
    expect(lambdaMock.calls()).toHaveLength(0);
    const text = Preflight.format(report);
    expect(text).toMatch(/COULD NOT COMPARE with the account:\n {2}- No AWS credentials found/);
    expect(text).toMatch(/Running On-Demand P instances \(ec2\)\s+L-417A185B\s+96\s+768\s+\(new account: 0\)\s+not compared/);
  });
});

describe('npm run preflight', () => {
  const run = async (argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runPreflightCli(argv, (s) => out.push(s), (s) => err.push(s));
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  test('exits 1 with the requests when a quota is short', async () => {
    serviceQuotas((code) => (code === 'L-417A185B' ? 0 : 100000));
    lambdaMock.on(GetAccountSettingsCommand).resolves({ AccountLimit: { ConcurrentExecutions: 1000, UnreservedConcurrentExecutions: 1000 } });
    const { code, out } = await run(['--app', assembly.directory, '--region', REGION]);
    expect(code).toBe(1);
    expect(out).toContain('--quota-code L-417A185B --desired-value 96 --region us-east-1');
  });

  test('exits 3 offline, asking AWS nothing', async () => {
    const { code, out } = await run(['--app', assembly.directory, '--offline']);
    expect(code).toBe(3);
    expect(out).toContain('COULD NOT COMPARE');
    expect(sq.calls()).toHaveLength(0);
  });

  test('fails when there is no cloud assembly', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'preflight-'));
    try {
      const { code, err } = await run(['--app', empty]);
      expect(code).toBe(2);
      expect(err).toMatch(/no manifest\.json\): run `npx cdk synth` first/);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });

  test('fails when --max-attempts is not a positive integer', async () => {
    const { code, err } = await run(['--app', assembly.directory, '--max-attempts', '0']);
    expect(code).toBe(2);
    expect(err).toBe("--max-attempts must be an integer of at least 1, got '0'");
  });
});

function synthDirectory(stack: Stack): string {
  return (stack.node.root as ReturnType<typeof testApp>).synth().directory;
}

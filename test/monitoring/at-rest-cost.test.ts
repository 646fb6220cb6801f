import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AT_REST_PRICES, atRestCost, formatAtRestCost, formatAtRestCostSummary, LUSTRE_OFFERINGS, readAssemblyTemplates, StackTemplate } from '../../lib';
import { synthesizeReferenceApp } from '../../scripts/reference-assembly';

const stack = (resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>): StackTemplate[] => [
  { stackName: 'S', template: { Resources: resources } },
];
const only = (resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>) => {
  const report = atRestCost(stack(resources));
  return { report, line: report.lines[0] };
};

describe('atRestCost prices each resource that charges while nothing trains', () => {
  test('a NAT gateway: 730 hours at the catalog rate', () => {
    const { line } = only({ Nat: { Type: 'AWS::EC2::NatGateway' } });
    expect(line.monthlyUsd).toBe(32.85);
    expect(line.source).toBe(AT_REST_PRICES.natGatewayHour.source);
  });

  test('an elastic IP: a public IPv4 address for 730 hours', () => {
    expect(only({ Eip: { Type: 'AWS::EC2::EIP' } }).line.monthlyUsd).toBe(3.65);
  });

  test('an interface endpoint per Availability Zone; a gateway endpoint is free', () => {
    const { report } = only({
      Logs: { Type: 'AWS::EC2::VPCEndpoint', Properties: { VpcEndpointType: 'Interface', SubnetIds: ['a', 'b', 'c'] } },
      S3: { Type: 'AWS::EC2::VPCEndpoint', Properties: { VpcEndpointType: 'Gateway' } },
    });
    expect(report.lines.map((l) => [l.logicalId, l.monthlyUsd])).toEqual([['Logs', 21.9]]);
    expect(report.lines[0].basis).toBe('3 AZ x 730 interface endpoint-hour per Availability Zone');
  });

  test('a KMS key, a dashboard and a secret: their monthly rates', () => {
    const { report } = only({
      Key: { Type: 'AWS::KMS::Key' },
      Dash: { Type: 'AWS::CloudWatch::Dashboard' },
      Secret: { Type: 'AWS::SecretsManager::Secret' },
    });
    expect(report.lines.map((l) => l.monthlyUsd)).toEqual([1, 3, 0.4]);
    expect(report.totalMonthlyUsd).toBe(4.4);
  });

  test('a KMS key with automatic rotation: what it costs from its second rotation on', () => {
    const { report } = only({
      Rotated: { Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: true } },
      Quarterly: { Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: true, RotationPeriodInDays: 90 } },
      Plain: { Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: false } },
    });
    expect(report.lines.map((l) => [l.logicalId, l.monthlyUsd, l.basis])).toEqual([
      ['Rotated', 3, '1 customer-managed key-month + 2 key rotation-month (from the second rotation, 730 days after creation)'],
      ['Quarterly', 3, '1 customer-managed key-month + 2 key rotation-month (from the second rotation, 180 days after creation)'],
      ['Plain', 1, '1 customer-managed key-month'],
    ]);
    expect(report.lines[0].source.confirmed).toBe(true);
    expect(report.lines[0].source.note).toContain('the first and second rotations of the key add $1/month');
  });

  test('an alarm: per metric it reads, not per expression, and high resolution below 60 s', () => {
    const { report } = only({
      Simple: { Type: 'AWS::CloudWatch::Alarm', Properties: { Period: 300 } },
      Math: {
        Type: 'AWS::CloudWatch::Alarm',
        Properties: {
          Metrics: [
            { Id: 'e', Expression: 'IF(a < 20 AND b > 0.9, 1, 0)' },
            { Id: 'a', MetricStat: { Period: 60 } },
            { Id: 'b', MetricStat: { Period: 60 } },
          ],
        },
      },
      Fast: { Type: 'AWS::CloudWatch::Alarm', Properties: { Metrics: [{ Id: 'a', MetricStat: { Period: 10 } }] } },
    });
    expect(report.lines.map((l) => [l.logicalId, l.monthlyUsd])).toEqual([
      ['Simple', 0.1],
      ['Math', 0.2],
      ['Fast', 0.3],
    ]);
  });

  test('an FSx for Lustre file system: capacity times the storage catalog price of its offering', () => {
    const offering = LUSTRE_OFFERINGS.find((o) => o.deploymentType === 'PERSISTENT_2' && o.perUnitStorageThroughput === 500)!;
    const { line } = only({
      Fs: {
        Type: 'AWS::FSx::FileSystem',
        Properties: { FileSystemType: 'LUSTRE', StorageCapacity: 2400, LustreConfiguration: { DeploymentType: 'PERSISTENT_2', PerUnitStorageThroughput: 500 } },
      },
    });
    expect(line.monthlyUsd).toBeCloseTo(2400 * offering.priceUsdPerGBMonth, 2);
    expect(line.source).toBe(offering.priceSource);
  });

  test('a notebook instance with idle auto-stop costs its volume; without, its instance-hours too', () => {
    const { report } = only({
      Stopping: { Type: 'AWS::SageMaker::NotebookInstance', Properties: { InstanceType: 'ml.t3.medium', VolumeSizeInGB: 10, LifecycleConfigName: 'idle' } },
      Running: { Type: 'AWS::SageMaker::NotebookInstance', Properties: { InstanceType: 'ml.t3.medium', VolumeSizeInGB: 10 } },
    });
    expect(report.lines.map((l) => [l.logicalId, l.monthlyUsd])).toEqual([
      ['Stopping', 1.4],
      ['Running', 1.4],
      ['Running', 36.5],
    ]);
  });

  test('names what charges at rest but has no price, and keeps it out of the total', () => {
    const { report } = only({
      Nb: { Type: 'AWS::SageMaker::NotebookInstance', Properties: { InstanceType: 'ml.p3.2xlarge', VolumeSizeInGB: 5 } },
      Ce: { Type: 'AWS::Batch::ComputeEnvironment', Properties: { ComputeResources: { MinvCpus: 8 } } },
      Ontap: { Type: 'AWS::FSx::FileSystem', Properties: { FileSystemType: 'ONTAP' } },
    });
    expect(report.unpriced.map((u) => u.logicalId)).toEqual(['Nb', 'Ce', 'Ontap']);
    expect(report.unpriced[1].why).toMatch(/minimum vCPUs 8 keeps instances running/);
    expect(report.totalMonthlyUsd).toBe(0.7);
  });

  test('counts resources charged only by use or data apart, and a Batch environment at 0 vCPUs among them', () => {
    const { report } = only({
      B1: { Type: 'AWS::S3::Bucket' },
      B2: { Type: 'AWS::S3::Bucket' },
      Ce: { Type: 'AWS::Batch::ComputeEnvironment', Properties: { ComputeResources: { MinvCpus: 0 } } },
      Role: { Type: 'AWS::IAM::Role' },
    });
    expect(report.lines).toEqual([]);
    expect(report.usageOnly).toEqual([
      { resourceType: 'AWS::Batch::ComputeEnvironment', count: 1, chargedFor: 'instance-hours while jobs run (minimum vCPUs 0)' },
      { resourceType: 'AWS::S3::Bucket', count: 2, chargedFor: 'GB stored and requests' },
    ]);
  });
});

test('the summary adds up each resource type, most expensive first', () => {
  const report = atRestCost(stack({ K1: { Type: 'AWS::KMS::Key' }, K2: { Type: 'AWS::KMS::Key' }, Nat: { Type: 'AWS::EC2::NatGateway' } }));
  expect(formatAtRestCostSummary(report).split('\n')).toEqual([
    '| Resource type | Resources | USD/month |',
    '| --- | ---: | ---: |',
    '| AWS::EC2::NatGateway | 1 | $32.85 |',
    '| AWS::KMS::Key | 2 | $2.00 |',
    '| **Total** | | **$34.85** |',
  ]);
});

describe('readAssemblyTemplates', () => {
  test('reads the stacks of an assembly, nested assemblies (stages) included', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'asm-'));
    fs.mkdirSync(path.join(dir, 'assembly-Stage'));
    const write = (file: string, json: unknown) => fs.writeFileSync(path.join(dir, file), JSON.stringify(json));
    write('manifest.json', {
      artifacts: {
        A: { type: 'aws:cloudformation:stack', properties: { templateFile: 'A.template.json', stackName: 'Team-A' } },
        Stage: { type: 'cdk:cloud-assembly', properties: { directoryName: 'assembly-Stage' } },
        Tree: { type: 'cdk:tree' },
      },
    });
    write('A.template.json', { Resources: { Nat: { Type: 'AWS::EC2::NatGateway' } } });
    write('assembly-Stage/manifest.json', { artifacts: { B: { type: 'aws:cloudformation:stack', properties: { templateFile: 'B.template.json' } } } });
    write('assembly-Stage/B.template.json', { Resources: { Key: { Type: 'AWS::KMS::Key' } } });
    const stacks = readAssemblyTemplates(dir);
    expect(stacks.map((s) => s.stackName)).toEqual(['Team-A', 'B']);
    expect(atRestCost(stacks).totalMonthlyUsd).toBe(33.85);
    expect(formatAtRestCost(atRestCost(stacks))).toContain('| Team-A | Nat (AWS::EC2::NatGateway) | 730 NAT gateway-hour | $32.85 |');
  });

  test('fails clearly when the folder holds no assembly', () => {
    expect(() => readAssemblyTemplates(os.tmpdir())).toThrow(/No cloud assembly in .* run `npx cdk synth` first/);
  });
});

describe.each([
  ['default', {}],
  ['dev', { 'ml-at-scale.preset': 'dev' }],
  ['prod', { 'ml-at-scale.preset': 'prod' }],
])('the reference app at rest, %s configuration', (name, context) => {
  const report = atRestCost(synthesizeReferenceApp(context));

  test('every line has a price source, nothing is unpriced, and the total is their sum', () => {
    expect(report.lines.length).toBeGreaterThan(0);
    for (const line of report.lines) expect(line.source.url).toMatch(/^https:\/\//);
    const sum = report.lines.reduce((s, l) => s + l.monthlyUsd, 0);
    expect(report.totalMonthlyUsd).toBeCloseTo(sum, 2);
    expect(report.unpriced).toEqual([]);
  });

  test('the README states the figures that npm run cost prints', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
    const block = new RegExp(`<!-- cost:${name}:start -->\n([\\s\\S]*?)\n<!-- cost:${name}:end -->`).exec(readme);
    expect(block?.[1]).toBe(formatAtRestCostSummary(report));
  });
});

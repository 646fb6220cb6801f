import { Template } from 'aws-cdk-lib/assertions';
import { referenceApp, sharedReferenceApp } from './fixture';

const { stacks } = sharedReferenceApp();
const template = Template.fromStack(stacks.training);

test('is named from the stack prefix', () => {
  expect(stacks.training.stackName).toBe('MlAtScale-Training');
});

test('holds the GPU and CPU environments, their queues and the job definitions', () => {
  template.resourceCountIs('AWS::Batch::ComputeEnvironment', 2);
  template.resourceCountIs('AWS::Batch::JobQueue', 2);
  template.resourceCountIs('AWS::Batch::JobDefinition', 2);
  template.hasResourceProperties('AWS::Batch::ComputeEnvironment', {
    ComputeResources: { InstanceTypes: ['p4d.24xlarge'], MinvCpus: 0, Type: 'EC2' },
  });
});

test('runs in the network stack\u2019s private subnets', () => {
  const ces = template.findResources('AWS::Batch::ComputeEnvironment');
  for (const ce of Object.values(ces)) {
    expect(JSON.stringify(ce.Properties.ComputeResources.Subnets)).toMatch(/privateSubnet/i);
  }
});

test('lets the jobs use the lake prefixes of the reference topology only', () => {
  const text = JSON.stringify(template.findResources('AWS::IAM::Policy'));
  for (const prefix of ['/datasets/*', '/shards/*', '/checkpoints/*', '/models/*']) expect(text).toContain(prefix);
  expect(text).not.toMatch(/"s3:[A-Za-z]*\*"/);
});

test('mounts the storage stack\u2019s Lustre file system at /fsx and its EFS at /home', () => {
  const text = JSON.stringify(template.findResources('AWS::EC2::LaunchTemplate'));
  expect(text).toContain('/fsx lustre defaults,relatime,flock,_netdev');
  expect(text).toContain('/home efs _netdev,tls,iam,accesspoint=');
});

test('opens TCP 988 and 1018-1023 to and from the Lustre file system, and NFS to EFS, from this stack', () => {
  const cluster = { 'Fn::GetAtt': [expect.stringMatching(/^ClusterSecurityGroup/), 'GroupId'] };
  const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties);
  const egress = Object.values(template.findResources('AWS::EC2::SecurityGroupEgress')).map((r) => r.Properties);
  const ports = (rules: Array<Record<string, unknown>>) => rules.map((r) => `${r.IpProtocol}:${r.FromPort}-${r.ToPort}`).sort();
  // Client to file system: ingress on the storage stack's groups, from the cluster.
  const toStorage = ingress.filter((r) => JSON.stringify(r.GroupId).includes('MlAtScale-Storage'));
  expect(ports(toStorage)).toEqual(['tcp:1018-1023', 'tcp:2049-2049', 'tcp:988-988']);
  for (const r of toStorage) expect(r.SourceSecurityGroupId).toEqual(cluster);
  // File system to client: egress on the Lustre group and ingress on the cluster's group.
  expect(ports(egress)).toEqual(['tcp:1018-1023', 'tcp:988-988']);
  for (const r of egress) expect(r.DestinationSecurityGroupId).toEqual(cluster);
  const fromLustre = ingress.filter((r) => JSON.stringify(r.SourceSecurityGroupId).includes('LustreCacheSecurityGroup'));
  expect(ports(fromLustre)).toEqual(['tcp:1018-1023', 'tcp:988-988']);
  for (const r of fromLustre) expect(r.GroupId).toEqual(cluster);
});

test('lets the jobs read the whole raw zone only as a deliberate, acknowledged whole-zone grant', () => {
  const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
  const raw = statements.filter((st: { Resource: unknown }) => JSON.stringify(st.Resource).includes('DataLakeRaw'));
  expect(raw.map((st: { Action: unknown }) => st.Action)).toEqual(expect.arrayContaining(['s3:ListBucket']));
  const listing = raw.find((st: { Action: unknown }) => st.Action === 's3:ListBucket');
  expect(listing.Condition).toBeUndefined();
});

test('retains the log group and the key', () => {
  for (const type of ['AWS::Logs::LogGroup', 'AWS::KMS::Key']) {
    for (const r of Object.values(template.findResources(type))) expect(r.DeletionPolicy).toBe('Retain');
  }
});

test('defines a multi-node job when the config asks for nodes', () => {
  const { stacks: multi } = referenceApp({ 'ml-at-scale.training.multiNodeCount': 2 });
  Template.fromStack(multi.training).resourcePropertiesCountIs('AWS::Batch::JobDefinition', { Type: 'multinode' }, 1);
});

test('matches the snapshot', () => {
  expect(template.toJSON()).toMatchSnapshot();
});

test('rejects a training configuration that breaks the schema, naming the key', () => {
  expect(() => referenceApp({ 'ml-at-scale.training.gpuMaxVcpus': 0 })).toThrow('ml-at-scale.training.gpuMaxVcpus: must be at least 1, got 0');
  expect(() => referenceApp({ 'ml-at-scale.training.gpuInstanceTypes': '["p4d"]' })).toThrow(
    'ml-at-scale.training.gpuInstanceTypes.0: must be an EC2 instance type such as p4d.24xlarge, got "p4d"',
  );
});

test('passes the construct\u2019s own validation through: a G type without the opt-in fails the synth', () => {
  expect(() => referenceApp({ 'ml-at-scale.training.gpuInstanceTypes': '["g5.xlarge"]' })).toThrow(/gpuInstanceTypes must be P-family types/);
});

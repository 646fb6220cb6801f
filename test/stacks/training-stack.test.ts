import { Template } from 'aws-cdk-lib/assertions';
import { referenceApp } from './fixture';

const { stacks } = referenceApp();
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

test('opens TCP 988 and 1018-1023 to the Lustre file system, and NFS to EFS, from this stack', () => {
  const rules = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties);
  const ports = rules.map((r) => `${r.IpProtocol}:${r.FromPort}-${r.ToPort}`);
  expect(ports).toEqual(expect.arrayContaining(['tcp:988-988', 'tcp:1018-1023', 'tcp:2049-2049']));
  for (const r of rules.filter((x) => x.FromPort !== undefined)) {
    expect(r.SourceSecurityGroupId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ClusterSecurityGroup/), 'GroupId'] });
    expect(JSON.stringify(r.GroupId)).toContain('MlAtScale-Storage');
  }
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

import { Annotations, Duration, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { DataLake, MlVpc, ResearchStudio, ResearchStudioProps } from '../../lib';
import { consumerRole, nagFindings, testStack } from '../util/app';
import { FakeCatalog, FakeWorkgroup, warningsOf } from './fakes';

type Json = Record<string, unknown>;

function base(id: string, vpcProps = {}): { stack: Stack; network: MlVpc; lake: DataLake } {
  const stack = testStack(id);
  return { stack, network: new MlVpc(stack, 'Vpc', vpcProps), lake: new DataLake(stack, 'Lake') };
}

function statementsOf(template: Template, stack: Stack, role: iam.Role): Json[] {
  const roleId = stack.getLogicalId(role.node.defaultChild as never);
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify((p.Properties as Json).Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap((p) => ((p.Properties as Json).PolicyDocument as { Statement: Json[] }).Statement);
}

describe('ResearchStudio with defaults', () => {
  const { stack, network, lake } = base('Test');
  const studio = new ResearchStudio(stack, 'Studio', { vpc: network.vpc, dataLake: lake });
  const template = Template.fromStack(stack);
  const id = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);
  const statements = statementsOf(template, stack, studio.role);

  test('is a VPC-only domain with IAM authentication in the private subnets, encrypted with a new rotating key', () => {
    template.hasResourceProperties('AWS::SageMaker::Domain', {
      AuthMode: 'IAM',
      AppNetworkAccessType: 'VpcOnly',
      VpcId: { Ref: id(network.vpc) },
      SubnetIds: network.vpc.privateSubnets.map((s) => ({ Ref: id(s) })),
      KmsKeyId: { 'Fn::GetAtt': [id(studio.encryptionKey as kms.Key), 'Arn'] },
      DomainSettings: { SecurityGroupIds: [{ 'Fn::GetAtt': [id(studio.securityGroup), 'GroupId'] }] },
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true, Description: Match.stringLikeRegexp('Studio domain') });
  });

  test('retains each user profile: deleting one loses the user\u2019s access to their home folder', () => {
    const { stack: s, network: n, lake: l } = base('Profiles');
    new ResearchStudio(s, 'Studio', { vpc: n.vpc, dataLake: l, userProfileNames: ['alice'] });
    Template.fromStack(s).hasResource('AWS::SageMaker::UserProfile', { Properties: { UserProfileName: 'alice' }, DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  test('retains the domain (its file system holds every home folder) and its key', () => {
    template.hasResource('AWS::SageMaker::Domain', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    template.hasResource('AWS::KMS::Key', { Properties: Match.objectLike({ Description: Match.stringLikeRegexp('Studio domain') }), DeletionPolicy: 'Retain' });
  });

  test('gives users the least-privilege role, the security group and JupyterLab idle shutdown after an hour', () => {
    template.hasResourceProperties('AWS::SageMaker::Domain', {
      DefaultUserSettings: Match.objectLike({
        ExecutionRole: { 'Fn::GetAtt': [id(studio.role), 'Arn'] },
        SecurityGroups: [{ 'Fn::GetAtt': [id(studio.securityGroup), 'GroupId'] }],
        JupyterLabAppSettings: {
          AppLifecycleManagement: {
            IdleSettings: { LifecycleManagement: 'ENABLED', IdleTimeoutInMinutes: 60, MinIdleTimeoutInMinutes: 60, MaxIdleTimeoutInMinutes: 60 },
          },
        },
      }),
    });
    expect(studio.idleTimeout.toMinutes()).toBe(60);
  });

  test('creates no user profile unless asked', () => {
    template.resourceCountIs('AWS::SageMaker::UserProfile', 0);
  });

  test('lets apps talk to each other and HTTPS out, and nothing else in', () => {
    const sg = id(studio.securityGroup);
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties as Json).filter((p) => JSON.stringify(p.GroupId).includes(sg));
    expect(ingress).toEqual([expect.objectContaining({ IpProtocol: 'tcp', FromPort: 0, ToPort: 65535, SourceSecurityGroupId: { 'Fn::GetAtt': [sg, 'GroupId'] } })]);
  });

  test('reads the curated zone and works in scratch/notebooks, with no PassRole and no wildcard action', () => {
    const text = JSON.stringify(statements);
    expect(text).toContain(`"Fn::GetAtt":["${id(lake.curatedBucket)}","Arn"]},"/*"`);
    expect(text).toContain('/scratch/notebooks/*');
    const actions = statements.flatMap((s) => [s.Action].flat() as string[]);
    expect(actions).not.toContain('iam:PassRole');
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
  });

  test('manages apps and spaces of its own domain only, in a policy the domain does not wait for', () => {
    const own = statements.find((s) => s.Sid === 'StudioAppsOfThisDomain')!;
    expect(JSON.stringify(own.Resource)).toContain(`{"Fn::GetAtt":["${stack.getLogicalId(studio.domain)}","DomainId"]},"/*"`);
    expect(template.findResources('AWS::SageMaker::Domain')[stack.getLogicalId(studio.domain)].DependsOn).not.toContain(id(studio.studioPolicy));
  });

  test('finds every endpoint it needs in a default MlVpc', () => {
    expect(studio.missingEndpoints).toEqual([]);
    expect(warningsOf(studio)).toEqual([]);
  });

  test('has no unacknowledged cdk-nag finding', () => {
    expect(nagFindings(studio)).toEqual([]);
  });
});

describe('ResearchStudio in its fullest configuration', () => {
  const { stack, network, lake } = base('Full', { natGateways: 0 });
  const workgroup = new FakeWorkgroup(stack, 'Workgroup');
  const catalog = new FakeCatalog(stack, 'Catalog');
  const jobQueue = batch.JobQueue.fromJobQueueArn(stack, 'Queue', 'arn:aws:batch:us-east-1:123456789012:job-queue/preprocess');
  const jobDefinition = batch.EcsJobDefinition.fromJobDefinitionArn(stack, 'JobDef', 'arn:aws:batch:us-east-1:123456789012:job-definition/preprocess:3');
  const key = new kms.Key(stack, 'OwnKey', { enableKeyRotation: true });
  const studio = new ResearchStudio(stack, 'Studio', {
    vpc: network.vpc,
    dataLake: lake,
    domainName: 'research',
    userProfileNames: ['alice', 'bob-2'],
    idleTimeout: Duration.hours(3),
    encryptionKey: key,
    curatedReadPrefixes: ['datasets'],
    scratchPrefix: 'scratch/studio',
    workgroup,
    catalog,
    jobQueue,
    jobDefinition,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const developers = consumerRole(new iam.Role(stack, 'Developers', { assumedBy: new iam.AccountRootPrincipal() }));
  studio.grantOpen(developers);
  // Read the warning before synthesis, then acknowledge it, so that the synth prints no validation report.
  const warnings = warningsOf(studio);
  Annotations.of(studio).acknowledgeWarning('cdk-ml-at-scale:NotebookEndpointsMissing', 'asserted below');
  const template = Template.fromStack(stack);

  test('takes the name, key, idle time and removal policy given', () => {
    template.hasResource('AWS::SageMaker::Domain', {
      Properties: Match.objectLike({
        DomainName: 'research',
        KmsKeyId: { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as never), 'Arn'] },
        SubnetIds: network.vpc.isolatedSubnets.map((s) => ({ Ref: stack.getLogicalId(s.node.defaultChild as never) })),
        DefaultUserSettings: Match.objectLike({
          JupyterLabAppSettings: { AppLifecycleManagement: { IdleSettings: Match.objectLike({ IdleTimeoutInMinutes: 180, MaxIdleTimeoutInMinutes: 180 }) } },
        }),
      }),
      DeletionPolicy: 'Delete',
    });
  });

  test('creates one user profile per name, with the domain\u2019s default settings, destroyed on request', () => {
    template.resourceCountIs('AWS::SageMaker::UserProfile', 2);
    for (const r of Object.values(template.findResources('AWS::SageMaker::UserProfile'))) expect([r.DeletionPolicy, r.UpdateReplacePolicy]).toEqual(['Delete', 'Delete']);
    for (const name of ['alice', 'bob-2']) {
      template.hasResourceProperties('AWS::SageMaker::UserProfile', { UserProfileName: name, DomainId: { 'Fn::GetAtt': [stack.getLogicalId(studio.domain), 'DomainId'] } });
    }
    expect(Object.keys(studio.userProfiles)).toEqual(['alice', 'bob-2']);
  });

  test('queries through the workgroup, reads the catalog and submits preprocessing jobs', () => {
    expect(workgroup.grantees).toEqual([studio.role]);
    expect(catalog.grantees).toEqual([studio.role]);
    const text = JSON.stringify(statementsOf(template, stack, studio.role));
    expect(text).toContain('batch:SubmitJob');
    expect(text).toContain('/datasets/*');
    expect(text).toContain('/scratch/studio/*');
  });

  test('lets a console role open Studio as a user of this domain', () => {
    const text = JSON.stringify(statementsOf(template, stack, developers));
    expect(text).toContain('sagemaker:CreatePresignedDomainUrl');
    expect(text).toContain(':user-profile/');
  });

  test('warns that an MlVpc without NAT lacks the Batch endpoint', () => {
    expect(studio.missingEndpoints).toEqual(['batch']);
    expect(warnings).toEqual([expect.stringMatching(/^The VPC lacks the interface endpoint\(s\) batch: .* \[ack: cdk-ml-at-scale:NotebookEndpointsMissing\]$/)]);
  });

  test('has no unacknowledged cdk-nag finding', () => {
    expect(nagFindings(studio)).toEqual([]);
    expect(nagFindings(developers)).toEqual([]);
  });
});

describe('ResearchStudio fails when', () => {
  const { stack, network, lake } = base('Fails');
  let n = 0;
  const build = (props: Partial<ResearchStudioProps>) => () => new ResearchStudio(stack, `Studio${n++}`, { vpc: network.vpc, dataLake: lake, ...props });

  test.each([Duration.minutes(59), Duration.seconds(3630), Duration.days(366)])('fails when idleTimeout is %s', (idleTimeout) => {
    expect(build({ idleTimeout })).toThrow(/idleTimeout must be whole minutes from 60 minutes to 365 days, got/);
  });

  test('fails when idleTimeout is a token', () => {
    expect(build({ idleTimeout: Duration.minutes(Lazy.number({ produce: () => 60 })) })).toThrow('idleTimeout must be a literal duration');
  });

  test('fails when domainName is not a valid name', () => {
    expect(build({ domainName: 'research domain' })).toThrow("domainName must be 1 to 63 letters, digits and inner hyphens, got 'research domain'");
  });

  test('fails when userProfileNames holds an invalid name', () => {
    expect(build({ userProfileNames: ['alice', 'bob_smith'] })).toThrow("userProfileNames must hold literal names of 1 to 63 letters, digits and inner hyphens, got 'bob_smith'");
  });

  test('fails when userProfileNames names a user twice', () => {
    expect(build({ userProfileNames: ['alice', 'Alice'] })).toThrow("userProfileNames must not name a user twice, got 'Alice'");
  });

  test('fails when vpcSubnets selects no subnet', () => {
    expect(build({ vpcSubnets: { subnetGroupName: 'private', availabilityZones: [] } })).toThrow(/vpcSubnets must select at least one subnet/);
  });

  test('fails when vpcSubnets selects public subnets', () => {
    expect(build({ vpcSubnets: { subnetGroupName: 'public' } })).toThrow(/vpcSubnets must select private subnets only/);
  });

  test('fails when scratchPrefix is the whole artifacts zone', () => {
    expect(build({ scratchPrefix: '' })).toThrow("scratchPrefix must be a prefix of the artifacts zone, not the whole zone, got ''");
  });

  test('fails when curatedReadPrefixes holds a wildcard', () => {
    expect(build({ curatedReadPrefixes: ['a?'] })).toThrow("curatedReadPrefixes must be a plain key prefix without wildcards, got 'a?'");
  });

  test('fails when jobQueue is given without jobDefinition', () => {
    const jobQueue = batch.JobQueue.fromJobQueueArn(stack, 'Q', 'arn:aws:batch:us-east-1:123456789012:job-queue/q');
    expect(build({ jobQueue })).toThrow('jobDefinition must be given with jobQueue, got undefined');
  });
});

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Annotations, Duration, Lazy, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { DataLake, MlVpc, ResearchNotebook, ResearchNotebookProps } from '../../lib';
import { nagFindings, testStack } from '../util/app';
import { FakeCatalog, FakeWorkgroup, warningsOf } from './fakes';

type Json = Record<string, unknown>;

function base(id = 'Test', vpcProps = {}): { stack: Stack; network: MlVpc; lake: DataLake } {
  const stack = testStack(id);
  return { stack, network: new MlVpc(stack, 'Vpc', vpcProps), lake: new DataLake(stack, 'Lake') };
}

/** The text of a lifecycle hook, with tokens rendered as JSON. */
function hookText(template: Template, hook: 'OnStart' | 'OnCreate'): string | undefined {
  const [config] = Object.values(template.findResources('AWS::SageMaker::NotebookInstanceLifecycleConfig'));
  const hooks = (config.Properties as Json)[hook] as Array<{ Content: { 'Fn::Base64': unknown } }> | undefined;
  if (!hooks) return undefined;
  const content = hooks[0].Content['Fn::Base64'] as string | { 'Fn::Join': [string, unknown[]] };
  if (typeof content === 'string') return content;
  // Tokens (the asset's bucket) rendered as their JSON, the rest as the script's text.
  return content['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join('');
}

/** The statements of the policies attached to a role. */
function statementsOf(template: Template, stack: Stack, role: iam.Role): Json[] {
  const roleId = stack.getLogicalId(role.node.defaultChild as never);
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify((p.Properties as Json).Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap((p) => ((p.Properties as Json).PolicyDocument as { Statement: Json[] }).Statement);
}

const actionsOf = (s: Json) => [s.Action].flat() as string[];

describe('ResearchNotebook with defaults', () => {
  const { stack, network, lake } = base();
  const notebook = new ResearchNotebook(stack, 'Notebook', { vpc: network.vpc, dataLake: lake });
  const template = Template.fromStack(stack);
  const id = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);

  test('is a small instance on the newest platform, in the first private subnet, with its own security group', () => {
    template.hasResourceProperties('AWS::SageMaker::NotebookInstance', {
      InstanceType: 'ml.t3.medium',
      PlatformIdentifier: 'notebook-al2023-v1',
      VolumeSizeInGB: 20,
      SubnetId: { Ref: id(network.vpc.privateSubnets[0]) },
      SecurityGroupIds: [{ 'Fn::GetAtt': [id(notebook.securityGroup), 'GroupId'] }],
      NotebookInstanceName: notebook.notebookInstanceName,
    });
    expect(notebook.instanceType).toBe('ml.t3.medium');
  });

  test('is locked down: no direct internet, no root, KMS volume, IMDSv2 only', () => {
    template.hasResourceProperties('AWS::SageMaker::NotebookInstance', {
      DirectInternetAccess: 'Disabled',
      RootAccess: 'Disabled',
      KmsKeyId: { Ref: id(notebook.encryptionKey as kms.Key) },
      InstanceMetadataServiceConfiguration: { MinimumInstanceMetadataServiceVersion: '2' },
    });
  });

  test('retains the instance (its volume holds the notebooks) and its rotating key', () => {
    template.hasResource('AWS::SageMaker::NotebookInstance', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    template.hasResource('AWS::KMS::Key', {
      Properties: Match.objectLike({ EnableKeyRotation: true, Description: Match.stringLikeRegexp('ML storage volume') }),
      DeletionPolicy: 'Retain',
    });
  });

  test('lets HTTPS out and nothing in', () => {
    const [sg] = Object.values(template.findResources('AWS::EC2::SecurityGroup', { Properties: { GroupDescription: Match.stringLikeRegexp('Notebook instance') } }));
    expect((sg.Properties as Json).SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443, IpProtocol: 'tcp' })]);
    expect((sg.Properties as Json).SecurityGroupIngress).toBeUndefined();
    expect(JSON.stringify(template.findResources('AWS::EC2::SecurityGroupIngress'))).not.toContain(id(notebook.securityGroup));
  });

  test('stops after an idle hour, with a lifecycle script that downloads and installs nothing', () => {
    template.hasResourceProperties('AWS::SageMaker::NotebookInstance', {
      LifecycleConfigName: { 'Fn::GetAtt': [stack.getLogicalId(notebook.lifecycleConfig), 'NotebookInstanceLifecycleConfigName'] },
    });
    const onStart = hookText(template, 'OnStart')!;
    expect(onStart).toContain('--idle-seconds 3600');
    expect(onStart).toContain('systemctl enable --now mlscale-autostop.timer');
    expect(onStart).toContain('def is_idle(sessions, now, started_at, idle_seconds)');
    expect(onStart).not.toMatch(/pip install|conda install|curl |wget |yum |dnf |https:\/\/(?!localhost)/);
    expect(notebook.idleTimeout.toMinutes()).toBe(60);
  });

  test('writes the auto-stop checker unchanged, in scripts that bash parses', () => {
    const onStart = hookText(template, 'OnStart')!;
    const embedded = onStart.split("<<'AUTOSTOP_PY'\n")[1].split('\nAUTOSTOP_PY\n')[0];
    expect(embedded + '\n').toBe(fs.readFileSync(path.join(__dirname, '..', '..', 'assets', 'notebook-lifecycle', 'autostop.py'), 'utf8'));
    for (const script of [onStart, hookText(template, 'OnCreate')!]) {
      const check = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
      expect(check.stderr).toBe('');
      expect(check.status).toBe(0);
    }
  });

  test('copies the starter notebooks from their asset on create, reading that one object only', () => {
    const onCreate = hookText(template, 'OnCreate')!;
    expect(onCreate).toMatch(/s3 cp \{"Fn::Sub":"s3:\/\/cdk-hnb659fds-assets-\$\{AWS::AccountId\}-\$\{AWS::Region\}\/[0-9a-f]{64}\.zip"\} \/tmp\/starter-notebooks.zip/);
    expect(onCreate).toContain('/home/ec2-user/SageMaker/starter-notebooks');
    const statement = statementsOf(template, stack, notebook.role).find((s) => s.Sid === 'StarterNotebooks');
    expect(statement?.Action).toBe('s3:GetObject');
    expect(JSON.stringify(statement?.Resource)).toMatch(/"cdk-hnb659fds-assets-\$\{AWS::AccountId\}-\$\{AWS::Region\}"\},"\/[0-9a-f]{64}\.zip"\]/);
  });

  test('has a role trusted by SageMaker that reads the curated zone and works in scratch/notebooks of the artifacts zone', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'sagemaker.amazonaws.com' } })] },
      Description: Match.stringLikeRegexp('notebook instance'),
    });
    const text = JSON.stringify(statementsOf(template, stack, notebook.role));
    expect(text).toContain(`"Fn::GetAtt":["${id(lake.curatedBucket)}","Arn"]},"/*"`);
    expect(text).toContain('/scratch/notebooks/*');
    expect(text).not.toContain(`"Fn::GetAtt":["${id(lake.rawBucket)}"`);
  });

  test('may stop only itself, and has no PassRole and no wildcard action', () => {
    expect(statementsOf(template, stack, notebook.role)).toContainEqual(
      expect.objectContaining({ Action: ['sagemaker:DescribeNotebookInstance', 'sagemaker:StopNotebookInstance'], Resource: expect.objectContaining({ 'Fn::Join': expect.anything() }) }),
    );
    expect(JSON.stringify(statementsOf(template, stack, notebook.role).find((s) => s.Sid === 'StopWhenIdle'))).toContain(`notebook-instance/${notebook.notebookInstanceName.toLowerCase()}`);
    const actions = statementsOf(template, stack, notebook.role).flatMap(actionsOf);
    expect(actions).not.toContain('iam:PassRole');
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
  });

  test('finds every endpoint it needs in a default MlVpc and warns of nothing', () => {
    expect(notebook.missingEndpoints).toEqual([]);
    expect(warningsOf(notebook)).toEqual([]);
  });

  test('has no unacknowledged cdk-nag finding (SM1, SM2 and SM3 clean)', () => {
    expect(nagFindings(notebook)).toEqual([]);
  });
});

describe('ResearchNotebook in its fullest configuration', () => {
  const { stack, network, lake } = base('Full', { natGateways: 0 });
  const workgroup = new FakeWorkgroup(stack, 'Workgroup');
  const catalog = new FakeCatalog(stack, 'Catalog');
  const jobQueue = batch.JobQueue.fromJobQueueArn(stack, 'Queue', 'arn:aws:batch:us-east-1:123456789012:job-queue/preprocess');
  const jobDefinition = batch.EcsJobDefinition.fromJobDefinitionArn(stack, 'JobDef', 'arn:aws:batch:us-east-1:123456789012:job-definition/preprocess:3');
  const secret = new secretsmanager.Secret(stack, 'GitSecret');
  const key = new kms.Key(stack, 'OwnKey', { enableKeyRotation: true });
  const notebook = new ResearchNotebook(stack, 'Notebook', {
    vpc: network.vpc,
    dataLake: lake,
    instanceType: 'ml.g5.xlarge',
    volumeSizeGiB: 200,
    idleTimeout: Duration.minutes(90),
    gitRepositoryUrl: 'https://git-codecommit.us-east-1.amazonaws.com/v1/repos/research',
    gitBranch: 'main',
    gitCredentials: secret,
    starterNotebooks: false,
    encryptionKey: key,
    notebookInstanceName: 'research-1',
    curatedReadPrefixes: ['datasets/images/', 'shards'],
    scratchPrefix: 'scratch/alice',
    workgroup,
    catalog,
    jobQueue,
    jobDefinition,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  // Read the warning before synthesis, then acknowledge it, so that the synth prints no validation report.
  const warnings = warningsOf(notebook);
  Annotations.of(notebook).acknowledgeWarning('cdk-ml-at-scale:NotebookEndpointsMissing', 'asserted below');
  const template = Template.fromStack(stack);
  const statements = statementsOf(template, stack, notebook.role);

  test('takes the instance type, volume, name, key and removal policy given', () => {
    template.hasResource('AWS::SageMaker::NotebookInstance', {
      Properties: Match.objectLike({
        InstanceType: 'ml.g5.xlarge',
        VolumeSizeInGB: 200,
        NotebookInstanceName: 'research-1',
        KmsKeyId: { Ref: stack.getLogicalId(key.node.defaultChild as never) },
        SubnetId: { Ref: stack.getLogicalId(network.vpc.isolatedSubnets[0].node.defaultChild as never) },
      }),
      DeletionPolicy: 'Delete',
    });
    template.resourceCountIs('AWS::KMS::Key', 3); // the VPC's, the lake's and the one given
  });

  test('stops after the idle time given, and copies no starter notebook', () => {
    expect(hookText(template, 'OnStart')).toContain('--idle-seconds 5400');
    expect(hookText(template, 'OnCreate')).toBeUndefined();
    expect(notebook.starterNotebooksAsset).toBeUndefined();
  });

  test('clones the Git repository with credentials from the secret, which the role alone may read', () => {
    template.hasResourceProperties('AWS::SageMaker::CodeRepository', {
      GitConfig: { RepositoryUrl: 'https://git-codecommit.us-east-1.amazonaws.com/v1/repos/research', Branch: 'main', SecretArn: { Ref: stack.getLogicalId(secret.node.defaultChild as never) } },
    });
    template.hasResourceProperties('AWS::SageMaker::NotebookInstance', {
      DefaultCodeRepository: { 'Fn::GetAtt': [stack.getLogicalId(notebook.codeRepository!), 'CodeRepositoryName'] },
    });
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: expect.arrayContaining(['secretsmanager:GetSecretValue']),
        Resource: { Ref: stack.getLogicalId(secret.node.defaultChild as never) },
      }),
    );
  });

  test('reads only the curated prefixes given and works in the scratch prefix given', () => {
    const text = JSON.stringify(statements);
    expect(text).toContain('/datasets/images/*');
    expect(text).toContain('/shards/*');
    expect(text).toContain('/scratch/alice/*');
    expect(text).not.toContain('/scratch/notebooks/*');
    expect(text).not.toContain(`"Fn::GetAtt":["${stack.getLogicalId(lake.curatedBucket.node.defaultChild as never)}","Arn"]},"/*"`);
  });

  test('queries through the workgroup and reads the catalog with their own grants', () => {
    expect(workgroup.grantees).toEqual([notebook.role]);
    expect(catalog.grantees).toEqual([notebook.role]);
    expect(statements.flatMap(actionsOf)).toEqual(expect.arrayContaining(['athena:StartQueryExecution', 'glue:GetTable']));
  });

  test('submits to the preprocessing queue with any revision of its job definition', () => {
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: 'batch:SubmitJob',
        Resource: ['arn:aws:batch:us-east-1:123456789012:job-queue/preprocess', expect.objectContaining({ 'Fn::Join': ['', expect.arrayContaining([':job-definition/preprocess:*'])] })],
      }),
    );
  });

  test('warns that an MlVpc without NAT lacks the Batch and Secrets Manager endpoints', () => {
    expect(notebook.missingEndpoints).toEqual(['batch', 'secretsmanager']);
    expect(warnings).toEqual([expect.stringMatching(/^The VPC lacks the interface endpoint\(s\) batch, secretsmanager: .* \[ack: cdk-ml-at-scale:NotebookEndpointsMissing\]$/)]);
  });

  test('has no unacknowledged cdk-nag finding', () => {
    expect(nagFindings(notebook)).toEqual([]);
  });
});

describe('ResearchNotebook', () => {
  test('does not inspect the endpoints of a VPC that is not an MlVpc', () => {
    const stack = testStack('Plain');
    const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0 });
    const notebook = new ResearchNotebook(stack, 'Notebook', { vpc, dataLake: new DataLake(stack, 'Lake'), starterNotebooks: false });
    expect(notebook.missingEndpoints).toEqual([]);
    Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::NotebookInstance', {
      SubnetId: { Ref: stack.getLogicalId(vpc.isolatedSubnets[0].node.defaultChild as never) },
    });
  });
});

describe('ResearchNotebook fails when', () => {
  const { stack, network, lake } = base('Fails');
  let n = 0;
  const build = (props: Partial<ResearchNotebookProps>) => () =>
    new ResearchNotebook(stack, `Notebook${n++}`, { vpc: network.vpc, dataLake: lake, starterNotebooks: false, ...props });

  test.each(['t3.medium', 'ml.x9.large', 'ml.t3.huge', 'ml.m5'])('fails when instanceType is %s', (instanceType) => {
    expect(build({ instanceType })).toThrow(/instanceType must be a notebook instance type ml.<family>.<size> of the families t2, t3, .*got '/);
  });

  test.each([4, 16385, 10.5])('fails when volumeSizeGiB is %s', (volumeSizeGiB) => {
    expect(build({ volumeSizeGiB })).toThrow(`volumeSizeGiB must be an integer from 5 to 16384, got ${volumeSizeGiB}`);
  });

  test.each([Duration.minutes(4), Duration.seconds(330), Duration.days(8)])('fails when idleTimeout is %s', (idleTimeout) => {
    expect(build({ idleTimeout })).toThrow(/idleTimeout must be whole minutes from 5 minutes to 7 days, got/);
  });

  test('fails when idleTimeout is a token', () => {
    expect(build({ idleTimeout: Duration.seconds(Lazy.number({ produce: () => 600 })) })).toThrow('idleTimeout must be a literal duration');
  });

  test('fails when gitRepositoryUrl is not an https URL', () => {
    expect(build({ gitRepositoryUrl: 'git@github.com:org/repo.git' })).toThrow("gitRepositoryUrl must be an https:// URL of a repository, got 'git@github.com:org/repo.git'");
  });

  test('fails when gitBranch is given without a repository', () => {
    expect(build({ gitBranch: 'main' })).toThrow("gitBranch needs gitRepositoryUrl, got 'main'");
  });

  test('fails when gitCredentials are given without a repository', () => {
    expect(build({ gitCredentials: secretsmanager.Secret.fromSecretNameV2(stack, 'S', 'git') })).toThrow('gitCredentials needs gitRepositoryUrl');
  });

  test('fails when notebookInstanceName is not a valid name', () => {
    expect(build({ notebookInstanceName: 'my_notebook' })).toThrow("notebookInstanceName must be 1 to 63 letters, digits and inner hyphens, got 'my_notebook'");
  });

  test('fails when curatedReadPrefixes is empty', () => {
    expect(build({ curatedReadPrefixes: [] })).toThrow('curatedReadPrefixes must hold at least one prefix, got []');
  });

  test('fails when curatedReadPrefixes holds a wildcard', () => {
    expect(build({ curatedReadPrefixes: ['datasets/*'] })).toThrow("curatedReadPrefixes must be a plain key prefix without wildcards, got 'datasets/*'");
  });

  test('fails when scratchPrefix is the whole artifacts zone', () => {
    expect(build({ scratchPrefix: '' })).toThrow("scratchPrefix must be a prefix of the artifacts zone, not the whole zone, got ''");
    expect(build({ scratchPrefix: '/' })).toThrow("scratchPrefix must be a key prefix such as 'datasets/imagenet', not '/' (which would be the whole bucket), got '/'");
  });

  test('fails when jobQueue is given without jobDefinition', () => {
    const jobQueue = batch.JobQueue.fromJobQueueArn(stack, 'Q', 'arn:aws:batch:us-east-1:123456789012:job-queue/q');
    expect(build({ jobQueue })).toThrow('jobDefinition must be given with jobQueue, got undefined');
  });

  test('fails when jobDefinition is given without jobQueue', () => {
    const jobDefinition = batch.EcsJobDefinition.fromJobDefinitionArn(stack, 'D', 'arn:aws:batch:us-east-1:123456789012:job-definition/d:1');
    expect(build({ jobDefinition })).toThrow('jobQueue must be given with jobDefinition, got undefined');
  });

  test('fails when vpcSubnets selects no subnet', () => {
    expect(build({ vpcSubnets: { subnetGroupName: 'public', onePerAz: true, availabilityZones: [] } })).toThrow(/vpcSubnets must select at least one subnet/);
  });
});

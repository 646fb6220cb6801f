import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { everythingOnContext, referenceApp } from './fixture';

/**
 * Retention census: every resource type of the reference app, with every optional stack and option on,
 * is either stateful (it holds data, or access to data, that a stack deletion or a replacement would lose)
 * or stateless (CloudFormation re-creates it from the template alone). A new type fails the census until
 * it is classified here, so that nothing that holds data slips in with CloudFormation's default (Delete).
 */
const STATEFUL: Record<string, string> = {
  'AWS::S3::Bucket': 'the data lake zones and the access logs',
  'AWS::KMS::Key': 'a deleted key makes everything it encrypted unreadable',
  'AWS::FSx::FileSystem': 'the Lustre file system: files not yet exported to S3',
  'AWS::FSx::DataRepositoryAssociation': 'the link between Lustre and the lake, with its import and export state',
  'AWS::EFS::FileSystem': 'the shared home directories',
  'AWS::Backup::BackupVault': 'the recovery points of the file systems',
  'AWS::Glue::Database': 'the table definitions the crawler and the ETL job built',
  'AWS::Logs::LogGroup': 'audit and run logs, kept for at least a year',
  'AWS::RedshiftServerless::Namespace': 'the warehouse: its tables and snapshots',
  'AWS::Athena::WorkGroup': 'query history and saved results configuration (a Delete would be recursive)',
  'AWS::SageMaker::Domain': "the Studio domain's EFS volume with every user's home directory",
  'AWS::SageMaker::UserProfile': "deleting a user profile loses the user's access to their EFS data, notebooks and artifacts (SageMaker DeleteUserProfile API reference)",
  'AWS::SageMaker::NotebookInstance': "the notebook instance's ML storage volume",
  'AWS::SQS::Queue': 'the dead-letter queues: the only record of the events that failed',
  'AWS::StorageGateway::NFSFileShare': 'writes from on-premises clients not yet uploaded to S3',
  'AWS::GreengrassV2::ComponentVersion': 'the component versions the devices run',
  'AWS::GreengrassV2::Deployment': 'deleting the deployment removes its components from the fleet',
  'AWS::IoT::ThingGroup': 'the fleet: devices join it when the Greengrass installer provisions them, outside CloudFormation',
  // Not in the app today; classified so that adding one is checked, not overlooked.
  'AWS::SecretsManager::Secret': 'credentials',
  'AWS::DynamoDB::Table': 'items',
  'AWS::DynamoDB::GlobalTable': 'items',
  'AWS::RDS::DBCluster': 'a database',
  'AWS::RDS::DBInstance': 'a database',
  'AWS::Redshift::Cluster': 'a warehouse',
  'AWS::ECR::Repository': 'container images',
  'AWS::Kinesis::Stream': 'records',
  'AWS::Events::Archive': 'archived events',
  'AWS::OpenSearchService::Domain': 'indices',
  'AWS::EC2::Volume': 'a block volume',
};

/** Re-created from the template alone: configuration, compute, networking, permissions, alarms. */
const STATELESS: Record<string, string> = {
  'AWS::Athena::NamedQuery': 'a saved query, defined in the template',
  'AWS::Backup::BackupPlan': 'a schedule; the recovery points live in the vault',
  'AWS::Backup::BackupSelection': 'the resources a plan covers',
  'AWS::Batch::ComputeEnvironment': 'compute',
  'AWS::Batch::JobDefinition': 'a job template',
  'AWS::Batch::JobQueue': 'queued jobs are resubmitted by the pipeline; nothing is stored',
  'AWS::Batch::SchedulingPolicy': 'configuration',
  'AWS::CloudWatch::Alarm': 'configuration',
  'AWS::CloudWatch::Dashboard': 'configuration',
  'AWS::EC2::EIP': "the NAT gateway's address",
  'AWS::EC2::FlowLog': 'the flow logs land in a retained log group',
  'AWS::EC2::InternetGateway': 'networking',
  'AWS::EC2::LaunchTemplate': 'configuration',
  'AWS::EC2::NatGateway': 'networking',
  'AWS::EC2::PlacementGroup': 'configuration',
  'AWS::EC2::Route': 'networking',
  'AWS::EC2::RouteTable': 'networking',
  'AWS::EC2::SecurityGroup': 'networking',
  'AWS::EC2::SecurityGroupEgress': 'networking',
  'AWS::EC2::SecurityGroupIngress': 'networking',
  'AWS::EC2::Subnet': 'networking',
  'AWS::EC2::SubnetRouteTableAssociation': 'networking',
  'AWS::EC2::VPC': 'networking',
  'AWS::EC2::VPCEndpoint': 'networking',
  'AWS::EC2::VPCGatewayAttachment': 'networking',
  'AWS::EFS::AccessPoint': 'a view of the retained file system',
  'AWS::EFS::MountTarget': 'networking of the retained file system',
  'AWS::EMRServerless::Application': 'compute; job output goes to the lake',
  'AWS::Events::Rule': 'configuration',
  'AWS::Glue::Connection': 'networking configuration',
  'AWS::Glue::Crawler': 'configuration; its tables live in the retained database',
  'AWS::Glue::Job': 'a script reference; output goes to the lake',
  'AWS::Glue::SecurityConfiguration': 'configuration',
  'AWS::IAM::InstanceProfile': 'permissions',
  'AWS::IAM::Policy': 'permissions',
  'AWS::IAM::Role': 'permissions',
  'AWS::IoT::Policy': 'permissions of the device certificates',
  'AWS::IoT::RoleAlias': 'permissions of the device certificates',
  'AWS::Lambda::EventInvokeConfig': 'configuration',
  'AWS::Lambda::Function': 'code from the assets',
  'AWS::Lambda::Permission': 'permissions',
  'AWS::RedshiftServerless::Workgroup': 'compute; the data lives in the retained namespace',
  'AWS::S3::BucketPolicy': 'permissions of a retained bucket',
  'AWS::SageMaker::NotebookInstanceLifecycleConfig': 'a script from the assets',
  'AWS::SNS::Subscription': 'configuration',
  'AWS::SNS::Topic': 'alarm fan-out; SNS stores no messages',
  'AWS::SNS::TopicPolicy': 'permissions',
  'AWS::SQS::QueuePolicy': 'permissions of a retained queue',
  'AWS::StepFunctions::StateMachine': 'a definition; executions log to a retained log group',
  'Custom::S3AutoDeleteObjects': 'empties a bucket only under RemovalPolicy.DESTROY',
  'Custom::S3BucketNotifications': 'configuration of a retained bucket',
  'Custom::VpcRestrictDefaultSG': 'networking',
};

interface Row {
  readonly key: string;
  readonly type: string;
  readonly deletion?: string;
  readonly replace?: string;
}

function rows(context: Record<string, unknown>): Map<string, Row> {
  const { app } = referenceApp(context);
  const out = new Map<string, Row>();
  for (const stack of app.synth().stacks) {
    const resources = stack.template.Resources as Record<string, { Type: string; DeletionPolicy?: string; UpdateReplacePolicy?: string }>;
    for (const [id, r] of Object.entries(resources)) {
      const key = `${stack.stackName}/${id}`;
      out.set(key, { key, type: r.Type, deletion: r.DeletionPolicy, replace: r.UpdateReplacePolicy });
    }
  }
  return out;
}

const policies = (r: Row) => `${r.key} (${r.type}): DeletionPolicy ${r.deletion ?? 'none'}, UpdateReplacePolicy ${r.replace ?? 'none'}`;

// GIVEN the app with everything on: by default, with the dev preset (which still retains), and with the
// dev preset and its explicit opt-in to DESTROY (`ml-at-scale.removalPolicy=destroy`).
const lockDir = fs.mkdtempSync(path.join(os.tmpdir(), 'retention-census-'));
const everythingOn = everythingOnContext(lockDir);
const retained = rows(everythingOn);
const devRetained = rows({ ...everythingOn, 'ml-at-scale.preset': 'dev' });
const destroyed = rows({ ...everythingOn, 'ml-at-scale.preset': 'dev', 'ml-at-scale.removalPolicy': 'destroy' });
const all = [...retained.values(), ...devRetained.values(), ...destroyed.values()];
const stateful = (r: Row) => Object.prototype.hasOwnProperty.call(STATEFUL, r.type);

test('classifies every resource type of the app as stateful or stateless', () => {
  const unclassified = [...new Set(all.map((r) => r.type))].filter((t) => !(t in STATEFUL) && !(t in STATELESS));
  expect(unclassified).toEqual([]);
  expect(Object.keys(STATEFUL).filter((t) => t in STATELESS)).toEqual([]);
});

test('holds the stateful types the topology is known to have', () => {
  // A config that silently dropped a stack would shrink the census: the types it covers are pinned.
  const found = [...new Set([...retained.values()].filter(stateful).map((r) => r.type))].sort();
  expect(found).toEqual([
    'AWS::Athena::WorkGroup',
    'AWS::Backup::BackupVault',
    'AWS::EFS::FileSystem',
    'AWS::FSx::DataRepositoryAssociation',
    'AWS::FSx::FileSystem',
    'AWS::Glue::Database',
    'AWS::GreengrassV2::ComponentVersion',
    'AWS::GreengrassV2::Deployment',
    'AWS::IoT::ThingGroup',
    'AWS::KMS::Key',
    'AWS::Logs::LogGroup',
    'AWS::RedshiftServerless::Namespace',
    'AWS::S3::Bucket',
    'AWS::SQS::Queue',
    'AWS::SageMaker::Domain',
    'AWS::SageMaker::NotebookInstance',
    'AWS::SageMaker::UserProfile',
    'AWS::StorageGateway::NFSFileShare',
  ]);
});

test('retains every stateful resource by default, on deletion and on replacement', () => {
  const lost = [...retained.values(), ...devRetained.values()].filter(stateful).filter((r) => r.deletion !== 'Retain' || r.replace !== 'Retain');
  expect(lost.map(policies)).toEqual([]);
});

test('destroys every stateful resource when the config asks for it', () => {
  const kept = [...destroyed.values()].filter(stateful).filter((r) => r.deletion !== 'Delete' || r.replace !== 'Delete');
  expect(kept.map(policies)).toEqual([]);
});

test('changes nothing but the stateful resources when the config asks for destroy', () => {
  // The same resources as the same preset without the opt-in, except for what empties a bucket before its deletion.
  const missing = [...devRetained.keys()].filter((k) => !destroyed.has(k));
  const added = [...destroyed.values()].filter((r) => !devRetained.has(r.key));
  expect(missing).toEqual([]);
  expect(added.filter((r) => r.type !== 'Custom::S3AutoDeleteObjects' && !r.key.includes('CustomS3AutoDeleteObjectsCustomResourceProvider')).map(policies)).toEqual([]);
  // A stateless resource keeps its policies.
  const changed = [...devRetained.values()].filter((r) => !stateful(r)).filter((r) => {
    const d = destroyed.get(r.key)!;
    return d.deletion !== r.deletion || d.replace !== r.replace;
  });
  expect(changed.map(policies)).toEqual([]);
});

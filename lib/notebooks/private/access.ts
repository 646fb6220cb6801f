import { Stack, Token, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { IConstruct } from 'constructs';
import { invalidProp } from '../../common/errors';
import { acknowledgeWildcardResources } from '../../common/nag';
import { plainPrefix } from '../../common/s3-access';
import { DataLakeZone, IDataLake } from '../../data-lake';
import { ResearchAccessOptions, ResearchResources } from '../research-access';
import { grantLocation } from '../../data-lake/private/location-grants';

/** Everything the exploration role gets, resolved from the props. */
export interface ExplorationGrant extends ResearchAccessOptions, ResearchResources {
  readonly dataLake: IDataLake;
  /** The key of the notebook's volume or the domain's storage. */
  readonly encryptionKey: kms.IKey;
  /** The log group that SageMaker writes the environment's logs to, e.g. `/aws/sagemaker/NotebookInstances`. */
  readonly logGroupName: string;
}

/** The curated prefixes and the scratch prefix, validated (no wildcards, no empty scratch prefix). */
export function explorationPrefixes(scope: IConstruct, options: ResearchAccessOptions): { curated: string[]; scratch: string } {
  const curatedIn = options.curatedReadPrefixes ?? [''];
  if (curatedIn.length === 0) throw invalidProp(scope, 'curatedReadPrefixes', 'must hold at least one prefix', curatedIn);
  const curated = curatedIn.map((p) => plainPrefix(scope, 'curatedReadPrefixes', p));
  const scratch = plainPrefix(scope, 'scratchPrefix', options.scratchPrefix ?? 'scratch/notebooks');
  if (scratch === '' && !Token.isUnresolved(options.scratchPrefix)) {
    throw invalidProp(scope, 'scratchPrefix', 'must be a prefix of the artifacts zone, not the whole zone', options.scratchPrefix);
  }
  return { curated, scratch };
}

/**
 * Grants an exploration role exactly what the brief of a research environment needs: read the
 * curated prefixes, read and write the scratch prefix, query through the workgroup, read the catalog,
 * submit preprocessing jobs, write its own logs and use its storage key. No `iam:PassRole`.
 */
export function grantExploration(scope: IConstruct, role: iam.Role, g: ExplorationGrant): void {
  const { curated, scratch } = explorationPrefixes(scope, g);
  if ((g.jobQueue === undefined) !== (g.jobDefinition === undefined)) {
    const [missing, present] = g.jobQueue ? ['jobDefinition', 'jobQueue'] : ['jobQueue', 'jobDefinition'];
    throw invalidProp(scope, missing, `must be given with ${present}`, undefined);
  }
  const stack = Stack.of(scope);
  // No prefix given: the whole curated zone, through the lake's explicit whole-zone grant.
  for (const prefix of curated) grantLocation(g.dataLake, role, DataLakeZone.CURATED, prefix, false);
  g.dataLake.grantReadWrite(role, DataLakeZone.ARTIFACTS, scratch);
  g.workgroup?.grantQuery(role);
  g.catalog?.grantReadCatalog(role);

  if (g.jobQueue && g.jobDefinition) {
    const definitions = stack.formatArn({ service: 'batch', resource: 'job-definition', resourceName: `${g.jobDefinition.jobDefinitionName}:*` });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'SubmitPreprocessing', actions: ['batch:SubmitJob'], resources: [g.jobQueue.jobQueueArn, definitions] }),
    );
    // DescribeJobs and ListJobs have no resource-level permissions.
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'WatchJobs', actions: ['batch:DescribeJobs', 'batch:ListJobs'], resources: ['*'] }));
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'batch:DescribeJobs and batch:ListJobs support no resource-level permissions (Service Authorization Reference); they only read job status.',
    });
    acknowledgeWildcardResources(role, [definitions], 'Any revision of the one preprocessing job definition: a new revision must not break submissions from notebooks.');
  }

  const groupArn = `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:${g.logGroupName}`;
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ sid: 'OwnLogs', actions: ['logs:CreateLogGroup', 'logs:DescribeLogStreams'], resources: [`${groupArn}:*`] }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ sid: 'OwnLogStreams', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [`${groupArn}:log-stream:*`] }),
  );
  acknowledgeWildcardResources(
    role,
    [`${groupArn}:*`, `${groupArn}:log-stream:*`],
    `SageMaker's own log group ${g.logGroupName}: its streams are named by SageMaker at run time, and the trailing :* is the log-group ARN form that CreateLogGroup and DescribeLogStreams take.`,
  );

  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'StorageKey',
      actions: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
      resources: [g.encryptionKey.keyArn],
    }),
  );
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'StorageKeyGrants',
      actions: ['kms:CreateGrant'],
      resources: [g.encryptionKey.keyArn],
      conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    }),
  );
}

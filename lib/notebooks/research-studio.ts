import { Duration, Names, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { invalidProp } from '../common/errors';
import { acknowledgeInlinePolicy, acknowledgeWildcardResources, principalConstruct } from '../common/nag';
import { IDataLake } from '../data-lake';
import { grantExploration } from './private/access';
import { defaultSubnets, requiredEndpoints, warnMissingEndpoints } from './private/endpoints';
import { ResearchAccessOptions, ResearchResources } from './research-access';
import { restrictGrantsToAwsServices } from '../common/kms';

/** Idle shutdown bounds of Studio apps, minutes (AWS::SageMaker::Domain IdleSettings: 60 to 525600). */
const IDLE_MINUTES = { min: 60, max: 525600 };
const NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

/** The options of a {@link ResearchStudio}: its props, less the resources a stack wires in. */
export interface ResearchStudioOptions extends ResearchAccessOptions {
  /**
   * The name of the domain.
   * @default - a unique name from the construct path
   */
  readonly domainName?: string;
  /**
   * One user profile per name: letters, digits and inner hyphens, up to 63 characters.
   * @default - no user profile
   */
  readonly userProfileNames?: string[];
  /**
   * How long a JupyterLab app may stay idle before Studio shuts it down: whole minutes, from 1 hour to
   * 365 days. Users may lower it, down to an hour, but not raise it.
   * @default Duration.hours(1)
   */
  readonly idleTimeout?: Duration;
  /**
   * The key that encrypts the domain's home file system (EFS) and its apps' volumes.
   * @default - a new customer-managed key with rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * What happens to the domain (its file system holds every user's home folder), the user profiles and
   * the key created here when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Properties of a {@link ResearchStudio}. */
export interface ResearchStudioProps extends ResearchStudioOptions, ResearchResources {
  /** The VPC of the domain: its apps have no other network access (VPC only). */
  readonly vpc: ec2.IVpc;
  /** The data lake: the role reads the curated zone and works in a scratch prefix of the artifacts zone. */
  readonly dataLake: IDataLake;
  /**
   * The subnets of the domain (private ones: VPC-only mode refuses public subnets).
   * @default - the VPC's private subnets (isolated ones when it has no others)
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
}

/**
 * A SageMaker Studio domain for exploration: VPC-only network access in private subnets, home file
 * system encrypted with a customer-managed key, RETAIN by default, and default user settings with a
 * least-privilege execution role, the domain's security group and JupyterLab idle shutdown through app
 * lifecycle management. One user profile per name given.
 *
 * @see https://docs.aws.amazon.com/sagemaker/latest/dg/studio-updated-and-internet-access.html
 */
export class ResearchStudio extends Construct implements iam.IGrantable, ec2.IConnectable {
  /** The Studio domain (L1). */
  public readonly domain: sagemaker.CfnDomain;
  /** The user profiles, by name. */
  public readonly userProfiles: Record<string, sagemaker.CfnUserProfile>;
  /** The default execution role of the domain's users. */
  public readonly role: iam.Role;
  /** The role's permissions on this domain's apps, spaces and user profiles (what Studio's UI does). */
  public readonly studioPolicy: iam.Policy;
  /** The security group of the apps: all TCP within itself (apps talk to each other), HTTPS out. */
  public readonly securityGroup: ec2.SecurityGroup;
  /** The key of the domain's storage. */
  public readonly encryptionKey: kms.IKey;
  /** The ID of the domain. */
  public readonly domainId: string;
  /** The idle time after which JupyterLab apps shut down. */
  public readonly idleTimeout: Duration;
  /** Endpoints the domain needs that the VPC (an MlVpc) lacks; empty when complete or not an MlVpc. */
  public readonly missingEndpoints: string[];
  public readonly grantPrincipal: iam.IPrincipal;
  public readonly connections: ec2.Connections;

  /**
   * Defines a `ResearchStudio` in `scope`.
   *
   * @param scope the scope to define the construct in
   * @param id the construct's id, unique in `scope`
   * @param props the construct's configuration, see `ResearchStudioProps`
   */
  constructor(scope: Construct, id: string, props: ResearchStudioProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.idleTimeout = props.idleTimeout ?? Duration.hours(1);
    if (this.idleTimeout.isUnresolved()) throw invalidProp(this, 'idleTimeout', 'must be a literal duration', 'a token');
    const idleMinutes = this.idleTimeout.toMinutes({ integral: false });
    if (!Number.isInteger(idleMinutes) || idleMinutes < IDLE_MINUTES.min || idleMinutes > IDLE_MINUTES.max) {
      throw invalidProp(this, 'idleTimeout', 'must be whole minutes from 60 minutes to 365 days', this.idleTimeout.toHumanString());
    }
    const domainName = props.domainName ?? defaultDomainName(this);
    if (!Token.isUnresolved(domainName) && !NAME.test(domainName)) {
      throw invalidProp(this, 'domainName', 'must be 1 to 63 letters, digits and inner hyphens', domainName);
    }
    const names = props.userProfileNames ?? [];
    const seen = new Set<string>();
    for (const name of names) {
      if (Token.isUnresolved(name) || !NAME.test(name)) {
        throw invalidProp(this, 'userProfileNames', 'must hold literal names of 1 to 63 letters, digits and inner hyphens', name);
      }
      if (seen.has(name.toLowerCase())) throw invalidProp(this, 'userProfileNames', 'must not name a user twice', name);
      seen.add(name.toLowerCase());
    }

    this.encryptionKey =
      props.encryptionKey ??
      restrictGrantsToAwsServices(new kms.Key(this, 'Key', { description: `Encrypts the Studio domain ${this.node.path}`, enableKeyRotation: true, removalPolicy }));

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Studio domain ${this.node.path}: apps to each other, HTTPS out to the VPC endpoints and S3`,
      allowAllOutbound: false,
    });
    // JupyterLab and kernel apps of one user talk to each other over TCP.
    this.securityGroup.connections.allowInternally(ec2.Port.allTcp(), 'Studio apps to each other');
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to the interface endpoints and the S3 gateway endpoint');
    this.connections = this.securityGroup.connections;

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: `Default execution role of the Studio domain ${this.node.path}: exploration of the curated zone`,
    });
    acknowledgeInlinePolicy(this.role);
    this.grantPrincipal = this.role;
    grantExploration(this, this.role, { ...props, encryptionKey: this.encryptionKey, logGroupName: '/aws/sagemaker/studio' });

    const subnets = props.vpc.selectSubnets(props.vpcSubnets ?? defaultSubnets(props.vpc));
    if (subnets.subnetIds.length === 0) throw invalidProp(this, 'vpcSubnets', 'must select at least one subnet', props.vpcSubnets ?? 'the private subnets');
    if (subnets.subnets.some((s) => props.vpc.publicSubnets.includes(s))) {
      throw invalidProp(this, 'vpcSubnets', 'must select private subnets only (VPC-only mode refuses public subnets)', props.vpcSubnets);
    }

    this.domain = new sagemaker.CfnDomain(this, 'Resource', {
      domainName,
      authMode: 'IAM',
      appNetworkAccessType: 'VpcOnly',
      vpcId: props.vpc.vpcId,
      subnetIds: subnets.subnetIds,
      kmsKeyId: this.encryptionKey.keyArn,
      domainSettings: { securityGroupIds: [this.securityGroup.securityGroupId] },
      defaultUserSettings: {
        executionRole: this.role.roleArn,
        securityGroups: [this.securityGroup.securityGroupId],
        studioWebPortal: 'ENABLED',
        defaultLandingUri: 'studio::',
        jupyterLabAppSettings: {
          appLifecycleManagement: {
            idleSettings: {
              lifecycleManagement: 'ENABLED',
              idleTimeoutInMinutes: idleMinutes,
              minIdleTimeoutInMinutes: IDLE_MINUTES.min,
              maxIdleTimeoutInMinutes: idleMinutes,
            },
          },
        },
      },
    });
    this.domain.applyRemovalPolicy(removalPolicy);
    this.domain.node.addDependency(this.role);
    this.domainId = this.domain.attrDomainId;

    // What Studio's web UI does with the execution role in IAM mode: spaces and apps of this domain only.
    const stack = Stack.of(this);
    const inDomain = (resource: string) => stack.formatArn({ service: 'sagemaker', resource, resourceName: `${this.domainId}/*` });
    const domainArn = stack.formatArn({ service: 'sagemaker', resource: 'domain', resourceName: this.domainId });
    const resources = [inDomain('app'), inDomain('space'), inDomain('user-profile')];
    // In a policy of its own: the domain waits for the role's default policy, and this one names the domain.
    this.studioPolicy = new iam.Policy(this, 'StudioPolicy', {
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({
          sid: 'StudioAppsOfThisDomain',
          actions: [
            'sagemaker:CreateApp', 'sagemaker:DeleteApp', 'sagemaker:DescribeApp',
            'sagemaker:CreateSpace', 'sagemaker:UpdateSpace', 'sagemaker:DeleteSpace', 'sagemaker:DescribeSpace',
            'sagemaker:DescribeUserProfile', 'sagemaker:AddTags',
          ],
          resources,
        }),
        new iam.PolicyStatement({ sid: 'StudioDomain', actions: ['sagemaker:DescribeDomain'], resources: [domainArn] }),
        // The List actions of SageMaker support no resource-level permissions.
        new iam.PolicyStatement({
          sid: 'StudioLists',
          actions: ['sagemaker:ListApps', 'sagemaker:ListSpaces', 'sagemaker:ListUserProfiles', 'sagemaker:ListTags'],
          resources: ['*'],
        }),
      ],
    });
    acknowledgeInlinePolicy(this.studioPolicy);
    Validations.of(this.studioPolicy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'sagemaker:ListApps, ListSpaces, ListUserProfiles and ListTags support no resource-level permissions; Studio lists the apps and spaces it shows.',
    });
    acknowledgeWildcardResources(this.studioPolicy, resources, 'Studio names apps, spaces and user profiles at run time; the grant is limited to those of this domain.');

    this.userProfiles = {};
    for (const name of names) {
      this.userProfiles[name] = new sagemaker.CfnUserProfile(this, `User-${name}`, {
        domainId: this.domainId,
        userProfileName: name,
      });
      // Deleting a profile loses the user's access to their home folder on the domain's file system.
      this.userProfiles[name].applyRemovalPolicy(removalPolicy);
    }

    this.missingEndpoints = warnMissingEndpoints(
      this,
      props.vpc,
      requiredEndpoints({
        athena: props.workgroup !== undefined,
        glue: props.workgroup !== undefined || props.catalog !== undefined,
        batch: props.jobQueue !== undefined,
        secrets: false,
      }),
    );
  }

  /**
   * Grants a principal (a user's console role) opening this domain's Studio as one of its user profiles.
   *
   * @param grantee the principal that opens Studio, typically a user's console role
   */
  public grantOpen(grantee: iam.IGrantable): iam.Grant {
    const profiles = Stack.of(this).formatArn({ service: 'sagemaker', resource: 'user-profile', resourceName: `${this.domainId}/*` });
    const grant = iam.Grant.addToPrincipal({ grantee, actions: ['sagemaker:CreatePresignedDomainUrl'], resourceArns: [profiles] });
    const principal = principalConstruct(grantee);
    if (principal) acknowledgeWildcardResources(principal, [profiles], 'Any user profile of this one Studio domain: users are added to the domain over time.');
    return grant;
  }
}

function defaultDomainName(scope: Construct): string {
  return Names.uniqueResourceName(scope, { maxLength: 63, separator: '-' });
}

import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as greengrassv2 from 'aws-cdk-lib/aws-greengrassv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as iot from 'aws-cdk-lib/aws-iot';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct, IConstruct } from 'constructs';
import { invalidProp, validateNumber } from '../common/errors';
import { allowCloudWatchLogs, logRetention } from '../common/logging';
import { acknowledgeInlinePolicy, acknowledgeWildcardResources } from '../common/nag';
import { DataLakeZone, IDataLake } from '../data-lake';
import { inferenceRunnerPath } from './private/assets';
import { buildRecipe, compareVersions, recipeHash, SEMVER, sha256ToBase64 } from './private/recipe';
import { restrictGrantsToAwsServices } from '../common/kms';

/** One model release: a component version whose recipe runs the reference runner on one model file. */
export interface EdgeModelVersion {
  /** The component version, `major.minor.patch` (Greengrass takes no pre-release or build suffix). */
  readonly version: string;
  /** The key of the model file in the artifacts zone, under the deployment's `modelsPrefix`. */
  readonly modelKey: string;
  /**
   * The SHA-256 of the model file, as 64 hex characters or as base64. Devices check the file against it.
   * @default - none in the recipe: Greengrass computes the digest when it creates the component version
   */
  readonly modelSha256?: string;
  /**
   * Configuration defaults of this version, merged over the runner's (`Host` `127.0.0.1`, `Port` 8080).
   * @default - the runner's defaults
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- recipe configuration is free-form JSON
  readonly configuration?: { [key: string]: any };
}

/** How a deployment rolls out to the fleet, as the release handler repeats it. */
export interface EdgeRolloutConfiguration {
  /** Devices notified per minute when a rollout starts. */
  readonly baseRatePerMinute: number;
  /** Factor by which the rate grows (one decimal). */
  readonly incrementFactor: number;
  /** Devices that must succeed before the rate grows. */
  readonly rateIncreaseAfterSucceededThings: number;
  /** Percentage of failed devices (two decimals) at which the rollout is cancelled. */
  readonly abortThresholdPercentage: number;
  /** Devices that must have run the deployment before the abort rule applies. */
  readonly abortMinExecutedThings: number;
  /** Minutes a device has to finish the deployment before it counts as timed out. */
  readonly deviceTimeoutMinutes: number;
}

/** The settings of an {@link EdgeDeployment}: its props without the lake (what a stack wires in). */
export interface EdgeDeploymentOptions {
  /**
   * The Greengrass component name, for example `com.example.ChurnInference`: 1 to 128 letters, digits,
   * dots, hyphens and underscores. Literal: it names resources and scopes the log group.
   */
  readonly componentName: string;
  /**
   * The releases to create as component versions, at least one. A recorded version whose recipe changes
   * fails the synth: component versions are immutable (see `recipeLockFile`).
   */
  readonly releases: EdgeModelVersion[];
  /**
   * The version that the fleet runs.
   * @default - the highest version of `releases`
   */
  readonly deployedVersion?: string;
  /**
   * The prefix of the artifacts zone that holds models; devices may read only under it.
   * @default 'models/'
   */
  readonly modelsPrefix?: string;
  /**
   * The name of the thing group of the fleet: letters, digits, `:`, `_` and `-`, at most 128.
   * @default - a name CloudFormation generates (see `thingGroupName` on the construct)
   */
  readonly thingGroupName?: string;
  /**
   * The name of the role alias that devices use to get credentials: letters, digits and `=,@-_`, at most 128.
   * @default - a name CloudFormation generates
   */
  readonly roleAliasName?: string;
  /**
   * How long device credentials last, from 15 minutes to 12 hours.
   * @default Duration.hours(1)
   */
  readonly credentialDuration?: Duration;
  /**
   * Devices notified per minute when a rollout starts, 1 to 1000.
   * @default 5
   */
  readonly rolloutBaseRatePerMinute?: number;
  /**
   * Factor by which the rollout rate grows, 1 to 5 with at most one decimal.
   * @default 2
   */
  readonly rolloutIncrementFactor?: number;
  /**
   * Devices that must succeed before the rollout rate grows.
   * @default 5
   */
  readonly rolloutRateIncreaseAfterSucceededThings?: number;
  /**
   * Percentage of failed devices at which the rollout is cancelled, 0 to 100 with at most two decimals.
   * @default 10
   */
  readonly abortThresholdPercentage?: number;
  /**
   * Devices that must have run the deployment before the abort rule applies.
   * @default 10
   */
  readonly abortMinExecutedThings?: number;
  /**
   * How long a device has to finish a deployment, whole minutes from 1 minute to 7 days.
   * @default Duration.hours(1)
   */
  readonly deviceTimeout?: Duration;
  /**
   * The recipe lock: a JSON file, checked in beside cdk.json, that records the hash of each component
   * version's recipe. A recorded version whose recipe changes fails the synth; a new version is recorded.
   * A relative path is resolved from the directory the app runs in.
   * @default 'edge-recipes.lock.json'
   */
  readonly recipeLockFile?: string;
  /**
   * The key of the component log group. A key passed in must allow CloudWatch Logs to use it.
   * @default - a new customer-managed key with rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * How long component logs are kept. At least a year.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the deployment, the component versions, the thing group, the log group and the key
   * when they leave the stack. Deleting a deployment removes its components from the devices; deleting
   * the thing group loses the devices' membership.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Properties of an {@link EdgeDeployment}. */
export interface EdgeDeploymentProps extends EdgeDeploymentOptions {
  /** The lake whose artifacts zone holds the model files. */
  readonly dataLake: IDataLake;
}

/**
 * A fleet of Greengrass core devices and what it runs, created here ({@link EdgeDeployment}) or imported
 * ({@link EdgeDeployment.fromEdgeDeploymentAttributes}). {@link EdgeModelRelease} takes this interface.
 */
export interface IEdgeDeployment extends IConstruct {
  /** The lake whose artifacts zone holds the model files. */
  readonly dataLake: IDataLake;
  /** The Greengrass component name. */
  readonly componentName: string;
  /** The prefix of the artifacts zone that holds models, ending in `/`. */
  readonly modelsPrefix: string;
  /** The ARN of the fleet's thing group, the deployment target. */
  readonly thingGroupArn: string;
  /** The `s3://` URI of the reference runner script. */
  readonly runnerUri: string;
  /** The SHA-256 of the runner script, base64. */
  readonly runnerSha256: string;
  /** The rollout of the fleet's deployments. */
  readonly rollout: EdgeRolloutConfiguration;
}

/** An existing edge deployment to import with {@link EdgeDeployment.fromEdgeDeploymentAttributes}. */
export interface EdgeDeploymentAttributes {
  /** The lake whose artifacts zone holds the model files. */
  readonly dataLake: IDataLake;
  /** The Greengrass component name. */
  readonly componentName: string;
  /**
   * The prefix of the artifacts zone that holds models.
   * @default 'models/'
   */
  readonly modelsPrefix?: string;
  /** The ARN of the fleet's thing group. */
  readonly thingGroupArn: string;
  /** The `s3://` URI of the runner script. */
  readonly runnerUri: string;
  /** The SHA-256 of the runner script (hex or base64). */
  readonly runnerSha256: string;
  /**
   * The rollout of the fleet's deployments.
   * @default - EdgeDeployment's defaults
   */
  readonly rollout?: EdgeRolloutConfiguration;
}

const DEFAULT_MODELS_PREFIX = 'models/';
const DEFAULT_LOCK_FILE = 'edge-recipes.lock.json';
const COMPONENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The rollout defaults, stated once. */
function defaultRollout(): EdgeRolloutConfiguration {
  return {
    baseRatePerMinute: 5,
    incrementFactor: 2,
    rateIncreaseAfterSucceededThings: 5,
    abortThresholdPercentage: 10,
    abortMinExecutedThings: 10,
    deviceTimeoutMinutes: 60,
  };
}

class ImportedEdgeDeployment extends Construct implements IEdgeDeployment {
  public readonly dataLake: IDataLake;
  public readonly componentName: string;
  public readonly modelsPrefix: string;
  public readonly thingGroupArn: string;
  public readonly runnerUri: string;
  public readonly runnerSha256: string;
  public readonly rollout: EdgeRolloutConfiguration;

  constructor(scope: Construct, id: string, attrs: EdgeDeploymentAttributes) {
    super(scope, id);
    this.dataLake = attrs.dataLake;
    this.componentName = validateComponentName(this, attrs.componentName);
    this.modelsPrefix = modelsPrefixOf(this, attrs.modelsPrefix);
    this.thingGroupArn = attrs.thingGroupArn;
    this.runnerUri = attrs.runnerUri;
    const sha = sha256ToBase64(attrs.runnerSha256);
    if (!sha) throw invalidProp(this, 'runnerSha256', 'must be a SHA-256 as 64 hex characters or base64', attrs.runnerSha256);
    this.runnerSha256 = sha;
    this.rollout = attrs.rollout ?? defaultRollout();
  }
}

/**
 * Ships trained models to a fleet of IoT Greengrass v2 core devices.
 *
 * Creates a thing group for the fleet; a token exchange role (trusted by `credentials.iot.amazonaws.com`)
 * that may read only the models prefix of the artifacts zone, the runner script and write the
 * component's log group; a role alias for it; an IoT policy for the core devices, scoped to each
 * device's own thing name and to the role alias; one component version per release, with an inline
 * recipe that runs the reference inference runner on the model file; and a deployment of
 * `deployedVersion` to the thing group with an exponential rollout, an abort threshold, a device
 * timeout and ROLLBACK on failure.
 *
 * Component versions are immutable: a recorded version whose recipe changes fails the synth, with the
 * lock file (`recipeLockFile`) as the record.
 *
 * @see https://docs.aws.amazon.com/greengrass/v2/developerguide/device-service-role.html
 */
export class EdgeDeployment extends Construct implements IEdgeDeployment {
  /**
   * Imports an edge deployment, for an {@link EdgeModelRelease} in another app or stack.
   *
   * @param scope the scope to define the imported construct in
   * @param id the id of the imported construct, unique in `scope`
   * @param attrs what identifies the existing deployment
   */
  public static fromEdgeDeploymentAttributes(scope: Construct, id: string, attrs: EdgeDeploymentAttributes): IEdgeDeployment {
    return new ImportedEdgeDeployment(scope, id, attrs);
  }

  public readonly dataLake: IDataLake;
  public readonly componentName: string;
  public readonly modelsPrefix: string;
  public readonly rollout: EdgeRolloutConfiguration;
  /** The version the fleet runs. */
  public readonly deployedVersion: string;
  /** The fleet's thing group. */
  public readonly thingGroup: iot.CfnThingGroup;
  /** The thing group's ARN, the deployment target. */
  public readonly thingGroupArn: string;
  /** The thing group's name, for the device setup (`--thing-group-name`). */
  public readonly thingGroupName: string;
  /** The token exchange role that devices assume through the role alias. */
  public readonly tokenExchangeRole: iam.Role;
  /** The role alias, for the device setup (`--tes-role-alias-name`). */
  public readonly roleAlias: iot.CfnRoleAlias;
  /** The role alias's name. */
  public readonly roleAliasName: string;
  /** The IoT policy to attach to each core device's certificate. */
  public readonly devicePolicy: iot.CfnPolicy;
  /** The IoT policy's name, for the device setup (`--thing-policy-name`). */
  public readonly devicePolicyName: string;
  /** The component versions, by version. */
  public readonly componentVersions: { [version: string]: greengrassv2.CfnComponentVersion };
  /** The deployment of `deployedVersion` to the thing group. */
  public readonly deployment: greengrassv2.CfnDeployment;
  /** The reference runner script, as an asset. */
  public readonly runnerAsset: s3assets.Asset;
  public readonly runnerUri: string;
  public readonly runnerSha256: string;
  /** The log group that the component's logs go to (`/aws/greengrass/UserComponent/<region>/<name>`). */
  public readonly logGroup: logs.LogGroup;
  /** The key of the log group. */
  public readonly encryptionKey: kms.IKey;
  /** The recipe hash of each version, as recorded in the lock file. */
  public readonly recipeHashes: { [version: string]: string };

  /**
   * Defines a `EdgeDeployment` in `scope`.
   *
   * @param scope the scope to define the construct in
   * @param id the construct's id, unique in `scope`
   * @param props the construct's configuration, see `EdgeDeploymentProps`
   */
  constructor(scope: Construct, id: string, props: EdgeDeploymentProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.dataLake = props.dataLake;
    this.componentName = validateComponentName(this, props.componentName);
    this.modelsPrefix = modelsPrefixOf(this, props.modelsPrefix);
    this.rollout = this.validateRollout(props);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const retention = logRetention(this, 'logRetention', props.logRetention);

    const credentialDuration = props.credentialDuration ?? Duration.hours(1);
    if (credentialDuration.isUnresolved()) throw invalidProp(this, 'credentialDuration', 'must be known at synth', 'an unresolved token');
    const credentialSeconds = credentialDuration.toSeconds({ integral: false });
    // The prop's own name, so that an app maps the error back to its configuration key.
    if (!Number.isInteger(credentialSeconds) || credentialSeconds < 900 || credentialSeconds > 43200) {
      throw invalidProp(this, 'credentialDuration', 'must be whole seconds from 15 minutes to 12 hours (900 to 43200 seconds)', credentialDuration.toHumanString());
    }
    if (props.thingGroupName !== undefined && !Token.isUnresolved(props.thingGroupName) && !/^[a-zA-Z0-9:_-]{1,128}$/.test(props.thingGroupName)) {
      throw invalidProp(this, 'thingGroupName', 'must be 1 to 128 letters, digits, colons, underscores or hyphens', props.thingGroupName);
    }
    if (props.roleAliasName !== undefined && !Token.isUnresolved(props.roleAliasName) && !/^[\w=,@-]{1,128}$/.test(props.roleAliasName)) {
      throw invalidProp(this, 'roleAliasName', 'must be 1 to 128 letters, digits or =,@-_', props.roleAliasName);
    }
    const releases = this.validateReleases(props.releases);
    const highest = [...releases].sort((a, b) => compareVersions(a.version, b.version)).pop()!.version;
    this.deployedVersion = props.deployedVersion ?? highest;
    if (!releases.some((r) => r.version === this.deployedVersion)) {
      throw invalidProp(this, 'deployedVersion', `must be one of the releases (${releases.map((r) => r.version).join(', ')})`, props.deployedVersion);
    }

    // Fleet and credentials.
    this.thingGroup = new iot.CfnThingGroup(this, 'ThingGroup', {
      thingGroupName: props.thingGroupName,
      thingGroupProperties: { thingGroupDescription: `Greengrass core devices that run ${this.componentName}` },
    });
    // Devices join the group when the Greengrass installer provisions them, outside CloudFormation.
    this.thingGroup.applyRemovalPolicy(removalPolicy);
    this.thingGroupArn = this.thingGroup.attrArn;
    this.thingGroupName = this.thingGroup.ref;

    this.encryptionKey =
      props.encryptionKey ??
      restrictGrantsToAwsServices(new kms.Key(this, 'Key', { description: `Encrypts the logs of the edge component ${this.componentName}`, enableKeyRotation: true, removalPolicy }));
    if (!props.encryptionKey) allowCloudWatchLogs(this.encryptionKey);
    this.logGroup = new logs.LogGroup(this, 'ComponentLogs', {
      logGroupName: `/aws/greengrass/UserComponent/${stack.region}/${this.componentName}`,
      encryptionKey: this.encryptionKey,
      retention,
      removalPolicy,
    });

    this.tokenExchangeRole = new iam.Role(this, 'TokenExchangeRole', {
      assumedBy: new iam.ServicePrincipal('credentials.iot.amazonaws.com'),
      description: `Greengrass token exchange role of the devices that run ${this.componentName}`,
      // A role alias may not grant credentials that outlive the role's maximum session.
      maxSessionDuration: Duration.seconds(Math.max(credentialSeconds, 3600)),
    });
    acknowledgeInlinePolicy(this.tokenExchangeRole);
    const artifacts = this.dataLake.bucket(DataLakeZone.ARTIFACTS);
    const modelObjects = artifacts.arnForObjects(`${this.modelsPrefix}*`);
    this.tokenExchangeRole.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ReadModels', actions: ['s3:GetObject'], resources: [modelObjects] }));
    this.tokenExchangeRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ sid: 'DecryptModels', actions: ['kms:Decrypt'], resources: [this.dataLake.encryptionKey.keyArn] }),
    );
    acknowledgeWildcardResources(
      this.tokenExchangeRole,
      [modelObjects],
      `Devices download the model files of each release, whose keys are chosen when a model is trained; the grant is s3:GetObject under '${this.modelsPrefix}' of the artifacts zone only.`,
    );

    this.runnerAsset = new s3assets.Asset(this, 'Runner', { path: inferenceRunnerPath() });
    this.runnerUri = `s3://${this.runnerAsset.s3BucketName}/${this.runnerAsset.s3ObjectKey}`;
    this.runnerSha256 = createHash('sha256').update(fs.readFileSync(inferenceRunnerPath())).digest('base64');
    this.tokenExchangeRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadRunner',
        actions: ['s3:GetObject'],
        resources: [`arn:${stack.partition}:s3:::${this.runnerAsset.s3BucketName}/${this.runnerAsset.s3ObjectKey}`],
      }),
    );
    this.tokenExchangeRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ComponentLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    acknowledgeWildcardResources(
      this.tokenExchangeRole,
      [this.logGroup.logGroupArn],
      'The ARN of a log group ends in `:*`, which stands for its log streams: each device writes its own stream, named at run time.',
    );

    this.roleAlias = new iot.CfnRoleAlias(this, 'RoleAlias', {
      roleAlias: props.roleAliasName,
      roleArn: this.tokenExchangeRole.roleArn,
      credentialDurationSeconds: credentialSeconds,
    });
    this.roleAliasName = this.roleAlias.ref;

    this.devicePolicy = new iot.CfnPolicy(this, 'DevicePolicy', { policyDocument: this.devicePolicyDocument(stack) });
    this.devicePolicyName = this.devicePolicy.ref;

    // One component version per release.
    const recipes = releases.map((release) => {
      const recipe = buildRecipe({
        componentName: this.componentName,
        componentVersion: release.version,
        description: `Serves the model ${release.modelKey} on the device (cdk-ml-at-scale reference runner)`,
        runner: { uri: this.runnerUri, sha256Base64: this.runnerSha256 },
        model: { uri: `s3://${artifacts.bucketName}/${release.modelKey}`, sha256Base64: release.modelSha256 ? sha256ToBase64(release.modelSha256) : undefined },
        configuration: release.configuration,
      });
      return { release, recipe, hash: recipeHash(stack.resolve(recipe)) };
    });
    this.recipeHashes = Object.fromEntries(recipes.map((r) => [r.release.version, r.hash]));
    this.checkRecipeLock(props.recipeLockFile ?? DEFAULT_LOCK_FILE);

    this.componentVersions = {};
    for (const { release, recipe } of recipes) {
      const version = new greengrassv2.CfnComponentVersion(this, `Version${release.version.replace(/\./g, 'x')}`, {
        inlineRecipe: stack.toJsonString(recipe),
      });
      version.applyRemovalPolicy(removalPolicy);
      this.componentVersions[release.version] = version;
    }

    const r = this.rollout;
    this.deployment = new greengrassv2.CfnDeployment(this, 'Deployment', {
      targetArn: this.thingGroupArn,
      deploymentName: `${this.componentName}-${this.deployedVersion}`,
      components: { [this.componentName]: { componentVersion: this.deployedVersion } },
      deploymentPolicies: { failureHandlingPolicy: 'ROLLBACK' },
      iotJobConfiguration: {
        jobExecutionsRolloutConfig: {
          exponentialRate: {
            baseRatePerMinute: r.baseRatePerMinute,
            incrementFactor: r.incrementFactor,
            rateIncreaseCriteria: { NumberOfSucceededThings: r.rateIncreaseAfterSucceededThings },
          },
        },
        abortConfig: {
          criteriaList: [
            { action: 'CANCEL', failureType: 'ALL', thresholdPercentage: r.abortThresholdPercentage, minNumberOfExecutedThings: r.abortMinExecutedThings },
          ],
        },
        timeoutConfig: { inProgressTimeoutInMinutes: r.deviceTimeoutMinutes },
      },
    });
    // CloudFormation deletes a deployment with its stack, which removes the model from every device.
    this.deployment.applyRemovalPolicy(removalPolicy);
    this.deployment.addResourceDependency(this.componentVersions[this.deployedVersion]);
  }

  /**
   * Lets `grantee` create component versions of this component and revise the thing group's deployment.
   *
   * @param grantee the principal to grant to (a role, a user, a function)
   */
  public grantRelease(grantee: iam.IGrantable): iam.Grant {
    return grantReleaseTo(grantee, this);
  }

  private devicePolicyDocument(stack: Stack): Record<string, unknown> {
    const iotArn = (resource: string) => `arn:${stack.partition}:iot:${stack.region}:${stack.account}:${resource}`;
    const thing = '${iot:Connection.Thing.ThingName}';
    return {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'ConnectAsOwnThing',
          Effect: 'Allow',
          Action: 'iot:Connect',
          // The nucleus connects as `<thing name>` and, for more connections, `<thing name>#<n>`.
          Resource: [iotArn(`client/${thing}`), iotArn(`client/${thing}#*`)],
          Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } },
        },
        {
          Sid: 'OwnThingTopics',
          Effect: 'Allow',
          Action: ['iot:Publish', 'iot:Receive'],
          Resource: [iotArn(`topic/$aws/things/${thing}/*`)],
        },
        {
          Sid: 'OwnThingTopicFilters',
          Effect: 'Allow',
          Action: 'iot:Subscribe',
          Resource: [iotArn(`topicfilter/$aws/things/${thing}/*`)],
        },
        {
          Sid: 'TokenExchange',
          Effect: 'Allow',
          Action: 'iot:AssumeRoleWithCertificate',
          Resource: this.roleAlias.attrRoleAliasArn,
        },
        {
          Sid: 'ComponentArtifacts',
          Effect: 'Allow',
          Action: 'greengrass:GetComponentVersionArtifact',
          // Public components (the nucleus and AWS-provided ones) live under the account `aws`.
          Resource: `arn:${stack.partition}:greengrass:${stack.region}:*:components:*`,
        },
        {
          Sid: 'GreengrassDataPlane',
          Effect: 'Allow',
          // These calls of the nucleus name no resource that a policy could scope them to.
          Action: ['greengrass:ResolveComponentCandidates', 'greengrass:GetDeploymentConfiguration', 'greengrass:ListThingGroupsForCoreDevice'],
          Resource: '*',
        },
      ],
    };
  }

  /**
   * Ranges from the CloudFormation reference of AWS::GreengrassV2::Deployment: IoTJobExponentialRolloutRate
   * (BaseRatePerMinute 1-1000, IncrementFactor 1-5 with one decimal), IoTJobRateIncreaseCriteria (>= 1),
   * IoTJobAbortCriteria (ThresholdPercentage 0-100 with two decimals, MinNumberOfExecutedThings >= 1) and
   * IoTJobTimeoutConfig (1 minute to 7 days). AWS::IoT::RoleAlias CredentialDurationSeconds is 900-43200.
   */
  private validateRollout(props: EdgeDeploymentProps): EdgeRolloutConfiguration {
    const d = defaultRollout();
    const literal = (prop: string, value: number | undefined, fallback: number): number => {
      if (value !== undefined && Token.isUnresolved(value)) throw invalidProp(this, prop, 'must be known at synth', value);
      return value ?? fallback;
    };
    const base = literal('rolloutBaseRatePerMinute', props.rolloutBaseRatePerMinute, d.baseRatePerMinute);
    const factor = literal('rolloutIncrementFactor', props.rolloutIncrementFactor, d.incrementFactor);
    const after = literal('rolloutRateIncreaseAfterSucceededThings', props.rolloutRateIncreaseAfterSucceededThings, d.rateIncreaseAfterSucceededThings);
    const threshold = literal('abortThresholdPercentage', props.abortThresholdPercentage, d.abortThresholdPercentage);
    const minExecuted = literal('abortMinExecutedThings', props.abortMinExecutedThings, d.abortMinExecutedThings);
    validateNumber(this, 'rolloutBaseRatePerMinute', base, { integer: true, min: 1, max: 1000 });
    validateNumber(this, 'rolloutIncrementFactor', factor, { min: 1, max: 5 });
    if (Math.round(factor * 10) !== factor * 10) throw invalidProp(this, 'rolloutIncrementFactor', 'must have at most one decimal', factor);
    validateNumber(this, 'rolloutRateIncreaseAfterSucceededThings', after, { integer: true, min: 1 });
    validateNumber(this, 'abortThresholdPercentage', threshold, { min: 0, max: 100 });
    if (Math.abs(Math.round(threshold * 100) - threshold * 100) > 1e-9) {
      throw invalidProp(this, 'abortThresholdPercentage', 'must have at most two decimals', threshold);
    }
    validateNumber(this, 'abortMinExecutedThings', minExecuted, { integer: true, min: 1 });
    const timeout = props.deviceTimeout ?? Duration.minutes(d.deviceTimeoutMinutes);
    if (timeout.isUnresolved()) throw invalidProp(this, 'deviceTimeout', 'must be known at synth', 'an unresolved token');
    const seconds = timeout.toSeconds();
    if (seconds % 60 !== 0 || seconds < 60 || seconds > 7 * 24 * 3600) {
      throw invalidProp(this, 'deviceTimeout', 'must be whole minutes from 1 minute to 7 days', timeout.toHumanString());
    }
    return {
      baseRatePerMinute: base,
      incrementFactor: factor,
      rateIncreaseAfterSucceededThings: after,
      abortThresholdPercentage: threshold,
      abortMinExecutedThings: minExecuted,
      deviceTimeoutMinutes: seconds / 60,
    };
  }

  private validateReleases(releases: EdgeModelVersion[]): EdgeModelVersion[] {
    if (releases.length === 0) throw invalidProp(this, 'releases', 'must hold at least one release', releases);
    const seen = new Set<string>();
    for (const release of releases) {
      if (Token.isUnresolved(release.version) || !SEMVER.test(release.version)) {
        throw invalidProp(this, 'releases[].version', 'must be a semantic version major.minor.patch such as 1.0.0', release.version);
      }
      if (seen.has(release.version)) throw invalidProp(this, 'releases[].version', 'must be unique', release.version);
      seen.add(release.version);
      const key = release.modelKey;
      if (Token.isUnresolved(key) || !key.startsWith(this.modelsPrefix) || key.endsWith('/') || /[*?]/.test(key) || key.length === this.modelsPrefix.length) {
        throw invalidProp(this, 'releases[].modelKey', `must be the key of an object under '${this.modelsPrefix}'`, key);
      }
      if (release.modelSha256 !== undefined && !sha256ToBase64(release.modelSha256)) {
        throw invalidProp(this, 'releases[].modelSha256', 'must be a SHA-256 as 64 hex characters or base64', release.modelSha256);
      }
    }
    return releases;
  }

  /**
   * Greengrass component versions are immutable, and CloudFormation's deployed template cannot be read at
   * synth. The lock file is the record: each `<name>@<version>` with the hash of its resolved recipe.
   * A recorded version whose hash differs fails here; new versions are added to the file.
   */
  private checkRecipeLock(lockFile: string): void {
    const file = path.resolve(lockFile);
    let lock: Record<string, string> = {};
    if (fs.existsSync(file)) {
      try {
        lock = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
      } catch (err) {
        throw invalidProp(this, 'recipeLockFile', `must be a JSON object (${(err as Error).message})`, file);
      }
    }
    const added: string[] = [];
    for (const [version, hash] of Object.entries(this.recipeHashes)) {
      const key = `${this.componentName}@${version}`;
      const recorded = lock[key];
      if (recorded === undefined) {
        lock[key] = hash;
        added.push(key);
      } else if (recorded !== hash) {
        throw invalidProp(
          this,
          'releases',
          `must not change the recipe of ${key}: component versions are immutable (recorded ${recorded.slice(0, 12)} in ${file}, now ${hash.slice(0, 12)}). ` +
            `Release the change under a new version; if ${key} was never deployed, delete its line from the lock file`,
          version,
        );
      }
    }
    if (added.length > 0) {
      const sorted = Object.fromEntries(Object.entries(lock).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      fs.writeFileSync(file, `${JSON.stringify(sorted, null, 2)}\n`);
    }
  }
}

/** The grant of {@link EdgeDeployment.grantRelease}, shared with imported deployments. */
export function grantReleaseTo(grantee: iam.IGrantable, deployment: IEdgeDeployment): iam.Grant {
  const stack = Stack.of(deployment);
  const component = `arn:${stack.partition}:greengrass:${stack.region}:${stack.account}:components:${deployment.componentName}`;
  return iam.Grant.addToPrincipal({
    grantee,
    actions: ['greengrass:CreateComponentVersion', 'greengrass:ListComponentVersions', 'greengrass:DescribeComponent', 'greengrass:GetComponent'],
    resourceArns: [component, `${component}:versions:*`],
  }).combine(
    iam.Grant.addToPrincipal({
      grantee,
      actions: ['greengrass:CreateDeployment', 'greengrass:ListDeployments', 'greengrass:GetDeployment'],
      resourceArns: ['*'],
    }),
  );
}

function validateComponentName(scope: Construct, name: string): string {
  if (Token.isUnresolved(name) || !COMPONENT_NAME.test(name)) {
    throw invalidProp(scope, 'componentName', 'must be 1 to 128 letters, digits, dots, hyphens or underscores, starting with a letter or digit', name);
  }
  return name;
}

function modelsPrefixOf(scope: Construct, prefix: string | undefined): string {
  const p = prefix ?? DEFAULT_MODELS_PREFIX;
  if (Token.isUnresolved(p)) throw invalidProp(scope, 'modelsPrefix', 'must be known at synth (it scopes the devices\u2019 grant)', p);
  const plain = p.replace(/^\/+/, '');
  if (plain === '' || /[*?"'{}%\\]/.test(plain)) throw invalidProp(scope, 'modelsPrefix', 'must be a non-empty key prefix without wildcards, quotes, braces or %', p);
  return plain.endsWith('/') ? plain : `${plain}/`;
}

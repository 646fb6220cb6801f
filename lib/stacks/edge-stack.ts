import { CfnOutput, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { IDataLake } from '../data-lake';
import { EdgeDeployment, EdgeDeploymentOptions, EdgeModelRelease, EdgeModelReleaseOptions, OnPremisesIngest, OnPremisesIngestOptions } from '../edge';

/** Properties of the reference {@link EdgeStack}. */
export interface EdgeStackProps extends StackProps {
  /** The data lake: models come from its artifacts zone, on-premises files land in its raw zone. */
  readonly dataLake: IDataLake;
  /** The fleet, its credentials, the component versions and the deployment. */
  readonly edgeDeployment: EdgeDeploymentOptions;
  /**
   * Automatic releases of new models; `undefined` turns them off.
   * @default - EdgeModelRelease's defaults
   */
  readonly modelRelease?: EdgeModelReleaseOptions;
  /**
   * Whether new models are released automatically.
   * @default true
   */
  readonly modelReleaseEnabled?: boolean;
  /**
   * A Storage Gateway file share into the raw zone.
   * @default - none
   */
  readonly onPremisesIngest?: OnPremisesIngestOptions;
  /**
   * What happens to the deployment, component versions, log groups, keys and file share when they leave
   * the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The reference edge stack: an {@link EdgeDeployment} of models from the lake's artifacts zone to a
 * Greengrass fleet, an {@link EdgeModelRelease} that releases each new model, and optionally an
 * {@link OnPremisesIngest} file share into the raw zone.
 */
export class EdgeStack extends Stack {
  /** The fleet and what it runs. */
  public readonly edgeDeployment: EdgeDeployment;
  /** The automatic release, unless turned off. */
  public readonly modelRelease?: EdgeModelRelease;
  /** The on-premises file share, when configured. */
  public readonly onPremisesIngest?: OnPremisesIngest;

  /**
   * Defines the stack in `scope`.
   *
   * @param scope the app or stage that holds the stack
   * @param id the stack's id, unique in `scope`
   * @param props the stack's configuration, see `EdgeStackProps`
   */
  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    super(scope, id, props);
    const removalPolicy = props.removalPolicy;
    this.edgeDeployment = new EdgeDeployment(this, 'EdgeDeployment', { removalPolicy, ...props.edgeDeployment, dataLake: props.dataLake });
    // What the Greengrass installer needs on each device (see the README's device setup).
    const d = this.edgeDeployment;
    new CfnOutput(this, 'ThingGroupName', { value: d.thingGroupName, description: 'Greengrass installer --thing-group-name' });
    new CfnOutput(this, 'DevicePolicyName', { value: d.devicePolicyName, description: 'Greengrass installer --thing-policy-name' });
    new CfnOutput(this, 'TokenExchangeRoleName', { value: d.tokenExchangeRole.roleName, description: 'Greengrass installer --tes-role-name' });
    new CfnOutput(this, 'RoleAliasName', { value: d.roleAliasName, description: 'Greengrass installer --tes-role-alias-name' });
    if (props.modelReleaseEnabled ?? true) {
      this.modelRelease = new EdgeModelRelease(this, 'ModelRelease', { removalPolicy, ...props.modelRelease, deployment: this.edgeDeployment });
    }
    if (props.onPremisesIngest) {
      this.onPremisesIngest = new OnPremisesIngest(this, 'OnPremisesIngest', { removalPolicy, ...props.onPremisesIngest, dataLake: props.dataLake });
    }
  }
}

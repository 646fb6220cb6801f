import { Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { MlVpc, MlVpcProps } from '../network';

/** Properties of the reference {@link NetworkStack}. */
export interface NetworkStackProps extends StackProps {
  /**
   * The VPC's settings.
   * @default - MlVpc's defaults
   */
  readonly network?: MlVpcProps;
}

/** The reference network: one {@link MlVpc}. */
export class NetworkStack extends Stack {
  /** The VPC and its endpoints. */
  public readonly network: MlVpc;

  /**
   * Defines the stack in `scope`.
   *
   * @param scope the app or stage that holds the stack
   * @param id the stack's id, unique in `scope`
   * @param props the stack's configuration, see `NetworkStackProps`
   */
  constructor(scope: Construct, id: string, props: NetworkStackProps = {}) {
    super(scope, id, props);
    this.network = new MlVpc(this, 'Network', props.network);
  }
}

import { Stack, StackProps } from 'aws-cdk-lib';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { StallMonitor, StallMonitorOptions } from '../monitoring';
import { ILustreCache } from '../storage';
import { ITrainingCluster } from '../training';

/** Properties of the reference {@link MonitoringStack}. */
export interface MonitoringStackProps extends StackProps {
  /** The training cluster to watch (the training stack's). */
  readonly cluster: ITrainingCluster;
  /**
   * The file system that feeds it (the storage stack's).
   * @default - no file system panels and no stall alarm
   */
  readonly lustre?: ILustreCache;
  /**
   * The pipeline whose failures alarm (the pipeline stack's state machine).
   * @default - no pipeline alarm
   */
  readonly pipeline?: sfn.IStateMachine;
  /**
   * The monitor's settings (alarm e-mail, thresholds...).
   * @default - StallMonitor's defaults
   */
  readonly monitor?: StallMonitorOptions;
}

/** The reference monitoring stack: one {@link StallMonitor} over the cluster, its file system and the pipeline. */
export class MonitoringStack extends Stack {
  /** The stall monitor: dashboard, alarms and their topic. */
  public readonly monitor: StallMonitor;

  /**
   * Defines the stack in `scope`.
   *
   * @param scope the app or stage that holds the stack
   * @param id the stack's id, unique in `scope`
   * @param props the stack's configuration, see `MonitoringStackProps`
   */
  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, props);
    this.monitor = new StallMonitor(this, 'StallMonitor', { ...props.monitor, cluster: props.cluster, lustre: props.lustre, pipeline: props.pipeline });
  }
}

import { Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { invalidProp } from '../common/errors';
import { DataLakeZone, IDataLake } from '../data-lake';
import { TrainingPipeline, TrainingPipelineOptions } from '../pipeline';
import { DatasetSharder, DatasetSharderOptions } from '../sharding';
import { ITrainingCluster } from '../training';

/** Properties of the reference {@link PipelineStack}. */
export interface PipelineStackProps extends StackProps {
  /** The VPC of the sharder's functions (the network stack's). */
  readonly vpc: ec2.IVpc;
  /** The data lake: the sharder reads the raw zone and writes shards to the curated zone. */
  readonly dataLake: IDataLake;
  /**
   * The sharder's settings (its `sourcePrefix` in the raw zone, its `destinationPrefix` in the
   * curated zone, shard size, concurrency...).
   * @default - DatasetSharder's defaults
   */
  readonly sharder?: DatasetSharderOptions;
  /**
   * The training cluster whose queues and job definitions the pipeline drives (the training stack's).
   * @default - no training pipeline: the stack holds the sharder only
   */
  readonly cluster?: ITrainingCluster;
  /**
   * The training pipeline's settings; used only with `cluster`.
   * @default - TrainingPipeline's defaults
   */
  readonly pipeline?: TrainingPipelineOptions;
}

/**
 * The reference data pipeline: a {@link DatasetSharder} from the raw zone to the curated zone's
 * shards, and the {@link TrainingPipeline} that shards, preprocesses on the CPU queue and trains
 * on the GPU queue of the training stack.
 */
export class PipelineStack extends Stack {
  /** The dataset sharder. */
  public readonly sharder: DatasetSharder;
  /** The training pipeline, when a cluster was given. */
  public readonly pipeline?: TrainingPipeline;

  /**
   * Defines the stack in `scope`.
   *
   * @param scope the app or stage that holds the stack
   * @param id the stack's id, unique in `scope`
   * @param props the stack's configuration, see `PipelineStackProps`
   */
  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const lake = props.dataLake;
    this.sharder = new DatasetSharder(this, 'Sharder', {
      ...props.sharder,
      vpc: props.vpc,
      sourceBucket: lake.bucket(DataLakeZone.RAW),
      destinationBucket: lake.bucket(DataLakeZone.CURATED),
      encryptionKey: lake.encryptionKey,
    });
    if (!props.cluster) {
      if (props.pipeline !== undefined) {
        throw invalidProp(this, 'cluster', 'must be given with pipeline settings: the training pipeline drives its queues', undefined);
      }
      return;
    }
    this.pipeline = new TrainingPipeline(this, 'Pipeline', { ...props.pipeline, sharder: this.sharder, cluster: props.cluster });
  }
}

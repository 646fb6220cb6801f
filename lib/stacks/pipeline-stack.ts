import { RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { invalidProp } from '../common/errors';
import { DataLake } from '../data-lake';
import { TrainingJobType, TrainingPipeline } from '../pipeline';
import { DatasetSharder } from '../sharding';

/** Properties of the reference {@link PipelineStack}. */
export interface PipelineStackProps extends StackProps {
  /** The VPC of the sharder's functions (the network stack's). */
  readonly vpc: ec2.IVpc;
  /** The data lake: the sharder reads the raw zone and writes shards to the curated zone. */
  readonly dataLake: DataLake;
  /**
   * The prefix of the raw zone that runs read from (and that starts runs, with `triggerOnNewData`).
   * @default '' (the whole raw zone)
   */
  readonly sourcePrefix?: string;
  /**
   * The prefix of the curated zone that receives the shards. The training jobs read it.
   * @default 'shards/'
   */
  readonly shardsPrefix?: string;
  /**
   * Default shard size.
   * @default 64
   */
  readonly targetShardSizeMiB?: number;
  /**
   * Ranges sharded at once.
   * @default 40
   */
  readonly maxConcurrency?: number;
  /**
   * Reserved concurrency of the shard function (opt-in; needs the quota room described on the sharder).
   * @default - none
   */
  readonly shardReservedConcurrency?: number;
  /**
   * Start a pipeline run when an object lands under `sourcePrefix` in the raw zone.
   * @default false
   */
  readonly triggerOnNewData?: boolean;
  /**
   * The CPU queue of the preprocessing array job (the training stack's). All four Batch props are
   * needed for the pipeline; without them the stack holds the sharder only.
   * @default - no training pipeline
   */
  readonly preprocessJobQueue?: batch.IJobQueue;
  /**
   * The preprocessing job definition.
   * @default - no training pipeline
   */
  readonly preprocessJobDefinition?: batch.IJobDefinition;
  /**
   * The GPU queue of the training job.
   * @default - no training pipeline
   */
  readonly trainingJobQueue?: batch.IJobQueue;
  /**
   * The training job definition.
   * @default - no training pipeline
   */
  readonly trainingJobDefinition?: batch.IJobDefinition;
  /**
   * Whether `trainingJobDefinition` is single-node or multi-node.
   * @default TrainingJobType.SINGLE_NODE
   */
  readonly trainingJobType?: TrainingJobType;
  /**
   * The fair-share identifier of the pipeline's jobs, for queues with a fair-share policy.
   * @default - none
   */
  readonly shareIdentifier?: string;
  /**
   * GPUs of the largest instance in the GPU queue: the most a run may ask for.
   * @default 8
   */
  readonly maxGpus?: number;
  /**
   * What happens to log groups and keys when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The reference data pipeline: a {@link DatasetSharder} from the raw zone to the curated zone's
 * shards, and the {@link TrainingPipeline} that shards, preprocesses on the CPU queue and trains
 * on the GPU queue of the training stack.
 */
export class PipelineStack extends Stack {
  /** The dataset sharder. */
  public readonly sharder: DatasetSharder;
  /** The training pipeline, when the Batch queues and job definitions were given. */
  public readonly pipeline?: TrainingPipeline;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const lake = props.dataLake;
    this.sharder = new DatasetSharder(this, 'Sharder', {
      vpc: props.vpc,
      sourceBucket: lake.rawBucket,
      sourcePrefix: props.sourcePrefix ?? '',
      destinationBucket: lake.curatedBucket,
      destinationPrefix: props.shardsPrefix ?? 'shards/',
      encryptionKey: lake.encryptionKey,
      targetShardSizeMiB: props.targetShardSizeMiB,
      maxConcurrency: props.maxConcurrency,
      shardReservedConcurrency: props.shardReservedConcurrency,
      removalPolicy: props.removalPolicy,
    });
    const { preprocessJobQueue, preprocessJobDefinition, trainingJobQueue, trainingJobDefinition } = props;
    const batchProps = [preprocessJobQueue, preprocessJobDefinition, trainingJobQueue, trainingJobDefinition].filter((p) => p !== undefined);
    if (batchProps.length !== 0 && batchProps.length !== 4) {
      throw invalidProp(this, 'preprocessJobQueue', 'and preprocessJobDefinition, trainingJobQueue and trainingJobDefinition must be given together', `${batchProps.length} of 4`);
    }
    if (props.triggerOnNewData && batchProps.length === 0) {
      throw invalidProp(this, 'triggerOnNewData', 'needs the Batch queues and job definitions of the training pipeline', true);
    }
    if (preprocessJobQueue && preprocessJobDefinition && trainingJobQueue && trainingJobDefinition) {
      this.pipeline = new TrainingPipeline(this, 'Pipeline', {
        sharder: this.sharder,
        preprocessJobQueue,
        preprocessJobDefinition,
        trainingJobQueue,
        trainingJobDefinition,
        trainingJobType: props.trainingJobType,
        shareIdentifier: props.shareIdentifier,
        maxGpus: props.maxGpus,
        triggerOnNewData: props.triggerOnNewData,
        removalPolicy: props.removalPolicy,
      });
    }
  }
}

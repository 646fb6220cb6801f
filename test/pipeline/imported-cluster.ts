/** The imported training cluster that the pipeline tests run against: its queues and job definitions by ARN. */
import { Stack } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ITrainingCluster, TrainingCluster, TrainingClusterAttributes } from '../../lib';

/** The account's Batch ARNs prefix (us-east-1, 123456789012). */
export const BATCH_ARN = 'arn:aws:batch:us-east-1:123456789012';

/** A cluster imported from fixed ARNs (8 GPUs per instance), with `attrs` over it. */
export function importedCluster(stack: Stack, attrs: Partial<TrainingClusterAttributes> = {}): ITrainingCluster {
  return TrainingCluster.fromTrainingClusterAttributes(stack, 'Cluster', {
    cpuQueue: batch.JobQueue.fromJobQueueArn(stack, 'CpuQueue', `${BATCH_ARN}:job-queue/cpu`),
    preprocessJobDefinition: batch.EcsJobDefinition.fromJobDefinitionArn(stack, 'PrepDef', `${BATCH_ARN}:job-definition/prep:1`),
    gpuQueue: batch.JobQueue.fromJobQueueArn(stack, 'GpuQueue', `${BATCH_ARN}:job-queue/gpu`),
    trainingJobDefinition: batch.EcsJobDefinition.fromJobDefinitionArn(stack, 'TrainDef', `${BATCH_ARN}:job-definition/train:3`),
    maxGpusPerInstance: 8,
    jobRole: iam.Role.fromRoleName(stack, 'JobRole', 'training-jobs'),
    ...attrs,
  });
}

/** The attributes of a multi-node job definition (up to 64 nodes), to pass to `importedCluster`. */
export function multiNodeAttributes(stack: Stack): Partial<TrainingClusterAttributes> {
  return {
    multiNodeTrainingJobDefinition: batch.MultiNodeJobDefinition.fromJobDefinitionArn(stack, 'MultiDef', `${BATCH_ARN}:job-definition/multi:2`),
    maxNodes: 64,
  };
}

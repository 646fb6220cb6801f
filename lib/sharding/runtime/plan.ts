import { planShards } from './core/plan';
import { sharedS3Client } from './s3';
import { PlanEvent, PlanResult } from './types';

/**
 * Lambda handler: plans a sharding run and writes its task list to S3.
 *
 * Environment: `AWS_REGION`, and optionally `S3_MAX_ATTEMPTS` and `S3_ENDPOINT` (see s3.ts).
 */
export async function handler(event: PlanEvent): Promise<PlanResult> {
  return planShards(sharedS3Client(), event);
}

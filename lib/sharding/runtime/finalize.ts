import { finalizeShards } from './core/finalize';
import { sharedS3Client } from './s3';
import { FinalizeResult, PlanResult } from './types';

/**
 * Lambda handler: checks every shard of a run and writes its manifest (the commit point).
 *
 * Its input is the plan handler's output, unchanged. Environment: `AWS_REGION`, and optionally
 * `S3_MAX_ATTEMPTS` and `S3_ENDPOINT` (see s3.ts).
 */
export async function handler(event: PlanResult): Promise<FinalizeResult> {
  return finalizeShards(sharedS3Client(), event);
}

import { Stack, Validations } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import { IConstruct } from 'constructs';

/** The warning id for a job image that an isolated VPC cannot pull. */
export const IMAGE_NEEDS_INTERNET = 'cdk-ml-at-scale:ImageNeedsInternet';

/** A private ECR image (its own or a pull-through cache), pulled through the ECR interface endpoints. */
const PRIVATE_ECR = /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\//;

/** Every literal container image that a resolved job definition names. */
function imagesOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(imagesOf);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, v]) => (key === 'image' && typeof v === 'string' ? [v] : imagesOf(v)));
}

/**
 * Warns on each Batch job definition under `scope` whose image lies outside private ECR, for a VPC
 * without NAT gateways: such a VPC reaches only what its endpoints serve, and no endpoint serves
 * ECR Public or other public registries, so the jobs would fail to pull their image. An image that
 * is a token (an ECR repository or an image asset of the app) is private ECR.
 *
 * @returns the job definitions warned about
 * @see https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html
 */
export function warnOnImagesNeedingInternet(scope: IConstruct): batch.CfnJobDefinition[] {
  const warned: batch.CfnJobDefinition[] = [];
  for (const jobDefinition of scope.node.findAll().filter((c): c is batch.CfnJobDefinition => c instanceof batch.CfnJobDefinition)) {
    const resolved = Stack.of(jobDefinition).resolve({
      container: jobDefinition.containerProperties,
      nodes: jobDefinition.nodeProperties,
      ecs: jobDefinition.ecsProperties,
    });
    const unreachable = [...new Set(imagesOf(resolved).filter((image) => !PRIVATE_ECR.test(image)))];
    if (unreachable.length === 0) continue;
    Validations.of(jobDefinition).addWarning(
      IMAGE_NEEDS_INTERNET,
      `The job image ${unreachable.join(', ')} comes from a public registry, which a VPC without NAT gateways cannot reach ` +
        '(no VPC endpoint serves ECR Public or Docker Hub): jobs would fail to pull it. Push the image to private ECR ' +
        '(or use an ECR pull-through cache), or set natGateways to 1 or more.',
    );
    warned.push(jobDefinition);
  }
  return warned;
}

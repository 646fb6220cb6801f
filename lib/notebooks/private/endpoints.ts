import { Annotations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { IConstruct } from 'constructs';
import { MlVpc } from '../../network/ml-vpc';

/**
 * The interface endpoints through which a research environment without internet access reaches AWS:
 * the SageMaker API and runtime (VPC-only Studio and notebooks need both), STS, CloudWatch Logs, and
 * Athena and Glue when queries run, Batch when jobs are submitted, Secrets Manager for Git credentials.
 * S3 goes through the gateway endpoint, which MlVpc always has.
 *
 * @see https://docs.aws.amazon.com/sagemaker/latest/dg/studio-notebooks-and-internet-access.html
 * @see https://docs.aws.amazon.com/sagemaker/latest/dg/appendix-notebook-and-internet-access.html
 */
export function requiredEndpoints(needs: { athena: boolean; glue: boolean; batch: boolean; secrets: boolean }): ec2.InterfaceVpcEndpointAwsService[] {
  const s = ec2.InterfaceVpcEndpointAwsService;
  return [
    s.SAGEMAKER_API,
    s.SAGEMAKER_RUNTIME,
    s.STS,
    s.CLOUDWATCH_LOGS,
    ...(needs.athena ? [s.ATHENA] : []),
    ...(needs.glue ? [s.GLUE] : []),
    ...(needs.batch ? [s.BATCH] : []),
    ...(needs.secrets ? [s.SECRETS_MANAGER] : []),
  ];
}

/**
 * Warns at synth when the VPC comes from an {@link MlVpc} without NAT gateways that lacks one of the
 * endpoints, and returns those. With a NAT gateway (private subnets with egress) the services are
 * reachable without endpoints, so nothing is missing. A VPC from elsewhere is not inspected: its
 * endpoints may live in another stack or be shared.
 */
export function warnMissingEndpoints(scope: IConstruct, vpc: ec2.IVpc, required: ec2.InterfaceVpcEndpointAwsService[]): string[] {
  const owner = vpc.node.scope;
  if (!(owner instanceof MlVpc)) return [];
  if (vpc.privateSubnets.length > 0) return [];
  const missing = required.map((s) => s.shortName).filter((name) => !(name in owner.interfaceEndpoints));
  if (missing.length > 0) {
    Annotations.of(scope).addWarningV2(
      'cdk-ml-at-scale:NotebookEndpointsMissing',
      `The VPC lacks the interface endpoint(s) ${missing.join(', ')}: without a NAT gateway the notebooks cannot reach these services. ` +
        'Add them to MlVpc interfaceEndpoints (see MlVpc.OPTIONAL_INTERFACE_ENDPOINTS).',
    );
  }
  return missing;
}

/** The VPC's private subnets, or its isolated ones when it has none (an MlVpc without NAT). */
export function defaultSubnets(vpc: ec2.IVpc): ec2.SubnetSelection {
  return { subnetType: vpc.privateSubnets.length > 0 ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PRIVATE_ISOLATED };
}

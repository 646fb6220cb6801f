import { Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { DataLakeZone, IDataLake, MlVpc, TrainingCluster } from 'cdk-ml-at-scale';

/** Properties of a {@link TeamTrainingStack}. */
export interface TeamTrainingStackProps extends StackProps {
  /** The lake that every team shares. */
  readonly lake: IDataLake;
  /** The team's own key prefix in each zone, such as `teams/vision`. */
  readonly prefix: string;
  /** The team's GPU instance types. */
  readonly gpuInstanceTypes: string[];
}

/** One team's training: its own VPC and cluster, reading and writing only its own prefixes of the shared lake. */
export class TeamTrainingStack extends Stack {
  public readonly cluster: TrainingCluster;

  constructor(scope: Construct, id: string, props: TeamTrainingStackProps) {
    super(scope, id, props);
    const network = new MlVpc(this, 'Network');
    this.cluster = new TrainingCluster(this, 'Cluster', {
      vpc: network.vpc,
      gpuInstanceTypes: props.gpuInstanceTypes.map((t) => new ec2.InstanceType(t)),
    });
    props.lake.grantRead(this.cluster, DataLakeZone.CURATED, `${props.prefix}/datasets`);
    props.lake.grantReadWrite(this.cluster, DataLakeZone.ARTIFACTS, `${props.prefix}/checkpoints`);
  }
}

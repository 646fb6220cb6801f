import { Duration, Names, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as emrserverless from 'aws-cdk-lib/aws-emrserverless';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { invalidProp, validateNumber } from '../common/errors';
import { plainPrefix } from '../common/s3-access';
import { DataLakeZone, IDataLake } from '../data-lake/data-lake';
import { DataLakeLocation, IDataCatalog } from './data-catalog';
import { grantLocation } from '../data-lake/private/location-grants';
import { acknowledgeInlinePolicy } from '../common/nag';

/** A lake location that a Spark application's jobs may read, or read and write. */
export interface SparkLakeAccess extends DataLakeLocation {
  /**
   * Whether jobs may also write (and delete) there.
   * @default false
   */
  readonly write?: boolean;
}

/**
 * The release of EMR Serverless applications created here when none is given.
 * @see https://docs.aws.amazon.com/emr/latest/EMR-Serverless-UserGuide/release-versions.html
 */
export const DEFAULT_EMR_SERVERLESS_RELEASE = 'emr-7.12.0';

/** The settings of a {@link SparkApplication} that a stack does not wire (its option bag). */
export interface SparkApplicationOptions {
  /**
   * The subnets of the workers.
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** What the jobs may read and write in the lake. */
  readonly lakeAccess: SparkLakeAccess[];
  /**
   * The EMR Serverless release: emr-6.6.0 or newer, or an `emr-spark-8.x.y` runtime.
   * @default DEFAULT_EMR_SERVERLESS_RELEASE (emr-7.12.0)
   */
  readonly releaseLabel?: string;
  /**
   * The most vCPUs the application may use at once, across all its jobs.
   * @default 400
   */
  readonly maximumVcpus?: number;
  /**
   * The most memory the application may use at once, GB.
   * @default 3000
   */
  readonly maximumMemoryGB?: number;
  /**
   * How long the application stays started without jobs before it stops (from 1 minute to 7 days).
   * @default Duration.minutes(15)
   */
  readonly idleTimeout?: Duration;
  /**
   * The prefix of the artifacts zone that receives the jobs' logs.
   * @default 'emr-serverless/logs/<application id>'
   */
  readonly logsPrefix?: string;
  /**
   * The name of the application.
   * @default - derived from the construct path
   */
  readonly applicationName?: string;
}

/** Properties of a {@link SparkApplication}. */
export interface SparkApplicationProps extends SparkApplicationOptions {
  /** The VPC whose private subnets the application's workers run in. */
  readonly vpc: ec2.IVpc;
  /** The lake: logs go to its artifacts zone. */
  readonly dataLake: IDataLake;
  /**
   * A Glue database that jobs may read (Spark's Glue catalog integration).
   * @default - no catalog access
   */
  readonly catalog?: IDataCatalog;
}

/**
 * An EMR Serverless Spark application for work that outgrows Glue: in private subnets, with a maximum
 * capacity, auto-start and auto-stop, and job logs to the artifacts zone encrypted with the lake's key.
 * Its {@link jobRole} reads and writes only the lake locations it is given.
 */
export class SparkApplication extends Construct implements ec2.IConnectable, iam.IGrantable {
  /** The application. */
  public readonly application: emrserverless.CfnApplication;
  /** The role that the application's jobs run as (pass it as `executionRoleArn` of StartJobRun). */
  public readonly jobRole: iam.Role;
  /** The job role, as a principal. */
  public readonly grantPrincipal: iam.IPrincipal;
  /** The workers' security group. */
  public readonly securityGroup: ec2.SecurityGroup;
  /** The workers' network access. */
  public readonly connections: ec2.Connections;
  /** The S3 URI of the job logs. */
  public readonly logUri: string;

  /**
   * Defines a `SparkApplication` in `scope`.
   *
   * @param scope the scope to define the construct in
   * @param id the construct's id, unique in `scope`
   * @param props the construct's configuration, see `SparkApplicationProps`
   */
  constructor(scope: Construct, id: string, props: SparkApplicationProps) {
    super(scope, id);
    const release = props.releaseLabel ?? DEFAULT_EMR_SERVERLESS_RELEASE;
    if (!Token.isUnresolved(release) && !isReleaseLabel(release)) {
      throw invalidProp(this, 'releaseLabel', 'must be an EMR Serverless release: emr-6.6.0 or newer (emr-6.x.y with x >= 6, emr-7.x.y) or emr-spark-8.x.y', release);
    }
    const vcpus = props.maximumVcpus ?? 400;
    const memory = props.maximumMemoryGB ?? 3000;
    validateNumber(this, 'maximumVcpus', vcpus, { integer: true, min: 1 });
    validateNumber(this, 'maximumMemoryGB', memory, { integer: true, min: 1 });
    const idle = props.idleTimeout ?? Duration.minutes(15);
    if (!idle.isUnresolved()) {
      const minutes = idle.toMinutes({ integral: false });
      if (!Number.isInteger(minutes) || minutes < 1 || minutes > 10080) throw invalidProp(this, 'idleTimeout', 'must be whole minutes from 1 minute to 7 days', idle.toHumanString());
    }
    if (props.lakeAccess.length === 0) throw invalidProp(this, 'lakeAccess', 'must name at least one lake location', []);
    const name = props.applicationName ?? Names.uniqueResourceName(this, { maxLength: 64, allowedSpecialCharacters: '-_.' });
    if (!Token.isUnresolved(name) && !/^[A-Za-z0-9._/#-]{1,64}$/.test(name)) {
      throw invalidProp(this, 'applicationName', 'must be 1 to 64 letters, digits or . _ / # -', name);
    }
    const subnets = props.vpc.selectSubnets(props.vpcSubnets).subnets;
    if (subnets.length === 0) throw invalidProp(this, 'vpcSubnets', 'must select at least one subnet', props.vpcSubnets ?? 'the private subnets');

    const lake = props.dataLake;
    const logsPrefix = plainPrefix(this, 'logsPrefix', props.logsPrefix ?? `emr-serverless/logs/${Names.uniqueId(this).slice(-24)}`);
    this.logUri = lake.s3Uri(DataLakeZone.ARTIFACTS, logsPrefix);

    this.jobRole = new iam.Role(this, 'JobRole', {
      assumedBy: new iam.ServicePrincipal('emr-serverless.amazonaws.com'),
      description: `EMR Serverless jobs of ${this.node.path}: the lake locations they are given, and their logs`,
    });
    acknowledgeInlinePolicy(this.jobRole);
    this.grantPrincipal = this.jobRole;
    for (const access of props.lakeAccess) {
      const prefix = plainPrefix(this, 'lakeAccess.prefix', access.prefix);
      grantLocation(lake, this.jobRole, access.zone, prefix, access.write === true);
    }
    lake.grantWrite(this.jobRole, DataLakeZone.ARTIFACTS, logsPrefix);
    props.catalog?.grantReadCatalog(this.jobRole);

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'EMR Serverless Spark workers: talk to each other, HTTPS out to S3 and AWS endpoints',
      allowAllOutbound: false,
    });
    this.securityGroup.addIngressRule(this.securityGroup, ec2.Port.allTcp(), 'Spark driver and executors of this application');
    this.securityGroup.addEgressRule(this.securityGroup, ec2.Port.allTcp(), 'Spark driver and executors of this application');
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to S3 (gateway endpoint) and AWS APIs (interface endpoints or NAT)');
    this.connections = new ec2.Connections({ securityGroups: [this.securityGroup] });

    this.application = new emrserverless.CfnApplication(this, 'Resource', {
      name,
      type: 'SPARK',
      releaseLabel: release,
      architecture: 'ARM64',
      maximumCapacity: { cpu: `${vcpus} vCPU`, memory: `${memory} GB` },
      autoStartConfiguration: { enabled: true },
      autoStopConfiguration: { enabled: true, idleTimeoutMinutes: idle.toMinutes() },
      networkConfiguration: { subnetIds: subnets.map((s) => s.subnetId), securityGroupIds: [this.securityGroup.securityGroupId] },
      monitoringConfiguration: { s3MonitoringConfiguration: { logUri: this.logUri, encryptionKeyArn: lake.encryptionKey.keyArn } },
    });
  }

  /**
   * Lets `grantee` submit and follow jobs on this application, running as its job role.
   *
   * @param grantee the principal to grant to (a role, a user, a function)
   */
  public grantStartJobRun(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['emr-serverless:StartJobRun', 'emr-serverless:GetJobRun', 'emr-serverless:CancelJobRun', 'emr-serverless:GetApplication'],
      resourceArns: [this.application.attrArn, `${this.application.attrArn}/jobruns/*`],
    }).combine(this.jobRole.grantPassRole(grantee.grantPrincipal));
  }
}

/**
 * Whether a release label is one EMR Serverless runs: emr-6.6.0 and newer 6.x, every emr-7.x.y, and
 * the `emr-spark-8.x.y` AWS runtime for Apache Spark.
 */
export function isReleaseLabel(label: string): boolean {
  const m = /^emr-(\d+)\.(\d+)\.(\d+)$/.exec(label);
  if (m) {
    const [major, minor] = [Number(m[1]), Number(m[2])];
    return (major === 6 && minor >= 6) || major === 7;
  }
  return /^emr-spark-8\.\d+\.\d+$/.test(label);
}

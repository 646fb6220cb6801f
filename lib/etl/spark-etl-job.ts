import { ArnFormat, Duration, Names, Stack, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct, IConstruct } from 'constructs';
import { invalidProp, validateNumber } from '../common/errors';
import { plainPrefix } from '../common/s3-access';
import { DataLakeZone, IDataLake } from '../data-lake/data-lake';
import { DataLakeLocation, grantGlueLogs, IDataCatalog } from './data-catalog';
import { packageAssetFile } from './private/package-assets';
import { grantLocation } from '../data-lake/private/location-grants';
import { acknowledgeInlinePolicy } from '../common/nag';

/**
 * The worker types that Glue 5.0 accepts for Spark ETL jobs (G.025X is for streaming jobs only,
 * Z.2X for Ray, Standard for Glue 1.0).
 *
 * @see https://docs.aws.amazon.com/glue/latest/dg/worker-types.html
 */
export enum GlueWorkerType {
  /** 1 DPU: 4 vCPUs, 16 GB. */
  G_1X = 'G.1X',
  /** 2 DPU: 8 vCPUs, 32 GB. */
  G_2X = 'G.2X',
  /** 4 DPU: 16 vCPUs, 64 GB. */
  G_4X = 'G.4X',
  /** 8 DPU: 32 vCPUs, 128 GB. */
  G_8X = 'G.8X',
  /** 12 DPU: 48 vCPUs, 192 GB (Glue 4.0 and later, some Regions). */
  G_12X = 'G.12X',
  /** 16 DPU: 64 vCPUs, 256 GB (Glue 4.0 and later, some Regions). */
  G_16X = 'G.16X',
  /** 1 M-DPU: 4 vCPUs, 32 GB, memory-optimized. */
  R_1X = 'R.1X',
  /** 2 M-DPU: 8 vCPUs, 64 GB. */
  R_2X = 'R.2X',
  /** 4 M-DPU: 16 vCPUs, 128 GB. */
  R_4X = 'R.4X',
  /** 8 M-DPU: 32 vCPUs, 256 GB. */
  R_8X = 'R.8X',
}

/** The most workers the Glue API accepts per job for these types ("299 for G.1X, and 149 for G.2X"). */
const MAX_WORKERS: Partial<Record<GlueWorkerType, number>> = { [GlueWorkerType.G_1X]: 299, [GlueWorkerType.G_2X]: 149 };

/** What the shipped script does. */
export enum SparkEtlMode {
  /** Convert raw CSV or JSON into (partitioned) Parquet. */
  CONVERT = 'convert',
  /** Rewrite a dataset as N evenly sized Parquet files, for parallel feeding. */
  REPARTITION = 'repartition',
}

/** The format of the input files. */
export enum EtlInputFormat {
  /** CSV with a header line. */
  CSV = 'csv',
  /** JSON Lines: one object per line. */
  JSON = 'json',
}

/** A Glue Spark job that others can start, such as the training pipeline. */
export interface ISparkEtlJob extends IConstruct {
  /** The name of the Glue job. */
  readonly jobName: string;
  /** The ARN of the Glue job. */
  readonly jobArn: string;
}

/** The settings of a {@link SparkEtlJob} that a stack does not wire (its option bag). */
export interface SparkEtlJobOptions {
  /** Where the job reads. */
  readonly input: DataLakeLocation;
  /** Where the job writes. Must not lie within `input`. */
  readonly output: DataLakeLocation;
  /**
   * What the shipped script does.
   * @default SparkEtlMode.CONVERT
   */
  readonly mode?: SparkEtlMode;
  /**
   * The format of the input files.
   * @default EtlInputFormat.CSV
   */
  readonly inputFormat?: EtlInputFormat;
  /**
   * Columns to partition the Parquet output by (CONVERT only), such as `['event_date']`.
   * @default - no partitions
   */
  readonly partitionKeys?: string[];
  /**
   * The number of files a REPARTITION run writes (from 1 to 100,000).
   * @default - sized from the input and `targetFileSizeMiB`
   */
  readonly fileCount?: number;
  /**
   * The size of each file of a REPARTITION run, when `fileCount` is not given (from 1 to 5,120).
   * @default 128
   */
  readonly targetFileSizeMiB?: number;
  /**
   * A PySpark script of your own, as a local file path, in place of the shipped one. It gets the same
   * arguments (`--mode`, `--input_path`, `--output_path`, ...).
   * @default - the shipped script (assets/glue/spark_etl.py)
   */
  readonly scriptFile?: string;
  /**
   * The worker type.
   * @default GlueWorkerType.G_1X
   */
  readonly workerType?: GlueWorkerType;
  /**
   * The number of workers: at least 2 (one driver and one executor); at most 299 for G.1X and 149 for G.2X.
   * @default 2
   */
  readonly numberOfWorkers?: number;
  /**
   * How long a run may take before Glue stops it: from 1 minute to 7 days.
   * @default Duration.hours(2)
   */
  readonly timeout?: Duration;
  /**
   * How many times Glue retries a failed run: from 0 to 10.
   * @default 1
   */
  readonly maxRetries?: number;
  /**
   * How many runs may overlap. Job bookmarks assume one at a time.
   * @default 1
   */
  readonly maxConcurrentRuns?: number;
  /**
   * The subnets of the connections (one connection each; Glue fails over between them).
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * The prefix of the artifacts zone for the job's temporary files (`--TempDir`).
   * @default 'glue/temp/<job id>'
   */
  readonly tempPrefix?: string;
  /**
   * The prefix of the artifacts zone for the Spark UI event logs.
   * @default 'glue/spark-ui/<job id>'
   */
  readonly sparkUiLogsPrefix?: string;
  /**
   * More default arguments of every run (the script's own or Glue's special parameters).
   * @default - none
   */
  readonly extraArguments?: { [key: string]: string };
  /**
   * The name of the job.
   * @default - generated by CloudFormation
   */
  readonly jobName?: string;
}

/** Properties of a {@link SparkEtlJob}. */
export interface SparkEtlJobProps extends SparkEtlJobOptions {
  /** The lake the job reads and writes. */
  readonly dataLake: IDataLake;
  /** The catalog: its security configuration encrypts the job's S3 writes, logs and bookmarks; the job may add tables to it. */
  readonly catalog: IDataCatalog;
  /**
   * Run in this VPC's private subnets through Glue NETWORK connections, and reach S3 through its gateway endpoint.
   * @default - Glue's own network
   */
  readonly vpc?: ec2.IVpc;
}

/**
 * A Glue 5.0 Spark job over the lake, with the library's PySpark script (raw CSV or JSON to partitioned
 * Parquet, or a rewrite into N evenly sized files) or your own.
 *
 * Bookmarks, metrics, observability metrics, continuous logging and the Spark UI (event logs to the
 * artifacts zone) are on; timeout and retries are explicit. The catalog's security configuration
 * encrypts its S3 writes, logs and bookmarks. Its role reads the input prefix, writes the output prefix,
 * the temporary and Spark UI prefixes, reads the script object, and nothing else of the lake.
 *
 * With a `vpc`, the job runs in private subnets through Glue NETWORK connections whose security group
 * admits itself on all TCP ports (Glue's Spark nodes talk to each other).
 */
export class SparkEtlJob extends Construct implements ISparkEtlJob, iam.IGrantable {
  /**
   * Imports an existing Glue job by name, for example to start it from a pipeline.
   *
   * @param scope the scope to define the imported construct in
   * @param id the id of the imported construct, unique in `scope`
   * @param jobName the name of the existing Glue job
   */
  public static fromJobName(scope: Construct, id: string, jobName: string): ISparkEtlJob {
    class Imported extends Construct implements ISparkEtlJob {
      public readonly jobName = jobName;
      public readonly jobArn = Stack.of(scope).formatArn({ service: 'glue', resource: 'job', resourceName: jobName });
    }
    return new Imported(scope, id);
  }

  /** The job. */
  public readonly job: glue.CfnJob;
  /** The name of the job. */
  public readonly jobName: string;
  /** The ARN of the job. */
  public readonly jobArn: string;
  /** The job's role. */
  public readonly role: iam.Role;
  /** The principal of the job's role. */
  public readonly grantPrincipal: iam.IPrincipal;
  /** The script asset. */
  public readonly script: s3assets.Asset;
  /** The security group of the connections, when the job runs in a VPC. */
  public readonly securityGroup?: ec2.SecurityGroup;
  /** The Glue NETWORK connections, one per subnet, when the job runs in a VPC. */
  public readonly connections: glue.CfnConnection[] = [];
  /** The S3 URI of the job's temporary directory. */
  public readonly tempDir: string;
  /** The S3 URI of the Spark UI event logs. */
  public readonly sparkUiLogsPath: string;

  /**
   * Defines a `SparkEtlJob` in `scope`.
   *
   * @param scope the scope to define the construct in
   * @param id the construct's id, unique in `scope`
   * @param props the construct's configuration, see `SparkEtlJobProps`
   */
  constructor(scope: Construct, id: string, props: SparkEtlJobProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const mode = props.mode ?? SparkEtlMode.CONVERT;
    const workerType = props.workerType ?? GlueWorkerType.G_1X;
    const workers = props.numberOfWorkers ?? 2;
    const timeout = props.timeout ?? Duration.hours(2);
    const maxRetries = props.maxRetries ?? 1;
    const maxConcurrentRuns = props.maxConcurrentRuns ?? 1;
    if (!Object.values(GlueWorkerType).includes(workerType)) {
      throw invalidProp(this, 'workerType', `must be a Glue 5.0 Spark worker type (${Object.values(GlueWorkerType).join(', ')})`, workerType);
    }
    validateNumber(this, 'numberOfWorkers', workers, { integer: true, min: 2, max: MAX_WORKERS[workerType] });
    if (!timeout.isUnresolved()) {
      const minutes = timeout.toMinutes({ integral: false });
      if (!Number.isInteger(minutes) || minutes < 1 || minutes > 7 * 24 * 60) {
        throw invalidProp(this, 'timeout', 'must be whole minutes from 1 minute to 7 days', timeout.toHumanString());
      }
    }
    validateNumber(this, 'maxRetries', maxRetries, { integer: true, min: 0, max: 10 });
    validateNumber(this, 'maxConcurrentRuns', maxConcurrentRuns, { integer: true, min: 1 });
    validateNumber(this, 'fileCount', props.fileCount, { integer: true, min: 1, max: 100000 });
    validateNumber(this, 'targetFileSizeMiB', props.targetFileSizeMiB, { integer: true, min: 1, max: 5120 });
    if (mode !== SparkEtlMode.REPARTITION && (props.fileCount !== undefined || props.targetFileSizeMiB !== undefined)) {
      throw invalidProp(this, props.fileCount !== undefined ? 'fileCount' : 'targetFileSizeMiB', 'applies only with mode: SparkEtlMode.REPARTITION', props.fileCount ?? props.targetFileSizeMiB);
    }
    if (mode !== SparkEtlMode.CONVERT && props.partitionKeys?.length) {
      throw invalidProp(this, 'partitionKeys', 'applies only with mode: SparkEtlMode.CONVERT', props.partitionKeys);
    }
    for (const key of props.partitionKeys ?? []) {
      if (!Token.isUnresolved(key) && !/^[a-z_][a-z0-9_]*$/.test(key)) {
        throw invalidProp(this, 'partitionKeys', 'must hold lower-case column names (letters, digits, underscores)', key);
      }
    }
    const inputPrefix = plainPrefix(this, 'input.prefix', props.input.prefix);
    const outputPrefix = plainPrefix(this, 'output.prefix', props.output.prefix);
    if (
      props.input.zone === props.output.zone &&
      !Token.isUnresolved(inputPrefix) &&
      !Token.isUnresolved(outputPrefix) &&
      (outputPrefix === inputPrefix || inputPrefix === '' || outputPrefix.startsWith(`${inputPrefix}/`))
    ) {
      throw invalidProp(this, 'output', `must not lie within the input '${props.input.zone}/${inputPrefix}' (the next run would read its own output)`, `${props.output.zone}/${outputPrefix}`);
    }
    if (props.catalog.securityConfigurationName === undefined) {
      throw invalidProp(this, 'catalog', 'must have a Glue security configuration (securityConfigurationName), which every job uses', props.catalog.databaseName);
    }
    const lake = props.dataLake;
    const uid = Names.uniqueId(this).slice(-24);
    const tempPrefix = plainPrefix(this, 'tempPrefix', props.tempPrefix ?? `glue/temp/${uid}`);
    const sparkUiPrefix = plainPrefix(this, 'sparkUiLogsPrefix', props.sparkUiLogsPrefix ?? `glue/spark-ui/${uid}`);
    this.tempDir = lake.s3Uri(DataLakeZone.ARTIFACTS, tempPrefix);
    this.sparkUiLogsPath = lake.s3Uri(DataLakeZone.ARTIFACTS, sparkUiPrefix);

    this.script = new s3assets.Asset(this, 'Script', { path: props.scriptFile ?? packageAssetFile('glue/spark_etl.py') });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('glue.amazonaws.com'),
      description: `Glue Spark job ${this.node.path}: reads its input prefix, writes its output, temporary and Spark UI prefixes`,
    });
    acknowledgeInlinePolicy(this.role);
    this.grantPrincipal = this.role;
    // The script object itself, not the staging bucket's other assets.
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [this.script.bucket.arnForObjects(this.script.s3ObjectKey)] }),
    );
    grantLocation(lake, this.role, props.input.zone, inputPrefix, false);
    grantLocation(lake, this.role, props.output.zone, outputPrefix, true);
    lake.grantReadWrite(this.role, DataLakeZone.ARTIFACTS, tempPrefix);
    lake.grantWrite(this.role, DataLakeZone.ARTIFACTS, sparkUiPrefix);
    props.catalog.grantWriteCatalog(this.role);
    grantGlueLogs(this, this.role, 'jobs', props.catalog.securityConfigurationKey);
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['cloudwatch:PutMetricData'], resources: ['*'], conditions: { StringEquals: { 'cloudwatch:namespace': 'Glue' } } }),
    );

    if (props.vpc) this.securityGroup = this.connectToVpc(props.vpc, props.vpcSubnets);
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: props.vpc
        ? 'cloudwatch:PutMetricData (limited to the Glue namespace by condition) and the EC2 Describe* and network-interface actions that Glue needs to run in the VPC do not support resource-level permissions.'
        : 'cloudwatch:PutMetricData does not support resource-level permissions; a condition limits it to the Glue namespace.',
    });

    const args: Record<string, string> = {
      '--job-language': 'python',
      '--job-bookmark-option': 'job-bookmark-enable',
      '--enable-metrics': 'true',
      '--enable-observability-metrics': 'true',
      '--enable-continuous-cloudwatch-log': 'true',
      '--enable-spark-ui': 'true',
      '--spark-event-logs-path': this.sparkUiLogsPath,
      '--TempDir': this.tempDir,
      '--enable-glue-datacatalog': 'true',
      '--mode': mode,
      '--input_format': props.inputFormat ?? EtlInputFormat.CSV,
      '--input_path': lake.s3Uri(props.input.zone, inputPrefix || undefined),
      '--output_path': lake.s3Uri(props.output.zone, outputPrefix || undefined),
    };
    if (props.partitionKeys?.length) args['--partition_keys'] = props.partitionKeys.join(',');
    if (mode === SparkEtlMode.REPARTITION) {
      if (props.fileCount !== undefined) args['--file_count'] = String(props.fileCount);
      else args['--target_file_mib'] = String(props.targetFileSizeMiB ?? 128);
    }

    this.job = new glue.CfnJob(this, 'Resource', {
      name: props.jobName,
      role: this.role.roleArn,
      glueVersion: '5.0',
      command: { name: 'glueetl', pythonVersion: '3', scriptLocation: this.script.s3ObjectUrl },
      workerType,
      numberOfWorkers: workers,
      timeout: timeout.toMinutes(),
      maxRetries,
      executionProperty: { maxConcurrentRuns },
      securityConfiguration: props.catalog.securityConfigurationName,
      connections: this.connections.length ? { connections: this.connections.map((c) => c.ref) } : undefined,
      defaultArguments: { ...args, ...props.extraArguments },
    });
    this.job.node.addDependency(this.role);
    this.jobName = this.job.ref;
    this.jobArn = stack.formatArn({ service: 'glue', resource: 'job', resourceName: this.jobName });
  }

  /**
   * Lets `grantee` start runs of the job and follow them.
   *
   * @param grantee the principal to grant to (a role, a user, a function)
   */
  public grantStartJobRun(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['glue:StartJobRun', 'glue:GetJobRun', 'glue:GetJobRuns', 'glue:BatchStopJobRun'], resourceArns: [this.jobArn] });
  }

  private connectToVpc(vpc: ec2.IVpc, selection: ec2.SubnetSelection | undefined): ec2.SecurityGroup {
    const stack = Stack.of(this);
    const sg = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc,
      description: 'Glue Spark job: its nodes talk to each other on all TCP ports; HTTPS out to S3 and AWS endpoints',
      allowAllOutbound: false,
    });
    // Glue requires a self-referencing rule on all TCP ports for the job's nodes.
    sg.addIngressRule(sg, ec2.Port.allTcp(), 'Glue Spark nodes of this job');
    sg.addEgressRule(sg, ec2.Port.allTcp(), 'Glue Spark nodes of this job');
    sg.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to S3 (gateway endpoint) and AWS APIs (interface endpoints or NAT)');

    const subnets = vpc.selectSubnets(selection).subnets;
    if (subnets.length === 0) throw invalidProp(this, 'vpcSubnets', 'must select at least one subnet', selection ?? 'the private subnets');
    subnets.forEach((subnet, i) => {
      const connection = new glue.CfnConnection(this, `Connection${i + 1}`, {
        catalogId: stack.account,
        connectionInput: {
          name: `${stack.stackName}-${Names.uniqueResourceName(this, { maxLength: 160 })}-${i + 1}`,
          description: `Glue job ${this.node.path}: subnet ${i + 1}`,
          connectionType: 'NETWORK',
          physicalConnectionRequirements: { availabilityZone: subnet.availabilityZone, subnetId: subnet.subnetId, securityGroupIdList: [sg.securityGroupId] },
        },
      });
      this.connections.push(connection);
    });
    const connectionArns = this.connections.map((c) => stack.formatArn({ service: 'glue', resource: 'connection', resourceName: c.ref }));
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['glue:GetConnection', 'glue:GetConnections'], resources: [stack.formatArn({ service: 'glue', resource: 'catalog' }), ...connectionArns] }));
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          'ec2:CreateNetworkInterface',
          'ec2:DeleteNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeVpcEndpoints',
          'ec2:DescribeRouteTables',
          'ec2:DescribeSubnets',
          'ec2:DescribeSecurityGroups',
          'ec2:DescribeVpcAttribute',
        ],
        resources: ['*'],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ec2:CreateTags', 'ec2:DeleteTags'],
        resources: [stack.formatArn({ service: 'ec2', resource: 'network-interface', resourceName: '*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME })],
        conditions: { 'ForAllValues:StringEquals': { 'aws:TagKeys': ['aws-glue-service-resource'] } },
      }),
    );
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:network-interface/*]`,
      reason: 'Glue tags the network interfaces it creates for the job, whose IDs are known only at run time; a condition limits the tag keys to Glue\u2019s own.',
    });
    return sg;
  }
}

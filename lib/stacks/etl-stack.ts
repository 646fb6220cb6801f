import { Stack, StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { IDataLake } from '../data-lake';
import {
  AnalyticsWorkgroup,
  AnalyticsWorkgroupOptions,
  DataCatalog,
  DataCatalogOptions,
  LakeCrawler,
  LakeCrawlerOptions,
  SparkApplication,
  SparkApplicationOptions,
  SparkEtlJob,
  SparkEtlJobOptions,
  SpectrumWarehouse,
  SpectrumWarehouseOptions,
} from '../etl';

/** Properties of the reference {@link EtlStack}. */
export interface EtlStackProps extends StackProps {
  /** The VPC of the Glue job's connections and of the optional warehouse and Spark application (the network stack's). */
  readonly vpc: ec2.IVpc;
  /** The data lake (the data-lake stack's). */
  readonly dataLake: IDataLake;
  /**
   * The catalog's settings.
   * @default - DataCatalog's defaults
   */
  readonly catalog?: DataCatalogOptions;
  /** The ETL job's settings, its input (raw zone) and output (curated zone) included. It runs in the VPC. */
  readonly etlJob: SparkEtlJobOptions;
  /**
   * The raw-zone crawler's settings.
   * @default - crawls the ETL job's input, tables prefixed `raw_`, on demand
   */
  readonly rawCrawler?: LakeCrawlerOptions;
  /**
   * The Athena workgroup's settings.
   * @default - AnalyticsWorkgroup's defaults
   */
  readonly workgroup?: AnalyticsWorkgroupOptions;
  /**
   * The Redshift Serverless warehouse's settings; given, the stack creates one.
   * @default - no warehouse
   */
  readonly spectrum?: SpectrumWarehouseOptions;
  /**
   * The EMR Serverless Spark application's settings; given, the stack creates one.
   * @default - no Spark application
   */
  readonly sparkApplication?: SparkApplicationOptions;
}

/**
 * The reference ETL and analytics layer over the lake: the Glue catalog, a crawler over the raw zone,
 * the Spark job from raw to curated, the Athena workgroup, and optionally a Redshift Serverless
 * warehouse for Spectrum and an EMR Serverless Spark application.
 */
export class EtlStack extends Stack {
  /** The Glue database and security configuration. */
  public readonly catalog: DataCatalog;
  /** The crawler over the raw zone. */
  public readonly rawCrawler: LakeCrawler;
  /** The Spark job from raw to curated. */
  public readonly etlJob: SparkEtlJob;
  /** The Athena workgroup. */
  public readonly workgroup: AnalyticsWorkgroup;
  /** The Redshift Serverless warehouse, when configured. */
  public readonly spectrum?: SpectrumWarehouse;
  /** The EMR Serverless Spark application, when configured. */
  public readonly sparkApplication?: SparkApplication;

  /**
   * Defines the stack in `scope`.
   *
   * @param scope the app or stage that holds the stack
   * @param id the stack's id, unique in `scope`
   * @param props the stack's configuration, see `EtlStackProps`
   */
  constructor(scope: Construct, id: string, props: EtlStackProps) {
    super(scope, id, props);
    const { vpc, dataLake } = props;
    this.catalog = new DataCatalog(this, 'Catalog', { ...props.catalog, dataLake });
    const jobOptions = props.etlJob;
    this.rawCrawler = this.catalog.addCrawler('RawCrawler', props.rawCrawler ?? { targets: [jobOptions.input], tablePrefix: 'raw_' });
    this.etlJob = new SparkEtlJob(this, 'EtlJob', { ...jobOptions, dataLake, catalog: this.catalog, vpc });
    this.workgroup = new AnalyticsWorkgroup(this, 'Workgroup', { ...props.workgroup, dataLake, catalog: this.catalog });
    if (props.spectrum) this.spectrum = new SpectrumWarehouse(this, 'Spectrum', { ...props.spectrum, vpc, dataLake, catalog: this.catalog });
    if (props.sparkApplication) {
      this.sparkApplication = new SparkApplication(this, 'SparkApplication', { ...props.sparkApplication, vpc, dataLake, catalog: this.catalog });
    }
  }
}

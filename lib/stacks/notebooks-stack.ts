import { Stack, StackProps } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import { IDataLake } from '../data-lake';
import { IAnalyticsWorkgroup, IDataCatalog } from '../etl';
import { ResearchNotebook, ResearchNotebookOptions, ResearchStudio, ResearchStudioOptions } from '../notebooks';

/** Properties of the reference {@link NotebooksStack}. */
export interface NotebooksStackProps extends StackProps {
  /** The VPC of the notebooks (the network stack's). */
  readonly vpc: ec2.IVpc;
  /** The data lake: the notebooks read the curated zone and work in a scratch prefix of the artifacts zone. */
  readonly dataLake: IDataLake;
  /**
   * The Athena workgroup that the notebooks query through.
   * @default - no Athena access
   */
  readonly workgroup?: IAnalyticsWorkgroup;
  /**
   * The Glue database that the notebooks may read.
   * @default - no Glue catalog access
   */
  readonly catalog?: IDataCatalog;
  /**
   * The preprocessing queue (the training stack's CPU queue) that the notebooks may submit to.
   * @default - no Batch access
   */
  readonly jobQueue?: batch.IJobQueue;
  /**
   * The preprocessing job definition, with `jobQueue`.
   * @default - no Batch access
   */
  readonly jobDefinition?: batch.IJobDefinition;
  /**
   * Whether to create the notebook instance.
   * @default true
   */
  readonly notebookEnabled?: boolean;
  /**
   * The notebook instance's settings.
   * @default - ResearchNotebook's defaults
   */
  readonly notebook?: ResearchNotebookOptions;
  /**
   * Whether to create the Studio domain.
   * @default false
   */
  readonly studioEnabled?: boolean;
  /**
   * The Studio domain's settings.
   * @default - ResearchStudio's defaults
   */
  readonly studio?: ResearchStudioOptions;
}

/**
 * The reference research environment: a {@link ResearchNotebook} (on by default) and a
 * {@link ResearchStudio} domain (off by default), both over the lake, the VPC and, where given, the
 * Athena workgroup, the Glue catalog and the preprocessing queue.
 */
export class NotebooksStack extends Stack {
  /** The notebook instance, unless disabled. */
  public readonly notebook?: ResearchNotebook;
  /** The Studio domain, when enabled. */
  public readonly studio?: ResearchStudio;

  /**
   * Defines the stack in `scope`.
   *
   * @param scope the app or stage that holds the stack
   * @param id the stack's id, unique in `scope`
   * @param props the stack's configuration, see `NotebooksStackProps`
   */
  constructor(scope: Construct, id: string, props: NotebooksStackProps) {
    super(scope, id, props);
    const shared = {
      vpc: props.vpc,
      dataLake: props.dataLake,
      workgroup: props.workgroup,
      catalog: props.catalog,
      jobQueue: props.jobQueue,
      jobDefinition: props.jobDefinition,
    };
    if (props.notebookEnabled ?? true) this.notebook = new ResearchNotebook(this, 'Notebook', { ...props.notebook, ...shared });
    if (props.studioEnabled ?? false) this.studio = new ResearchStudio(this, 'Studio', { ...props.studio, ...shared });
  }
}

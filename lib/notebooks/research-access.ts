import * as batch from 'aws-cdk-lib/aws-batch';
import { IAnalyticsWorkgroup, IDataCatalog } from '../etl';

/**
 * What the execution role of a notebook or a Studio domain may reach: the data, the Athena workgroup,
 * the Glue catalog and the preprocessing queue. Shared by {@link ResearchNotebookProps} and
 * {@link ResearchStudioProps}.
 */
export interface ResearchAccessOptions {
  /**
   * Prefixes of the curated zone that the role reads. `''` is the whole zone.
   * @default [''] (the whole curated zone)
   */
  readonly curatedReadPrefixes?: string[];
  /**
   * The prefix of the artifacts zone that the role reads and writes: query results, exports, scratch.
   * @default 'scratch/notebooks'
   */
  readonly scratchPrefix?: string;
}

/** The resources, passed in as interfaces, that a research environment's role is granted access to. */
export interface ResearchResources {
  /**
   * The Athena workgroup that queries run in: the role gets its `grantQuery`.
   * @default - no Athena access
   */
  readonly workgroup?: IAnalyticsWorkgroup;
  /**
   * The Glue database whose tables the role may read (not their data): the catalog's `grantReadCatalog`.
   * @default - no Glue catalog access beyond what `workgroup` grants
   */
  readonly catalog?: IDataCatalog;
  /**
   * The queue of preprocessing jobs that the role may submit to. Give `jobDefinition` with it.
   * @default - no Batch access
   */
  readonly jobQueue?: batch.IJobQueue;
  /**
   * The job definition that submissions to `jobQueue` use (any revision of it).
   * @default - no Batch access
   */
  readonly jobDefinition?: batch.IJobDefinition;
}

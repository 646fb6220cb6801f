import { Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { DataLake, DataLakeProps } from '../data-lake';

/** Properties of the reference {@link DataLakeStack}. */
export interface DataLakeStackProps extends StackProps {
  /**
   * The data lake's settings.
   * @default - DataLake's defaults
   */
  readonly dataLake?: DataLakeProps;
}

/** The reference data lake: one {@link DataLake} with its key and access-log bucket. */
export class DataLakeStack extends Stack {
  /** The data lake. */
  public readonly dataLake: DataLake;

  /**
   * Defines the stack in `scope`.
   *
   * @param scope the app or stage that holds the stack
   * @param id the stack's id, unique in `scope`
   * @param props the stack's configuration, see `DataLakeStackProps`
   */
  constructor(scope: Construct, id: string, props: DataLakeStackProps = {}) {
    super(scope, id, props);
    this.dataLake = new DataLake(this, 'DataLake', props.dataLake);
  }
}

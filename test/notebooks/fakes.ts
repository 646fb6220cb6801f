import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';
import { IAnalyticsWorkgroup, IDataCatalog } from '../../lib';

/** A tiny IAnalyticsWorkgroup for tests: grants Athena on its own ARN and records who was granted. */
export class FakeWorkgroup extends Construct implements IAnalyticsWorkgroup {
  public readonly workgroupName = 'research';
  public readonly workgroupArn: string;
  public readonly grantees: iam.IGrantable[] = [];

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.workgroupArn = Stack.of(this).formatArn({ service: 'athena', resource: 'workgroup', resourceName: this.workgroupName });
  }

  public grantQuery(grantee: iam.IGrantable): iam.Grant {
    this.grantees.push(grantee);
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:GetQueryResults'],
      resourceArns: [this.workgroupArn],
    });
  }
}

/** A tiny IDataCatalog for tests: grants reading one database and one table. */
export class FakeCatalog extends Construct implements IDataCatalog {
  public readonly databaseName = 'curated';
  public readonly databaseArn: string;
  public readonly grantees: iam.IGrantable[] = [];

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.databaseArn = Stack.of(this).formatArn({ service: 'glue', resource: 'database', resourceName: this.databaseName });
  }

  public grantWriteCatalog(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['glue:CreateTable', 'glue:UpdateTable'], resourceArns: [this.databaseArn] });
  }

  public grantReadCatalog(grantee: iam.IGrantable): iam.Grant {
    this.grantees.push(grantee);
    const stack = Stack.of(this);
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['glue:GetDatabase', 'glue:GetTable'],
      resourceArns: [
        stack.formatArn({ service: 'glue', resource: 'catalog' }),
        this.databaseArn,
        stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${this.databaseName}/events` }),
      ],
    });
  }
}

/**
 * The warnings recorded on a construct itself (its metadata), read without a synth so that aws-cdk-lib's
 * validation report never reaches the console.
 */
export function warningsOf(construct: IConstruct): string[] {
  return construct.node.metadata.filter((m) => m.type === 'aws:cdk:warning').map((m) => String(m.data));
}

import { Duration, Size, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import fc from 'fast-check';
import {
  AnalyticsWorkgroup,
  DataCatalog,
  DataLake,
  DataLakeZone,
  GlueWorkerType,
  IDataLake,
  SparkApplication,
  SparkEtlJob,
  SparkEtlJobProps,
  SparkEtlMode,
  SpectrumWarehouse,
} from '../../lib';
import { assertAccepts, assertRejects, badNumbers, goodNumbers, importedVpc, runStack } from '../util/props';

const vpcs = new WeakMap<Stack, ReturnType<typeof importedVpc>>();
/** One imported VPC per stack. */
function vpcOf(stack: Stack): ReturnType<typeof importedVpc> {
  if (!vpcs.has(stack)) vpcs.set(stack, importedVpc(stack));
  return vpcs.get(stack)!;
}

// Property-based checks of every validated prop of the ETL constructs (see test/util/props.ts).

interface Base {
  readonly stack: Stack;
  readonly lake: IDataLake;
  readonly catalog: DataCatalog;
  /** A construct id not used yet in the stack. */
  readonly id: (name: string) => string;
}

function newBase(): Base {
  const stack = runStack();
  const encryptionKey = kms.Key.fromKeyArn(stack, 'LakeKey', 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab');
  const lake = DataLake.fromDataLakeAttributes(stack, 'Lake', { rawBucketName: 'raw', curatedBucketName: 'curated', artifactsBucketName: 'artifacts', encryptionKey });
  let n = 0;
  return { stack, lake, catalog: new DataCatalog(stack, 'Catalog', { dataLake: lake }), id: (name) => `${name}${n++ || ''}` };
}
// Rejected values build in one shared stack (each construct under a new id): only accepted values need
// a stack of their own, to read their resource.
const shared = newBase();
const base = (fresh: boolean): Base => (fresh ? newBase() : shared);

function job(props: Partial<SparkEtlJobProps>, fresh = false): { stack: Stack; job: SparkEtlJob } {
  const { stack, lake, catalog, id } = base(fresh);
  const input = { zone: DataLakeZone.RAW, prefix: 'incoming' };
  const output = { zone: DataLakeZone.CURATED, prefix: 'datasets' };
  return { stack, job: new SparkEtlJob(stack, id('Job'), { dataLake: lake, catalog, input, output, ...props }) };
}
const jobProps = (stack: Stack, j: SparkEtlJob) => ({
  numberOfWorkers: stack.resolve(j.job.numberOfWorkers),
  maxRetries: stack.resolve(j.job.maxRetries),
  timeout: stack.resolve(j.job.timeout),
  executionProperty: stack.resolve(j.job.executionProperty),
  args: stack.resolve(j.job.defaultArguments) as Record<string, string>,
});
const columns = fc.stringMatching(/^[a-z_][a-z0-9_]{0,15}$/);
const minutes = (m: number) => Duration.minutes(m);

describe('SparkEtlJob props', () => {
  test.each([
    [GlueWorkerType.G_1X, 299],
    [GlueWorkerType.G_2X, 149],
  ])('numberOfWorkers: rejects values outside 2 to the maximum of %s (%d), keeps valid ones on the job', (workerType, max) => {
    const rule = { integer: true, min: 2, max };
    assertRejects(badNumbers(rule), 'numberOfWorkers', (v) => job({ workerType, numberOfWorkers: v }));
    assertAccepts(goodNumbers(rule), (v) => {
      const { stack, job: j } = job({ workerType, numberOfWorkers: v }, true);
      expect(jobProps(stack, j).numberOfWorkers).toBe(v);
    });
  });

  test('workerType: rejects what is not a Glue 5.0 Spark worker type', () => {
    assertRejects(fc.constantFrom('Standard', 'G.025X', 'Z.2X', 'g.1x', ''), 'workerType', (v) => job({ workerType: v as GlueWorkerType }));
  });

  test('maxRetries: rejects values outside 0 to 10, keeps valid ones on the job', () => {
    const rule = { integer: true, min: 0, max: 10 };
    assertRejects(badNumbers(rule), 'maxRetries', (v) => job({ maxRetries: v }));
    assertAccepts(goodNumbers(rule), (v) => {
      const { stack, job: j } = job({ maxRetries: v }, true);
      expect(jobProps(stack, j).maxRetries).toBe(v);
    });
  });

  test('maxConcurrentRuns: rejects values under 1 or fractional, keeps valid ones on the job', () => {
    const rule = { integer: true, min: 1 };
    assertRejects(badNumbers(rule), 'maxConcurrentRuns', (v) => job({ maxConcurrentRuns: v }));
    assertAccepts(goodNumbers({ ...rule, max: 1000 }), (v) => {
      const { stack, job: j } = job({ maxConcurrentRuns: v }, true);
      expect(jobProps(stack, j).executionProperty).toEqual({ maxConcurrentRuns: v });
    });
  });

  test('timeout: rejects what is not whole minutes from 1 minute to 7 days, keeps valid ones on the job', () => {
    const bad = fc.oneof(
      fc.integer({ min: 10081, max: 100_000 }).map(minutes),
      fc.integer({ min: 1, max: 59 }).map((s) => Duration.seconds(s)),
      fc.integer({ min: 1, max: 10_000 }).map((m) => Duration.seconds(m * 60 + 30)),
    );
    assertRejects(bad, 'timeout', (v) => job({ timeout: v }));
    assertAccepts(fc.integer({ min: 1, max: 10080 }), (m) => {
      const { stack, job: j } = job({ timeout: minutes(m) }, true);
      expect(jobProps(stack, j).timeout).toBe(m);
    });
  });

  test('fileCount: rejects values outside 1 to 100000, passes valid ones to the script', () => {
    const rule = { integer: true, min: 1, max: 100000 };
    assertRejects(badNumbers(rule), 'fileCount', (v) => job({ mode: SparkEtlMode.REPARTITION, fileCount: v }));
    assertAccepts(goodNumbers(rule), (v) => {
      const { stack, job: j } = job({ mode: SparkEtlMode.REPARTITION, fileCount: v }, true);
      expect(jobProps(stack, j).args['--file_count']).toBe(String(v));
    });
  });

  test('targetFileSizeMiB: rejects values outside 1 to 5120, passes valid ones to the script', () => {
    const rule = { integer: true, min: 1, max: 5120 };
    assertRejects(badNumbers(rule), 'targetFileSizeMiB', (v) => job({ mode: SparkEtlMode.REPARTITION, targetFileSizeMiB: v }));
    assertAccepts(goodNumbers(rule), (v) => {
      const { stack, job: j } = job({ mode: SparkEtlMode.REPARTITION, targetFileSizeMiB: v }, true);
      expect(Object.values(jobProps(stack, j).args)).toContain(String(v));
    });
  });

  test('partitionKeys: rejects what is not a lower-case column name, passes valid ones to the script', () => {
    const bad = fc.oneof(fc.stringMatching(/^[A-Z][a-zA-Z0-9_]{0,8}$/), fc.stringMatching(/^[0-9][a-z0-9_]{0,8}$/), fc.constantFrom('', 'a-b', 'a b', 'day/hour'));
    assertRejects(fc.tuple(columns, bad).map(([good, b]) => [good, b]), 'partitionKeys', (keys) => job({ partitionKeys: keys }));
    assertAccepts(fc.array(columns, { minLength: 1, maxLength: 3 }), (keys) => {
      const { stack, job: j } = job({ partitionKeys: keys }, true);
      expect(jobProps(stack, j).args['--partition_keys']).toBe(keys.join(','));
    });
  });
});

function application(props: Partial<ConstructorParameters<typeof SparkApplication>[2]>, fresh = false): { stack: Stack; app: SparkApplication } {
  const { stack, lake, id } = base(fresh);
  return { stack, app: new SparkApplication(stack, id('Spark'), { vpc: vpcOf(stack), dataLake: lake, lakeAccess: [{ zone: DataLakeZone.RAW }], ...props }) };
}

describe('SparkApplication props', () => {
  test.each([
    ['maximumVcpus', 'cpu', 'vCPU'],
    ['maximumMemoryGB', 'memory', 'GB'],
  ] as const)('%s: rejects values under 1 or fractional, keeps valid ones in the maximum capacity', (prop, key, unit) => {
    const rule = { integer: true, min: 1 };
    assertRejects(badNumbers(rule), prop, (v) => application({ [prop]: v }));
    assertAccepts(goodNumbers({ ...rule, max: 100_000 }), (v) => {
      const { stack, app } = application({ [prop]: v }, true);
      expect(stack.resolve(app.application.maximumCapacity)[key]).toBe(`${v} ${unit}`);
    });
  });

  test('idleTimeout: rejects what is not whole minutes from 1 minute to 7 days, keeps valid ones in the auto-stop', () => {
    const bad = fc.oneof(fc.integer({ min: 10081, max: 100_000 }).map(minutes), fc.integer({ min: 1, max: 59 }).map((s) => Duration.seconds(s)));
    assertRejects(bad, 'idleTimeout', (v) => application({ idleTimeout: v }));
    assertAccepts(fc.integer({ min: 1, max: 10080 }), (m) => {
      const { stack, app } = application({ idleTimeout: minutes(m) }, true);
      expect(stack.resolve(app.application.autoStopConfiguration)).toEqual({ enabled: true, idleTimeoutMinutes: m });
    });
  });

  test('applicationName: rejects names EMR Serverless refuses, keeps valid ones on the application', () => {
    const bad = fc.oneof(fc.constant(''), fc.stringMatching(/^[a-z]{1,10}[ :;*@]$/), fc.stringMatching(/^[a-z]{65,70}$/));
    assertRejects(bad, 'applicationName', (v) => application({ applicationName: v }));
    assertAccepts(fc.stringMatching(/^[A-Za-z0-9._/#-]{1,64}$/), (v) => {
      const { stack, app } = application({ applicationName: v }, true);
      expect(stack.resolve(app.application.name)).toBe(v);
    });
  });

  test('releaseLabel: rejects what is not an EMR Serverless release from emr-6.6.0, keeps valid ones on the application', () => {
    const bad = fc.oneof(
      fc.tuple(fc.integer({ min: 0, max: 5 }), fc.nat(40)).map(([minor, patch]) => `emr-6.${minor}.${patch}`),
      fc.tuple(fc.integer({ min: 1, max: 5 }), fc.nat(40), fc.nat(40)).map(([major, minor, patch]) => `emr-${major}.${minor}.${patch}`),
      fc.constantFrom('emr-7', 'emr-7.1', '7.1.0', 'emr-spark-7.1.0', 'EMR-7.1.0'),
    );
    assertRejects(bad, 'releaseLabel', (v) => application({ releaseLabel: v }));
    const good = fc.oneof(
      fc.tuple(fc.integer({ min: 6, max: 20 }), fc.nat(40)).map(([minor, patch]) => `emr-6.${minor}.${patch}`),
      fc.tuple(fc.nat(20), fc.nat(40)).map(([minor, patch]) => `emr-7.${minor}.${patch}`),
      fc.tuple(fc.nat(20), fc.nat(40)).map(([minor, patch]) => `emr-spark-8.${minor}.${patch}`),
    );
    assertAccepts(good, (v) => {
      const { stack, app } = application({ releaseLabel: v }, true);
      expect(stack.resolve(app.application.releaseLabel)).toBe(v);
    });
  });
});

function warehouse(props: Partial<ConstructorParameters<typeof SpectrumWarehouse>[2]>, fresh = false): { stack: Stack; warehouse: SpectrumWarehouse } {
  const { stack, lake, catalog, id } = base(fresh);
  return { stack, warehouse: new SpectrumWarehouse(stack, id('Warehouse'), { vpc: vpcOf(stack), dataLake: lake, catalog, ...props }) };
}

describe('SpectrumWarehouse props', () => {
  test('baseCapacityRpus: rejects what is not 4 or 8 to 512 in steps of 8, keeps valid ones on the workgroup', () => {
    const bad = fc.oneof(badNumbers({ integer: true, min: 4, max: 512 }), fc.integer({ min: 5, max: 511 }).filter((v) => v % 8 !== 0));
    assertRejects(bad, 'baseCapacityRpus', (v) => warehouse({ baseCapacityRpus: v }));
    assertAccepts(fc.oneof(fc.constant(4), fc.integer({ min: 1, max: 64 }).map((k) => 8 * k)), (v) => {
      const { stack, warehouse: w } = warehouse({ baseCapacityRpus: v }, true);
      expect(stack.resolve(w.workgroup.baseCapacity)).toBe(v);
    });
  });

  test('port: rejects ports outside 5431-5455 and 8191-8215, keeps valid ones on the workgroup', () => {
    const bad = fc.oneof(badNumbers({ integer: true, min: 5431, max: 8215 }), fc.integer({ min: 5456, max: 8190 }));
    assertRejects(bad, 'port', (v) => warehouse({ port: v }));
    assertAccepts(fc.oneof(fc.integer({ min: 5431, max: 5455 }), fc.integer({ min: 8191, max: 8215 })), (v) => {
      const { stack, warehouse: w } = warehouse({ port: v }, true);
      expect(stack.resolve(w.workgroup.port)).toBe(v);
    });
  });

  test('name: rejects what is not 3 to 64 lower-case letters, digits or hyphens, names the namespace and workgroup with valid ones', () => {
    const bad = fc.oneof(fc.stringMatching(/^[a-z0-9-]{0,2}$/), fc.stringMatching(/^[a-z0-9-]{65,70}$/), fc.stringMatching(/^[a-z]{3,10}[A-Z_.][a-z]{0,3}$/));
    assertRejects(bad, 'name', (v) => warehouse({ name: v }));
    assertAccepts(fc.stringMatching(/^[a-z0-9-]{3,64}$/), (v) => {
      const { stack, warehouse: w } = warehouse({ name: v }, true);
      expect(stack.resolve(w.warehouseNamespace.namespaceName)).toBe(v);
    });
  });

  test('databaseName: rejects what is not a lower-case database name, keeps valid ones on the namespace', () => {
    const bad = fc.oneof(fc.constant(''), fc.stringMatching(/^[0-9$][a-z0-9_]{0,8}$/), fc.stringMatching(/^[a-z][a-z0-9_]{0,5}[A-Z -][a-z]{0,3}$/), fc.stringMatching(/^[a-z]{128,130}$/));
    assertRejects(bad, 'databaseName', (v) => warehouse({ databaseName: v }));
    assertAccepts(fc.stringMatching(/^[a-z_][a-z0-9_$]{0,126}$/), (v) => {
      const { stack, warehouse: w } = warehouse({ databaseName: v }, true);
      expect(stack.resolve(w.warehouseNamespace.dbName)).toBe(v);
    });
  });

  test('externalSchemaName: rejects what is not a lower-case SQL identifier, writes valid ones into the schema SQL', () => {
    const bad = fc.oneof(fc.constant(''), fc.stringMatching(/^[0-9][a-z0-9_]{0,8}$/), fc.stringMatching(/^[a-z]{1,5}[A-Z;' -][a-z]{0,3}$/));
    assertRejects(bad, 'externalSchemaName', (v) => warehouse({ externalSchemaName: v }));
    assertAccepts(fc.stringMatching(/^[a-z_][a-z0-9_]{0,126}$/), (v) => {
      expect(warehouse({ externalSchemaName: v }, true).warehouse.externalSchemaSql).toContain(`CREATE EXTERNAL SCHEMA IF NOT EXISTS ${v} FROM`);
    });
  });
});

describe('AnalyticsWorkgroup props', () => {
  const workgroup = (props: Partial<ConstructorParameters<typeof AnalyticsWorkgroup>[2]>, fresh = false) => {
    const { stack, lake, catalog, id } = base(fresh);
    return { stack, wg: new AnalyticsWorkgroup(stack, id('Workgroup'), { dataLake: lake, catalog, ...props }) };
  };

  test('workgroupName: rejects what Athena refuses, keeps valid ones on the workgroup', () => {
    const bad = fc.oneof(fc.constant(''), fc.stringMatching(/^[a-z]{1,5}[ /:@*][a-z]{0,3}$/), fc.stringMatching(/^[a-z]{129,132}$/));
    assertRejects(bad, 'workgroupName', (v) => workgroup({ workgroupName: v }));
    assertAccepts(fc.stringMatching(/^[a-zA-Z0-9._-]{1,128}$/), (v) => {
      const { stack, wg } = workgroup({ workgroupName: v }, true);
      expect(stack.resolve(wg.workgroup.name)).toBe(v);
    });
  });

  test('bytesScannedCutoffPerQuery: rejects sizes under Athena\u2019s 10 MB, keeps valid ones on the workgroup', () => {
    const tenMB = 10 * 1024 * 1024;
    assertRejects(fc.integer({ min: 1, max: 9 }).map((m) => Size.mebibytes(m)), 'bytesScannedCutoffPerQuery', (v) => workgroup({ bytesScannedCutoffPerQuery: v }));
    assertAccepts(fc.integer({ min: 10, max: 10_000_000 }).map((m) => Size.mebibytes(m)), (size) => {
      const { stack, wg } = workgroup({ bytesScannedCutoffPerQuery: size }, true);
      const cutoff = stack.resolve(wg.workgroup.workGroupConfiguration).bytesScannedCutoffPerQuery;
      expect(cutoff).toBe(size.toBytes());
      expect(cutoff).toBeGreaterThanOrEqual(tenMB);
    });
  });
});

describe('DataCatalog props', () => {
  test('databaseName: rejects what Athena refuses, keeps valid ones on the database', () => {
    const catalog = (databaseName: string, fresh = false) => {
      const { stack, lake, id } = base(fresh);
      return { stack, c: new DataCatalog(stack, id('Named'), { dataLake: lake, databaseName }) };
    };
    const bad = fc.oneof(fc.constant(''), fc.stringMatching(/^[a-z0-9_]{0,5}[A-Z. -][a-z]{0,3}$/), fc.stringMatching(/^[a-z]{256,260}$/));
    assertRejects(bad, 'databaseName', catalog);
    assertAccepts(fc.stringMatching(/^[a-z0-9_]{1,255}$/), (v) => {
      const { stack, c } = catalog(v, true);
      expect(stack.resolve(c.database.databaseInput).name).toBe(v);
    });
  });

  test('tablePrefix: rejects what is not 1 to 128 lower-case letters, digits or underscores, keeps valid ones on the crawler', () => {
    const crawl = (tablePrefix: string, fresh = false) => {
      const { stack, catalog, id } = base(fresh);
      return { stack, crawler: catalog.addCrawler(id('Raw'), { targets: [{ zone: DataLakeZone.RAW, prefix: 'incoming' }], tablePrefix }) };
    };
    const bad = fc.oneof(fc.constant(''), fc.stringMatching(/^[a-z0-9_]{0,5}[A-Z. -][a-z]{0,3}$/), fc.stringMatching(/^[a-z]{129,132}$/));
    assertRejects(bad, 'tablePrefix', crawl);
    assertAccepts(fc.stringMatching(/^[a-z0-9_]{1,128}$/), (v) => {
      const { stack, crawler } = crawl(v, true);
      expect(stack.resolve(crawler.crawler.tablePrefix)).toBe(v);
    });
  });
});

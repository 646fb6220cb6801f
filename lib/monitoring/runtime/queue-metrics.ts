/**
 * Publishes what AWS Batch does not: how many jobs each queue holds in each state, and how long the
 * oldest RUNNABLE job has waited. Runs once a minute (an EventBridge schedule) and writes CloudWatch
 * metrics that StallMonitor's dashboard and its "stuck in RUNNABLE" alarm read.
 *
 * Environment: `QUEUES` (a JSON array of job queue ARNs) and `METRICS_NAMESPACE`.
 */
import { BatchClient, JobStatus, paginateListJobs } from '@aws-sdk/client-batch';
import { CloudWatchClient, MetricDatum, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';

/** The states a job passes through before it ends; counted per queue. */
export const QUEUE_STATES: readonly JobStatus[] = ['SUBMITTED', 'PENDING', 'RUNNABLE', 'STARTING', 'RUNNING'];

/** The metric names this handler publishes. */
export const METRIC_JOBS = 'Jobs';
export const METRIC_OLDEST_RUNNABLE_AGE = 'OldestRunnableJobAgeSeconds';

/** One queue's jobs by state at one moment. */
export interface QueueSnapshot {
  readonly queueArn: string;
  /** The queue's name, the metrics' `JobQueue` dimension. */
  readonly queueName: string;
  readonly counts: Record<string, number>;
  /** Seconds since the oldest RUNNABLE job was submitted; 0 when none waits. */
  readonly oldestRunnableAgeSeconds: number;
}

/** `arn:aws:batch:<region>:<account>:job-queue/<name>` -> `<name>`. */
export function queueNameOf(arn: string): string {
  const match = /:job-queue\/(.+)$/.exec(arn);
  if (!match) throw new Error(`QUEUES must hold job queue ARNs (arn:...:job-queue/<name>), got '${arn}'`);
  return match[1];
}

/** Counts the jobs of one queue in each state, paging through ListJobs. */
export async function snapshotQueue(batch: BatchClient, queueArn: string, nowMs: number): Promise<QueueSnapshot> {
  const counts: Record<string, number> = {};
  let oldestCreatedAt: number | undefined;
  for (const jobStatus of QUEUE_STATES) {
    counts[jobStatus] = 0;
    for await (const page of paginateListJobs({ client: batch, pageSize: 100 }, { jobQueue: queueArn, jobStatus })) {
      for (const job of page.jobSummaryList ?? []) {
        counts[jobStatus] += 1;
        if (jobStatus === 'RUNNABLE' && job.createdAt !== undefined) {
          oldestCreatedAt = Math.min(oldestCreatedAt ?? job.createdAt, job.createdAt);
        }
      }
    }
  }
  const oldestRunnableAgeSeconds = oldestCreatedAt === undefined ? 0 : Math.max(0, Math.round((nowMs - oldestCreatedAt) / 1000));
  return { queueArn, queueName: queueNameOf(queueArn), counts, oldestRunnableAgeSeconds };
}

/** The CloudWatch data points of some snapshots. */
export function metricData(snapshots: QueueSnapshot[], timestamp: Date): MetricDatum[] {
  return snapshots.flatMap((s) => [
    ...QUEUE_STATES.map((state) => ({
      MetricName: METRIC_JOBS,
      Dimensions: [
        { Name: 'JobQueue', Value: s.queueName },
        { Name: 'State', Value: state },
      ],
      Value: s.counts[state],
      Unit: 'Count' as const,
      Timestamp: timestamp,
    })),
    {
      MetricName: METRIC_OLDEST_RUNNABLE_AGE,
      Dimensions: [{ Name: 'JobQueue', Value: s.queueName }],
      Value: s.oldestRunnableAgeSeconds,
      Unit: 'Seconds' as const,
      Timestamp: timestamp,
    },
  ]);
}

/** Snapshots every queue and publishes the metrics, at most 500 data points per request. */
export async function publishQueueMetrics(options: {
  batch: BatchClient;
  cloudwatch: CloudWatchClient;
  queueArns: string[];
  namespace: string;
  nowMs: number;
}): Promise<QueueSnapshot[]> {
  const snapshots = await Promise.all(options.queueArns.map((arn) => snapshotQueue(options.batch, arn, options.nowMs)));
  const data = metricData(snapshots, new Date(options.nowMs));
  for (let i = 0; i < data.length; i += 500) {
    await options.cloudwatch.send(new PutMetricDataCommand({ Namespace: options.namespace, MetricData: data.slice(i, i + 500) }));
  }
  return snapshots;
}

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} must be set`);
  return value;
}

const batch = new BatchClient({});
const cloudwatch = new CloudWatchClient({});

export async function handler(): Promise<{ queues: number; runnable: number }> {
  const queueArns = JSON.parse(requireEnv('QUEUES')) as string[];
  const snapshots = await publishQueueMetrics({ batch, cloudwatch, queueArns, namespace: requireEnv('METRICS_NAMESPACE'), nowMs: Date.now() });
  return { queues: snapshots.length, runnable: snapshots.reduce((n, s) => n + s.counts.RUNNABLE, 0) };
}

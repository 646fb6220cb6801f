import { BatchClient, ListJobsCommand } from '@aws-sdk/client-batch';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { metricData, publishQueueMetrics, queueNameOf, snapshotQueue } from '../../../lib/monitoring/runtime/queue-metrics';

const QUEUE = 'arn:aws:batch:eu-west-1:111122223333:job-queue/GpuQueue-abc';
const NOW = Date.UTC(2026, 11, 2, 12, 0, 0);
const batchMock = mockClient(BatchClient);
const cloudwatchMock = mockClient(CloudWatchClient);

// The mocks patch the clients' classes: put them back for whatever runs next in this process.
afterAll(() => {
  batchMock.restore();
  cloudwatchMock.restore();
});

beforeEach(() => {
  batchMock.reset();
  cloudwatchMock.reset();
  batchMock.on(ListJobsCommand).resolves({ jobSummaryList: [] });
});

describe('snapshotQueue', () => {
  test('counts jobs per state across pages, and ages the oldest RUNNABLE job from its submission', async () => {
    batchMock
      .on(ListJobsCommand, { jobQueue: QUEUE, jobStatus: 'RUNNABLE' })
      .resolvesOnce({ jobSummaryList: [{ jobId: 'a', jobName: 'a', createdAt: NOW - 45 * 60_000 }], nextToken: 't1' })
      .resolvesOnce({ jobSummaryList: [{ jobId: 'b', jobName: 'b', createdAt: NOW - 90 * 60_000 }, { jobId: 'c', jobName: 'c', createdAt: NOW - 60_000 }] });
    batchMock.on(ListJobsCommand, { jobQueue: QUEUE, jobStatus: 'RUNNING' }).resolves({ jobSummaryList: [{ jobId: 'r', jobName: 'r' }] });

    const snapshot = await snapshotQueue(new BatchClient({}), QUEUE, NOW);

    expect(snapshot.counts).toEqual({ SUBMITTED: 0, PENDING: 0, RUNNABLE: 3, STARTING: 0, RUNNING: 1 });
    expect(snapshot.oldestRunnableAgeSeconds).toBe(90 * 60);
    expect(snapshot.queueName).toBe('GpuQueue-abc');
    const runnableCalls = batchMock.commandCalls(ListJobsCommand, { jobStatus: 'RUNNABLE' });
    // The SDK's paginator reuses one input object, so only the last call's token can be read back.
    expect(runnableCalls).toHaveLength(2);
    expect(runnableCalls[1].args[0].input.nextToken).toBe('t1');
  });

  test('reports an age of 0 when nothing waits', async () => {
    const snapshot = await snapshotQueue(new BatchClient({}), QUEUE, NOW);
    expect(snapshot.oldestRunnableAgeSeconds).toBe(0);
  });

  test('fails clearly on something that is not a job queue ARN', () => {
    expect(() => queueNameOf('arn:aws:batch:eu-west-1:1:compute-environment/x')).toThrow(/QUEUES must hold job queue ARNs/);
  });
});

describe('publishQueueMetrics', () => {
  test('publishes jobs by state and the oldest RUNNABLE age per queue, in the given namespace', async () => {
    batchMock.on(ListJobsCommand, { jobStatus: 'RUNNABLE' }).resolves({ jobSummaryList: [{ jobId: 'a', jobName: 'a', createdAt: NOW - 120_000 }] });

    await publishQueueMetrics({ batch: new BatchClient({}), cloudwatch: new CloudWatchClient({}), queueArns: [QUEUE], namespace: 'Ns', nowMs: NOW });

    const calls = cloudwatchMock.commandCalls(PutMetricDataCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0].args[0].input;
    expect(input.Namespace).toBe('Ns');
    const byName = Object.fromEntries(
      (input.MetricData ?? []).map((d) => [`${d.MetricName}/${(d.Dimensions ?? []).map((x) => x.Value).join('/')}`, [d.Value, d.Unit]]),
    );
    expect(byName).toEqual({
      'Jobs/GpuQueue-abc/SUBMITTED': [0, 'Count'],
      'Jobs/GpuQueue-abc/PENDING': [0, 'Count'],
      'Jobs/GpuQueue-abc/RUNNABLE': [1, 'Count'],
      'Jobs/GpuQueue-abc/STARTING': [0, 'Count'],
      'Jobs/GpuQueue-abc/RUNNING': [0, 'Count'],
      'OldestRunnableJobAgeSeconds/GpuQueue-abc': [120, 'Seconds'],
    });
  });

  test('splits more than 500 data points into several requests', async () => {
    const queues = Array.from({ length: 90 }, (_, i) => `${QUEUE}${i}`);
    await publishQueueMetrics({ batch: new BatchClient({}), cloudwatch: new CloudWatchClient({}), queueArns: queues, namespace: 'Ns', nowMs: NOW });
    expect(cloudwatchMock.commandCalls(PutMetricDataCommand).map((c) => c.args[0].input.MetricData?.length)).toEqual([500, 40]);
    expect(metricData([], new Date(NOW))).toEqual([]);
  });

  test('a Batch error (throttling) fails the run and publishes nothing', async () => {
    batchMock.on(ListJobsCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'TooManyRequestsException' }));
    await expect(
      publishQueueMetrics({ batch: new BatchClient({}), cloudwatch: new CloudWatchClient({}), queueArns: [QUEUE], namespace: 'Ns', nowMs: NOW }),
    ).rejects.toThrow('Rate exceeded');
    expect(cloudwatchMock.commandCalls(PutMetricDataCommand)).toHaveLength(0);
  });
});

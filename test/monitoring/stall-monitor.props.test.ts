import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sns from 'aws-cdk-lib/aws-sns';
import fc from 'fast-check';
import { LustreCache, StallMonitor, StallMonitorProps, TrainingCluster } from '../../lib';
import { assertAccepts, assertRejects, badNumbers, goodNumbers, importedVpc, runStack } from '../util/props';

// Property-based checks of every validated prop of StallMonitor (see test/util/props.ts). A monitor
// needs a training cluster, the costly part: every run builds its monitor beside one shared cluster
// and file system, under an id of its own, and reads that monitor's alarms.
const stack = runStack();
const vpc = importedVpc(stack);
const cluster = new TrainingCluster(stack, 'Cluster', { vpc });
const lustre = new LustreCache(stack, 'Cache', { vpc });
let n = 0;
const monitor = (props: Partial<StallMonitorProps>) => new StallMonitor(stack, `Monitor${n++}`, { cluster, lustre, ...props });
const alarm = (a: cloudwatch.Alarm) => a.node.defaultChild as cloudwatch.CfnAlarm;
const minutes = (m: number) => Duration.minutes(m);

describe('StallMonitor props', () => {
  test('gpuStarvedUtilizationPercent: rejects values outside 1 to 99, writes valid ones into the starvation expression', () => {
    const rule = { min: 1, max: 99 };
    assertRejects(badNumbers(rule), 'gpuStarvedUtilizationPercent', (v) => monitor({ gpuStarvedUtilizationPercent: v }));
    assertAccepts(goodNumbers({ ...rule, integer: true }), (v) => {
      const m = monitor({ gpuStarvedUtilizationPercent: v });
      expect(JSON.stringify(stack.resolve(alarm(m.gpusStarvedAlarm!).metrics))).toMatch(new RegExp(`< ${v}(?![0-9.])`));
    });
  });

  test('storageNearLimitPercent: rejects values outside 1 to 100, writes valid ones into the starvation expression', () => {
    const rule = { min: 1, max: 100 };
    assertRejects(badNumbers(rule), 'storageNearLimitPercent', (v) => monitor({ storageNearLimitPercent: v }));
    assertAccepts(goodNumbers({ ...rule, integer: true }), (v) => {
      const m = monitor({ storageNearLimitPercent: v });
      expect(stack.resolve(alarm(m.gpusStarvedAlarm!).alarmDescription)).toContain(`${v}% of its ${lustre.throughputMBps} MB/s`);
    });
  });

  test('starvedFor: rejects what is not whole 5-minute periods from 5 minutes to 24 hours, sets valid ones as the alarm\u2019s periods', () => {
    const bad = fc.oneof(
      fc.integer({ min: 1, max: 300 }).filter((m) => m % 5 !== 0).map(minutes),
      fc.integer({ min: 289, max: 1000 }).map((k) => minutes(5 * k)),
      fc.constantFrom(Duration.seconds(0), Duration.seconds(150)),
    );
    assertRejects(bad, 'starvedFor', (v) => monitor({ starvedFor: v }));
    assertAccepts(fc.integer({ min: 1, max: 288 }), (k) => {
      const m = monitor({ starvedFor: minutes(5 * k) });
      expect(stack.resolve(alarm(m.gpusStarvedAlarm!).evaluationPeriods)).toBe(k);
    });
  });

  test('stuckRunnableAfter: rejects durations outside 1 minute to 24 hours, sets valid ones as the stuck-job threshold', () => {
    const bad = fc.oneof(fc.integer({ min: 0, max: 59 }).map((s) => Duration.seconds(s)), fc.integer({ min: 86_401, max: 1_000_000 }).map((s) => Duration.seconds(s)));
    assertRejects(bad, 'stuckRunnableAfter', (v) => monitor({ stuckRunnableAfter: v }));
    assertAccepts(fc.integer({ min: 60, max: 86_400 }), (s) => {
      const m = monitor({ stuckRunnableAfter: Duration.seconds(s) });
      for (const a of m.stuckInRunnableAlarms) expect(stack.resolve(alarm(a).threshold)).toBe(s);
    });
  });

  test('alarmEmail: rejects what is not an e-mail address, subscribes valid ones to the alarm topic', () => {
    const local = fc.stringMatching(/^[a-z0-9._+-]{1,12}$/);
    const domain = fc.stringMatching(/^[a-z0-9-]{1,12}\.[a-z]{2,6}$/);
    const bad = fc.oneof(local, local.map((l) => `${l}@`), domain.map((d) => `@${d}`), fc.tuple(local, domain).map(([l, d]) => `${l} @${d}`), fc.tuple(local, local).map(([l, d]) => `${l}@${d.replace(/\./g, '')}`));
    assertRejects(bad, 'alarmEmail', (v) => monitor({ alarmEmail: v }));
    assertAccepts(fc.tuple(local, domain).map(([l, d]) => `${l}@${d}`), (email) => {
      const m = monitor({ alarmEmail: email });
      const subscription = (m.alarmTopic as sns.Topic).node.findAll().find((c) => c instanceof sns.CfnSubscription) as sns.CfnSubscription;
      expect(stack.resolve(subscription.endpoint)).toBe(email);
    });
  });
});

import { Stack } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import fc from 'fast-check';
import { TrainingCluster, TrainingClusterProps } from '../../lib';
import { assertAccepts, assertRejects, badNumbers, goodNumbers, importedVpc, runStack } from '../util/props';

// Property-based checks of the validated props of TrainingCluster (see test/util/props.ts). A cluster is
// the costliest construct of the library: rejected values build in one shared stack, and each accepting
// property builds a handful of clusters, each in a stack of its own.
const VALID_RUNS = 5;
const shared = runStack();
const sharedVpc = importedVpc(shared);
let n = 0;
const rejected = (props: Partial<TrainingClusterProps>) => new TrainingCluster(shared, `Cluster${n++}`, { vpc: sharedVpc, ...props });
function cluster(props: Partial<TrainingClusterProps>): { stack: Stack; cluster: TrainingCluster } {
  const stack = runStack();
  return { stack, cluster: new TrainingCluster(stack, 'Cluster', { vpc: importedVpc(stack), ...props }) };
}
const maxvCpus = (stack: Stack, ce: batch.ManagedEc2EcsComputeEnvironment) =>
  stack.resolve((ce.node.defaultChild as batch.CfnComputeEnvironment).computeResources).maxvCpus;

describe('TrainingCluster props', () => {
  test('gpuMaxVcpus: rejects values under 1, fractional or too small for one GPU instance (96 vCPUs of the default types), keeps valid ones on the GPU environment', () => {
    assertRejects(fc.oneof(badNumbers({ integer: true, min: 1 }), fc.integer({ min: 1, max: 95 })), 'gpuMaxVcpus', (v) => rejected({ gpuMaxVcpus: v }));
    assertAccepts(fc.integer({ min: 96, max: 100_000 }), (v) => {
      const { stack, cluster: c } = cluster({ gpuMaxVcpus: v });
      expect(maxvCpus(stack, c.gpuComputeEnvironment)).toBe(v);
    }, VALID_RUNS);
  });

  test('cpuMaxVcpus: rejects values under 1 or fractional, keeps valid ones on the CPU environment', () => {
    const rule = { integer: true, min: 1 };
    assertRejects(badNumbers(rule), 'cpuMaxVcpus', (v) => rejected({ cpuMaxVcpus: v }));
    assertAccepts(goodNumbers({ ...rule, max: 100_000 }), (v) => {
      const { stack, cluster: c } = cluster({ cpuMaxVcpus: v });
      expect(maxvCpus(stack, c.cpuComputeEnvironment)).toBe(v);
    }, VALID_RUNS);
  });

  test('rootVolumeSizeGiB: rejects values outside 30 to 16384 GiB, keeps valid ones on the launch templates', () => {
    const rule = { integer: true, min: 30, max: 16384 };
    assertRejects(badNumbers(rule), 'rootVolumeSizeGiB', (v) => rejected({ rootVolumeSizeGiB: v }));
    assertAccepts(goodNumbers(rule), (v) => {
      const { stack, cluster: c } = cluster({ rootVolumeSizeGiB: v });
      for (const lt of [c.launchTemplate, c.cpuLaunchTemplate]) {
        const data = stack.resolve((lt.node.defaultChild as ec2.CfnLaunchTemplate).launchTemplateData);
        expect(data.blockDeviceMappings[0].ebs.volumeSize).toBe(v);
      }
    }, VALID_RUNS);
  });

  test('retryAttempts: rejects values outside 1 to 10, keeps valid ones on the job definitions', () => {
    const rule = { integer: true, min: 1, max: 10 };
    assertRejects(badNumbers(rule), 'retryAttempts', (v) => rejected({ retryAttempts: v }));
    assertAccepts(goodNumbers(rule), (v) => {
      const { stack, cluster: c } = cluster({ retryAttempts: v });
      for (const jd of [c.preprocessJobDefinition, c.trainingJobDefinition]) {
        expect(stack.resolve((jd.node.defaultChild as batch.CfnJobDefinition).retryStrategy).attempts).toBe(v);
      }
    }, VALID_RUNS);
  });

  test('multiNodeCount: rejects values outside 2 to 1000, sizes the multi-node job with valid ones', () => {
    assertRejects(badNumbers({ integer: true, min: 2, max: 1000 }), 'multiNodeCount', (v) => rejected({ multiNodeCount: v, gpuMaxVcpus: 200_000 }));
    assertAccepts(fc.integer({ min: 2, max: 64 }), (v) => {
      const { stack, cluster: c } = cluster({ multiNodeCount: v, gpuMaxVcpus: 192 * 64 });
      expect(stack.resolve((c.multiNodeTrainingJobDefinition!.node.defaultChild as batch.CfnJobDefinition).nodeProperties).numNodes).toBe(v);
    }, VALID_RUNS);
  });

  test('multiNodeMainNode: rejects values outside 0 to multiNodeCount - 1', () => {
    assertRejects(
      fc.integer({ min: 2, max: 16 }).chain((count) => fc.tuple(fc.constant(count), badNumbers({ integer: true, min: 0, max: count - 1 }))),
      'multiNodeMainNode',
      ([count, main]) => rejected({ multiNodeCount: count, multiNodeMainNode: main, gpuMaxVcpus: 200_000 }),
    );
  });

  test.each(['lustreMountPath', 'sharedFileSystemMountPath', 'scratchMountPath'] as const)('%s: rejects what is not an absolute path of plain characters', (prop) => {
    const bad = fc.oneof(
      fc.constantFrom('', '/', 'fsx', 'mnt/data', '/..', '/fsx/..', '/a//b', '/a/'),
      fc.stringMatching(/^\/[a-z]{1,6}[ $;:*'"][a-z]{0,3}$/),
      fc.stringMatching(/^\/[a-z]{1,6}\/\.\.?\/[a-z]{1,6}$/),
    );
    assertRejects(bad, prop, (v) => rejected({ [prop]: v }));
  });

  test('fairShareIdentifiers: rejects what is not letters and digits with an optional trailing *', () => {
    const bad = fc.oneof(fc.constantFrom('', '*', 'a*b', 'team-a', 'team_a', 'a b'), fc.stringMatching(/^[a-z]{255,258}$/));
    assertRejects(bad, 'fairShareIdentifiers', (v) => rejected({ fairShareScheduling: true, fairShareIdentifiers: [v] }));
  });
});

import { Stack } from 'aws-cdk-lib';
import * as batch from 'aws-cdk-lib/aws-batch';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Size } from 'aws-cdk-lib';
import { warnOnImagesNeedingInternet } from '../../bin/image-check';
import { warningsOf } from '../util/annotations';
import { testStack } from '../util/app';
import { referenceApp } from '../stacks/fixture';

function jobWithImage(stack: Stack, id: string, image: ecs.ContainerImage): batch.EcsJobDefinition {
  return new batch.EcsJobDefinition(stack, id, {
    container: new batch.EcsEc2ContainerDefinition(stack, `${id}Container`, { image, cpu: 1, memory: Size.gibibytes(1) }),
  });
}

describe('the reference app with natGateways: 0', () => {
  const { stacks } = referenceApp({ 'ml-at-scale.network.natGateways': 0 });

  test('warns, with an id, on each job definition whose public placeholder image it cannot pull', () => {
    const warnings = warningsOf(stacks.training).filter((w) => w.includes('cdk-ml-at-scale:ImageNeedsInternet'));
    expect(warnings).toEqual([
      expect.stringMatching(/^MlAtScale-Training\/Cluster\/PreprocessJob\/Resource: The job image public\.ecr\.aws\/amazonlinux\/amazonlinux:2023 comes from a public registry/),
      expect.stringMatching(/^MlAtScale-Training\/Cluster\/TrainingJob\/Resource: The job image public\.ecr\.aws\/amazonlinux\/amazonlinux:2023 comes from a public registry/),
    ]);
  });
});

describe('the reference app with NAT gateways', () => {
  const { stacks } = referenceApp();

  test('does not warn about job images', () => {
    expect(warningsOf(stacks.training).filter((w) => w.includes('ImageNeedsInternet'))).toEqual([]);
  });
});

describe('warnOnImagesNeedingInternet', () => {
  test('passes images in private ECR: a repository, a literal private ECR URI', () => {
    const stack = testStack();
    jobWithImage(stack, 'FromRepo', ecs.ContainerImage.fromEcrRepository(new ecr.Repository(stack, 'Repo')));
    jobWithImage(stack, 'FromUri', ecs.ContainerImage.fromRegistry('123456789012.dkr.ecr.eu-west-1.amazonaws.com/train:1'));
    expect(warnOnImagesNeedingInternet(stack)).toEqual([]);
  });

  test('warns on images of public registries', () => {
    const stack = testStack();
    jobWithImage(stack, 'Nvidia', ecs.ContainerImage.fromRegistry('nvcr.io/nvidia/pytorch:24.01-py3'));
    jobWithImage(stack, 'Hub', ecs.ContainerImage.fromRegistry('ubuntu:24.04'));
    expect(warnOnImagesNeedingInternet(stack).map((j) => j.node.path)).toEqual(['Test/Nvidia/Resource', 'Test/Hub/Resource']);
    expect(warningsOf(stack)).toEqual([
      expect.stringContaining('nvcr.io/nvidia/pytorch:24.01-py3 comes from a public registry'),
      expect.stringContaining('ubuntu:24.04 comes from a public registry'),
    ]);
  });
});

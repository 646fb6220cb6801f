import { Template } from 'aws-cdk-lib/assertions';
import { referenceApp, sharedReferenceApp } from './fixture';

const { stacks } = sharedReferenceApp();
const template = Template.fromStack(stacks.dataLake);

test('is named from the stack prefix', () => {
  expect(stacks.dataLake.stackName).toBe('MlAtScale-DataLake');
});

test('holds three KMS-encrypted zones and the access-log bucket, all retained', () => {
  template.resourceCountIs('AWS::S3::Bucket', 4);
  for (const r of Object.values(template.findResources('AWS::S3::Bucket'))) expect(r.DeletionPolicy).toBe('Retain');
  template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
});

test('tags every bucket with the project', () => {
  for (const r of Object.values(template.findResources('AWS::S3::Bucket'))) {
    expect(r.Properties.Tags).toEqual(expect.arrayContaining([{ Key: 'project', Value: 'cdk-ml-at-scale' }]));
  }
});

test('deletes and empties the buckets when the config says destroy', () => {
  const { stacks: destroyStacks } = referenceApp({ 'ml-at-scale.removalPolicy': 'destroy' });
  const t = Template.fromStack(destroyStacks.dataLake);
  t.resourceCountIs('Custom::S3AutoDeleteObjects', 4);
});

test('matches the snapshot', () => {
  expect(template.toJSON()).toMatchSnapshot();
});

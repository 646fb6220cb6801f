import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { DataLake, FileShareProtocol, OnPremisesIngest, OnPremisesIngestProps } from '../../lib';
import { nagFindings, testApp } from '../util/app';

/* eslint-disable @typescript-eslint/no-explicit-any */

const GATEWAY = 'arn:aws:storagegateway:eu-west-1:123456789012:gateway/sgw-12A3456B';

describe('OnPremisesIngest with defaults (NFS)', () => {
  const stack = new Stack(testApp(), 'Test');
  const lake = new DataLake(stack, 'Lake');
  const ingest = new OnPremisesIngest(stack, 'Ingest', { dataLake: lake, gatewayArn: GATEWAY, clientList: ['10.20.0.0/16', '192.168.1.7'] });
  const template = Template.fromStack(stack);

  test('shares the on-premises/ prefix of the raw zone over NFS, KMS-encrypted with the lake key, root squashed', () => {
    template.hasResourceProperties('AWS::StorageGateway::NFSFileShare', {
      GatewayARN: GATEWAY,
      LocationARN: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^LakeRaw'), 'Arn'] }, '/on-premises/']] },
      EncryptionType: 'SseKms',
      KMSKey: { 'Fn::GetAtt': [Match.stringLikeRegexp('^LakeKey'), 'Arn'] },
      ClientList: ['10.20.0.0/16', '192.168.1.7'],
      Squash: 'RootSquash',
      ReadOnly: false,
      ObjectACL: 'bucket-owner-full-control',
      Role: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IngestRole'), 'Arn'] },
    });
    expect(ingest.prefix).toBe('on-premises/');
    expect(ingest.smbFileShare).toBeUndefined();
  });

  test('lets only Storage Gateway, for this account and gateway, assume the role', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'storagegateway.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } }, ArnLike: { 'aws:SourceArn': GATEWAY } },
          }),
        ],
      },
    });
  });

  test('scopes the role\u2019s object access to the prefix', () => {
    const statements = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([id]) => id.startsWith('IngestRole'))
      .flatMap(([, p]: [string, any]) => p.Properties.PolicyDocument.Statement);
    const objectStatements = statements.filter((s) => [s.Action].flat().some((a: string) => a.startsWith('s3:') && a.includes('Object')));
    expect(objectStatements.length).toBeGreaterThan(0);
    for (const s of objectStatements) expect(JSON.stringify(s.Resource)).toContain('/on-premises/*');
    expect(statements.find((s) => [s.Action].flat().includes('s3:ListBucket')).Condition).toEqual({
      StringLike: { 's3:prefix': ['on-premises', 'on-premises/*'] },
    });
  });

  test('retains the file share', () => {
    template.hasResource('AWS::StorageGateway::NFSFileShare', { DeletionPolicy: 'Retain' });
  });

  test('is clean under cdk-nag', () => {
    expect(nagFindings(ingest)).toEqual([]);
  });
});

describe('OnPremisesIngest with every option (SMB)', () => {
  const stack = new Stack(testApp(), 'Test');
  const lake = new DataLake(stack, 'Lake');
  const ingest = new OnPremisesIngest(stack, 'Ingest', {
    dataLake: lake,
    gatewayArn: GATEWAY,
    protocol: FileShareProtocol.SMB,
    prefix: '/legacy/plant-7/',
    smbValidUserList: ['@ml-ingest', 'svc-export'],
    readOnly: true,
    fileShareName: 'plant7',
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const template = Template.fromStack(stack);

  test('shares the prefix over SMB to the given Active Directory users, read-only', () => {
    template.hasResource('AWS::StorageGateway::SMBFileShare', {
      Properties: Match.objectLike({
        LocationARN: { 'Fn::Join': ['', [Match.anyValue(), '/legacy/plant-7/']] },
        Authentication: 'ActiveDirectory',
        ValidUserList: ['@ml-ingest', 'svc-export'],
        SMBACLEnabled: true,
        ReadOnly: true,
        FileShareName: 'plant7',
        EncryptionType: 'SseKms',
      }),
      DeletionPolicy: 'Delete',
    });
    template.resourceCountIs('AWS::StorageGateway::NFSFileShare', 0);
    expect(ingest.prefix).toBe('legacy/plant-7/');
  });

  test('grants reads only when the share is read-only', () => {
    const text = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(text).toContain('s3:GetObject');
    expect(text).not.toContain('s3:PutObject');
  });

  test('is clean under cdk-nag', () => {
    expect(nagFindings(ingest)).toEqual([]);
  });
});

describe('OnPremisesIngest fails when', () => {
  const stack = new Stack(testApp(), 'Test');
  const lake = new DataLake(stack, 'Lake');
  let n = 0;
  const build = (extra: Partial<OnPremisesIngestProps>) => () =>
    new OnPremisesIngest(stack, `Ingest${++n}`, { dataLake: lake, gatewayArn: GATEWAY, clientList: ['10.0.0.0/8'], ...extra });

  test('fails when the gateway ARN is not a gateway\u2019s', () => {
    expect(build({ gatewayArn: 'sgw-12A3456B' })).toThrow("gatewayArn must be the ARN of a gateway (arn:<partition>:storagegateway:<region>:<account>:gateway/sgw-XXXXXXXX), got 'sgw-12A3456B'");
  });

  test('fails when an NFS share has no client list', () => {
    expect(build({ clientList: undefined })).toThrow('clientList must list the NFS clients (IP addresses or CIDR blocks); without it every address may mount the share, got undefined');
    expect(build({ clientList: [] })).toThrow('clientList must list the NFS clients');
  });

  test('fails when a client is not an IP address or CIDR block', () => {
    for (const bad of ['10.0.0.0/33', '10.0.0/8', 'host.example.com', '10.0.0.0/8/1', '256.1.1.1', 'fd00::/129']) {
      expect(build({ clientList: [bad] })).toThrow(`clientList must hold IP addresses or CIDR blocks such as 10.20.0.0/16, got '${bad}'`);
    }
    expect(build({ clientList: ['fd00:1::/64'] })).not.toThrow();
  });

  test('fails when SMB gets a client list or NFS gets an SMB user list', () => {
    expect(build({ protocol: FileShareProtocol.SMB })).toThrow('clientList applies to NFS shares only (SMB shares admit Active Directory users), got ["10.0.0.0/8"]');
    expect(build({ smbValidUserList: ['@x'] })).toThrow('smbValidUserList applies to SMB shares only, got ["@x"]');
  });

  test('fails when the prefix is empty or holds a wildcard', () => {
    expect(build({ prefix: '' })).toThrow("prefix must be a non-empty key prefix (the share may not write the whole raw zone), got ''");
    expect(build({ prefix: '/' })).toThrow("prefix must be a key prefix such as 'datasets/imagenet', not '/' (which would be the whole bucket), got '/'");
    expect(build({ prefix: 'a/*' })).toThrow("prefix must be a plain key prefix without wildcards, got 'a/*'");
  });

  test('warns when the client list admits every address', () => {
    const s = new Stack(testApp(), 'Open');
    const open = new OnPremisesIngest(s, 'Ingest', { dataLake: new DataLake(s, 'Lake'), gatewayArn: GATEWAY, clientList: ['0.0.0.0/0'] });
    // Read the construct's metadata rather than synthesizing, so that no validation report reaches the console.
    const warnings = open.node.metadata.filter((m) => m.type === 'aws:cdk:warning').map((m) => String(m.data));
    expect(warnings).toEqual([expect.stringContaining('clientList admits every address (/0)')]);
    expect(warnings[0]).toContain('cdk-ml-at-scale:OpenFileShare');
  });
});

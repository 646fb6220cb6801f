import { isIP } from 'net';
import { Annotations, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as storagegateway from 'aws-cdk-lib/aws-storagegateway';
import { Construct } from 'constructs';
import { invalidProp } from '../common/errors';
import { acknowledgeInlinePolicy } from '../common/nag';
import { plainPrefix } from '../common/s3-access';
import { DataLakeZone, IDataLake } from '../data-lake';

/** The protocol of an {@link OnPremisesIngest} file share. */
export enum FileShareProtocol {
  /** NFS, for Linux and Unix clients; access by client address (`clientList`). */
  NFS = 'NFS',
  /** SMB, for Windows clients; access by Active Directory users. */
  SMB = 'SMB',
}

/** The settings of an {@link OnPremisesIngest}: its props without the lake (what a stack wires in). */
export interface OnPremisesIngestOptions {
  /**
   * The ARN of an S3 File Gateway that is already activated on premises
   * (`arn:<partition>:storagegateway:<region>:<account>:gateway/sgw-XXXXXXXX`).
   */
  readonly gatewayArn: string;
  /**
   * The file protocol of the share.
   * @default FileShareProtocol.NFS
   */
  readonly protocol?: FileShareProtocol;
  /**
   * The prefix of the raw zone that the share writes to; the share's role may touch nothing else.
   * @default 'on-premises/'
   */
  readonly prefix?: string;
  /**
   * The NFS clients allowed to mount the share, as IPv4 or IPv6 addresses or CIDR blocks. Required for NFS
   * (the service would otherwise admit every address); not used by SMB.
   * @default - none (an error for NFS)
   */
  readonly clientList?: string[];
  /**
   * The Active Directory users and groups (`@group`) allowed to use an SMB share.
   * @default - every authenticated user of the domain the gateway joined
   */
  readonly smbValidUserList?: string[];
  /**
   * Whether clients may only read.
   * @default false
   */
  readonly readOnly?: boolean;
  /**
   * The name clients mount.
   * @default - the service's default (the bucket name)
   */
  readonly fileShareName?: string;
  /**
   * What happens to the file share when it leaves the stack. Deleting a share drops files that the gateway
   * has cached but not yet uploaded.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Properties of an {@link OnPremisesIngest}. */
export interface OnPremisesIngestProps extends OnPremisesIngestOptions {
  /** The lake whose raw zone receives the files. */
  readonly dataLake: IDataLake;
}

const GATEWAY_ARN = /^arn:aws[a-z-]*:storagegateway:[a-z0-9-]+:\d{12}:gateway\/sgw-[0-9A-Fa-f]{8}$/;

/**
 * The whitepaper's path for legacy data: an S3 File Gateway file share (NFS or SMB) on an existing
 * gateway, writing into a prefix of the raw zone, encrypted with the lake's key (SSE-KMS), through a role
 * that Storage Gateway assumes and that may touch only that prefix.
 *
 * @see https://docs.aws.amazon.com/filegateway/latest/files3/GettingStartedCreateFileShare.html
 */
export class OnPremisesIngest extends Construct {
  /** The NFS file share, when the protocol is NFS. */
  public readonly nfsFileShare?: storagegateway.CfnNFSFileShare;
  /** The SMB file share, when the protocol is SMB. */
  public readonly smbFileShare?: storagegateway.CfnSMBFileShare;
  /** The role that Storage Gateway assumes to write the raw zone. */
  public readonly role: iam.Role;
  /** The prefix of the raw zone that the share writes to, ending in `/`. */
  public readonly prefix: string;
  /** The ARN of the file share. */
  public readonly fileShareArn: string;

  /**
   * Defines a `OnPremisesIngest` in `scope`.
   *
   * @param scope the scope to define the construct in
   * @param id the construct's id, unique in `scope`
   * @param props the construct's configuration, see `OnPremisesIngestProps`
   */
  constructor(scope: Construct, id: string, props: OnPremisesIngestProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const protocol = props.protocol ?? FileShareProtocol.NFS;
    if (!Token.isUnresolved(props.gatewayArn) && !GATEWAY_ARN.test(props.gatewayArn)) {
      throw invalidProp(this, 'gatewayArn', 'must be the ARN of a gateway (arn:<partition>:storagegateway:<region>:<account>:gateway/sgw-XXXXXXXX)', props.gatewayArn);
    }
    const p = plainPrefix(this, 'prefix', props.prefix ?? 'on-premises/');
    if (!p) throw invalidProp(this, 'prefix', 'must be a non-empty key prefix (the share may not write the whole raw zone)', props.prefix);
    this.prefix = `${p}/`;
    if (protocol === FileShareProtocol.NFS) {
      if (!props.clientList || props.clientList.length === 0) {
        throw invalidProp(this, 'clientList', 'must list the NFS clients (IP addresses or CIDR blocks); without it every address may mount the share', props.clientList);
      }
      for (const client of props.clientList) validateClient(this, client);
      if (props.clientList.some((c) => /^(0\.0\.0\.0|::)\/0$/.test(c))) {
        Annotations.of(this).addWarningV2('cdk-ml-at-scale:OpenFileShare', 'clientList admits every address (/0): any host that reaches the gateway may mount the share.');
      }
    } else if (props.clientList !== undefined) {
      throw invalidProp(this, 'clientList', 'applies to NFS shares only (SMB shares admit Active Directory users)', props.clientList);
    }
    if (protocol === FileShareProtocol.NFS && props.smbValidUserList !== undefined) {
      throw invalidProp(this, 'smbValidUserList', 'applies to SMB shares only', props.smbValidUserList);
    }

    const raw = props.dataLake.bucket(DataLakeZone.RAW);
    this.role = new iam.Role(this, 'Role', {
      // Confused-deputy guard: only this account's gateways may use the role.
      assumedBy: new iam.ServicePrincipal('storagegateway.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: { 'aws:SourceArn': props.gatewayArn },
      }),
      description: `Storage Gateway file share into s3://<raw zone>/${this.prefix}`,
    });
    acknowledgeInlinePolicy(this.role);
    if (props.readOnly) props.dataLake.grantRead(this.role, DataLakeZone.RAW, p);
    else props.dataLake.grantReadWrite(this.role, DataLakeZone.RAW, p);
    // The gateway checks where the bucket lives and lists the multipart uploads it may resume.
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetBucketLocation', 's3:ListBucketMultipartUploads'], resources: [raw.bucketArn] }));

    const common = {
      gatewayArn: props.gatewayArn,
      locationArn: `${raw.bucketArn}/${this.prefix}`,
      role: this.role.roleArn,
      encryptionType: 'SseKms',
      kmsKey: props.dataLake.encryptionKey.keyArn,
      readOnly: props.readOnly ?? false,
      fileShareName: props.fileShareName,
      objectAcl: 'bucket-owner-full-control',
    };
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    if (protocol === FileShareProtocol.NFS) {
      this.nfsFileShare = new storagegateway.CfnNFSFileShare(this, 'NfsFileShare', { ...common, clientList: props.clientList, squash: 'RootSquash' });
      this.nfsFileShare.node.addDependency(this.role);
      this.nfsFileShare.applyRemovalPolicy(removalPolicy);
      this.fileShareArn = this.nfsFileShare.attrFileShareArn;
    } else {
      this.smbFileShare = new storagegateway.CfnSMBFileShare(this, 'SmbFileShare', {
        ...common,
        authentication: 'ActiveDirectory',
        validUserList: props.smbValidUserList,
        smbaclEnabled: true,
      });
      this.smbFileShare.node.addDependency(this.role);
      this.smbFileShare.applyRemovalPolicy(removalPolicy);
      this.fileShareArn = this.smbFileShare.attrFileShareArn;
    }
  }
}

/** An IPv4 or IPv6 address, or a CIDR block of one. */
function validateClient(scope: Construct, client: string): void {
  if (Token.isUnresolved(client)) return;
  const [address, bits, extra] = client.split('/');
  const family = isIP(address ?? '');
  const max = family === 4 ? 32 : 128;
  const ok = family !== 0 && extra === undefined && (bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= max));
  if (!ok) throw invalidProp(scope, 'clientList', 'must hold IP addresses or CIDR blocks such as 10.20.0.0/16', client);
}

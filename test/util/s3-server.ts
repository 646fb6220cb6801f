import { mkdtemp, rm } from 'node:fs/promises';
import { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';

/** The part of s3rver 3.7's API used here (the package ships no types). */
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  configureBuckets: { name: string }[];
}) => S3rverInstance;

const S3rver = createRequire(__filename)('s3rver') as S3rverConstructor;

/** A running s3rver on loopback, with its data in a temp directory. */
export interface LocalS3 {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** The temp directory that holds the buckets (s3rver keeps `<bucket>/` and multipart uploads there). */
  readonly directory: string;
  /** A client for `endpoint` (or another endpoint, e.g. a proxy), with the settings s3rver needs. */
  client(overrides?: S3ClientConfig & { endpoint?: string }): S3Client;
  /** Stops the server and deletes its data. */
  stop(): Promise<void>;
}

/**
 * The client settings that s3rver needs (see shared/FACTS.md): path-style addressing, and checksums only
 * when required, or a streamed body is stored with its aws-chunked framing.
 */
export function localS3ClientConfig(endpoint: string): S3ClientConfig {
  return {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

/** Starts s3rver on an ephemeral port of 127.0.0.1 with the given buckets. */
export async function startLocalS3(buckets: readonly string[], directory?: string): Promise<LocalS3> {
  const dir = directory ?? (await mkdtemp(join(tmpdir(), 's3rver-')));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory: dir,
    silent: true,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  const clients: S3Client[] = [];
  return {
    endpoint,
    directory: dir,
    client: (overrides = {}) => {
      const client = new S3Client({ ...localS3ClientConfig(endpoint), ...overrides });
      clients.push(client);
      return client;
    },
    stop: async () => {
      // Closing the clients ends their keep-alive sockets, so that the server can close.
      for (const client of clients) client.destroy();
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

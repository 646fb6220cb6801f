import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';

/** The part of s3rver 3.7's API used here (the package ships no types). */
interface S3rverInstance {
  configureBuckets(): Promise<unknown>;
  /** Koa's request handler. */
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
  readonly logger: { exceptions: { unhandle(): void }; close(): void };
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
  /**
   * Multipart uploads started and neither completed nor aborted, in a bucket (s3rver has no
   * ListMultipartUploads, so this reads its directory).
   */
  pendingMultipartUploads(bucket: string): Promise<string[]>;
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

/** Where s3rver 3.7 keeps a bucket's multipart uploads (FilesystemStore.getResourcePath). */
function uploadsDirectory(root: string, bucket: string): string {
  return join(root, bucket, '._S3rver_uploads');
}

/**
 * Starts s3rver on an ephemeral port of 127.0.0.1 with the given buckets.
 *
 * s3rver 3.7 has no AbortMultipartUpload (it answers 405), so the server in front of it implements that
 * one call as S3 does: it drops the upload's parts and answers 204 (or 404 NoSuchUpload).
 */
export async function startLocalS3(buckets: readonly string[], directory?: string): Promise<LocalS3> {
  const dir = directory ?? (await mkdtemp(join(tmpdir(), 's3rver-')));
  const s3rver = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory: dir,
    silent: true,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  await s3rver.configureBuckets();
  const koa = s3rver.callback();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://s3');
    const uploadId = url.searchParams.get('uploadId');
    if (req.method === 'DELETE' && uploadId !== null && /^[0-9a-f]+$/.test(uploadId)) {
      const bucket = decodeURIComponent(url.pathname.split('/')[1] ?? '');
      const uploadDir = join(uploadsDirectory(dir, bucket), uploadId);
      void stat(uploadDir)
        .then(
          async () => {
            await rm(uploadDir, { recursive: true, force: true });
            res.writeHead(204).end();
          },
          () => {
            res.writeHead(404, { 'content-type': 'application/xml' });
            res.end('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code></Error>');
          },
        )
        .catch(() => res.destroy());
      return;
    }
    koa(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clients: S3Client[] = [];
  return {
    endpoint,
    directory: dir,
    pendingMultipartUploads: async (bucket) => {
      try {
        return await readdir(uploadsDirectory(dir, bucket));
      } catch {
        return [];
      }
    },
    client: (overrides = {}) => {
      const client = new S3Client({ ...localS3ClientConfig(endpoint), ...overrides });
      clients.push(client);
      return client;
    },
    stop: async () => {
      // Closing the clients ends their keep-alive sockets, so that the server can close.
      for (const client of clients) client.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      s3rver.logger.exceptions.unhandle();
      s3rver.logger.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

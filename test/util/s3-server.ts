import { fork } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';

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
 * Starts s3rver on an ephemeral port of 127.0.0.1 with the given buckets, in a child process that runs
 * with `--openssl-legacy-provider` so that listings of several pages work (see s3-server-process.js).
 * s3rver 3.7 has no AbortMultipartUpload; the server in front of it implements that one call.
 */
export async function startLocalS3(buckets: readonly string[], directory?: string): Promise<LocalS3> {
  const dir = directory ?? (await mkdtemp(join(tmpdir(), 's3rver-')));
  const child = fork(join(__dirname, 's3-server-process.js'), [], {
    execArgv: ['--openssl-legacy-provider'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the s3rver process exited with code ${code}`)));
    child.send({ buckets, directory: dir });
  });
  child.removeAllListeners('exit');
  const endpoint = `http://127.0.0.1:${port}`;
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
      // Closing the clients ends their keep-alive sockets.
      for (const client of clients) client.destroy();
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.send('stop');
      });
      await rm(dir, { recursive: true, force: true });
    },
  };
}

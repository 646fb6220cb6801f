'use strict';
/**
 * The s3rver process of test/util/s3-server.ts. It runs apart from the tests, with
 * `--openssl-legacy-provider`: s3rver 3.7 signs list-continuation tokens with DES, which Node 20
 * refuses otherwise, so that any listing of more than one page would answer 500.
 *
 * s3rver 3.7 has no AbortMultipartUpload (it answers 405), so the server in front of it implements that
 * one call as S3 does: it drops the upload's parts and answers 204 (or 404 NoSuchUpload).
 *
 * Objects are written atomically, as S3 writes them (see atomicPutObject).
 *
 * Protocol (IPC): the parent sends `{ buckets, directory }`; the child answers `{ port }`; on
 * `'stop'` the child closes the server and exits.
 */
const { createHash } = require('node:crypto');
const { createWriteStream } = require('node:fs');
const { mkdir, rename, rm, stat } = require('node:fs/promises');
const { createServer } = require('node:http');
const { dirname, join } = require('node:path');
const { Readable, Transform } = require('node:stream');
const { pipeline } = require('node:stream/promises');
const S3rver = require('s3rver');

/**
 * S3 replaces an object atomically: a GET sees the old object or the new one. s3rver 3.7 truncates the
 * file and writes into it (and answers a PUT with a buffer body before the bytes are flushed), so a read
 * during an overwrite sees an empty or partial object. This writes each object to a file of its own
 * beside it (s3rver lists only files named `*._S3rver_object`), then renames it over the old one.
 */
function atomicPutObject(store) {
  let sequence = 0;
  store.putObject = async function putObject(object) {
    const objectPath = this.getResourcePath(object.bucket, object.key, 'object');
    await mkdir(dirname(objectPath), { recursive: true });
    const temporary = `${objectPath}.${process.pid}-${sequence++}.staging`;
    const md5 = createHash('md5');
    let size = 0;
    const source = Buffer.isBuffer(object.content) ? Readable.from([object.content]) : object.content;
    const measure = new Transform({
      transform(chunk, encoding, callback) {
        md5.update(chunk, encoding);
        size += chunk.length;
        callback(null, chunk);
      },
    });
    try {
      await pipeline(source, measure, createWriteStream(temporary));
      await rename(temporary, objectPath);
    } catch (err) {
      await rm(temporary, { force: true });
      throw err;
    }
    const digest = md5.digest('hex');
    await this.putMetadata(object.bucket, object.key, object.metadata, digest);
    return { size, md5: digest };
  };
}

process.once('message', async ({ buckets, directory }) => {
  const s3rver = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory,
    silent: true,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  await s3rver.configureBuckets();
  atomicPutObject(s3rver.store);
  const koa = s3rver.callback();
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://s3');
    const uploadId = url.searchParams.get('uploadId');
    if (req.method === 'DELETE' && uploadId !== null && /^[0-9a-f]+$/.test(uploadId)) {
      const bucket = decodeURIComponent(url.pathname.split('/')[1] ?? '');
      const uploadDir = join(directory, bucket, '._S3rver_uploads', uploadId);
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
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    process.send({ port: server.address().port });
  });
  process.on('message', (message) => {
    if (message !== 'stop') return;
    server.closeAllConnections();
    server.close(() => {
      s3rver.logger.exceptions.unhandle();
      s3rver.logger.close();
      process.exit(0);
    });
  });
  // The parent went away without stopping the server: do not linger.
  process.on('disconnect', () => process.exit(0));
});

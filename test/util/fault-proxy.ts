import { createServer, IncomingHttpHeaders, IncomingMessage, request, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/** One request as the proxy saw it. */
export interface ProxiedRequest {
  /** 1-based order of arrival. */
  readonly n: number;
  readonly method: string;
  /** Path without the query, e.g. `/bucket/key`. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
}

/**
 * What to do with a request:
 * - `slowdown`: answer 503 SlowDown, as S3 does when throttling;
 * - `internal`: answer 500 InternalError;
 * - `reset`: close the connection before any response;
 * - `truncate`: forward, then close the connection after `truncateAfterBytes` of the response body;
 * - undefined: forward unchanged.
 */
export type Fault = 'slowdown' | 'internal' | 'reset' | 'truncate' | undefined;

/** Decides the fault of each request. */
export type FaultRule = (request: ProxiedRequest) => Fault;

/** A fault-injecting HTTP proxy on loopback in front of an S3-compatible server. */
export interface FaultProxy {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** Every request seen, in order, with the fault (if any) that it got. */
  readonly log: (ProxiedRequest & { fault: Fault; status?: number })[];
  /** Replaces the fault rule. */
  setRule(rule: FaultRule | undefined): void;
  /** Stops the proxy and closes its connections. */
  stop(): Promise<void>;
}

/** Options of {@link startFaultProxy}. */
export interface FaultProxyOptions {
  /** The server to forward to, `http://host:port`. */
  readonly target: string;
  readonly rule?: FaultRule;
  /**
   * Answer 412 PreconditionFailed to a GET whose `If-Match` differs from the object's current ETag, as S3
   * does (s3rver ignores `If-Match`).
   */
  readonly enforceIfMatch?: boolean;
  /**
   * Bytes of the response body that a `truncate` fault lets through.
   * @default 1
   */
  readonly truncateAfterBytes?: number;
}

function s3Error(res: ServerResponse, status: number, code: string, message: string): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>FAULTPROXY</RequestId></Error>`;
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Reads and drops a request body, so that an early answer does not break the client's upload. */
function drain(req: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    req.on('end', resolve).on('error', () => resolve());
    req.resume();
  });
}

/** Starts the proxy on an ephemeral port of 127.0.0.1. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  let rule = options.rule;
  let n = 0;
  const log: FaultProxy['log'] = [];

  const headEtag = (path: string): Promise<string | undefined> =>
    new Promise((resolve, reject) => {
      const head = request({ host: target.hostname, port: target.port, method: 'HEAD', path }, (res) => {
        res.resume();
        resolve(res.statusCode === 200 ? (res.headers.etag as string | undefined) : undefined);
      });
      head.on('error', reject).end();
    });

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://proxy');
      const info: ProxiedRequest = {
        n: ++n,
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
      };
      const fault = rule?.(info);
      const entry: FaultProxy['log'][number] = { ...info, fault };
      log.push(entry);

      if (fault === 'reset') {
        req.socket.destroy();
        return;
      }
      if (fault === 'slowdown' || fault === 'internal') {
        await drain(req);
        entry.status = fault === 'slowdown' ? 503 : 500;
        if (fault === 'slowdown') s3Error(res, 503, 'SlowDown', 'Please reduce your request rate.');
        else s3Error(res, 500, 'InternalError', 'We encountered an internal error. Please try again.');
        return;
      }
      const ifMatch = req.headers['if-match'];
      if (options.enforceIfMatch && info.method === 'GET' && typeof ifMatch === 'string') {
        const current = await headEtag(url.pathname);
        if (current !== ifMatch) {
          await drain(req);
          entry.status = current === undefined ? 404 : 412;
          if (current === undefined) s3Error(res, 404, 'NoSuchKey', 'The specified key does not exist.');
          else s3Error(res, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
          return;
        }
      }

      const upstream = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (upstreamRes) => {
          entry.status = upstreamRes.statusCode;
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          if (fault === 'truncate') {
            // Forward part of the body, then drop the connection mid-response.
            let left = options.truncateAfterBytes ?? 1;
            upstreamRes.on('data', (chunk: Buffer) => {
              if (left <= 0) return;
              const part = chunk.subarray(0, left);
              left -= part.length;
              res.write(part);
              if (left <= 0) {
                upstreamRes.destroy();
                res.socket?.destroy();
              }
            });
            return;
          }
          upstreamRes.pipe(res);
        },
      );
      upstream.on('error', () => res.socket?.destroy());
      req.pipe(upstream);
    })().catch(() => res.socket?.destroy());
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    log,
    setRule: (next) => {
      rule = next;
    },
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * `startWebHost`: the customers' web sites in tests and `npm start` — one HTTP and one HTTPS
 * listener answering by Host header, so a CA (or certflow's own check) that connects every
 * domain to these two addresses sees each domain as its own site.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { type Answer, hostName, type Scheme, Sites } from './sites';
import { selfSignedCertificate } from './self-signed';

export interface WebHostRequest {
  host: string;
  scheme: Scheme;
  path: string;
  /** 0: never answered (the `timeout` behaviour). */
  status: number;
}

export interface RunningWebHost {
  httpAddress: string;
  httpsAddress: string;
  /** Serve `content` at `path` for `domain` (both schemes unless `scheme` given). */
  put(domain: string, path: string, content: string, opts?: { scheme?: Scheme }): void;
  remove(domain: string, path: string): void;
  /** Answer `path` on `domain` with a redirect (status default 302) to `location`. */
  redirect(domain: string, path: string, location: string, status?: number): void;
  /** Misbehave for `domain`: 'timeout' (accept, never answer), 'status:<code>' (e.g. 'status:500'), or undefined to clear. */
  behave(domain: string, behaviour: string | undefined): void;
  /** Serve this content at this path for EVERY host not otherwise configured (npm start convenience). */
  serveEverywhere(path: string, content: string | undefined): void;
  /** Requests seen (host, scheme, path, status), for tests. */
  readonly requests: ReadonlyArray<WebHostRequest>;
  close(): Promise<void>;
}

export interface WebHostOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (default): a free port. */
  httpPort?: number;
  httpsPort?: number;
}

/** Kept bounded: `npm start` may run for days. */
const MAX_REQUESTS_KEPT = 10_000;

function listen(server: http.Server, host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const a = server.address() as AddressInfo;
      resolve(`${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`);
    });
  });
}

function respond(res: http.ServerResponse, answer: Answer): number {
  switch (answer.kind) {
    case 'file':
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end(answer.content);
      return 200;
    case 'redirect':
      res.writeHead(answer.status, { location: answer.location, 'content-type': 'text/plain' }).end(`see ${answer.location}\n`);
      return answer.status;
    case 'status':
      res.writeHead(answer.status, { 'content-type': 'text/plain' }).end(`status ${answer.status}\n`);
      return answer.status;
    case 'not-found':
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return 404;
    case 'timeout':
      // Accepted and read, never answered: close() destroys the socket.
      return 0;
  }
}

export async function startWebHost(opts: WebHostOptions = {}): Promise<RunningWebHost> {
  const bind = opts.host ?? '127.0.0.1';
  const sites = new Sites();
  const requests: WebHostRequest[] = [];

  const handler = (scheme: Scheme) => (req: http.IncomingMessage, res: http.ServerResponse) => {
    const host = hostName(req.headers.host ?? '');
    const path = (req.url ?? '/').split('?')[0]!;
    const status = respond(res, sites.answer(host, scheme, path));
    if (requests.length >= MAX_REQUESTS_KEPT) requests.shift();
    requests.push({ host, scheme, path, status });
  };

  const tls = await selfSignedCertificate();
  const httpServer = http.createServer(handler('http'));
  const httpsServer = https.createServer({ cert: tls.certPem, key: tls.keyPem }, handler('https'));
  let httpAddress: string;
  let httpsAddress: string;
  try {
    [httpAddress, httpsAddress] = await Promise.all([listen(httpServer, bind, opts.httpPort ?? 0), listen(httpsServer, bind, opts.httpsPort ?? 0)]);
  } catch (err) {
    httpServer.close();
    httpsServer.close();
    throw err;
  }

  const stop = (server: http.Server): Promise<void> =>
    new Promise((resolve) => {
      server.close(() => resolve());
      // Requests held by the `timeout` behaviour and idle keep-alive sockets would hold close() forever.
      server.closeAllConnections();
    });
  let closing: Promise<void> | undefined;

  return {
    httpAddress,
    httpsAddress,
    put: (domain, path, content, o) => sites.put(domain, path, content, o?.scheme),
    remove: (domain, path) => sites.remove(domain, path),
    redirect: (domain, path, location, status) => sites.redirect(domain, path, location, status),
    behave: (domain, behaviour) => sites.behave(domain, behaviour),
    serveEverywhere: (path, content) => sites.serveEverywhere(path, content),
    requests,
    close: () => {
      closing ??= Promise.all([stop(httpServer), stop(httpsServer)]).then(() => undefined);
      return closing;
    },
  };
}

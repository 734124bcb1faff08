/**
 * certflow's own check of a domain's validation file, against real local HTTP and HTTPS
 * servers that answer by Host header (every domain connects to them, as DOMAIN_CHECK_*
 * configures in development).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createHttpFileChecker, describeNotReady, type HttpFileChecker } from '../../src/validation/http-file-check';

const FILE = { path: '/.well-known/pki-validation/signfile', content: 'signfile-0123456789abcdef' };

type Handler = (host: string, url: string, res: http.ServerResponse) => void;
let onHttp: Handler;
let onHttps: Handler;
let httpServer: http.Server;
let httpsServer: https.Server;
let checker: HttpFileChecker;
const seen: string[] = [];

function listen(server: http.Server | https.Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

beforeAll(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'filecheck-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=site.test', '-days', '1', '-keyout', path.join(dir, 'k.pem'), '-out', path.join(dir, 'c.pem')], { stdio: 'ignore' });
  const route = (scheme: string, h: () => Handler) => (req: http.IncomingMessage, res: http.ServerResponse) => {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    seen.push(`${scheme}://${host}${req.url}`);
    h()(host, req.url ?? '/', res);
  };
  httpServer = http.createServer(route('http', () => onHttp));
  httpsServer = https.createServer({ key: fs.readFileSync(path.join(dir, 'k.pem')), cert: fs.readFileSync(path.join(dir, 'c.pem')) }, route('https', () => onHttps));
  const [h1, h2] = await Promise.all([listen(httpServer), listen(httpsServer)]);
  checker = createHttpFileChecker({ timeoutMs: 1_500, connectTo: { http: h1, https: h2 } });
});

afterAll(async () => {
  await checker.close();
  httpServer.closeAllConnections();
  httpsServer.closeAllConnections();
  await Promise.all([new Promise((r) => httpServer.close(r)), new Promise((r) => httpsServer.close(r))]);
});

beforeEach(() => {
  seen.length = 0;
  onHttp = (_h, _u, res) => res.writeHead(404).end('not found');
  onHttps = (_h, _u, res) => res.writeHead(404).end('not found');
});

const serve = (content: string): Handler => (_h, url, res) => (url === FILE.path ? res.writeHead(200, { 'content-type': 'text/plain' }).end(content) : res.writeHead(404).end());

test('a file served over HTTP with the right content (white space aside) is ready; the Host header is the domain', async () => {
  onHttp = serve(`\n  ${FILE.content}  \n`);
  const [r] = await checker.check(['www.site.test'], FILE);
  expect(r).toMatchObject({ domain: 'www.site.test', ready: true, http: { ok: true, url: 'http://www.site.test/.well-known/pki-validation/signfile' }, https: { ok: false, problem: 'HTTP 404' } });
  expect(seen).toContain('http://www.site.test/.well-known/pki-validation/signfile');
});

test('HTTPS alone is enough, whatever certificate the site has', async () => {
  onHttps = serve(FILE.content);
  const [r] = await checker.check(['secure.site.test'], FILE);
  expect(r!.ready).toBe(true);
  expect(r!.https.ok).toBe(true);
});

test('each domain is judged on its own, and the customer reads what is wrong with each', async () => {
  onHttp = (host, url, res) => {
    if (host === 'good.site.test') return serve(FILE.content)(host, url, res);
    if (host === 'wrong.site.test') return res.writeHead(200).end('<html>parked domain</html>');
    return res.writeHead(500).end();
  };
  const results = await checker.check(['good.site.test', 'wrong.site.test', 'broken.site.test'], FILE);
  expect(results.map((r) => [r.domain, r.ready])).toEqual([['good.site.test', true], ['wrong.site.test', false], ['broken.site.test', false]]);
  expect(results[1]!.http.problem).toBe('the content differs from the expected file (starts with "<html>parked domain</html>")');
  expect(results[2]!.http.problem).toBe('HTTP 500');
  const lines = describeNotReady(results);
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatch(/^wrong\.site\.test: http:\/\/wrong\.site\.test\/\.well-known\/pki-validation\/signfile — the content differs/);
});

test('redirects are followed as the Baseline Requirements allow: 301/302/307/308 to http(s) on standard ports', async () => {
  onHttp = (host, url, res) => {
    if (host === 'moved.site.test') return res.writeHead(301, { location: `https://moved.site.test${FILE.path}` }).end();
    if (host === 'port.site.test') return res.writeHead(302, { location: `http://port.site.test:8080${FILE.path}` }).end();
    if (host === 'loop.site.test') return res.writeHead(307, { location: url }).end();
    if (host === 'refresh.site.test') return res.writeHead(303, { location: `https://moved.site.test${FILE.path}` }).end();
    return res.writeHead(404).end();
  };
  onHttps = serve(FILE.content);
  const [moved] = await checker.check(['moved.site.test'], FILE);
  expect(moved!.http).toMatchObject({ ok: true, finalUrl: `https://moved.site.test${FILE.path}` });

  onHttps = (_h, _u, res) => res.writeHead(404).end();
  const [port, loop, seeOther] = await checker.check(['port.site.test', 'loop.site.test', 'refresh.site.test'], FILE);
  expect(port!.http.problem).toBe(`redirected to http://port.site.test:8080${FILE.path}: a CA follows redirects only to the standard ports (80, 443), not 8080`);
  expect(loop!.http.problem).toBe('more than 5 redirects');
  // 303 is not among the redirects a CA may follow: it is an answer, and not the file.
  expect(seeOther!.http.problem).toBe('HTTP 303');
});

test('a site that never answers is reported as such within the timeout', async () => {
  onHttp = () => undefined; // accepts, never answers
  const started = Date.now();
  const [r] = await checker.check(['slow.site.test'], FILE);
  expect(r!.ready).toBe(false);
  expect(r!.http.problem).toBe('no answer within 2 s');
  expect(Date.now() - started).toBeLessThan(10_000);
});

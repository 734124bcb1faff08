/**
 * The local customer web host: sites by Host header over HTTP and HTTPS (self-signed), files,
 * redirects, misbehaviour and the `npm start` catch-all.
 */
import { Agent, buildConnector, type Dispatcher } from 'undici';
import { type RunningWebHost, startWebHost } from '../../tools/simulators/webhost';

let web: RunningWebHost;
let agent: Agent;

beforeAll(async () => {
  web = await startWebHost();
  // Every name connects to the web host, as a CA configured with connectTo does; TLS unverified.
  const dial = buildConnector({ rejectUnauthorized: false });
  agent = new Agent({
    connect: (opts, cb) => {
      const [host, port] = (opts.protocol === 'https:' ? web.httpsAddress : web.httpAddress).split(':') as [string, string];
      dial({ ...opts, servername: opts.hostname, hostname: host, port }, cb);
    },
  });
});
afterAll(async () => {
  await agent.destroy();
  await web.close();
});

async function get(url: string, opts: { timeoutMs?: number } = {}): Promise<{ status: number; body: string; location?: string }> {
  const u = new URL(url);
  const res: Dispatcher.ResponseData = await agent.request({ origin: u.origin, path: u.pathname + u.search, method: 'GET', signal: AbortSignal.timeout(opts.timeoutMs ?? 5_000) });
  const location = res.headers.location;
  return { status: res.statusCode, body: await res.body.text(), location: typeof location === 'string' ? location : undefined };
}

test('answers by Host header (case and port ignored) over both schemes; unknown host or path is 404', async () => {
  web.put('Site-A.example', '/hello.txt', 'hello A');
  web.put('site-b.example', '/hello.txt', 'hello B');
  expect(await get('http://site-a.example/hello.txt')).toMatchObject({ status: 200, body: 'hello A' });
  expect(await get('https://SITE-A.example:8443/hello.txt')).toMatchObject({ status: 200, body: 'hello A' });
  expect(await get('http://site-b.example/hello.txt?x=1')).toMatchObject({ status: 200, body: 'hello B' });
  expect((await get('http://site-a.example/other.txt')).status).toBe(404);
  expect((await get('http://unknown.example/hello.txt')).status).toBe(404);
  expect(web.requests).toEqual(
    expect.arrayContaining([
      { host: 'site-a.example', scheme: 'https', path: '/hello.txt', status: 200 },
      { host: 'unknown.example', scheme: 'http', path: '/hello.txt', status: 404 },
    ]),
  );
});

test('a file for one scheme only; remove takes it away', async () => {
  web.put('tls-only.example', '/f', 'secure', { scheme: 'https' });
  expect((await get('http://tls-only.example/f')).status).toBe(404);
  expect(await get('https://tls-only.example/f')).toMatchObject({ status: 200, body: 'secure' });
  web.remove('tls-only.example', '/f');
  expect((await get('https://tls-only.example/f')).status).toBe(404);
});

test('redirects with the given status (default 302); a non-redirect status is refused', async () => {
  web.redirect('r.example', '/a', 'https://r.example/b');
  web.redirect('r.example', '/c', '/b', 301);
  expect(await get('http://r.example/a')).toMatchObject({ status: 302, location: 'https://r.example/b' });
  expect(await get('http://r.example/c')).toMatchObject({ status: 301, location: '/b' });
  expect(() => web.redirect('r.example', '/d', '/b', 200)).toThrow(/not a redirect/);
});

test('behave: status:<code>, timeout (never answers), cleared', async () => {
  web.put('bad.example', '/f', 'content');
  web.behave('bad.example', 'status:503');
  expect((await get('http://bad.example/f')).status).toBe(503);
  web.behave('bad.example', 'timeout');
  await expect(get('https://bad.example/f', { timeoutMs: 300 })).rejects.toThrow();
  expect(web.requests.at(-1)).toEqual({ host: 'bad.example', scheme: 'https', path: '/f', status: 0 });
  web.behave('bad.example', undefined);
  expect(await get('http://bad.example/f')).toMatchObject({ status: 200, body: 'content' });
  expect(() => web.behave('bad.example', 'explode')).toThrow(/unknown behaviour/);
});

test('serveEverywhere answers every host without a configuration of its own', async () => {
  web.serveEverywhere('/.well-known/pki-validation/signfile', 'everywhere');
  expect(await get('http://any-name.example/.well-known/pki-validation/signfile')).toMatchObject({ status: 200, body: 'everywhere' });
  expect(await get('https://another.example/.well-known/pki-validation/signfile')).toMatchObject({ status: 200, body: 'everywhere' });
  // A configured host answers from its own entries only: its file removed stays removed.
  web.put('own.example', '/.well-known/pki-validation/signfile', 'own');
  expect((await get('http://own.example/.well-known/pki-validation/signfile')).body).toBe('own');
  web.remove('own.example', '/.well-known/pki-validation/signfile');
  expect((await get('http://own.example/.well-known/pki-validation/signfile')).status).toBe(404);
  web.serveEverywhere('/.well-known/pki-validation/signfile', undefined);
  expect((await get('http://any-name.example/.well-known/pki-validation/signfile')).status).toBe(404);
});

test('HTTPS with a self-signed certificate: works with verification off, refused with it on', async () => {
  const [host, port] = web.httpsAddress.split(':') as [string, string];
  expect(host).toBe('127.0.0.1');
  web.put('127.0.0.1', '/x', 'ip');
  const strict = new Agent();
  try {
    await expect(strict.request({ origin: `https://127.0.0.1:${port}`, path: '/x', method: 'GET' })).rejects.toThrow(/self[- ]signed|certificate/i);
  } finally {
    await strict.destroy();
  }
  const res = await fetch(`http://${web.httpAddress}/x`);
  expect(await res.text()).toBe('ip');
});

/**
 * The per-domain look before the CA is asked again (reseller platform, issue 18), against the
 * real local DNS server and web host: each domain by its own method, each problem said.
 */
import type { DomainValidation } from '../../src/ca/issuer';
import { createDnsCnameChecker, type DnsCnameChecker } from '../../src/validation/dns-cname-check';
import { checkDomainValidations } from '../../src/validation/domain-validation-check';
import { createHttpFileChecker, type HttpFileChecker } from '../../src/validation/http-file-check';
import { startDnsServer, type RunningDnsServer } from '../../tools/simulators/dns';
import { startWebHost, type RunningWebHost } from '../../tools/simulators/webhost';

let dns: RunningDnsServer;
let web: RunningWebHost;
let checkers: { files: HttpFileChecker; dns: DnsCnameChecker };

beforeAll(async () => {
  [dns, web] = await Promise.all([startDnsServer(), startWebHost()]);
  checkers = {
    files: createHttpFileChecker({ timeoutMs: 800, connectTo: { http: web.httpAddress, https: web.httpsAddress } }),
    dns: createDnsCnameChecker({ servers: [dns.address], timeoutMs: 800 }),
  };
});

afterAll(async () => {
  await Promise.all([checkers.files.close(), checkers.dns.close()]);
  await Promise.all([dns.close(), web.close()]);
});

const FILE = { url: 'http://files.example.com/.well-known/pki-validation/A1B2.txt', path: '/.well-known/pki-validation/A1B2.txt', content: 'token-a1b2\ncomodoca.com' };
const cname = (domain: string): DomainValidation => ({ domain, method: 'dns', state: 'pending', dns: { name: `_abc.${domain}`, type: 'CNAME', value: 'target.comodoca.com' } });

test('each domain by its method: a right CNAME and a served file are ready; the rest say what to fix', async () => {
  dns.setCname('_abc.ok.example.com', 'target.comodoca.com');
  dns.setCname('_abc.wrong.example.com', 'elsewhere.example.net');
  web.put('files.example.com', FILE.path, FILE.content, { scheme: 'http' });
  const results = await checkDomainValidations(
    [
      cname('ok.example.com'),
      cname('wrong.example.com'),
      cname('missing.example.com'),
      { domain: 'files.example.com', method: 'http', state: 'pending', file: FILE },
      { domain: 'secure.example.com', method: 'https', state: 'pending', file: { ...FILE, url: 'https://secure.example.com/.well-known/pki-validation/A1B2.txt' } },
      { domain: 'mail.example.com', method: 'email', state: 'pending', email: { address: 'admin@example.com', alternatives: ['admin@example.com'] } },
      { domain: 'done.example.com', method: 'email', state: 'valid' },
    ],
    checkers,
  );
  expect(results).toEqual([
    { domain: 'ok.example.com', method: 'dns', ready: true },
    { domain: 'wrong.example.com', method: 'dns', ready: false, problem: 'the CNAME at _abc.wrong.example.com points to elsewhere.example.net, not target.comodoca.com (publish _abc.wrong.example.com CNAME target.comodoca.com)' },
    { domain: 'missing.example.com', method: 'dns', ready: false, problem: 'no CNAME record at _abc.missing.example.com (publish _abc.missing.example.com CNAME target.comodoca.com)' },
    { domain: 'files.example.com', method: 'http', ready: true },
    { domain: 'secure.example.com', method: 'https', ready: false, problem: 'https://secure.example.com/.well-known/pki-validation/A1B2.txt: HTTP 404' },
    { domain: 'mail.example.com', method: 'email', ready: false, problem: 'waiting for the approval e-mail to admin@example.com to be answered' },
    { domain: 'done.example.com', method: 'email', ready: true },
  ]);
});

test('an http method is not satisfied by the same file over https only', async () => {
  web.put('tls-only.example.com', FILE.path, FILE.content, { scheme: 'https' });
  const [r] = await checkDomainValidations([{ domain: 'tls-only.example.com', method: 'http', state: 'pending', file: FILE }], checkers);
  expect(r).toEqual({ domain: 'tls-only.example.com', method: 'http', ready: false, problem: `http://tls-only.example.com${FILE.path}: HTTP 404` });
});

test('a file served only by a redirect to another host is not ready, naming where it went; the same name served directly is', async () => {
  const path = FILE.path;
  web.put('www.moved.example.com', path, FILE.content, { scheme: 'http' });
  web.redirect('moved.example.com', path, `http://www.moved.example.com${path}`);
  web.put('direct.example.com', path, FILE.content, { scheme: 'http' });
  const file = (domain: string) => ({ url: `http://${domain}${path}`, path, content: FILE.content });
  const results = await checkDomainValidations(
    [
      { domain: 'moved.example.com', method: 'http', state: 'pending', file: file('moved.example.com') },
      { domain: 'direct.example.com', method: 'http', state: 'pending', file: file('direct.example.com') },
    ],
    checkers,
  );
  expect(results[0]).toEqual({
    domain: 'moved.example.com',
    method: 'http',
    ready: false,
    problem: `http://moved.example.com${path}: redirected to http://www.moved.example.com${path}; the CA takes the file only from moved.example.com itself, not another host`,
  });
  expect(results[1]).toEqual({ domain: 'direct.example.com', method: 'http', ready: true });
});

test('a file with other content and a name server that does not answer: each said for its name', async () => {
  web.put('stale.example.com', FILE.path, 'an old token', { scheme: 'http' });
  dns.behave('_abc.slow.example.com', 'timeout');
  const results = await checkDomainValidations(
    [
      { domain: 'stale.example.com', method: 'http', state: 'pending', file: { ...FILE, url: `http://stale.example.com${FILE.path}` } },
      cname('slow.example.com'),
    ],
    checkers,
  );
  expect(results[0]).toMatchObject({ domain: 'stale.example.com', ready: false });
  expect(results[0]!.problem).toMatch(/content/);
  expect(results[1]).toMatchObject({ domain: 'slow.example.com', ready: false });
  expect(results[1]!.problem).toMatch(/no answer|timed out|time/i);
  expect(results[1]!.problem).toContain('publish _abc.slow.example.com CNAME target.comodoca.com');
});

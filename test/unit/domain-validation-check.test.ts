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

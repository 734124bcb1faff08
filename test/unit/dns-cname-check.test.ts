/**
 * certflow's own check of a domain-validation CNAME, against the real local DNS server
 * (tools/simulators/dns/) over UDP, as DOMAIN_CHECK_DNS_SERVERS points it there in development.
 */
import { parseConfig } from '../../src/config';
import { createDnsCheckerFromConfig, createDnsCnameChecker, describeDnsNotReady, sameName, type DnsCnameChecker } from '../../src/validation/dns-cname-check';
import { startDnsServer, type RunningDnsServer } from '../../tools/simulators/dns';

/** The reseller CA's own example (seed 004): `fullname` CNAME → `value`. */
const FULLNAME = '_310dcbbf4cce62f762a2aaa148d556bd.example.com';
const VALUE = '698d51a19d8a121ce581499d7b701668.bcbe3365e6ac95ea2c0343a2395834dd.20221122.comodoca.com';
const record = (name = FULLNAME, expected = VALUE, domain = 'example.com') => ({ domain, name, expected });

const TIMEOUT_MS = 800;
let dns: RunningDnsServer;
let checker: DnsCnameChecker;

beforeAll(async () => {
  dns = await startDnsServer();
  checker = createDnsCnameChecker({ servers: [dns.address], timeoutMs: TIMEOUT_MS });
});

afterAll(async () => {
  await checker.close();
  await dns.close();
});

beforeEach(() => {
  dns.remove(FULLNAME);
  dns.behave(FULLNAME, undefined);
});

test('the right CNAME is ready, and what it points to is reported', async () => {
  dns.setCname(FULLNAME, VALUE);
  expect(await checker.check([record()])).toEqual([{ domain: 'example.com', name: FULLNAME, expected: VALUE, ok: true, found: [VALUE] }]);
  expect(dns.queries.at(-1)).toMatchObject({ name: FULLNAME, type: 'CNAME', transport: 'udp' });
});

test('a CNAME to another target says where it points and where it should', async () => {
  dns.setCname(FULLNAME, 'old-token.comodoca.com');
  const [r] = await checker.check([record()]);
  expect(r).toMatchObject({ ok: false, found: ['old-token.comodoca.com'], problem: `the CNAME at ${FULLNAME} points to old-token.comodoca.com, not ${VALUE}` });
});

test('a name that does not exist (NXDOMAIN) has no CNAME record', async () => {
  const [r] = await checker.check([record()]);
  expect(r).toMatchObject({ ok: false, code: 'ENOTFOUND', problem: `no CNAME record at ${FULLNAME}` });
  expect(r!.found).toBeUndefined();
});

test('a name with only a TXT record (NODATA) has no CNAME record either', async () => {
  dns.setTxt(FULLNAME, [VALUE]);
  const [r] = await checker.check([record()]);
  expect(r).toMatchObject({ ok: false, code: 'ENODATA', problem: `no CNAME record at ${FULLNAME}` });
});

test('a server that never answers is reported within the time', async () => {
  dns.behave(FULLNAME, 'timeout');
  const started = Date.now();
  const [r] = await checker.check([record()]);
  const took = Date.now() - started;
  expect(r).toMatchObject({ ok: false, code: 'ETIMEOUT', problem: 'no answer from the DNS server within 0.8 s' });
  expect(took).toBeLessThan(TIMEOUT_MS + 1_000);
  // Both tries were made (one lost datagram is not a verdict).
  expect(dns.queries.filter((q) => q.name.toLowerCase() === FULLNAME).length).toBeGreaterThanOrEqual(2);
});

test('SERVFAIL is the name server failing, not a missing record', async () => {
  dns.setCname(FULLNAME, VALUE);
  dns.behave(FULLNAME, 'servfail');
  const [r] = await checker.check([record()]);
  expect(r).toMatchObject({ ok: false, code: 'ESERVFAIL', problem: 'the name server answered SERVFAIL' });
});

test('names compare case-insensitively and without the trailing dot, both the asked name and the target', async () => {
  dns.setCname(FULLNAME.toUpperCase(), `${VALUE.toUpperCase()}.`);
  const results = await checker.check([
    record(FULLNAME, VALUE),
    record(`${FULLNAME}.`, `${VALUE}.`),
    record(FULLNAME.replace('example', 'EXAMPLE'), VALUE.toUpperCase()),
  ]);
  expect(results.map((r) => r.ok)).toEqual([true, true, true]);
  expect(sameName('A.Example.', 'a.example')).toBe(true);
  expect(sameName('a.example', 'b.example')).toBe(false);
});

test('several records are checked at once, each on its own, and the customer reads what to fix', async () => {
  dns.setCname(FULLNAME, VALUE);
  dns.setCname('_aaa.example2.com', 'wrong.comodoca.com');
  dns.behave('_bbb.example3.com', 'timeout');
  const started = Date.now();
  const results = await checker.check([
    record(),
    record('_aaa.example2.com', 'right.comodoca.com', 'example2.com'),
    record('_bbb.example3.com', 'x.comodoca.com', 'example3.com'),
    record('_ccc.example4.com', 'y.comodoca.com', '*.example4.com'),
  ]);
  // One deadline for the whole check: the silent one does not hold up the others, nor take longer than one lookup.
  expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 1_000);
  expect(results.map((r) => [r.domain, r.ok, r.code])).toEqual([
    ['example.com', true, undefined],
    ['example2.com', false, undefined],
    ['example3.com', false, 'ETIMEOUT'],
    ['*.example4.com', false, 'ENOTFOUND'],
  ]);
  expect(describeDnsNotReady(results)).toEqual([
    'example2.com: the CNAME at _aaa.example2.com points to wrong.comodoca.com, not right.comodoca.com (publish _aaa.example2.com CNAME right.comodoca.com)',
    'example3.com: no answer from the DNS server within 0.8 s (publish _bbb.example3.com CNAME x.comodoca.com)',
    '*.example4.com: no CNAME record at _ccc.example4.com (publish _ccc.example4.com CNAME y.comodoca.com)',
  ]);
  dns.remove('_aaa.example2.com');
  dns.behave('_bbb.example3.com', undefined);
});

test('a record fixed after a failed check is seen at the next check (nothing cached)', async () => {
  expect((await checker.check([record()]))[0]!.ok).toBe(false);
  dns.setCname(FULLNAME, VALUE);
  expect((await checker.check([record()]))[0]!.ok).toBe(true);
});

test('an abort ends the check with the signal’s reason', async () => {
  dns.behave(FULLNAME, 'timeout');
  const controller = new AbortController();
  const checking = checker.check([record()], controller.signal);
  setTimeout(() => controller.abort(new Error('activity cancelled')), 100);
  const started = Date.now();
  await expect(checking).rejects.toThrow('activity cancelled');
  expect(Date.now() - started).toBeLessThan(TIMEOUT_MS);
});

test('no name server listening is reported, not thrown', async () => {
  const gone = await startDnsServer();
  const address = gone.address;
  await gone.close();
  const orphan = createDnsCnameChecker({ servers: [address], timeoutMs: 500 });
  const [r] = await orphan.check([record()]);
  expect(r!.ok).toBe(false);
  // UDP to a closed loopback port: ICMP unreachable (ECONNREFUSED) or silence (ETIMEOUT), by platform.
  expect(['ECONNREFUSED', 'ETIMEOUT']).toContain(r!.code);
  expect(r!.problem).toMatch(/^(the DNS server is not reachable \(connection refused\)|no answer from the DNS server within 0.5 s)$/);
  await orphan.close();
});

test('configured: DOMAIN_CHECK_DNS_SERVERS names the server (IP addresses with ports only), DOMAIN_CHECK_TIMEOUT_MS bounds a lookup', async () => {
  dns.setCname(FULLNAME, VALUE);
  const configured = createDnsCheckerFromConfig(parseConfig({ DOMAIN_CHECK_DNS_SERVERS: dns.address, DOMAIN_CHECK_TIMEOUT_MS: '1000' }));
  expect((await configured.check([record()]))[0]!.ok).toBe(true);
  await configured.close();
  expect(parseConfig({}).DOMAIN_CHECK_DNS_SERVERS).toBeUndefined();
  expect(parseConfig({ DOMAIN_CHECK_DNS_SERVERS: '127.0.0.1:5353, [::1]:5353, 192.0.2.53, 2001:db8::53' }).DOMAIN_CHECK_DNS_SERVERS).toEqual(['127.0.0.1:5353', '[::1]:5353', '192.0.2.53', '2001:db8::53']);
  expect(() => parseConfig({ DOMAIN_CHECK_DNS_SERVERS: 'localhost:5353' })).toThrow(/DOMAIN_CHECK_DNS_SERVERS: each entry must be an IP address/);
  expect(() => parseConfig({ DOMAIN_CHECK_DNS_SERVERS: '127.0.0.1:70000' })).toThrow(/DOMAIN_CHECK_DNS_SERVERS/);
});

test('a malformed server address fails at creation, not at the first order', () => {
  expect(() => createDnsCnameChecker({ servers: ['dns.example'], timeoutMs: 500 })).toThrow();
});

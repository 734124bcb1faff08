/**
 * The reseller platform simulator (seed 004) over real HTTP, validating against a real local
 * web host and the real local DNS server: the inferred create, CSR-only reissue, per-domain DNS and file
 * validation, charging by unique_id, the wildcard rule, revocation on a dropped domain,
 * notify_url callbacks, the admin HTTP API.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { RESELLER_DEFAULT_AUTH_HEADER, RESELLER_PATHS } from '../../src/ca/reseller/inferred';
import { type RunningDnsServer, startDnsServer } from '../../tools/simulators/dns';
import { createResellerAdmin, RESELLER_SIM_PRODUCT_IDS, RESELLER_SIM_PRODUCTS, type ReissueAnswer, type RunningResellerSimulator, startResellerSimulator } from '../../tools/simulators/reseller';
import { type RunningWebHost, startWebHost } from '../../tools/simulators/webhost';
import { x509 } from '../../tools/simulators/wotrus/x509';
import { testCsr } from '../support/csr';

const API_KEY = 'reseller-api-key-0123456789';
const ADMIN = 'reseller-admin-token-0123456789';

let web: RunningWebHost;
let dns: RunningDnsServer;
let sim: RunningResellerSimulator;
let receiver: http.Server;
let notifyUrl: string;
const received: unknown[] = [];
let seq = 0;

beforeAll(async () => {
  [web, dns] = await Promise.all([startWebHost(), startDnsServer()]);
  sim = await startResellerSimulator({ apiKey: API_KEY, adminToken: ADMIN, connectTo: { http: web.httpAddress, https: web.httpsAddress }, dnsServers: [dns.address], checkTimeoutMs: 500 });
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  notifyUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/notify/secret`;
});
afterAll(async () => {
  await Promise.all([sim.close(), web.close(), dns.close(), new Promise((r) => receiver.close(r))]);
});
beforeEach(async () => {
  await sim.admin.reset();
  received.length = 0;
});

interface Envelope {
  success: boolean;
  message: string;
  data: ReissueAnswer | null;
}

async function post(path: string, body: unknown, key = API_KEY): Promise<{ status: number; json: Envelope }> {
  const res = await fetch(`${sim.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', [RESELLER_DEFAULT_AUTH_HEADER]: key }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Envelope };
}
const reissue = (body: Record<string, unknown>) => post(RESELLER_PATHS.reissue, body);
const statusRead = (serviceId: string) => post(RESELLER_PATHS.status, { service_id: serviceId });

const uid = (): string => `u${++seq}`;
const names = (label: string): string => `${label}-${++seq}.example.com`;

async function seed(domains: string[], extra: Partial<Parameters<RunningResellerSimulator['admin']['createService']>[0]> = {}): Promise<string> {
  const serviceId = `svc${++seq}`;
  await sim.admin.createService({ serviceId, domains, validation: 'DV', notifyUrl, ...extra });
  return serviceId;
}

function sans(pem: string): string[] {
  const ext = new x509.X509Certificate(pem).getExtension(x509.SubjectAlternativeNameExtension);
  return (ext?.names.items ?? []).map((n) => n.value).sort();
}

async function until(what: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('refuses a request without the API key (inferred auth header)', async () => {
  const r = await post(RESELLER_PATHS.reissue, { unique_id: uid(), service_id: 'x', csr: 'x' }, 'wrong');
  expect(r.status).toBe(401);
  expect(r.json.success).toBe(false);
});

test('a CSR-only reissue issues at once, with the new key, the domains kept valid', async () => {
  const a = names('csr');
  const serviceId = await seed([a, `www.${a}`]);
  const csr = testCsr({ commonName: a, keyType: 'rsa', rsaBits: 2048 });
  const r = await reissue({ unique_id: uid(), service_id: serviceId, csr });
  expect(r.json.success).toBe(true);
  const data = r.json.data!;
  expect(data.status).toBe('issued');
  expect(data.cost).toBe(0);
  expect(sans(data.cert_pem!)).toEqual([a, `www.${a}`].sort());
  expect(data.ca_pem).toBe(sim.chainPems.join(''));
  expect(Object.values(data.dcv).map((d) => d.status)).toEqual(['valid', 'valid']);
  expect((await sim.admin.certificates()).length).toBe(2);
  expect(await sim.admin.revoked()).toEqual([]);
});

test('switching a domain to dns: pending with the CNAME; wrong CNAME stays pending; right one validates and issues', async () => {
  const a = names('dns');
  const serviceId = await seed([a], { methods: { [a]: `admin@${a}` } });
  const r = await reissue({ unique_id: uid(), service_id: serviceId, domain_dcv: { [a]: 'dns' } });
  const entry = r.json.data!.dcv[a]!;
  expect(r.json.data!.status).toBe('pending');
  expect(entry).toMatchObject({ type: 'dns', status: 'pending', dns: { type: 'cname' } });
  expect(entry.dns!.fullname).toBe(`${entry.dns!.hostname}.${a}`);

  dns.setCname(entry.dns!.fullname, 'elsewhere.example.net');
  const wrong = await statusRead(serviceId);
  expect(wrong.json.data!.dcv[a]!.status).toBe('pending');
  expect(wrong.json.data!.cert_pem).toBeNull();

  dns.setCname(entry.dns!.fullname, entry.dns!.value);
  const right = await statusRead(serviceId);
  expect(right.json.data!.dcv[a]!.status).toBe('valid');
  expect(right.json.data!.status).toBe('issued');
  expect(sans(right.json.data!.cert_pem!)).toEqual([a]);
  const c = await sim.admin.counters();
  expect(c.validations.dns).toEqual({ attempted: 2, passed: 1 });
  expect(c.statusReads).toBe(2);
});

test('http and https files published on the web host validate', async () => {
  const a = names('http');
  const b = names('https');
  const serviceId = await seed([a]);
  const r = await reissue({ unique_id: uid(), service_id: serviceId, domain_dcv: { [a]: 'http', [b]: 'https' } });
  expect(r.json.data!.cost).toBeGreaterThan(0);
  const ha = r.json.data!.dcv[a]!.http!;
  const hb = r.json.data!.dcv[b]!.http!;
  expect(ha.url).toBe(`http://${a}/${ha.filefullpath}`);
  expect(hb.url.startsWith(`https://${b}/`)).toBe(true);
  web.put(a, `/${ha.filefullpath}`, ha.filecontent);
  web.put(b, `/${hb.filefullpath}`, 'wrong content');
  const first = await statusRead(serviceId);
  expect(first.json.data!.dcv[a]!.status).toBe('valid');
  expect(first.json.data!.dcv[b]!.status).toBe('pending');
  web.put(b, `/${hb.filefullpath}`, hb.filecontent);
  const second = await statusRead(serviceId);
  expect(second.json.data!.status).toBe('issued');
  expect(sans(second.json.data!.cert_pem!)).toEqual([a, b].sort());
});

test('the same unique_id twice is charged once and answers the first reissue', async () => {
  const a = names('charge');
  const serviceId = await seed([a]);
  const id = uid();
  const body = { unique_id: id, service_id: serviceId, domain_dcv: { [a]: 'dns', [`new.${a}`]: 'dns' } };
  const first = await reissue(body);
  const second = await reissue(body);
  expect(second.json.data!.cost).toBe(first.json.data!.cost);
  expect(second.json.data!.dcv).toEqual(first.json.data!.dcv);
  const c = await sim.admin.counters();
  expect(c.charges).toEqual({ [id]: 1 });
  expect(c.reissues).toBe(1);
  const other = await reissue({ ...body, service_id: await seed([names('other')]) });
  expect(other.json).toMatchObject({ success: false, message: expect.stringContaining('unique_id') });
});

test('refusals name the field: wildcard with http, approver mailbox, CSR key, organisation, neither csr nor domain_dcv', async () => {
  const a = names('rules');
  const serviceId = await seed([a]);
  const wild = await reissue({ unique_id: uid(), service_id: serviceId, domain_dcv: { [`*.${a}`]: 'http' } });
  expect(wild.json).toEqual({ success: false, message: expect.stringContaining(`domain_dcv.*.${a}`), data: null });
  expect(wild.json.message).toContain('通配符只支持dns或email验证');
  const mail = await reissue({ unique_id: uid(), service_id: serviceId, domain_dcv: { [a]: `info@${a}` } });
  expect(mail.json.message).toContain(`domain_dcv.${a}`);
  const small = await reissue({ unique_id: uid(), service_id: serviceId, csr: testCsr({ commonName: a, keyType: 'rsa', rsaBits: 3072 }) });
  expect(small.json.message).toMatch(/^csr: .*2048、4096/);
  const p521 = await reissue({ unique_id: uid(), service_id: serviceId, csr: testCsr({ commonName: a, keyType: 'ec', curve: 'secp521r1' }) });
  expect(p521.json.message).toMatch(/^csr: /);
  const neither = await reissue({ unique_id: uid(), service_id: serviceId });
  expect(neither.json.message).toMatch(/^domain_dcv: /);
  const ov = `svc${++seq}`;
  const org = { organization: 'X Ltd', organization_unit: 'IT', registered_address_line1: 'Street 1', serial_no: '1', country: 'CN', state: 'SH', city: 'SH', postal_code: '200100', organization_phone: '021', date_of_incorporation: '2019-01-01', contact_name: 'Z', contact_title: 'CEO', contact_phone: '138' };
  await sim.admin.createService({ serviceId: ov, domains: [names('ov')], validation: 'OV', organization: org });
  const noOrg = await reissue({ unique_id: uid(), service_id: ov, csr: testCsr({ commonName: a }) });
  expect(noOrg.json.message).toMatch(/^organization: .*必须填写/);
  const changed = await reissue({ unique_id: uid(), service_id: ov, csr: testCsr({ commonName: a }), ...org, city: 'BJ' });
  expect(changed.json.message).toMatch(/^city: .*不允许更改/);
  const ok = await reissue({ unique_id: uid(), service_id: ov, csr: testCsr({ commonName: a }), ...org });
  expect(ok.json.data!.status).toBe('issued');
  expect(Object.keys((await sim.admin.counters()).charges)).toHaveLength(1);
});

test('dropping a domain revokes the old certificate', async () => {
  const a = names('drop');
  const b = names('keep');
  const serviceId = await seed([a, b]);
  const [old] = await sim.admin.certificates();
  const r = await reissue({ unique_id: uid(), service_id: serviceId, domain_dcv: { [b]: 'dns' } });
  expect(r.json.data!.status).toBe('issued');
  expect(sans(r.json.data!.cert_pem!)).toEqual([b]);
  expect(await sim.admin.revoked()).toEqual([expect.objectContaining({ serviceId, serialHex: old!.serialHex, droppedDomains: [a], reason: 'domain replaced' })]);
});

test('email validation by admin; callbacks arrive at notify_url on each state change', async () => {
  const a = names('mail');
  const serviceId = await seed([a]);
  const r = await reissue({ unique_id: uid(), service_id: serviceId, domain_dcv: { [`*.${a}`]: `hostmaster@${a}` }, notify_url: notifyUrl });
  expect(r.json.data!.dcv[`*.${a}`]!.email!.available).toContain(`admin@${a}`);
  const mine = (): unknown[] => received.filter((b) => (b as { service_id: string }).service_id === serviceId);
  await until(() => mine().length >= 1);
  await sim.admin.approveEmail(serviceId, `*.${a}`);
  await until(() => mine().length >= 2);
  expect(mine()).toEqual([
    { service_id: serviceId, caid: r.json.data!.caid, status: 'pending' },
    { service_id: serviceId, caid: r.json.data!.caid, status: 'issued' },
  ]);
  const c = await sim.admin.counters();
  expect(c.callbacksAcknowledged).toBeGreaterThanOrEqual(2);
  expect(c.validations.email).toEqual({ attempted: 1, passed: 1 });
});

test('INFERRED create: every domain pending with a fresh token, charged once by unique_id; unknown product and missing fields refused by name', async () => {
  const a = names('create');
  const csr = testCsr({ commonName: a, dnsNames: [a, `www.${a}`] });
  const body = { unique_id: uid(), product_id: RESELLER_SIM_PRODUCT_IDS.dv.toLowerCase(), period: 24, csr, domain_dcv: { [a]: 'dns', [`www.${a}`]: 'http' }, notify_url: notifyUrl };
  const r = await post(RESELLER_PATHS.create, body);
  expect(r.json.success).toBe(true);
  const data = r.json.data!;
  expect(data).toMatchObject({ status: 'pending', cost: 2 * RESELLER_SIM_PRODUCTS[0]!.pricePerYear, cert_pem: null, ca_pem: null });
  expect(data.service_id).toMatch(/^[A-Za-z0-9]{8}$/);
  expect(Object.values(data.dcv).map((d) => [d.type, d.status])).toEqual([['dns', 'pending'], ['http', 'pending']]);
  const again = await post(RESELLER_PATHS.create, body);
  expect(again.json.data!.service_id).toBe(data.service_id);
  expect(again.json.data!.dcv).toEqual(data.dcv);
  let c = await sim.admin.counters();
  expect(c).toMatchObject({ creates: 1, charges: { [body.unique_id]: 1 } });
  // The same unique_id for a reissue is another request: refused.
  expect((await reissue({ unique_id: body.unique_id, service_id: data.service_id, csr })).json.message).toMatch(/^unique_id: /);

  // One domain validated: a callback; the second: issued (and called back again).
  dns.setCname(data.dcv[a]!.dns!.fullname, data.dcv[a]!.dns!.value);
  const half = await statusRead(data.service_id);
  expect(half.json.data!.status).toBe('pending');
  const h = data.dcv[`www.${a}`]!.http!;
  web.put(`www.${a}`, `/${h.filefullpath}`, h.filecontent);
  const done = await statusRead(data.service_id);
  expect(done.json.data!.status).toBe('issued');
  expect(sans(done.json.data!.cert_pem!)).toEqual([a, `www.${a}`].sort());
  const mine = (): unknown[] => received.filter((b) => (b as { service_id: string }).service_id === data.service_id);
  await until(() => mine().length >= 2);
  expect(mine().map((b) => (b as { status: string }).status)).toEqual(['pending', 'issued']);

  const unknown = await post(RESELLER_PATHS.create, { ...body, unique_id: uid(), product_id: 'NOPE' });
  expect(unknown.json).toEqual({ success: false, message: expect.stringMatching(/^product_id: .*NOPE/), data: null });
  const noCsr = await post(RESELLER_PATHS.create, { ...body, unique_id: uid(), csr: undefined });
  expect(noCsr.json.message).toMatch(/^csr: /);
  const wild = await post(RESELLER_PATHS.create, { ...body, unique_id: uid(), domain_dcv: { [`*.${a}`]: 'https' } });
  expect(wild.json.message).toContain(`domain_dcv.*.${a}`);
  const ov = await post(RESELLER_PATHS.create, { ...body, unique_id: uid(), product_id: RESELLER_SIM_PRODUCT_IDS.ov });
  expect(ov.json.message).toMatch(/^organization: .*必须填写/);
  const period = await post(RESELLER_PATHS.create, { ...body, unique_id: uid(), period: '12' });
  expect(period.json.message).toMatch(/^period: /);
  c = await sim.admin.counters();
  expect(c).toMatchObject({ creates: 1, refusals: 6 });
  expect(Object.keys(c.charges)).toEqual([body.unique_id]);
});

test('faults: fail before handling, forced refusal, drop after handling; admin over HTTP', async () => {
  const admin = createResellerAdmin(sim.url, ADMIN);
  const serviceId = await seed([names('fault')]);
  await admin.setFaults({ failBeforeHandling: { status: 503, count: 1 }, forceFailure: { message: '余额不足', count: 1 } });
  const failed = await fetch(`${sim.url}${RESELLER_PATHS.status}`, { method: 'POST', headers: { [RESELLER_DEFAULT_AUTH_HEADER]: API_KEY }, body: JSON.stringify({ service_id: serviceId }) });
  expect([failed.status, await failed.text()]).toEqual([503, expect.stringContaining('503')]);
  expect((await statusRead(serviceId)).json).toEqual({ success: false, message: '余额不足', data: null });
  await admin.setFaults({ dropAfterHandling: 1 });
  await expect(statusRead(serviceId)).rejects.toThrow();
  const c = await admin.counters();
  expect(c).toMatchObject({ requests: 3, failedBeforeHandling: 1, forcedFailures: 1, answersDropped: 1 });
  expect((await admin.service(serviceId)).status).toBe('issued');
  await expect(createResellerAdmin(sim.url, 'wrong').counters()).rejects.toMatchObject({ status: 401 });
});

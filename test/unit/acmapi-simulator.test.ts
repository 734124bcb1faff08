/**
 * The WoSign ACMAPI simulator over real HTTP, validating signfiles against a real local web
 * host: issuance with real X.509, the document's sloppy request format, pending and asks by
 * handle_id, every error code that can be provoked, the CA's own signfile check, faults,
 * counters and the admin API.
 */
import { createHash, createPublicKey } from 'node:crypto';
import {
  ACMAPI_ERRORS,
  type AcmapiAdmin,
  AcmapiAdminError,
  type AcmapiAnswer,
  type AcmapiSimulatorOptions,
  createAcmapiAdmin,
  type RunningAcmapiSimulator,
  SIGNFILE_PATH,
  startAcmapiSimulator,
} from '../../tools/simulators/acmapi';
import { type RunningWebHost, startWebHost } from '../../tools/simulators/webhost';
import { generateCsr, generateKeyPair, generateSm2Csr } from '../../tools/simulators/wotrus';
import { type CryptoKeyPair, x509 } from '../../tools/simulators/wotrus/x509';
import { testCsr } from '../support/csr';

const CUSTOMER = 'customer_0000001';
const TOKEN = 'authority_0000000001';
const ADMIN = 'acmapi-admin-token-0123456789';
const SIGNFILE = 'wosign-signfile-5f1c0e9a7b3d2468';

let web: RunningWebHost;
let sim: RunningAcmapiSimulator;
let ecKeys: CryptoKeyPair;
let seq = 0;

const extra: RunningAcmapiSimulator[] = [];

function options(o: Partial<AcmapiSimulatorOptions> = {}): AcmapiSimulatorOptions {
  return { customerId: CUSTOMER, authToken: TOKEN, signfile: SIGNFILE, adminToken: ADMIN, connectTo: { http: web.httpAddress, https: web.httpsAddress }, fetchTimeoutMs: 400, ...o };
}

beforeAll(async () => {
  web = await startWebHost();
  [sim, ecKeys] = await Promise.all([startAcmapiSimulator(options()), generateKeyPair('ec')]);
});
afterAll(async () => {
  await Promise.all([sim.close(), web.close(), ...extra.map((s) => s.close())]);
});
beforeEach(async () => {
  await sim.admin.reset();
});

/** A fresh domain serving `content` (default the signfile; null: nothing) as its signfile. Names are never reused. */
function domain(label: string, content: string | null = SIGNFILE): string {
  const name = `${label}-${++seq}.example.com`;
  if (content !== null) web.put(name, SIGNFILE_PATH, content);
  return name;
}

async function csrFor(cn: string): Promise<{ csrPem: string; spkiSha256: string; publicKeyPem: string }> {
  const csr = await generateCsr({ commonName: cn, keys: ecKeys });
  const spki = createPublicKey(csr.publicKeyPem).export({ type: 'spki', format: 'der' });
  return { csrPem: csr.csrPem, publicKeyPem: csr.publicKeyPem, spkiSha256: createHash('sha256').update(spki).digest('hex') };
}

async function post(body: unknown, target: RunningAcmapiSimulator = sim, contentType = 'application/json'): Promise<AcmapiAnswer> {
  const res = await fetch(target.url, { method: 'POST', headers: { 'content-type': contentType }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  expect(res.status).toBe(200);
  return (await res.json()) as AcmapiAnswer;
}

const applyBody = (domains: unknown, csr: unknown, o: Record<string, unknown> = {}): Record<string, unknown> => ({
  customer_id: CUSTOMER,
  auth_token: TOKEN,
  req_type: 'cert_apply',
  handle_id: '',
  domain_name: domains,
  csr,
  ...o,
});

async function apply(domains: string[], o: Record<string, unknown> = {}): Promise<AcmapiAnswer> {
  const { csrPem } = await csrFor(domains[0] ?? 'x.example.com');
  return post(applyBody(domains, csrPem, o));
}

const ask = (handleId: string, o: Record<string, unknown> = {}): Promise<AcmapiAnswer> => post({ customer_id: CUSTOMER, auth_token: TOKEN, handle_id: handleId, ...o });

function certificateOf(a: AcmapiAnswer): string {
  if (a.result !== 'success') throw new Error(`expected success, got ${JSON.stringify(a)}`);
  return a.certificate;
}

const errorOf = (a: AcmapiAnswer): { status: string; other_msg?: string } => {
  expect(a.result).toBe('error');
  return a as { status: string; other_msg?: string };
};

// ---------------------------------------------------------------- issuance

test('success: a real leaf for the domains and the CSR key, chaining to chainPems (intermediate then root)', async () => {
  const names = [domain('www'), domain('shop')];
  const csr = await csrFor(names[0]!);
  const answer = await post(applyBody(names, csr.csrPem));
  expect(answer).toMatchObject({ result: 'success', status: '0', handle_id: expect.stringMatching(/^handle_[0-9a-f]{16}$/) });
  const leaf = new x509.X509Certificate(certificateOf(answer));
  expect(leaf.subject).toBe(`CN=${names[0]}`);
  const san = leaf.getExtension(x509.SubjectAlternativeNameExtension);
  expect(san?.names.items.map((n) => n.value)).toEqual(names);
  expect(Buffer.from(leaf.publicKey.rawData).equals(createPublicKey(csr.publicKeyPem).export({ type: 'spki', format: 'der' }))).toBe(true);
  const days = (leaf.notAfter.getTime() - leaf.notBefore.getTime()) / 86_400_000;
  expect(Math.round(days)).toBe(90);

  expect(sim.chainPems).toHaveLength(2);
  expect(sim.chainPems[1]).toBe(sim.rootPem);
  const [inter, root] = sim.chainPems.map((p) => new x509.X509Certificate(p)) as [x509.X509Certificate, x509.X509Certificate];
  expect(await leaf.verify({ publicKey: inter.publicKey, signatureOnly: true })).toBe(true);
  expect(await inter.verify({ publicKey: root.publicKey, signatureOnly: true })).toBe(true);
  expect(await root.isSelfSigned()).toBe(true);
  const chain = await new x509.X509ChainBuilder({ certificates: [inter, root] }).build(leaf);
  expect(chain.map((c) => c.subject)).toEqual([leaf.subject, inter.subject, root.subject]);

  // Both schemes were not needed: HTTP served the file.
  expect(web.requests.filter((r) => r.host === names[1]).map((r) => `${r.scheme} ${r.path} ${r.status}`)).toEqual([`http ${SIGNFILE_PATH} 200`]);
  expect(await sim.admin.counters()).toMatchObject({ requests: 1, applications: 1, handleAsks: 0, certificatesIssued: 1, errorsByCode: {} });
  const [issued] = await sim.admin.certificates();
  expect(issued).toMatchObject({ handleId: answer.result === 'success' ? answer.handle_id : '', domains: names, spkiSha256: csr.spkiSha256, serialHex: leaf.serialNumber.toLowerCase() });
});

test('the document\'s padded keys and values are read; any content type; names lowercased', async () => {
  const name = domain('padded');
  const { csrPem } = await csrFor(name);
  // As the document writes it: padded keys, padded values, handle_id absent.
  const body = `{"customer_id ":" ${CUSTOMER} ","auth_token ":" ${TOKEN}","req_type":" cert_apply","domain_name":[" ${name.toUpperCase()} "],"csr":" ${csrPem.replace(/\n/g, '\\n')}"}`;
  const answer = await post(body, sim, 'text/plain');
  expect(answer).toMatchObject({ result: 'success', status: '0' });
  expect(new x509.X509Certificate(certificateOf(answer)).subject).toBe(`CN=${name}`);
});

test('an RSA 2048 CSR and a bare base64 DER CSR are accepted; certificateFormat base64der answers DER in base64', async () => {
  const name = domain('rsa');
  const rsa = await generateCsr({ commonName: name, keyType: 'rsa' });
  const derBase64 = rsa.csrPem.replace(/-----(BEGIN|END) CERTIFICATE REQUEST-----|\s/g, '');
  await sim.admin.updateSettings({ certificateFormat: 'base64der' });
  const answer = await post(applyBody([name], derBase64));
  const cert = certificateOf(answer);
  expect(cert).toMatch(/^[A-Za-z0-9+/]+=*$/);
  const leaf = new x509.X509Certificate(Buffer.from(cert, 'base64'));
  expect(leaf.subject).toBe(`CN=${name}`);
  expect(Buffer.from(leaf.publicKey.rawData).equals(createPublicKey(rsa.publicKeyPem).export({ type: 'spki', format: 'der' }))).toBe(true);
});

test('pending, then success on the configured ask; later asks answer the same certificate and never issue again', async () => {
  await sim.admin.updateSettings({ mode: 'pending', pendingAsks: 2 });
  const name = domain('pending');
  const first = await apply([name]);
  expect(first).toEqual({ result: 'pending', status: '1', handle_id: expect.stringMatching(/^handle_/) });
  const handleId = (first as { handle_id: string }).handle_id;
  expect((await sim.admin.counters()).certificatesIssued).toBe(0);

  // The document's pending example: padded, no req_type, no domains, no CSR.
  const padded = await post(`{"customer_id ":" ${CUSTOMER} ","auth_token ":" ${TOKEN}","handle_id":" ${handleId}"}`);
  expect(padded).toEqual({ result: 'pending', status: '1', handle_id: handleId });
  const second = await ask(handleId, { req_type: 'cert_apply', domain_name: [], csr: '' });
  expect(second).toMatchObject({ result: 'success', status: '0', handle_id: handleId });
  const third = await ask(handleId);
  expect(certificateOf(third)).toBe(certificateOf(second));
  expect(await sim.admin.counters()).toMatchObject({ applications: 1, handleAsks: 3, certificatesIssued: 1 });
  expect(await sim.admin.applications({ domain: name })).toEqual([expect.objectContaining({ handleId, state: 'issued', asks: 3 })]);
});

test('concurrent asks on one pending application issue one certificate', async () => {
  await sim.admin.updateSettings({ mode: 'pending', pendingAsks: 1 });
  const first = await apply([domain('race')]);
  const handleId = (first as { handle_id: string }).handle_id;
  const answers = await Promise.all([ask(handleId), ask(handleId), ask(handleId)]);
  expect(new Set(answers.map(certificateOf)).size).toBe(1);
  expect((await sim.admin.counters()).certificatesIssued).toBe(1);
});

test('pendingAsks 0: only a person at the CA issues (admin API), then the ask collects it', async () => {
  await sim.admin.updateSettings({ mode: 'pending', pendingAsks: 0 });
  const name = domain('manual');
  const handleId = ((await apply([name])) as { handle_id: string }).handle_id;
  expect((await ask(handleId)).result).toBe('pending');
  expect((await ask(handleId)).result).toBe('pending');
  const admin = createAcmapiAdmin(sim.url, ADMIN);
  const issued = await admin.issue(handleId);
  expect(issued).toMatchObject({ handleId, state: 'issued', certificate: { pem: expect.stringContaining('BEGIN CERTIFICATE') } });
  await expect(admin.issue(handleId)).rejects.toMatchObject({ status: 409 });
  await expect(admin.issue('handle_nope')).rejects.toMatchObject({ status: 404 });
  expect(certificateOf(await ask(handleId))).toBe(issued.certificate?.pem);
  expect((await admin.counters()).certificatesIssued).toBe(1);
});

// ---------------------------------------------------------------- error codes

test('110 source IP not permitted (before anything else), unless allowed', async () => {
  await sim.admin.updateSettings({ allowedIps: ['192.0.2.10'] });
  expect(errorOf(await post({ customer_id: 'wrong' })).status).toBe('110');
  await sim.admin.updateSettings({ allowedIps: ['127.0.0.1'] });
  expect(errorOf(await post({ customer_id: 'wrong' })).status).toBe('101');
});

test('101 customer_id, 102 auth_token, 103 req_type: in that order; a rotated credential', async () => {
  expect(await post(applyBody([], '', { customer_id: 'customer_other', auth_token: 'bad', req_type: 'x' }))).toEqual({ result: 'error', status: '101' });
  expect(errorOf(await post(applyBody([], '', { auth_token: 'bad', req_type: 'x' }))).status).toBe('102');
  expect(errorOf(await post(applyBody([], '', { req_type: 'cert_revoke' }))).status).toBe('103');
  expect(errorOf(await post(applyBody([], '', { req_type: undefined }))).status).toBe('103');
  expect(errorOf(await ask('handle_x', { req_type: 'other' })).status).toBe('103');
  expect(errorOf(await post('this is not json')).status).toBe('101');

  await sim.admin.updateSettings({ credentials: { authToken: 'authority_rotated_01' } });
  expect(errorOf(await apply([domain('rotated')])).status).toBe('102');
  expect((await apply([domain('rotated')], { auth_token: 'authority_rotated_01' })).result).toBe('success');
  expect((await sim.admin.settings()).credentials).toEqual({ customerId: CUSTOMER, authToken: '(set)' });
  expect((await sim.admin.counters()).errorsByCode).toEqual({ '101': 2, '102': 2, '103': 3 });
});

test('104 csr: missing, garbage, bad self-signature, RSA 1024, SM2', async () => {
  const name = domain('csr');
  const bad = [
    undefined,
    '',
    '-----BEGIN CERTIFICATE REQUEST-----\nnot base64!\n-----END CERTIFICATE REQUEST-----',
    'bm90IGEgY3Ny',
    testCsr({ commonName: name, badSignature: true }),
    testCsr({ commonName: name, keyType: 'rsa', rsaBits: 1024 }),
    (await generateSm2Csr({ commonName: name })).csrPem,
  ];
  for (const csr of bad) expect([csr === undefined ? 'missing' : csr.slice(0, 40), errorOf(await post(applyBody([name], csr))).status]).toEqual([expect.anything(), '104']);
  expect(web.requests.some((r) => r.host === name)).toBe(false); // the CSR is refused before any validation
});

test('105 domain format (wildcard, the document\'s "www. example.com", IP, duplicate, empty, not an array); 106 more than 5', async () => {
  const { csrPem } = await csrFor('fmt.example.com');
  const good = domain('fmt');
  for (const names of [[`*.${good}`], ['www. example.com'], ['192.0.2.1'], [good, good.toUpperCase()], [], good, ['localhost'], [`-bad.${good}`], [42]]) {
    expect([names, errorOf(await post(applyBody(names, csrPem))).status]).toEqual([names, '105']);
  }
  const six = Array.from({ length: 6 }, () => domain('six'));
  expect(errorOf(await post(applyBody(six, csrPem))).status).toBe('106');
  expect((await post(applyBody(six.slice(0, 5), csrPem))).result).toBe('success');
});

test('108 unknown handle_id; 109 by mode; 111 by the one-shot errorCode fault', async () => {
  expect(await ask('handle_unknown')).toEqual({ result: 'error', status: '108' });
  await sim.admin.updateSettings({ mode: { error: ACMAPI_ERRORS.refused } });
  expect(await apply([domain('refused')])).toEqual({ result: 'error', status: '109' });
  await sim.admin.updateSettings({ mode: 'success' });
  await sim.admin.setFaults({ errorCode: 111 });
  expect(await apply([domain('unknown')])).toEqual({ result: 'error', status: '111' });
  expect((await apply([domain('unknown')])).result).toBe('success'); // one-shot
  expect(await sim.admin.faults()).toEqual({});
  expect((await sim.admin.counters()).errorsByCode).toEqual({ '108': 1, '109': 1, '111': 1 });
  expect((await sim.admin.counters()).certificatesIssued).toBe(1);
});

// ---------------------------------------------------------------- the CA's signfile check

test('107 names the first domain that fails: missing file, wrong content, redirect loop, timeout, status 500, unreachable', async () => {
  const ok = domain('ok');
  const missing = domain('missing', null);
  const wrong = domain('wrong', 'some-other-signfile');
  const loop = domain('loop', null);
  web.redirect(loop, SIGNFILE_PATH, `http://${loop}${SIGNFILE_PATH}`);
  const slow = domain('slow');
  web.behave(slow, 'timeout');
  const broken = domain('broken');
  web.behave(broken, 'status:500');
  const unreachable = domain('unreachable');
  await sim.admin.setFaults({ unreachableDomains: [unreachable] });

  for (const failing of [missing, wrong, loop, slow, broken, unreachable]) {
    expect(await apply([ok, failing])).toEqual({ result: 'error', status: '107', other_msg: failing });
  }
  // Both schemes were tried for a missing file, and at most 5 redirects followed.
  expect(web.requests.filter((r) => r.host === missing).map((r) => r.scheme)).toEqual(['http', 'https']);
  // Each scheme's attempt: the first fetch and 5 redirects followed (the https one redirects back to http).
  expect(web.requests.filter((r) => r.host === loop)).toHaveLength(12);
  expect(web.requests.some((r) => r.host === unreachable)).toBe(false);
  // The first failing one in the request's order.
  expect(errorOf(await apply([wrong, ok, missing])).other_msg).toBe(wrong);
  expect(await sim.admin.counters()).toMatchObject({ certificatesIssued: 0, errorsByCode: { '107': 7 } });
});

test('passes: a redirect to the right file (other host, https), an https-only file, content with white space', async () => {
  const moved = domain('moved', null);
  const target = domain('target', null);
  web.redirect(moved, SIGNFILE_PATH, `https://${target}/files/signfile`, 301);
  web.put(target, '/files/signfile', SIGNFILE);
  const httpsOnly = domain('tls', null);
  web.put(httpsOnly, SIGNFILE_PATH, SIGNFILE, { scheme: 'https' });
  const spaced = domain('spaced', `\n  ${SIGNFILE}  \r\n`);
  const relative = domain('relative', null);
  web.redirect(relative, SIGNFILE_PATH, '/elsewhere', 307);
  web.put(relative, '/elsewhere', SIGNFILE);

  const answer = await apply([moved, httpsOnly, spaced, relative]);
  expect(answer).toMatchObject({ result: 'success', status: '0' });
  expect(web.requests.filter((r) => r.host === target)).toEqual([{ host: target, scheme: 'https', path: '/files/signfile', status: 200 }]);
  expect(web.requests.filter((r) => r.host === httpsOnly).map((r) => `${r.scheme} ${r.status}`)).toEqual(['http 404', 'https 200']);
});

// ---------------------------------------------------------------- faults

test('dropAfterHandling: the answer is lost, the certificate exists and is counted; an operator finds it by domain', async () => {
  await sim.admin.setFaults({ dropAfterHandling: 1 });
  const name = domain('lost');
  const { csrPem, spkiSha256 } = await csrFor(name);
  await expect(fetch(sim.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(applyBody([name], csrPem)) })).rejects.toThrow();
  expect(await sim.admin.counters()).toMatchObject({ applications: 1, certificatesIssued: 1, answersDropped: 1 });
  expect(await sim.admin.faults()).toEqual({ dropAfterHandling: 0 });
  const [found] = await sim.admin.applications({ domain: name.toUpperCase() });
  expect(found).toMatchObject({ state: 'issued', domains: [name], spkiSha256 });
  const collected = await ask(found!.handleId);
  expect(new x509.X509Certificate(certificateOf(collected)).serialNumber.toLowerCase()).toBe(found!.certificate?.serialHex);
  expect((await sim.admin.counters()).certificatesIssued).toBe(1);
});

test('failBeforeHandling answers the status without handling; delayMs delays the answer', async () => {
  await sim.admin.setFaults({ failBeforeHandling: { status: 503, count: 2 }, delayMs: 250 });
  const { csrPem } = await csrFor('x.example.com');
  const name = domain('fail');
  for (let i = 0; i < 2; i++) {
    const res = await fetch(sim.url, { method: 'POST', body: JSON.stringify(applyBody([name], csrPem)) });
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('Service Unavailable');
  }
  const started = Date.now();
  expect((await post(applyBody([name], csrPem))).result).toBe('success');
  expect(Date.now() - started).toBeGreaterThanOrEqual(240);
  expect(await sim.admin.counters()).toMatchObject({ requests: 3, applications: 1, failedBeforeHandling: 2, certificatesIssued: 1 });
});

// ---------------------------------------------------------------- admin API and metrics

test('admin API: bearer token required; settings and faults validated; reset; metrics open', async () => {
  const base = `${sim.url}admin/counters`;
  expect((await fetch(base)).status).toBe(401);
  expect((await fetch(base, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
  expect((await fetch(base, { headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(200);
  await expect(createAcmapiAdmin(sim.url, 'wrong-token').counters()).rejects.toBeInstanceOf(AcmapiAdminError);

  const admin: AcmapiAdmin = createAcmapiAdmin(sim.url, ADMIN);
  await expect(admin.updateSettings({ pendingAsks: -1 })).rejects.toMatchObject({ status: 400 });
  await expect(admin.setFaults({ failBeforeHandling: { status: 418 } } as never)).rejects.toMatchObject({ status: 400 });
  expect(await admin.updateSettings({ mode: 'pending', certificateFormat: 'base64der' })).toMatchObject({ mode: 'pending', certificateFormat: 'base64der', pendingAsks: 1 });
  expect(await admin.setFaults({ dropAfterHandling: 1, unreachableDomains: ['a.example'] })).toEqual({ dropAfterHandling: 1, unreachableDomains: ['a.example'] });
  expect(await admin.ca()).toEqual({ chainPems: sim.chainPems, rootPem: sim.rootPem });
  const name = domain('adm');
  await expect(apply([name])).rejects.toThrow(); // answer dropped
  const [found] = await admin.applications({ domain: name });
  const handleId = found!.handleId;
  expect((await admin.application(handleId)).state).toBe('pending');
  expect(await admin.applications({ state: 'issued' })).toEqual([]);

  const metrics = await (await fetch(`${sim.url}metrics`)).text();
  expect(metrics).toContain('certflow_acmapi_simulator_requests_total{kind="apply"} 1');
  expect(metrics).toContain('certflow_acmapi_simulator_faults_total{fault="answer_dropped"} 1');
  expect(metrics).toContain('certflow_acmapi_simulator_applications{state="pending"} 1');

  expect(await admin.reset()).toMatchObject({ requests: 0, certificatesIssued: 0 });
  expect(await admin.faults()).toEqual({});
  expect((await admin.settings()).mode).toBe('success');
  await expect(admin.application(handleId)).rejects.toMatchObject({ status: 404 });
});

test('without adminToken the admin API is not mounted', async () => {
  const bare = await startAcmapiSimulator(options({ adminToken: undefined }));
  extra.push(bare);
  expect((await fetch(`${bare.url}admin/counters`, { headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(404);
  expect((await post(applyBody([domain('bare')], (await csrFor('b.example.com')).csrPem), bare)).result).toBe('success');
});

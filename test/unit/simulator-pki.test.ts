import { execFile } from 'node:child_process';
import { X509Certificate, createPublicKey } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { generateCsr, generateSm2Csr, inspectCsr, type RunningSimulator, SIM_ERRORS, SIM_PRODUCT_IDS, startSimulator } from '../../tools/simulators/wotrus';
import { x509 } from '../../tools/simulators/wotrus/x509';

const run = promisify(execFile);
const TOKEN = 'pki-test-token-123';

interface Retrieved {
  pem_RSA: string | null;
  chains_RSA: string[];
  pem_Sign: string | null;
  chains_Sign: string[];
  pem_Encrypt: string | null;
  chains_Encrypt: string[];
  result: boolean;
}

let sim: RunningSimulator;
let dir: string;

beforeAll(async () => {
  sim = await startSimulator({ token: TOKEN, manual: true });
  dir = await mkdtemp(path.join(tmpdir(), 'sim-pki-'));
});
afterAll(async () => {
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});

async function call<T>(method: string, p: string, body?: unknown): Promise<{ isSuccess: boolean; errorMsg: string | null; data: T }> {
  const res = await fetch(`${sim.url}${p}`, {
    method,
    headers: { WoTrusToken: TOKEN, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { isSuccess: boolean; errorMsg: string | null; data: T };
}

/** Creates an order, drives it to issued by hand and retrieves its certificates. */
async function issue(productId: string, commonName: string, csrPem: string, extra: Record<string, unknown> = {}): Promise<Retrieved> {
  const created = await call<{ orderId: string }>('POST', '/v1/Order/Create', {
    orderinfoPost: { productID: productId, commonName, csR_RSA: csrPem, month: 12, ...extra },
    organizationPost: { OrgName: '沃通电子认证服务有限公司', countryCode: 'CN', state: 'Guangdong', city: 'Shenzhen' },
  });
  expect(created.errorMsg).toBe('');
  const driven = await sim.state.drive(created.data.orderId, 'issue');
  expect(driven.ok).toBe(true);
  const got = await call<Retrieved>('GET', `/v1/Certificate/RetrievePem?orderID=${created.data.orderId}`);
  expect(got.isSuccess).toBe(true);
  return got.data;
}

async function opensslVerify(chain: string[], leaf: string, name: string): Promise<string> {
  const [root, inter] = chain as [string, string];
  const files = { root: path.join(dir, `${name}-root.pem`), inter: path.join(dir, `${name}-inter.pem`), leaf: path.join(dir, `${name}-leaf.pem`) };
  await writeFile(files.root, root);
  await writeFile(files.inter, inter);
  await writeFile(files.leaf, leaf);
  const { stdout } = await run('openssl', ['verify', '-CAfile', files.root, '-untrusted', files.inter, files.leaf]);
  return stdout.trim();
}

function expectRootFirst(chain: string[], leafPem: string): void {
  expect(chain).toHaveLength(2);
  const root = new X509Certificate(chain[0]!);
  const inter = new X509Certificate(chain[1]!);
  const leaf = new X509Certificate(leafPem);
  expect(root.subject).toBe(root.issuer); // self-signed top root first
  expect(root.verify(root.publicKey)).toBe(true);
  expect(inter.issuer).toBe(root.subject); // intermediate last
  expect(inter.verify(root.publicKey)).toBe(true);
  expect(leaf.issuer).toBe(inter.subject);
  expect(leaf.verify(inter.publicKey)).toBe(true);
  expect(root.ca).toBe(true);
  expect(inter.ca).toBe(true);
  expect(leaf.ca).toBe(false);
  const bc = new x509.X509Certificate(chain[1]!).getExtension(x509.BasicConstraintsExtension);
  expect(bc?.pathLength).toBe(0);
}

describe.each([
  ['RSA 2048', { keyType: 'rsa' as const }],
  ['ECDSA P-256', { keyType: 'ec' as const, curve: 'P-256' as const }],
  ['ECDSA P-384', { keyType: 'ec' as const, curve: 'P-384' as const }],
])('SSL leaf from a %s CSR', (label, keyOpts) => {
  let csr: Awaited<ReturnType<typeof generateCsr>>;
  let cert: Retrieved;
  const cn = `www.${label.replace(/[^a-z0-9]/gi, '').toLowerCase()}.example.com`;

  beforeAll(async () => {
    csr = await generateCsr({ commonName: cn, sans: ['api.example.com', '10.0.0.1'], ...keyOpts });
    cert = await issue(SIM_PRODUCT_IDS.rsaDv, cn, csr.csrPem);
  });

  it('verifies with openssl against the chain (root as CAfile, intermediate untrusted)', async () => {
    expect(await opensslVerify(cert.chains_RSA, cert.pem_RSA!, cn)).toMatch(/: OK$/);
  });

  it('answers the chain root first, intermediate last', () => {
    expectRootFirst(cert.chains_RSA, cert.pem_RSA!);
  });

  it('carries the CSR public key, CN and SANs', () => {
    const leaf = new X509Certificate(cert.pem_RSA!);
    expect(leaf.publicKey.export({ type: 'spki', format: 'pem' })).toBe(csr.publicKeyPem.replace(/\r\n/g, '\n').trimEnd() + '\n');
    expect(leaf.subject).toBe(`CN=${cn}`);
    const sans = leaf.subjectAltName?.split(', ').sort();
    expect(sans).toEqual([`DNS:${cn}`, 'DNS:api.example.com', 'IP Address:10.0.0.1'].sort());
  });

  it('has leaf extensions of a TLS server certificate and about 12 x 30 days of validity', () => {
    const leaf = new x509.X509Certificate(cert.pem_RSA!);
    expect(leaf.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(false);
    expect(leaf.getExtension(x509.ExtendedKeyUsageExtension)?.usages).toContain(x509.ExtendedKeyUsage.serverAuth);
    const ku = leaf.getExtension(x509.KeyUsagesExtension)!.usages;
    expect(ku & x509.KeyUsageFlags.digitalSignature).toBeTruthy();
    expect(leaf.getExtension(x509.SubjectKeyIdentifierExtension)).toBeTruthy();
    const aki = leaf.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId;
    const interSki = new x509.X509Certificate(cert.chains_RSA[1]!).getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
    expect(aki).toBe(interSki);
    const days = (leaf.notAfter.getTime() - leaf.notBefore.getTime()) / 86_400_000;
    expect(Math.round(days)).toBe(360);
  });
});

it('month 13 carries over: 13 x 30 days', async () => {
  const csr = await generateCsr({ commonName: 'renew.example.com', keyType: 'ec' });
  const created = await call<{ orderId: string }>('POST', '/v1/Order/Create', {
    orderinfoPost: { productID: SIM_PRODUCT_IDS.rsaDv, commonName: 'renew.example.com', csR_RSA: csr.csrPem, month: 13 },
  });
  await sim.state.drive(created.data.orderId, 'issue');
  const leaf = new X509Certificate(sim.state.order(created.data.orderId)!.cert!.pem);
  const days = (new Date(leaf.validTo).getTime() - new Date(leaf.validFrom).getTime()) / 86_400_000;
  expect(Math.round(days)).toBe(390);
});

it('OV leaf carries the organisation in its subject', async () => {
  const csr = await generateCsr({ commonName: 'ov.example.com', keyType: 'ec' });
  const cert = await issue(SIM_PRODUCT_IDS.rsaOv, 'ov.example.com', csr.csrPem);
  const leaf = new X509Certificate(cert.pem_RSA!);
  expect(leaf.subject).toContain('O=沃通电子认证服务有限公司');
  expect(leaf.subject).toContain('C=CN');
  expect(await opensslVerify(cert.chains_RSA, cert.pem_RSA!, 'ov')).toMatch(/: OK$/);
});

describe('SM2 orders (real SM2/SM3)', () => {
  const spkiOf = (pem: string): string => new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  const pubOf = (pem: string): string => createPublicKey(pem).export({ type: 'spki', format: 'der' }).toString('base64');
  const sm2Create = (info: Record<string, unknown>, organizationPost?: Record<string, unknown>) =>
    call<{ orderId: string; orderId_RSA: string | null }>('POST', '/v1/Order/Create', { orderinfoPost: { productID: SIM_PRODUCT_IDS.sm2, commonName: 'sm2.example.com', month: 12, ...info }, organizationPost });

  it('signing and encryption certificates from Csr_Sign and csr_Encrypt, SM2-with-SM3 on an SM2 chain that openssl verifies', async () => {
    const sign = await generateSm2Csr({ commonName: 'sm2.example.com' });
    const enc = await generateSm2Csr({ commonName: 'sm2.example.com' });
    const created = await sm2Create({ Csr_Sign: sign.csrPem, csr_Encrypt: enc.csrPem });
    expect(created.errorMsg).toBe('');
    expect(created.data.orderId_RSA).toBeNull();
    expect((await sim.state.drive(created.data.orderId, 'issue')).ok).toBe(true);
    const cert = (await call<Retrieved>('GET', `/v1/Certificate/RetrievePem?orderID=${created.data.orderId}`)).data;
    expect(cert.pem_RSA).toBeNull();
    expectRootFirst(cert.chains_Sign, cert.pem_Sign!);
    expectRootFirst(cert.chains_Encrypt, cert.pem_Encrypt!);
    expect(await opensslVerify(cert.chains_Sign, cert.pem_Sign!, 'sm2-sign')).toMatch(/: OK$/);
    expect(await opensslVerify(cert.chains_Encrypt, cert.pem_Encrypt!, 'sm2-enc')).toMatch(/: OK$/);
    for (const pem of [cert.pem_Sign!, cert.chains_Sign[0]!, cert.chains_Sign[1]!]) {
      expect(new x509.X509Certificate(pem).signatureAlgorithm).toMatchObject({ name: '1.2.156.10197.1.501' });
    }
    expect(spkiOf(cert.pem_Sign!)).toBe(pubOf(sign.publicKeyPem));
    expect(spkiOf(cert.pem_Encrypt!)).toBe(pubOf(enc.publicKeyPem));
    const F = x509.KeyUsageFlags;
    const signKu = new x509.X509Certificate(cert.pem_Sign!).getExtension(x509.KeyUsagesExtension)!.usages;
    const encKu = new x509.X509Certificate(cert.pem_Encrypt!).getExtension(x509.KeyUsagesExtension)!.usages;
    expect(signKu).toBe(F.digitalSignature | F.nonRepudiation);
    expect(encKu).toBe(F.keyEncipherment | F.dataEncipherment | F.keyAgreement);
    expect(cert.chains_Sign[0]).not.toBe(sim.state.ca.rsa.rootPem);
  });

  it('without csr_Encrypt the CA makes the encryption key (a KMC), an SM2 key other than the signing one', async () => {
    const sign = await generateSm2Csr({ commonName: 'sm2.example.com' });
    const created = await sm2Create({ csr_Sign: sign.csrPem });
    await sim.state.drive(created.data.orderId, 'issue');
    const cert = (await call<Retrieved>('GET', `/v1/Certificate/RetrievePem?orderID=${created.data.orderId}`)).data;
    expect(await opensslVerify(cert.chains_Encrypt, cert.pem_Encrypt!, 'sm2-kmc')).toMatch(/: OK$/);
    expect(spkiOf(cert.pem_Encrypt!)).not.toBe(spkiOf(cert.pem_Sign!));
    expect(new x509.X509Certificate(cert.pem_Encrypt!).publicKey.algorithm).toMatchObject({ name: '1.2.840.10045.2.1' });
    expect(Buffer.from((new x509.X509Certificate(cert.pem_Encrypt!).publicKey.algorithm as { parameters: ArrayBuffer }).parameters).toString('hex')).toBe('06082a811ccf5501822d');
  });

  it('refuses a non-SM2 signing or encryption CSR and a missing signing CSR, naming the field', async () => {
    const sm2 = await generateSm2Csr({ commonName: 'sm2.example.com' });
    const ec = await generateCsr({ commonName: 'sm2.example.com', keyType: 'ec' });
    expect((await sm2Create({ Csr_Sign: ec.csrPem })).errorMsg).toBe(SIM_ERRORS.csrKeyType('Csr_Sign', 'SM2', 'ECDSA P-256'));
    expect((await sm2Create({ Csr_Sign: sm2.csrPem, csr_Encrypt: ec.csrPem })).errorMsg).toBe(SIM_ERRORS.csrKeyType('csr_Encrypt', 'SM2', 'ECDSA P-256'));
    expect((await sm2Create({ csR_RSA: ec.csrPem })).errorMsg).toBe(SIM_ERRORS.csr('Csr_Sign', { kind: 'missing' }));
    expect((await sm2Create({ Csr_Sign: sm2.csrPem, csR_RSA: sm2.csrPem })).errorMsg).toBe(SIM_ERRORS.csrKeyType('csR_RSA', 'RSA or ECDSA', 'SM2'));
    expect((await sm2Create({ Csr_Sign: sm2.csrPem, BindRSAProductID: SIM_PRODUCT_IDS.rsaDv })).errorMsg).toBe(SIM_ERRORS.rsaCsrRequiredForBind());
    expect((await sm2Create({ Csr_Sign: sm2.csrPem, csR_RSA: ec.csrPem, BindRSAProductID: SIM_PRODUCT_IDS.sm2 })).errorMsg).toBe(SIM_ERRORS.bindRsaProductInvalid(SIM_PRODUCT_IDS.sm2));
    const rsaProduct = await call('POST', '/v1/Order/Create', { orderinfoPost: { productID: SIM_PRODUCT_IDS.rsaDv, commonName: 'sm2.example.com', month: 12, csR_RSA: sm2.csrPem } });
    expect(rsaProduct.errorMsg).toBe(SIM_ERRORS.csrKeyType('csR_RSA', 'RSA or ECDSA', 'SM2'));
  });

  it('BindRSAProductID + csR_RSA: a second order of its own, on the bound RSA product, issued and retrieved on its own', async () => {
    const sign = await generateSm2Csr({ commonName: 'sm2.example.com' });
    const rsaCsr = await generateCsr({ commonName: 'sm2.example.com', keyType: 'ec' });
    const bind = { Csr_Sign: sign.csrPem, csR_RSA: rsaCsr.csrPem, BindRSAProductID: SIM_PRODUCT_IDS.rsaOv.toLowerCase() };
    // The bound OV product's own rule: an organisation.
    expect((await sm2Create(bind)).errorMsg).toBe(SIM_ERRORS.orgRequired());
    const created = await sm2Create(bind, { OrgName: '沃通电子认证服务有限公司', countryCode: 'CN' });
    expect(created.errorMsg).toBe('');
    const { orderId, orderId_RSA } = created.data;
    expect(orderId_RSA).toEqual(expect.any(String));
    expect(orderId_RSA).not.toBe(orderId);
    const query = async (id: string) => (await call<{ status: string; productID: string }>('GET', `/v1/Order/${id}`)).data;
    expect(await query(orderId_RSA!)).toMatchObject({ productID: SIM_PRODUCT_IDS.rsaOv, status: 'pendingSubmitOrderToCA' });
    expect(await query(orderId)).toMatchObject({ productID: SIM_PRODUCT_IDS.sm2 });

    // The SM2 order issues while the RSA order still waits in its own (OV) flow.
    await sim.state.drive(orderId, 'issue');
    await sim.state.drive(orderId_RSA!, 'pass-review');
    expect((await query(orderId)).status).toBe('issued');
    expect((await query(orderId_RSA!)).status).toBe('pendingDCV');
    const rsaEarly = await call<Retrieved>('GET', `/v1/Certificate/RetrievePem?orderID=${orderId_RSA}`);
    expect(rsaEarly.isSuccess).toBe(false);
    const sm2Early = (await call<Retrieved>('GET', `/v1/Certificate/RetrievePem?orderID=${orderId}`)).data;
    expect(sm2Early.pem_RSA).toBeNull();

    await sim.state.drive(orderId_RSA!, 'issue');
    const rsa = (await call<Retrieved>('GET', `/v1/Certificate/RetrievePem?orderID=${orderId_RSA}`)).data;
    expect(rsa.pem_Sign).toBeNull();
    expect(rsa.pem_Encrypt).toBeNull();
    expect(await opensslVerify(rsa.chains_RSA, rsa.pem_RSA!, 'bound-rsa')).toMatch(/: OK$/);
    expect(spkiOf(rsa.pem_RSA!)).toBe(pubOf(rsaCsr.publicKeyPem));
    // As in the document's example, the SM2 order's answer then carries all three.
    const sm2 = (await call<Retrieved>('GET', `/v1/Certificate/RetrievePem?orderID=${orderId}`)).data;
    expect(sm2.pem_RSA).toBe(rsa.pem_RSA);
    expect(spkiOf(sm2.pem_Sign!)).toBe(pubOf(sign.publicKeyPem));
  });
});

it('PDF products issue document-signing certificates without DNS names', async () => {
  const csr = await generateCsr({ commonName: '沃通电子认证服务有限公司', keyType: 'rsa' });
  const cert = await issue(SIM_PRODUCT_IDS.pdfSignEncrypt, '沃通电子认证服务有限公司', csr.csrPem);
  const leaf = new x509.X509Certificate(cert.pem_RSA!);
  const eku = leaf.getExtension(x509.ExtendedKeyUsageExtension)!.usages;
  expect(eku).toContain(x509.ExtendedKeyUsage.emailProtection);
  expect(eku).not.toContain(x509.ExtendedKeyUsage.serverAuth);
  expect(leaf.getExtension(x509.SubjectAlternativeNameExtension)).toBeNull();
  expect(await opensslVerify(cert.chains_RSA, cert.pem_RSA!, 'pdf')).toMatch(/: OK$/);
});

describe('inspectCsr', () => {
  it('accepts a CSR whose base64 carries stray whitespace, as in the document example', async () => {
    const { csrPem } = await generateCsr({ commonName: 'ws.example.com', keyType: 'ec' });
    const lines = csrPem.trim().split('\n');
    const mangled = [lines[0], ...lines.slice(1, -1).map((l) => `${l.slice(0, 10)} ${l.slice(10)}`), lines.at(-1)].join('\n');
    const r = await inspectCsr(mangled);
    expect(r.ok).toBe(true);
  });

  it('refuses a tampered signature, small RSA keys and non-PEM text', async () => {
    const good = await generateCsr({ commonName: 'x.example.com', keyType: 'ec' });
    const der = Buffer.from(x509.PemConverter.decodeFirst(good.csrPem));
    der[der.length - 5] = der[der.length - 5]! ^ 0xff;
    expect(await inspectCsr(x509.PemConverter.encode(der, 'CERTIFICATE REQUEST'))).toEqual({ ok: false, problem: { kind: 'bad-signature' } });
    const small = await generateCsr({ commonName: 'x.example.com', rsaBits: 1024 });
    expect(await inspectCsr(small.csrPem)).toEqual({ ok: false, problem: { kind: 'rsa-too-small', bits: 1024 } });
    expect(await inspectCsr('hello')).toEqual({ ok: false, problem: { kind: 'not-pem' } });
  });
});

it('puts IDN hosts (as punycode), wildcards and IPv6 SANs into the leaf', async () => {
  const csr = await generateCsr({ commonName: '*.example.org', sans: ['2001:db8::1'], keyType: 'ec' });
  const cert = await issue(SIM_PRODUCT_IDS.rsaDv, '*.example.org', csr.csrPem, { hosts: '沃通.中国, www.example.org' });
  const sans = new X509Certificate(cert.pem_RSA!).subjectAltName?.split(', ');
  expect(sans).toEqual(['DNS:*.example.org', 'DNS:xn--buw427e.xn--fiqs8s', 'DNS:www.example.org', 'IP Address:2001:DB8:0:0:0:0:0:1']);
  expect(await opensslVerify(cert.chains_RSA, cert.pem_RSA!, 'idn')).toMatch(/: OK$/);
});

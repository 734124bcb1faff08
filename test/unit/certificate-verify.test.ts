import { verifyCertificate, type VerifyInput } from '../../src/activities/certificates';
import type { RetrievedCertificate } from '../../src/ca/issuer';
import { generateCsr, generateSm2Csr, inspectCsr } from '../../tools/simulators/wotrus';
import * as der from '../../tools/simulators/wotrus/der';
import { CaHierarchy, type LeafRequest } from '../../tools/simulators/wotrus/pki';

/**
 * The verification activity against real certificates made at test time: SM2-with-SM3 ones
 * from an SM2 root and intermediate (checked by node:crypto), and RSA-signed ones as before.
 */

const CN = 'sm2.verify.example.com';
const DAY = 86_400_000;

let sm2: CaHierarchy;
let otherSm2: CaHierarchy;
let rsa: CaHierarchy;

beforeAll(async () => {
  [sm2, otherSm2, rsa] = await Promise.all([CaHierarchy.create('sm2'), CaHierarchy.create('sm2'), CaHierarchy.create('rsa')]);
});

async function leaf(ca: CaHierarchy, csrPem: string, role?: LeafRequest['role']): Promise<string> {
  const r = await inspectCsr(csrPem);
  if (!r.ok) throw new Error(`test CSR refused: ${r.problem.kind}`);
  const now = Date.now();
  const issued = await ca.issue({
    spki: r.csr.spki,
    keyType: r.csr.keyType,
    subject: [{ CN: [CN] }],
    sans: [{ type: 'dns', value: CN }],
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 365 * DAY),
    profile: 'ssl',
    policyOid: '2.23.140.1.2.1',
    role,
  });
  return issued.pem;
}

/** The same certificate with one byte of its signature changed. */
function tamper(pem: string): string {
  const bytes = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  bytes[bytes.length - 3] = bytes[bytes.length - 3]! ^ 0x01;
  return der.toPem(bytes, 'CERTIFICATE');
}

interface Sm2Order {
  sign: { csrPem: string };
  enc: { csrPem: string };
  retrieved: RetrievedCertificate;
}

async function sm2Order(ca = sm2): Promise<Sm2Order> {
  const [sign, enc] = await Promise.all([generateSm2Csr({ commonName: CN }), generateSm2Csr({ commonName: CN })]);
  const retrieved: RetrievedCertificate = {
    certificatePem: await leaf(ca, sign.csrPem, 'sign'),
    chainPems: ca.chainPems(),
    encryptionCertificatePem: await leaf(ca, enc.csrPem, 'encrypt'),
    encryptionChainPems: ca.chainPems(),
  };
  return { sign, enc, retrieved };
}

const input = (o: Pick<Sm2Order, 'sign' | 'retrieved'>, extra: Partial<VerifyInput> = {}): VerifyInput => ({
  caOrderId: 'SM2-1',
  retrieved: o.retrieved,
  csrPem: o.sign.csrPem,
  commonName: CN,
  expectDnsNames: true,
  ...extra,
});

const pemBody = (pem: string | undefined): string => (pem ?? '').replace(/-----[^-]+-----|\s/g, '');

describe('SM2 orders', () => {
  test('signing and encryption certificates verify, each on its own path to the SM2 root', async () => {
    const o = await sm2Order();
    const r = await verifyCertificate(input(o, { csrEncryptPem: o.enc.csrPem }));
    if (!r.ok) throw new Error(r.problems.join('; '));
    const [root, inter] = sm2.chainPems();
    expect(pemBody(r.bundle.leafPem)).toBe(pemBody(o.retrieved.certificatePem));
    expect(r.bundle.chainPems.map(pemBody)).toEqual([pemBody(inter), pemBody(root)]);
    expect(pemBody(r.bundle.encryptionLeafPem)).toBe(pemBody(o.retrieved.encryptionCertificatePem));
    expect(r.bundle.encryptionChainPems?.map(pemBody)).toEqual([pemBody(inter), pemBody(root)]);
    expect(r.certificate.encryption?.serialNumber).toEqual(expect.stringMatching(/^[0-9a-f]+$/));
    expect(r.certificate.encryption?.serialNumber).not.toBe(r.certificate.serialNumber);
    expect(r.certificate.sans).toEqual([CN]);
  });

  test('an answer with all three: the SM2 CSR takes the signing certificate, an RSA/ECC CSR the RSA one', async () => {
    const o = await sm2Order();
    const ec = await generateCsr({ commonName: CN, keyType: 'ec' });
    const retrieved = { ...o.retrieved, rsaCertificatePem: await leaf(rsa, ec.csrPem), rsaChainPems: rsa.chainPems() };
    const sm2Side = await verifyCertificate(input({ ...o, retrieved }));
    expect(sm2Side.ok && pemBody(sm2Side.bundle.leafPem)).toBe(pemBody(o.retrieved.certificatePem));
    const rsaSide = await verifyCertificate(input({ sign: ec, retrieved }, { caOrderId: 'RSA-1' }));
    if (!rsaSide.ok) throw new Error(rsaSide.problems.join('; '));
    expect(pemBody(rsaSide.bundle.leafPem)).toBe(pemBody(retrieved.rsaCertificatePem));
    expect(rsaSide.bundle.chainPems.map(pemBody)).toEqual([pemBody(rsa.chainPems()[1]), pemBody(rsa.chainPems()[0])]);
    expect(rsaSide.bundle.encryptionLeafPem).toBeUndefined();
    expect(rsaSide.certificate.encryption).toBeUndefined();
  });

  test('a tampered signature fails, on the signing and on the encryption certificate', async () => {
    const o = await sm2Order();
    const badSign = await verifyCertificate(input({ ...o, retrieved: { ...o.retrieved, certificatePem: tamper(o.retrieved.certificatePem) } }));
    expect(badSign.ok).toBe(false);
    expect(!badSign.ok && badSign.problems).toEqual([expect.stringMatching(/^chain does not build: no certificate in the chain issued/)]);
    const badEnc = await verifyCertificate(input({ ...o, retrieved: { ...o.retrieved, encryptionCertificatePem: tamper(o.retrieved.encryptionCertificatePem!) } }));
    expect(!badEnc.ok && badEnc.problems).toEqual([expect.stringMatching(/^encryption certificate: chain does not build/)]);
  });

  test('a chain from another SM2 CA with the very same names fails: links are checked by signature', async () => {
    const o = await sm2Order(otherSm2);
    const r = await verifyCertificate(input({ ...o, retrieved: { ...o.retrieved, chainPems: sm2.chainPems() } }));
    expect(!r.ok && r.problems).toEqual([expect.stringMatching(/^chain does not build/)]);
    // A forged intermediate: the right names, the other CA's key — the root's signature on it fails.
    const forged = await verifyCertificate(input({ ...o, retrieved: { ...o.retrieved, chainPems: [sm2.chainPems()[0]!, otherSm2.chainPems()[1]!] } }));
    expect(!forged.ok && forged.problems).toEqual([expect.stringMatching(/^chain does not build: no certificate in the chain issued "C=CN, O=Certflow WoTrus Simulator, CN=WoTrus Simulator SM2 Intermediate CA"/)]);
  });

  test('key usages: the signing certificate must sign, the encryption certificate must encipher or agree', async () => {
    const o = await sm2Order();
    const swapped = { ...o.retrieved, certificatePem: await leaf(sm2, o.sign.csrPem, 'encrypt'), encryptionCertificatePem: await leaf(sm2, o.enc.csrPem, 'sign') };
    const r = await verifyCertificate(input({ ...o, retrieved: swapped }));
    expect(!r.ok && r.problems).toEqual([
      'key usage lacks digitalSignature',
      'encryption certificate: key usage lacks keyEncipherment, keyAgreement and dataEncipherment',
    ]);
  });

  test('keys: the signing certificate carries the signing CSR key, the encryption one the encryption CSR key when given', async () => {
    const o = await sm2Order();
    const stranger = await generateSm2Csr({ commonName: CN });
    const wrongSign = await verifyCertificate(input({ ...o, sign: stranger }, { csrEncryptPem: o.enc.csrPem }));
    expect(!wrongSign.ok && wrongSign.problems).toEqual(["the certificate's public key is not the CSR's public key"]);
    const wrongEnc = await verifyCertificate(input(o, { csrEncryptPem: stranger.csrPem }));
    expect(!wrongEnc.ok && wrongEnc.problems).toEqual(["encryption certificate: public key is not the CSR's public key"]);
    // Without an encryption CSR (the CA's KMC made the key) there is no key to compare.
    expect((await verifyCertificate(input(o))).ok).toBe(true);
  });

  test('an SM2 order without its encryption certificate, or with names the order lacks, fails', async () => {
    const o = await sm2Order();
    const { encryptionCertificatePem: _e, encryptionChainPems: _c, ...signOnly } = o.retrieved;
    const r = await verifyCertificate(input({ ...o, retrieved: signOnly }));
    expect(!r.ok && r.problems).toEqual(['an SM2 order needs its encryption certificate, and the CA returned none']);
    const names = await verifyCertificate(input(o, { hosts: ['www.sm2.verify.example.com'] }));
    expect(!names.ok && names.problems).toEqual([
      'names missing from subjectAltName: www.sm2.verify.example.com',
      'encryption certificate: names missing from subjectAltName: www.sm2.verify.example.com',
    ]);
  });
});

describe('RSA/ECC orders (unchanged)', () => {
  test('an ECDSA leaf on the RSA chain verifies; a tampered one does not', async () => {
    const ec = await generateCsr({ commonName: CN, keyType: 'ec' });
    const retrieved: RetrievedCertificate = { certificatePem: await leaf(rsa, ec.csrPem), chainPems: rsa.chainPems() };
    const r = await verifyCertificate(input({ sign: ec, retrieved }));
    expect(r.ok).toBe(true);
    expect(r.ok && r.bundle.encryptionLeafPem).toBeUndefined();
    const bad = await verifyCertificate(input({ sign: ec, retrieved: { ...retrieved, certificatePem: tamper(retrieved.certificatePem) } }));
    expect(!bad.ok && bad.problems).toEqual([expect.stringMatching(/^chain does not build/)]);
  });
});

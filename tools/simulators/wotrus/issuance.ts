/**
 * Turns an order into certificates: subject and SANs from the CSR and the order, validity from
 * `month`, the hierarchy from the order's role.
 */
import { getProduct, type SimProduct } from './catalog';
import { type InspectedCsr, inspectCsr, sanFor } from './csr';
import type { SimCert, SimOrder } from './model';
import { generateSm2KeyPair, type LeafRequest, type Pki } from './pki';
import type { x509 } from './x509';

const DAY = 86_400_000;
/** 30-day months; 13 and 25 (renewals carrying over remaining time) need no special case. */
export const validityMs = (month: number): number => month * 30 * DAY;
/** Backdated a little, as CAs do, so a client with a slow clock does not see "not yet valid". */
const BACKDATE_MS = 60_000;

function subjectFor(order: SimOrder, product: SimProduct, csr: InspectedCsr): x509.JsonName {
  const cn = csr.commonName ?? order.commonName;
  const org = order.org;
  const name: x509.JsonName = [];
  const withOrg = product.kind === 'ov' || product.kind === 'ev' || product.kind === 'pdf';
  if (withOrg && org?.countryCode) name.push({ C: [org.countryCode] });
  if (withOrg && org?.state) name.push({ ST: [org.state] });
  if (withOrg && org?.city) name.push({ L: [org.city] });
  if (withOrg && org && product.profile !== 'doc-sign-personal') name.push({ O: [org.orgName] });
  if (product.kind === 'ev' && org) {
    // EV subject fields (CA/B EV Guidelines §7.1.4.2): businessCategory, registration number, jurisdiction.
    name.push({ '2.5.4.15': [org.businessCategory ?? 'Private Organization'] });
    if (org.businessLicense) name.push({ '2.5.4.5': [org.businessLicense] });
    if (org.countryCode) name.push({ '1.3.6.1.4.1.311.60.2.1.3': [org.countryCode] });
  }
  name.push({ CN: [cn] });
  return name;
}

function sansFor(order: SimOrder, product: SimProduct, csr: InspectedCsr): x509.JsonGeneralName[] {
  const seen = new Set<string>();
  const out: x509.JsonGeneralName[] = [];
  const add = (n: x509.JsonGeneralName): void => {
    const key = `${n.type}:${n.value.toLowerCase()}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(n);
  };
  if (product.profile === 'ssl') {
    for (const h of order.hosts) add(sanFor(h));
    for (const s of csr.sans) if (s.type === 'dns' || s.type === 'ip') add(s);
  } else {
    for (const s of csr.sans) if (s.type === 'email') add(s);
  }
  return out;
}

async function inspectStored(pem: string): Promise<InspectedCsr> {
  const r = await inspectCsr(pem);
  // Stored CSRs were checked when the order was accepted; failing now means a corrupted state file.
  if (!r.ok) throw new Error(`stored CSR no longer valid: ${r.problem.kind}`);
  return r.csr;
}

export async function issueCertificates(order: SimOrder, pki: Pki, now = Date.now()): Promise<SimCert> {
  const product = getProduct(order.productId);
  const notBefore = new Date(now - BACKDATE_MS);
  const notAfter = new Date(now + validityMs(order.month));
  const leaf = (csr: InspectedCsr, role?: LeafRequest['role']): LeafRequest => ({
    spki: csr.spki,
    keyType: csr.keyType,
    subject: subjectFor(order, product, csr),
    sans: sansFor(order, product, csr),
    notBefore,
    notAfter,
    profile: product.profile,
    policyOid: product.policyOid,
    role,
  });
  const csr = await inspectStored(order.csrPem);
  if (order.role !== 'sm2') {
    const c = await pki.rsa.issue(leaf(csr));
    return { pem: c.pem, serialNumber: c.serialNumber, notBefore: c.notBefore, notAfter: c.notAfter };
  }
  // SM2 double certificates. Without the customer's encryption CSR the CA makes the
  // encryption key pair, as the KMC does in 国密 practice; its private key would reach the
  // customer in an envelope the document does not describe, so the simulator keeps none.
  const encCsr = order.csrEncryptPem ? await inspectStored(order.csrEncryptPem) : { ...csr, spki: (await generateSm2KeyPair()).spki };
  const sign = await pki.sm2.issue(leaf(csr, 'sign'));
  const enc = await pki.sm2.issue(leaf(encCsr, 'encrypt'));
  return { pem: sign.pem, serialNumber: sign.serialNumber, notBefore: sign.notBefore, notAfter: sign.notAfter, encryptPem: enc.pem, encryptSerialNumber: enc.serialNumber };
}

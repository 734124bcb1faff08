/**
 * The simulator's issuing CA: the WoTrus simulator's RSA hierarchy (root + intermediate,
 * real X.509), issuing DV leaves for the names of an application and the CSR's key.
 */
import { CaHierarchy } from '../wotrus/pki';
import type { AcceptedCsr } from './csr';

/** CA/Browser Forum domain-validated policy: what a free DV certificate asserts. */
const POLICY_DV = '2.23.140.1.2.1';
const DAY = 86_400_000;

export interface IssuedLeaf {
  pem: string;
  serialHex: string;
  notBefore: string;
  notAfter: string;
}

export class AcmapiCa {
  constructor(private readonly hierarchy: CaHierarchy) {}

  /** Intermediate first, then the root: the order a server sends after its leaf. */
  get chainPems(): string[] {
    return [...this.hierarchy.chainPems()].reverse();
  }

  get rootPem(): string {
    return this.hierarchy.chainPems()[0]!;
  }

  async issue(domains: readonly string[], csr: Pick<AcceptedCsr, 'spki' | 'keyType'>, validityDays: number): Promise<IssuedLeaf> {
    const now = Date.now();
    const leaf = await this.hierarchy.issue({
      spki: csr.spki,
      keyType: csr.keyType,
      subject: [{ CN: [domains[0]!] }],
      sans: domains.map((value) => ({ type: 'dns', value })),
      notBefore: new Date(now),
      notAfter: new Date(now + validityDays * DAY),
      profile: 'ssl',
      policyOid: POLICY_DV,
    });
    return { pem: leaf.pem, serialHex: leaf.serialNumber, notBefore: leaf.notBefore, notAfter: leaf.notAfter };
  }
}

/** In-process simulators share one CA: RSA key generation is most of a start, and tests start many. */
let shared: Promise<AcmapiCa> | undefined;

export function sharedCa(): Promise<AcmapiCa> {
  // A CA of its own, not the WoTrus simulator's: a chain mix-up must fail verification.
  shared ??= CaHierarchy.create('rsa', { organization: 'Certflow WoSign ACMAPI Simulator', prefix: 'WoSign ACMAPI Simulator' }).then(
    (h) => new AcmapiCa(h),
    (err: unknown) => {
      shared = undefined;
      throw err;
    },
  );
  return shared;
}

/** PEM certificate → base64 DER on one line (the `base64der` certificate format). */
export function pemToBase64Der(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
}

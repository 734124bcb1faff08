/**
 * The CA's applications by handle_id and the certificates it issued: what an operator would
 * look up at WoSign after a lost answer, and what the fault suite counts. In memory only.
 */
import { randomBytes } from 'node:crypto';
import type { AcceptedCsr } from './csr';
import type { IssuedLeaf } from './ca';

export const APPLICATION_STATES = ['pending', 'issued'] as const;
export type ApplicationState = (typeof APPLICATION_STATES)[number];

export interface Application {
  handleId: string;
  domains: string[];
  state: ApplicationState;
  createdAt: string;
  /** handle_id asks received since the apply. */
  asks: number;
  csr: AcceptedCsr;
  certificate?: IssuedLeaf & { issuedAt: string };
}

/** One certificate the CA issued. */
export interface IssuedCertificate {
  handleId: string;
  domains: string[];
  serialHex: string;
  /** Hex SHA-256 of the CSR's SubjectPublicKeyInfo (= the certificate's key). */
  spkiSha256: string;
  issuedAt: string;
  notBefore: string;
  notAfter: string;
}

/** An application as the admin API shows it (the certificate PEM only when asked for one). */
export interface ApplicationView {
  handleId: string;
  domains: string[];
  state: ApplicationState;
  createdAt: string;
  asks: number;
  spkiSha256: string;
  keyDescription: string;
  certificate?: Omit<IssuedCertificate, 'handleId' | 'domains' | 'spkiSha256'> & { pem?: string };
}

export function applicationView(a: Application, withPem = false): ApplicationView {
  const c = a.certificate;
  return {
    handleId: a.handleId,
    domains: [...a.domains],
    state: a.state,
    createdAt: a.createdAt,
    asks: a.asks,
    spkiSha256: a.csr.spkiSha256,
    keyDescription: a.csr.keyDescription,
    certificate: c ? { serialHex: c.serialHex, issuedAt: c.issuedAt, notBefore: c.notBefore, notAfter: c.notAfter, ...(withPem ? { pem: c.pem } : {}) } : undefined,
  };
}

export class ApplicationStore {
  private readonly byHandle = new Map<string, Application>();
  private readonly issued: IssuedCertificate[] = [];

  create(domains: string[], csr: AcceptedCsr): Application {
    // The document's examples: "handle_XXXXXX01".
    const handleId = `handle_${randomBytes(8).toString('hex')}`;
    const a: Application = { handleId, domains, state: 'pending', createdAt: new Date().toISOString(), asks: 0, csr };
    this.byHandle.set(handleId, a);
    return a;
  }

  get(handleId: string): Application | undefined {
    return this.byHandle.get(handleId);
  }

  /** Records the leaf on the application; never called twice for one (the caller checks the state). */
  markIssued(a: Application, leaf: IssuedLeaf): void {
    const issuedAt = new Date().toISOString();
    a.state = 'issued';
    a.certificate = { ...leaf, issuedAt };
    this.issued.push({ handleId: a.handleId, domains: [...a.domains], serialHex: leaf.serialHex, spkiSha256: a.csr.spkiSha256, issuedAt, notBefore: leaf.notBefore, notAfter: leaf.notAfter });
  }

  list(filter: { domain?: string; state?: ApplicationState } = {}): Application[] {
    const domain = filter.domain?.trim().toLowerCase();
    return [...this.byHandle.values()].filter((a) => (!domain || a.domains.includes(domain)) && (!filter.state || a.state === filter.state));
  }

  count(state: ApplicationState): number {
    let n = 0;
    for (const a of this.byHandle.values()) if (a.state === state) n++;
    return n;
  }

  certificates(): IssuedCertificate[] {
    return this.issued.map((c) => ({ ...c, domains: [...c.domains] }));
  }

  clear(): void {
    this.byHandle.clear();
    this.issued.length = 0;
  }
}

/**
 * Mutual TLS material. "接口启用客户端证书强身份认证": the platform authenticates callers by a
 * client certificate whose public key the caller sent to WoSign for authorisation.
 *
 * Two hierarchies of the WoTrus simulator's kind (RSA root + intermediate, real X.509):
 * - the **server** CA issues the simulator's HTTPS certificate; its root (`caPem`) is what
 *   certflow pins;
 * - the **client** CA issues the callers' certificates; it is the only CA the server trusts
 *   for client certificates, so no certificate of the server CA (or any other) passes.
 * A certificate that passes the TLS layer must also be one this simulator issued and still
 * authorises (ClientRegistry), else the create answers -80.
 *
 * In-process simulators share one generated pair (RSA key generation is most of a start);
 * a simulator given `ca` material uses that. Leaves are ECDSA P-256 (milliseconds each).
 */
import { createHash, generateKeyPair, X509Certificate } from 'node:crypto';
import { type CaBrand, CaHierarchy, type CaMaterial } from '../wotrus/pki';

export interface WosignDocCaMaterial {
  server: CaMaterial;
  client: CaMaterial;
}

const DAY = 86_400_000;
const ANY_POLICY = '2.5.29.32.0';
const SERVER_BRAND: CaBrand = { organization: 'Certflow WoSignDoc Simulator', prefix: 'WoSignDoc Simulator Server' };
const CLIENT_BRAND: CaBrand = { organization: 'Certflow WoSignDoc Simulator', prefix: 'WoSignDoc Simulator Client' };

export interface IssuedCertificate {
  /** The leaf, then the issuing intermediate: what a TLS peer sends. */
  certPem: string;
  /** PKCS#8 PEM (ECDSA P-256). */
  keyPem: string;
  /** Hex SHA-256 of the leaf's DER (lower case, no colons). */
  fingerprint: string;
  serialNumber: string;
  commonName: string;
  notBefore: string;
  notAfter: string;
}

export interface IssueOptions {
  /** Default `certflow`. */
  commonName?: string;
  /** Default now − 1 minute. */
  notBefore?: Date;
  /** Default notBefore + `validityDays`. */
  notAfter?: Date;
  /** Default 365. */
  validityDays?: number;
}

export function fingerprintOf(der: Buffer | Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

/** The first certificate of a PEM bundle's fingerprint. */
export function pemFingerprint(pem: string): string {
  return fingerprintOf(new X509Certificate(pem).raw);
}

/** What the registry keeps of a certificate given as PEM (its first certificate). */
export function describeCertificate(pem: string): Pick<IssuedCertificate, 'fingerprint' | 'serialNumber' | 'commonName' | 'notBefore' | 'notAfter'> {
  const x = new X509Certificate(pem);
  return {
    fingerprint: fingerprintOf(x.raw),
    serialNumber: x.serialNumber.toLowerCase(),
    commonName: /(?:^|\n)CN=([^\n]*)/.exec(x.subject)?.[1] ?? '',
    notBefore: new Date(x.validFrom).toISOString(),
    notAfter: new Date(x.validTo).toISOString(),
  };
}

function ecKeyPair(): Promise<{ spki: Buffer; keyPem: string }> {
  return new Promise((resolve, reject) =>
    generateKeyPair('ec', { namedCurve: 'prime256v1', publicKeyEncoding: { type: 'spki', format: 'der' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } }, (err, spki, keyPem) =>
      err ? reject(err) : resolve({ spki, keyPem }),
    ),
  );
}

async function issueLeaf(h: CaHierarchy, o: IssueOptions & { sans?: { type: 'dns' | 'ip'; value: string }[]; organization: string }): Promise<IssuedCertificate> {
  const commonName = o.commonName ?? 'certflow';
  const notBefore = o.notBefore ?? new Date(Date.now() - 60_000);
  const notAfter = o.notAfter ?? new Date(notBefore.getTime() + (o.validityDays ?? 365) * DAY);
  const keys = await ecKeyPair();
  const leaf = await h.issue({
    spki: keys.spki,
    keyType: 'ec',
    subject: [{ C: ['CN'] }, { O: [o.organization] }, { CN: [commonName] }],
    sans: o.sans ?? [],
    notBefore,
    notAfter,
    // serverAuth + clientAuth, digitalSignature: right for both ends of the connection.
    profile: 'ssl',
    policyOid: ANY_POLICY,
  });
  const intermediate = h.chainPems()[1]!;
  return {
    certPem: `${leaf.pem.trim()}\n${intermediate.trim()}\n`,
    keyPem: keys.keyPem,
    fingerprint: pemFingerprint(leaf.pem),
    serialNumber: leaf.serialNumber,
    commonName,
    notBefore: leaf.notBefore,
    notAfter: leaf.notAfter,
  };
}

export class WosignDocPki {
  private constructor(
    private readonly server: CaHierarchy,
    private readonly client: CaHierarchy,
  ) {}

  static async create(material?: WosignDocCaMaterial): Promise<WosignDocPki> {
    if (material) return new WosignDocPki(await CaHierarchy.load('rsa', material.server), await CaHierarchy.load('rsa', material.client));
    const [server, client] = await Promise.all([CaHierarchy.create('rsa', SERVER_BRAND), CaHierarchy.create('rsa', CLIENT_BRAND)]);
    return new WosignDocPki(server, client);
  }

  /** The server CA's root: what a caller pins. */
  get caPem(): string {
    return this.server.chainPems()[0]!;
  }

  /** Server root, then intermediate. */
  get serverCaPems(): string[] {
    return this.server.chainPems();
  }

  /** Client root, then intermediate: the only CA the server trusts for client certificates. */
  get clientCaPems(): string[] {
    return this.client.chainPems();
  }

  material(): WosignDocCaMaterial {
    return { server: this.server.toMaterial(), client: this.client.toMaterial() };
  }

  serverCertificate(names: readonly string[]): Promise<IssuedCertificate> {
    const sans = [...new Set(names)].map((value) => ({ type: /^[\d.]+$|:/.test(value) ? ('ip' as const) : ('dns' as const), value }));
    return issueLeaf(this.server, { commonName: names[0] ?? 'localhost', sans, organization: 'WoSign CA Limited (simulated)', validityDays: 825 });
  }

  clientCertificate(o: IssueOptions = {}): Promise<IssuedCertificate> {
    return issueLeaf(this.client, { ...o, organization: 'WoSignDoc API user (simulated)' });
  }
}

let shared: Promise<WosignDocPki> | undefined;

/** The CA pair in-process simulators share. */
export function sharedPki(): Promise<WosignDocPki> {
  shared ??= WosignDocPki.create().catch((err: unknown) => {
    shared = undefined;
    throw err;
  });
  return shared;
}

let foreign: Promise<CaHierarchy> | undefined;

/**
 * A certificate from another CA for tests: the same names as the simulators' client CA
 * (a name match must not be enough), other keys, trusted by no simulator.
 */
export async function foreignClientCertificate(o: IssueOptions = {}): Promise<IssuedCertificate> {
  foreign ??= CaHierarchy.create('rsa', CLIENT_BRAND).catch((err: unknown) => {
    foreign = undefined;
    throw err;
  });
  return issueLeaf(await foreign, { ...o, organization: 'WoSignDoc API user (simulated)' });
}

export interface ClientCertificateView {
  fingerprint: string;
  serialNumber: string;
  commonName: string;
  notBefore: string;
  notAfter: string;
  issuedAt: string;
  /** The certificate certflow was started with (kept by reset). */
  initial: boolean;
  /** WoSign configured access for it ("发送给沃通配置访问授权"); not authorised: -80. */
  authorized: boolean;
  /** Revoked by the admin: -80. */
  revoked: boolean;
}

export type ClientCheck = 'ok' | 'none' | 'unknown' | 'unauthorized' | 'revoked' | 'expired';

/** The client certificates this simulator issued (or was given) and whether each may call. */
export class ClientRegistry {
  private readonly certs = new Map<string, ClientCertificateView>();

  add(c: Pick<IssuedCertificate, 'fingerprint' | 'serialNumber' | 'commonName' | 'notBefore' | 'notAfter'>, o: { authorized: boolean; initial: boolean }): ClientCertificateView {
    const view: ClientCertificateView = {
      fingerprint: c.fingerprint,
      serialNumber: c.serialNumber,
      commonName: c.commonName,
      notBefore: c.notBefore,
      notAfter: c.notAfter,
      issuedAt: new Date().toISOString(),
      initial: o.initial,
      authorized: o.authorized,
      revoked: false,
    };
    this.certs.set(c.fingerprint, view);
    return { ...view };
  }

  /** The peer's DER as `getPeerCertificate().raw` gives it (undefined: none). */
  check(raw: Buffer | undefined, now = Date.now()): ClientCheck {
    if (!raw || raw.length === 0) return 'none';
    const c = this.certs.get(fingerprintOf(raw));
    if (!c) return 'unknown';
    if (c.revoked) return 'revoked';
    if (!c.authorized) return 'unauthorized';
    if (now < Date.parse(c.notBefore) || now > Date.parse(c.notAfter)) return 'expired';
    return 'ok';
  }

  get(fingerprint: string): ClientCertificateView | undefined {
    const c = this.certs.get(fingerprint.toLowerCase().replace(/:/g, ''));
    return c && { ...c };
  }

  /** Undefined when unknown. */
  update(fingerprint: string, patch: { authorized?: boolean; revoked?: boolean }): ClientCertificateView | undefined {
    const c = this.certs.get(fingerprint.toLowerCase().replace(/:/g, ''));
    if (!c) return undefined;
    if (patch.authorized !== undefined) c.authorized = patch.authorized;
    if (patch.revoked !== undefined) c.revoked = patch.revoked;
    return { ...c };
  }

  list(): ClientCertificateView[] {
    return [...this.certs.values()].map((c) => ({ ...c }));
  }

  /** Only the initial certificate stays, authorised and not revoked: those issued since answer -80. */
  reset(): void {
    for (const [fp, c] of this.certs) {
      if (!c.initial) this.certs.delete(fp);
      else {
        c.authorized = true;
        c.revoked = false;
      }
    }
  }
}

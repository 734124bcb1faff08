/**
 * WoSign's chain (intermediates, and the root if given) from `ACMAPI_CHAIN_FILE`: ACMAPI's
 * answer carries only the leaf, so every certificate certflow delivers gets this chain.
 * Checked once, when the worker starts, so a wrong file stops the worker instead of failing
 * every certificate's verification later.
 */
import { X509Certificate as NodeX509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { x509 } from '../../lib/x509';
import { pemBlocks } from './pem';

const VARIABLE = 'ACMAPI_CHAIN_FILE';

interface ChainCertificate {
  /** 1-based position in the file, for messages. */
  n: number;
  pem: string;
  cert: x509.X509Certificate;
  /**
   * The same certificate for node:crypto. The worker builds its clients synchronously and
   * WebCrypto (behind @peculiar/x509's verify) is asynchronous; node:crypto's checkIssued and
   * verify are not, and cover SM2-with-SM3 links too (as `signedBy` in lib/x509 relies on).
   */
  node: NodeX509Certificate;
}

/** Reads and checks the chain file; the PEMs come back from the lowest intermediate up. */
export function readChainFile(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`${VARIABLE}: cannot read ${path}: ${(err as Error).message}`);
  }
  return parseChainPems(text, `${VARIABLE} (${path})`);
}

/**
 * The certificates of a chain file, checked: at least one, nothing but certificates, each an
 * X.509 CA certificate, and together one chain (each signed by the next; the top one
 * self-signed or issued by a root left out of the file). `source` names the file in errors.
 */
export function parseChainPems(text: string, source: string): string[] {
  const blocks = pemBlocks(text);
  const foreign = blocks.find((b) => b.label !== 'CERTIFICATE');
  if (foreign) throw new Error(`${source}: holds a ${foreign.label} block; only WoSign's CA certificates belong there`);
  if (blocks.length === 0) throw new Error(`${source}: no PEM certificate in it`);

  const certs = blocks.map((b, i) => parseCertificate(b.pem, i + 1, source));
  for (const c of certs) {
    if (!c.cert.getExtension(x509.BasicConstraintsExtension)?.ca) {
      throw new Error(`${source}: ${describe(c)} is not a CA certificate (no basicConstraints cA): the file holds WoSign's intermediates (and root), not a leaf`);
    }
    const twin = certs.find((o) => o.n < c.n && o.node.raw.equals(c.node.raw));
    if (twin) throw new Error(`${source}: ${describe(c)} repeats certificate ${twin.n}`);
  }
  return orderChain(certs, source).map((c) => c.pem);
}

function parseCertificate(pem: string, n: number, source: string): ChainCertificate {
  try {
    return { n, pem, cert: new x509.X509Certificate(pem), node: new NodeX509Certificate(pem) };
  } catch (err) {
    throw new Error(`${source}: certificate ${n} does not parse as X.509: ${(err as Error).message}`);
  }
}

/** `child` names `parent` as its issuer and carries its signature. */
function issuedBy(child: ChainCertificate, parent: ChainCertificate): boolean {
  try {
    return child.node.checkIssued(parent.node) && child.node.verify(parent.node.publicKey);
  } catch {
    return false;
  }
}

/** Bottom (issues none of the others) first, then each one's issuer, which must take in every certificate. */
function orderChain(certs: readonly ChainCertificate[], source: string): ChainCertificate[] {
  const parents = new Map(certs.map((c) => [c, certs.find((p) => p !== c && issuedBy(c, p))]));
  const bottoms = certs.filter((c) => !certs.some((o) => parents.get(o) === c));
  const [bottom] = bottoms;
  if (bottom === undefined || bottoms.length > 1) {
    const why = bottom === undefined ? 'they issue each other in a circle' : `${bottoms.map(describe).join(' and ')} each issue none of the others`;
    throw new Error(`${source}: the certificates do not form one chain: ${why}`);
  }
  const chain: ChainCertificate[] = [];
  for (let c: ChainCertificate | undefined = bottom; c !== undefined && !chain.includes(c); c = parents.get(c)) chain.push(c);
  const off = certs.filter((c) => !chain.includes(c));
  if (off.length > 0) {
    throw new Error(`${source}: the certificates do not form one chain: ${off.map(describe).join(' and ')} not on the chain up from ${describe(bottom)}`);
  }
  return chain;
}

function describe(c: ChainCertificate): string {
  return `certificate ${c.n} ("${c.cert.subject}")`;
}

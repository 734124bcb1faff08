/**
 * The platform "signs" after `signingDelayMs`. Not a real PDF signature (no PAdES, no
 * signature dictionary, no certificate of the signers): the document's bytes followed by a
 * deterministic trailer in PDF comment syntax,
 *
 *     \n%WoSignDoc-Simulated-Signature {"v":1,"signid":…,"orderNumber":…,"documentSha256":…,
 *       "documentBytes":…,"signers":[1,2],"encrypted":false,"mac":…}\n%%EOF\n
 *
 * where `mac` is HMAC-SHA256 under a fixed, public key (this is a simulation) over the JSON
 * without `mac`. A PDF stays readable (trailing incremental-update-like data after `%%EOF`),
 * the signed file differs from the source, its hash is a real SHA-256 of real bytes, and
 * readSimulatedSignature() gives back the original bytes for a test to compare. No personal
 * data (names, ID numbers, pictures) goes into the trailer: only signer types. A `password`
 * is recorded as `encrypted: true`; nothing is encrypted.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import type { SignType } from './checks';
import type { Counters } from './counters';
import type { FaultInjector } from './faults';
import type { OrderStore, SignOrder } from './orders';
import type { PushSender } from './pushes';
import type { Settings } from './settings';

export const SIGNATURE_MARK = '%WoSignDoc-Simulated-Signature ';
const SIGNATURE_KEY = 'certflow-wosigndoc-simulator: not a secret';

export interface SimulatedSignature {
  v: 1;
  signid: string;
  orderNumber: string;
  documentSha256: string;
  documentBytes: number;
  signers: SignType[];
  encrypted: boolean;
  mac: string;
}

const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');
const macOf = (body: string): string => createHmac('sha256', SIGNATURE_KEY).update(body).digest('hex');

/** The signed file: `document` then the trailer (one copy of the document's bytes). */
export function signDocument(document: Buffer, o: { signid: string; orderNumber: string; signers: SignType[]; encrypted: boolean }): { signed: Buffer; signature: SimulatedSignature } {
  const unsigned = { v: 1 as const, signid: o.signid, orderNumber: o.orderNumber, documentSha256: sha256(document), documentBytes: document.length, signers: o.signers, encrypted: o.encrypted };
  const signature: SimulatedSignature = { ...unsigned, mac: macOf(JSON.stringify(unsigned)) };
  const trailer = Buffer.from(`\n${SIGNATURE_MARK}${JSON.stringify(signature)}\n%%EOF\n`, 'utf8');
  return { signed: Buffer.concat([document, trailer]), signature };
}

/**
 * The original bytes and the trailer of a file signDocument made; `valid` when the mac and
 * the document's hash and length match. Undefined when there is no trailer.
 */
export function readSimulatedSignature(signed: Buffer): { document: Buffer; signature: SimulatedSignature; valid: boolean } | undefined {
  const at = signed.lastIndexOf(Buffer.from(`\n${SIGNATURE_MARK}`, 'utf8'));
  if (at < 0) return undefined;
  const start = at + 1 + Buffer.byteLength(SIGNATURE_MARK);
  const end = signed.indexOf(0x0a, start);
  let signature: SimulatedSignature;
  try {
    signature = JSON.parse(signed.subarray(start, end < 0 ? undefined : end).toString('utf8')) as SimulatedSignature;
  } catch {
    return undefined;
  }
  const document = signed.subarray(0, at);
  const { mac, ...unsigned } = signature;
  const expected = Buffer.from(macOf(JSON.stringify(unsigned)), 'hex');
  const got = Buffer.from(typeof mac === 'string' ? mac : '', 'hex');
  const valid = got.length === expected.length && timingSafeEqual(got, expected) && signature.documentBytes === document.length && signature.documentSha256 === sha256(document);
  return { document, signature, valid };
}

export interface SignerDeps {
  store: OrderStore;
  counters: Counters;
  faults: FaultInjector;
  pushes: PushSender;
  settings: () => Settings;
  log: Logger;
}

export class Signer {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly d: SignerDeps) {}

  schedule(order: SignOrder): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.sign(order);
    }, this.d.settings().signingDelayMs);
    this.timers.add(timer);
  }

  /** Cancels every pending signing (reset, close). */
  clear(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private sign(order: SignOrder): void {
    if (!this.d.store.holds(order) || order.state !== 'signing' || !order.document) return;
    const failure = this.d.faults.decideSigning();
    if (failure !== undefined) {
      order.state = 'failed';
      order.failure = failure;
      order.document = undefined;
      this.d.counters.signingsFailed++;
      this.d.log.info({ orderNumber: order.orderNumber, signid: order.signid, errorcode: failure, fault: 'failSignings' }, 'wosigndoc simulator: signing failed');
      this.d.pushes.start(order);
      return;
    }
    const { signed } = signDocument(order.document, { signid: order.signid, orderNumber: order.orderNumber, signers: order.signerTypes, encrypted: order.encrypted });
    order.document = undefined;
    order.signedSha256 = sha256(signed);
    order.signedBytes = signed.length;
    // Held as the pushed text (ASCII bytes): each push sends it without another copy.
    order.content = Buffer.from(signed.toString('base64'), 'latin1');
    order.state = 'signed';
    order.signedAt = new Date().toISOString();
    this.d.counters.signed++;
    this.d.log.info({ orderNumber: order.orderNumber, signid: order.signid, bytes: order.signedBytes }, 'wosigndoc simulator: signed');
    this.d.pushes.start(order);
  }
}

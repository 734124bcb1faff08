/**
 * Signing orders by the caller's `orderNumber` ("每份待签署合同在调用方平台唯一标识"): one
 * order per number, whoever's token — a repeat while signing is -47, after signing -46, and
 * never a second signing. An order whose signing failed (a push with status 0) may be created
 * again: that is a new signing with a new `signid`.
 *
 * Documents are held only as long as needed: the source until it is signed, the signed
 * content (base64, as pushed) until a push is acknowledged. Signer names, ID numbers and
 * pictures are never kept: only the signer types.
 */
import type { SignType } from './checks';

export const SIGN_STATES = ['signing', 'signed', 'failed'] as const;
export type SignState = (typeof SIGN_STATES)[number];

/** `none`: no callback address when signed (the admin re-pushes once one is set). */
export type PushOutcome = 'none' | 'pending' | 'acknowledged' | 'gaveUp';

export interface PushAttempt {
  at: string;
  /** 1-based round of the schedule (a re-push by the admin starts again at 1). */
  attempt: number;
  /** 1…copies under `duplicatePushes`. */
  copy: number;
  fault?: 'lost' | 'wrongHash';
  status?: number;
  /** The answer's body, trimmed, at most 100 characters. */
  answer?: string;
  error?: string;
  acknowledged: boolean;
}

export interface OrderPushes {
  outcome: PushOutcome;
  /** Requests made (copies included). */
  sent: number;
  /** Requests answered `1`. */
  acknowledged: number;
  /** Requests answered otherwise, or failed. */
  rejected: number;
  /** Attempts not sent (`lostPushes`). */
  lost: number;
  /** Requests with a wrong hash (`wrongHashPushes`). */
  wrongHash: number;
  /** Whether the schedule ran out (the last outcome, or an earlier round). */
  givenUp: boolean;
  /** The most recent attempts (at most 50). */
  attempts: PushAttempt[];
}

export interface SignOrder {
  orderNumber: string;
  signid: string;
  tokenid: string;
  state: SignState;
  createdAt: string;
  signedAt?: string;
  tempid?: string;
  subject: string;
  fileformat: string;
  encrypted: boolean;
  signerTypes: SignType[];
  positions: number;
  documentBytes: number;
  documentSha256: string;
  signedBytes?: number;
  /** Hex SHA-256 of the signed file: the push's `hash`. */
  signedSha256?: string;
  /** The push's `errorcode` when the signing failed. */
  failure?: string;
  pushes: OrderPushes;
  /** Until signed. */
  document?: Buffer;
  /** The signed file, base64 as ASCII bytes (the push's `content`), until acknowledged. */
  content?: Buffer;
  /** Bumped on reset and re-push: a late answer of an older round changes nothing. */
  round: number;
}

export type OrderView = Omit<SignOrder, 'document' | 'content' | 'round'> & { contentHeld: boolean };

export function orderView(o: SignOrder): OrderView {
  const { document: _document, content, round: _round, ...rest } = o;
  return { ...structuredClone(rest), contentHeld: content !== undefined };
}

export const newPushes = (): OrderPushes => ({ outcome: 'pending', sent: 0, acknowledged: 0, rejected: 0, lost: 0, wrongHash: 0, givenUp: false, attempts: [] });

export class OrderStore {
  private readonly orders = new Map<string, SignOrder>();

  get(orderNumber: string): SignOrder | undefined {
    return this.orders.get(orderNumber);
  }

  put(o: SignOrder): void {
    this.orders.set(o.orderNumber, o);
  }

  list(filter: { state?: SignState } = {}): SignOrder[] {
    return [...this.orders.values()].filter((o) => !filter.state || o.state === filter.state);
  }

  /** Whether `o` is still the order held under its number (not reset or replaced). */
  holds(o: SignOrder): boolean {
    return this.orders.get(o.orderNumber) === o;
  }

  clear(): void {
    this.orders.clear();
  }
}

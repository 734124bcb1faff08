/**
 * Order-status pushes (ca-apis.md §1.7, the document's §8.1): at most 3 attempts per event, a
 * 200 stops them. Two modes (settings `pushMode`): `document` sends what the document shows,
 * a bare unsigned JSON body; `signed` adds our own scheme,
 * `x-wotrus-signature: sha256=<hex HMAC-SHA256(secret, rawBody)>` (the document says pushes
 * are signed since V1.04 but never says how). The order id is spelled `orderId` (the
 * document) or `orderID` (its OCR copy), setting `pushOrderIdField`.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { Agent, request } from 'undici';
import type { Counters } from './counters';
import type { FaultInjector } from './faults';

export const PUSH_SIGNATURE_HEADER = 'x-wotrus-signature';

export interface PushEvent {
  orderId: string;
  isIssued: boolean;
  isRevoked: boolean;
}

export type PushMode = 'document' | 'signed';
export type PushOrderIdField = 'orderId' | 'orderID';

/** The exact body of the document's example, field order included (a signature covers these bytes). */
export function pushBody(e: PushEvent, orderIdField: PushOrderIdField = 'orderId'): string {
  return JSON.stringify({ dataAction: 'order', [orderIdField]: e.orderId, isIssued: e.isIssued, isRevoked: e.isRevoked });
}

export function signPushBody(secret: string, rawBody: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

export interface PushDelivery {
  deliveryId: string;
  orderId: string;
  body: string;
  attempts: { at: number; status?: number; error?: string }[];
  outcome: 'pending' | 'acknowledged' | 'dropped';
}

export interface PushSenderOptions {
  url: () => string | null;
  /** Used in `signed` mode only. */
  secret?: string;
  mode: () => PushMode;
  orderIdField: () => PushOrderIdField;
  retryDelaysMs: () => number[];
  timeoutMs: () => number;
  counters: Counters;
  faults: FaultInjector;
  log: Logger;
  /** How many recent deliveries the admin API can show. */
  historySize?: number;
}

export class PushSender {
  private readonly agent = new Agent({ connections: 64, keepAliveTimeout: 4_000, connect: { timeout: 2_000 } });
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly history: PushDelivery[] = [];
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private closed = false;

  constructor(private readonly o: PushSenderOptions) {
    if (o.mode() === 'signed' && !o.secret) o.log.warn('simulator: signed pushes but no push secret configured, pushes are sent unsigned');
  }

  /** Fire and forget: the order's state never waits on its push. */
  push(event: PushEvent): void {
    const url = this.o.url();
    if (!url || this.closed) return;
    const body = pushBody(event, this.o.orderIdField());
    const delivery: PushDelivery = { deliveryId: randomUUID(), orderId: event.orderId, body, attempts: [], outcome: 'pending' };
    this.remember(delivery);
    if (this.o.faults.shouldDropPush()) {
      delivery.outcome = 'dropped';
      this.o.counters.pushes.dropped++;
      this.o.log.info({ orderId: event.orderId }, 'simulator: push dropped by fault injection');
      return;
    }
    this.inFlight++;
    void this.attempt(url, delivery, 0);
  }

  recent(limit = 100): PushDelivery[] {
    return this.history.slice(-Math.min(limit, this.o.historySize ?? 1_000));
  }

  /** Resolves when no push is pending (tests wait on it instead of sleeping). */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.inFlight = 0;
    this.settle();
    await this.agent.destroy().catch(() => undefined);
  }

  private remember(d: PushDelivery): void {
    this.history.push(d);
    // Trimmed in batches: shifting a long array on every push would make each push O(size).
    const size = this.o.historySize ?? 1_000;
    if (this.history.length > 2 * size) this.history.splice(0, this.history.length - size);
  }

  private settle(): void {
    if (this.inFlight > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private finish(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    this.settle();
  }

  private async attempt(url: string, d: PushDelivery, n: number): Promise<void> {
    if (this.closed) return;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'WoTrus-Simulator-Push/1.0',
      'x-wotrus-delivery': d.deliveryId,
    };
    if (this.o.mode() === 'signed' && this.o.secret) headers[PUSH_SIGNATURE_HEADER] = signPushBody(this.o.secret, d.body);
    const record: PushDelivery['attempts'][number] = { at: Date.now() };
    d.attempts.push(record);
    this.o.counters.pushes.sent++;
    let ok = false;
    try {
      const timeout = this.o.timeoutMs();
      const res = await request(url, {
        method: 'POST',
        body: d.body,
        headers,
        dispatcher: this.agent,
        // undici's own timers, no AbortSignal: per-attempt signals cost more than the push at load;
        // close() destroys the agent, which aborts whatever is in flight.
        headersTimeout: timeout,
        bodyTimeout: timeout,
      });
      await res.body.dump();
      record.status = res.statusCode;
      ok = res.statusCode === 200; // the document: "a 200 OK stops the retries", nothing else does
    } catch (err) {
      record.error = (err as Error).message;
    }
    if (this.closed) return;
    if (ok) {
      d.outcome = 'acknowledged';
      this.o.counters.pushes.acknowledged++;
      this.finish();
      return;
    }
    this.o.counters.pushes.failed++;
    const delays = this.o.retryDelaysMs();
    if (n >= delays.length) {
      d.outcome = 'dropped';
      this.o.counters.pushes.dropped++;
      this.o.log.warn({ orderId: d.orderId, attempts: d.attempts.length, last: record }, 'simulator: push gave up');
      this.finish();
      return;
    }
    const t = setTimeout(() => {
      this.timers.delete(t);
      void this.attempt(url, d, n + 1);
    }, delays[n]);
    this.timers.add(t);
  }
}

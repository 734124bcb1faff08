/**
 * `notify_url` callbacks. The document only says "具体通知参数请见`通知回调`" (see the callback
 * page, not at hand): the body is INFERRED, the sketch in src/ca/reseller/inferred.ts
 * (`InferredCallbackBody`: `{ service_id, caid, status }`), POSTed as JSON, unauthenticated.
 * Best effort: a 2xx stops; otherwise retried after each of RETRY_DELAYS_MS (INFERRED).
 */
import type { Logger } from 'pino';
import type { InferredCallbackBody } from '../../../src/ca/reseller/inferred';
import type { ResellerCounters } from './counters';

export const RETRY_DELAYS_MS = [200, 1_000];

export interface CallbackDelivery {
  serviceId: string;
  url: string;
  body: InferredCallbackBody;
  attempts: { at: string; status?: number; error?: string }[];
  outcome: 'pending' | 'acknowledged' | 'failed';
}

export class CallbackSender {
  private readonly deliveries: CallbackDelivery[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly o: { timeoutMs: number; counters: ResellerCounters; log: Logger }) {}

  send(url: string, body: InferredCallbackBody): void {
    if (this.closed) return;
    const d: CallbackDelivery = { serviceId: body.service_id, url, body, attempts: [], outcome: 'pending' };
    this.deliveries.push(d);
    if (this.deliveries.length > 1_000) this.deliveries.shift();
    void this.attempt(d, 0);
  }

  list(): CallbackDelivery[] {
    return structuredClone(this.deliveries);
  }

  clear(): void {
    this.deliveries.length = 0;
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private async attempt(d: CallbackDelivery, n: number): Promise<void> {
    if (this.closed) return;
    const record: CallbackDelivery['attempts'][number] = { at: new Date().toISOString() };
    d.attempts.push(record);
    this.o.counters.bump('callbacksSent');
    try {
      const res = await fetch(d.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'Reseller-Simulator-Notify/1.0' },
        body: JSON.stringify(d.body),
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
      record.status = res.status;
      await res.body?.cancel();
      if (res.ok) {
        d.outcome = 'acknowledged';
        this.o.counters.bump('callbacksAcknowledged');
        return;
      }
    } catch (err) {
      record.error = (err as Error).message;
    }
    const delay = RETRY_DELAYS_MS[n];
    if (delay === undefined || this.closed) {
      d.outcome = 'failed';
      this.o.log.info({ serviceId: d.serviceId, url: d.url, attempts: d.attempts }, 'reseller simulator: callback given up');
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.attempt(d, n + 1);
    }, delay);
    this.timers.add(timer);
  }
}

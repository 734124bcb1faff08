/**
 * `PushSignedDoc` (document §3.2): POST to the callback address, repeated on a schedule until
 * an answer is `1` — "返回1接收表示接收成功且文件校验正确,返回非1或未返回本平台会定时请求回调地址
 * 来推送数据" (answering 1 means received and verified; anything else, or no answer, and the
 * platform pushes again later). Read here as: an HTTP 2xx whose body, trimmed, is exactly `1`;
 * every other answer, a failed connection or a timeout is "not 1". The schedule is
 * `pushRetryDelaysMs` (1 + its length attempts), then the order's pushes are given up (an
 * admin re-push starts a new round).
 *
 * The body is sent as three parts around the base64 content, never joined into one string.
 */
import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { Agent, request } from 'undici';
import type { Counters } from './counters';
import type { FaultInjector } from './faults';
import { type OrderStore, type PushAttempt, type SignOrder } from './orders';
import { type PushFields, pushBodyParts } from './protocol';
import type { Settings } from './settings';

export interface PushSenderDeps {
  store: OrderStore;
  counters: Counters;
  faults: FaultInjector;
  settings: () => Settings;
  /** Trust for an https:// callback address (default: the system's). */
  callbackCaPem?: string;
  log: Logger;
}

const MAX_ATTEMPTS_KEPT = 50;
const EMPTY = Buffer.alloc(0);

/** Another hex digit first: the same length and form, a different hash. */
export function wrongHash(hash: string): string {
  return `${hash.startsWith('0') ? '1' : '0'}${hash.slice(1)}`;
}

export class PushSender {
  private readonly agent: Agent;
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly d: PushSenderDeps) {
    this.agent = new Agent({ connections: 32, keepAliveTimeout: 4_000, connect: { timeout: 2_000, ...(d.callbackCaPem ? { ca: d.callbackCaPem } : {}) } });
  }

  /** A new round of pushes for a signed (or failed) order, the first at once. */
  start(order: SignOrder): void {
    if (this.closed) return;
    order.round++;
    order.pushes.outcome = 'pending';
    void this.attempt(order, order.round, 1);
  }

  /** Cancels every scheduled push (reset). */
  clear(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.clear();
    await this.agent.destroy().catch(() => undefined);
  }

  private current(order: SignOrder, round: number): boolean {
    return !this.closed && this.d.store.holds(order) && order.round === round;
  }

  private record(order: SignOrder, a: PushAttempt): void {
    order.pushes.attempts.push(a);
    if (order.pushes.attempts.length > MAX_ATTEMPTS_KEPT) order.pushes.attempts.shift();
  }

  private async attempt(order: SignOrder, round: number, n: number): Promise<void> {
    if (!this.current(order, round)) return;
    const s = this.d.settings();
    const url = s.callbackUrl;
    if (!url) {
      order.pushes.outcome = 'none';
      this.d.log.warn({ orderNumber: order.orderNumber }, 'wosigndoc simulator: no callback address, nothing pushed');
      return;
    }
    const f = this.d.faults.decidePush();
    let acknowledged = false;
    if (f.lost) {
      this.d.counters.pushes.lost++;
      order.pushes.lost++;
      this.record(order, { at: new Date().toISOString(), attempt: n, copy: 1, fault: 'lost', acknowledged: false });
      this.d.log.info({ orderNumber: order.orderNumber, attempt: n, fault: 'lostPushes' }, 'wosigndoc simulator: push lost');
    } else {
      if (f.copies > 1) this.d.counters.pushes.duplicates += f.copies - 1;
      const copies = Array.from({ length: f.copies }, (_, i) => this.send(url, order, s, { attempt: n, copy: i + 1, wrongHash: f.wrongHash }));
      acknowledged = (await Promise.all(copies)).some(Boolean);
    }
    if (!this.current(order, round)) return;
    if (acknowledged) {
      order.pushes.outcome = 'acknowledged';
      order.content = undefined;
      this.d.counters.pushes.acknowledged++;
      return;
    }
    const delay = s.pushRetryDelaysMs[n - 1];
    if (delay === undefined) {
      order.pushes.outcome = 'gaveUp';
      order.pushes.givenUp = true;
      this.d.counters.pushes.givenUp++;
      this.d.log.warn({ orderNumber: order.orderNumber, attempts: n }, 'wosigndoc simulator: pushes given up');
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.attempt(order, round, n + 1);
    }, delay);
    this.timers.add(timer);
  }

  /** One request; true when answered `1`. */
  private async send(url: string, order: SignOrder, s: Settings, o: { attempt: number; copy: number; wrongHash: boolean }): Promise<boolean> {
    const signed = order.state === 'signed';
    const hash = signed ? (o.wrongHash ? wrongHash(order.signedSha256 ?? '') : (order.signedSha256 ?? '')) : '';
    const fields: PushFields = { status: signed ? 1 : 0, errorcode: signed ? '0' : (order.failure ?? '-69'), signid: order.signid, orderNumber: order.orderNumber, hash };
    const { before, after } = pushBodyParts(fields, { orderNumberField: s.pushOrderNumberField, extendData: s.pushExtendData });
    const content = signed ? (order.content ?? EMPTY) : EMPTY;
    const record: PushAttempt = { at: new Date().toISOString(), attempt: o.attempt, copy: o.copy, acknowledged: false };
    if (o.wrongHash && signed) {
      record.fault = 'wrongHash';
      this.d.counters.pushes.wrongHash++;
      order.pushes.wrongHash++;
    }
    this.record(order, record);
    this.d.counters.pushes.sent++;
    order.pushes.sent++;
    try {
      const res = await request(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json; charset=utf-8',
          'content-length': String(before.length + content.length + after.length),
          'user-agent': 'WoSignDoc-Simulator-Push/1.0',
        },
        body: Readable.from([before, content, after]),
        dispatcher: this.agent,
        headersTimeout: s.pushTimeoutMs,
        bodyTimeout: s.pushTimeoutMs,
      });
      const answer = (await res.body.text()).trim();
      record.status = res.statusCode;
      record.answer = answer.slice(0, 100);
      record.acknowledged = res.statusCode >= 200 && res.statusCode < 300 && answer === '1';
    } catch (err) {
      record.error = (err as Error).message;
      this.d.counters.pushes.failed++;
    }
    if (record.acknowledged) order.pushes.acknowledged++;
    else {
      order.pushes.rejected++;
      if (record.error === undefined) this.d.counters.pushes.rejected++;
    }
    return record.acknowledged;
  }
}

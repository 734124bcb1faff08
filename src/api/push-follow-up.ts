/**
 * Pushes that found no order, looked up again for a few seconds. A CA often pushes the
 * first status of a new order before the order's `CaOrderId` is searchable (Temporal's
 * visibility is eventually consistent): the push is answered 404 at once, as the CA
 * expects, but kept here and delivered as soon as the look-up finds its workflow — instead
 * of waiting for the CA's own retry (up to a second later, and only three attempts) or for
 * the workflow's next poll (a minute later) once the CA's three attempts have all been refused.
 *
 * Per process, in memory, bounded: a push is only a hint, and losing one costs a poll.
 */
import type { CaPushSignal } from '../workflows/messages';
import type { PushDedupe } from './push-dedupe';

/**
 * Signals a push to every workflow holding its CA order id (an order and, during a reissue or
 * revocation, its child): how many took it, and the first refusal when none did.
 */
export async function signalEach(workflowIds: readonly string[], push: CaPushSignal, signal: PushFollowUpDeps['signal']): Promise<{ signalled: number; failure?: unknown }> {
  const results = await Promise.allSettled(workflowIds.map((id) => signal(id, push)));
  const signalled = results.filter((r) => r.status === 'fulfilled').length;
  return { signalled, failure: signalled === 0 ? (results[0] as PromiseRejectedResult | undefined)?.reason : undefined };
}

export interface PushFollowUpDeps {
  find(caOrderId: string): Promise<string[]>;
  signal(workflowId: string, push: CaPushSignal): Promise<void>;
  /** Shared with the route: whoever delivers a push first claims its key, the other skips. */
  dedupe: PushDedupe;
  log?: (fields: Record<string, unknown>, message: string) => void;
  /** Waits before each new look-up; the total is how long a push is kept (default 6 s). */
  delaysMs?: readonly number[];
  /** Pushes kept at most; beyond it new ones are not kept (a flood of unknown orders). */
  maxHeld?: number;
}

export interface PushFollowUp {
  hold(key: string, push: CaPushSignal): void;
  readonly held: number;
  /** Counters since start, for logs and tests. */
  readonly stats: { held: number; delivered: number; expired: number; refused: number };
  close(): void;
}

/**
 * After the CA's own retries (WoTrus: 3 attempts within ~1.2 s), then twice more: a push is
 * kept ~6 s. Starting earlier only doubled the CA's retries: at the benchmark's zero-delay
 * flood, look-ups every 0.1–3.2 s cost ~10 % of the throughput (the dev server's CPU).
 */
export const FOLLOW_UP_DELAYS_MS = [1_500, 1_500, 3_000] as const;

export function createPushFollowUp({ find, signal, dedupe, log, delaysMs = FOLLOW_UP_DELAYS_MS, maxHeld = 500 }: PushFollowUpDeps): PushFollowUp {
  const timers = new Map<string, NodeJS.Timeout>();
  const stats = { held: 0, delivered: 0, expired: 0, refused: 0 };

  function schedule(key: string, push: CaPushSignal, step: number): void {
    if (step >= delaysMs.length) {
      timers.delete(key);
      stats.expired++;
      return;
    }
    const timer = setTimeout(() => void attempt(key, push, step), delaysMs[step]);
    timer.unref();
    timers.set(key, timer);
  }

  async function attempt(key: string, push: CaPushSignal, step: number): Promise<void> {
    let workflowIds: string[] = [];
    try {
      workflowIds = await find(push.caOrderId);
    } catch {
      // Temporal unreachable for a moment: the next step looks again.
    }
    if (workflowIds.length === 0) return schedule(key, push, step + 1);
    timers.delete(key);
    // The CA's own retry may have got through meanwhile.
    if (!dedupe.claim(key)) return;
    const { signalled } = await signalEach(workflowIds, push, signal);
    if (signalled === 0) {
      dedupe.release(key);
      return;
    }
    stats.delivered++;
    log?.({ caOrderId: push.caOrderId, workflows: signalled, afterMs: delaysMs.slice(0, step + 1).reduce((a, b) => a + b, 0) }, 'CA push delivered after its order became searchable');
  }

  return {
    hold(key, push) {
      if (timers.has(key)) return;
      if (timers.size >= maxHeld) {
        stats.refused++;
        return;
      }
      stats.held++;
      schedule(key, push, 0);
    },
    get held() {
      return timers.size;
    },
    stats,
    close() {
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
    },
  };
}

/**
 * Pushes that found no order, looked up again for a few seconds. A CA often pushes the
 * first status of a new order before the order's `CaOrderId` is searchable (Temporal's
 * visibility is eventually consistent): the push is answered 404 at once, as the CA
 * expects, but kept here and delivered as soon as a look-up finds its workflow — instead
 * of waiting for the CA's own retry (up to a second later, and only three attempts) or for
 * the workflow's next poll once the CA's three attempts have all been refused.
 *
 * Per process, in memory, bounded: a push is only a hint, and losing one costs a poll. Each
 * look-up here takes a token of the receiver's global budget like any other (`find` answers
 * undefined when there is none and the step is skipped), so a flood of pushes for unknown
 * orders costs at most the budget's look-ups.
 */
import type { CaPushSignal } from '../workflows/messages';

export interface PushFollowUpDeps {
  /** A fresh look-up (never the negative cache); undefined when over budget. */
  find(caOrderId: string, push: CaPushSignal): Promise<string[] | undefined>;
  /** Delivers to the workflows found (through the per-order window); resolves true when taken or deferred. */
  deliver(push: CaPushSignal, workflowIds: string[]): Promise<boolean>;
  log?: (fields: Record<string, unknown>, message: string) => void;
  /** Waits before each new look-up; the total is how long a push is kept (default 6 s). */
  delaysMs?: readonly number[];
  /** Pushes kept at most; beyond it new ones are not kept (a flood of unknown orders). */
  maxHeld?: number;
}

export interface PushFollowUp {
  /** Keeps a push for its CA order (the latest push of an order replaces an earlier one). */
  hold(push: CaPushSignal): void;
  readonly held: number;
  /** Counters since start, for the stats route, logs and tests. */
  readonly stats: { held: number; delivered: number; expired: number; refused: number; skipped: number };
  close(): void;
}

/**
 * After the CA's own retries (WoTrus: 3 attempts within ~1.2 s), then twice more: a push is
 * kept ~6 s. Starting earlier only doubled the CA's retries: at the benchmark's zero-delay
 * flood, look-ups every 0.1–3.2 s cost ~10 % of the throughput (the dev server's CPU).
 */
export const FOLLOW_UP_DELAYS_MS = [1_500, 1_500, 3_000] as const;

export function createPushFollowUp({ find, deliver, log, delaysMs = FOLLOW_UP_DELAYS_MS, maxHeld = 500 }: PushFollowUpDeps): PushFollowUp {
  const held = new Map<string, { push: CaPushSignal; timer: NodeJS.Timeout }>();
  const stats = { held: 0, delivered: 0, expired: 0, refused: 0, skipped: 0 };

  function schedule(id: string, push: CaPushSignal, step: number): void {
    if (step >= delaysMs.length) {
      held.delete(id);
      stats.expired++;
      return;
    }
    const timer = setTimeout(() => void attempt(id, step), delaysMs[step]);
    timer.unref();
    held.set(id, { push, timer });
  }

  async function attempt(id: string, step: number): Promise<void> {
    const entry = held.get(id);
    if (!entry) return;
    let workflowIds: string[] | undefined;
    try {
      workflowIds = await find(id, held.get(id)?.push ?? entry.push);
      if (workflowIds === undefined) stats.skipped++;
    } catch {
      // Temporal unreachable for a moment: the next step looks again.
    }
    // The latest push of this order, should another have been held meanwhile.
    const push = held.get(id)?.push ?? entry.push;
    if (!workflowIds || workflowIds.length === 0) return schedule(id, push, step + 1);
    held.delete(id);
    if (!(await deliver(push, workflowIds).catch(() => false))) return;
    stats.delivered++;
    log?.({ caOrderId: id, workflows: workflowIds.length, afterMs: delaysMs.slice(0, step + 1).reduce((a, b) => a + b, 0) }, 'CA push delivered after its order became searchable');
  }

  return {
    hold(push) {
      const entry = held.get(push.caOrderId);
      if (entry) {
        entry.push = push;
        return;
      }
      if (held.size >= maxHeld) {
        stats.refused++;
        return;
      }
      stats.held++;
      schedule(push.caOrderId, push, 0);
    },
    get held() {
      return held.size;
    },
    stats,
    close() {
      for (const e of held.values()) clearTimeout(e.timer);
      held.clear();
    },
  };
}

/**
 * What the push receiver does with a readable order push, once verified: route it to the
 * workflows that wait on its CA order, within three bounds (docs/pushes.md).
 *
 * - **Per CA order**, a window (`push-debounce.ts`): one delivery at once, the rest folded
 *   into one trailing delivery at the window's end.
 * - **Globally**, a token bucket (`token-bucket.ts`): each delivery — its look-up and its
 *   signals — takes a token; without one the push is acknowledged and not acted on.
 * - **Routing** without a visibility query per push: a positive cache (CA order id →
 *   workflow ids; dropped when a signal finds the workflow gone, bypassed by a push whose
 *   revocation flag differs from the one it was built for) and a negative cache (ids
 *   just looked up and found nowhere, answered 404 with no look-up and no token). Orders too
 *   new to be searchable are looked up again by the follow-up (`push-follow-up.ts`).
 *
 * A push never changes an order: the signal only makes it read the CA's status now.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { OrderNotFoundError } from '../orders/errors';
import type { CaPushSignal } from '../workflows/messages';
import { createPushDebounce } from './push-debounce';
import { createPushFollowUp, FOLLOW_UP_DELAYS_MS } from './push-follow-up';
import { PUSH_REFUSALS, type PushRefusal, type PushStats } from './schemas';
import { createTokenBucket } from './token-bucket';
import { createTtlLru } from './ttl-lru';

export type DispatchOutcome =
  | { action: 'signalled'; workflows: number }
  | { action: 'deferred' }
  | { action: 'throttled' }
  | { action: 'unknown' };

interface Log {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  debug(fields: Record<string, unknown>, message: string): void;
}

export interface PushDispatcherOptions {
  find(caOrderId: string): Promise<string[]>;
  signal(workflowId: string, push: CaPushSignal): Promise<void>;
  log: Log;
  windowMs: number;
  ratePerSec: number;
  burst: number;
  /** Shown in the stats. */
  settings: Pick<PushStats['settings'], 'verify' | 'allowFrom'>;
  /** Positive cache: how long a CA order's workflows are trusted without a look-up (default 60 s). */
  cacheTtlMs?: number;
  /**
   * Negative cache: how long an id found nowhere is answered 404 without a look-up (default
   * 1 s): long enough to fold a flood into one look-up, short enough that the CA's later
   * retry of a new order's first push (WoTrus: 3 attempts; the simulator's within 1.2 s)
   * looks again and gets its 200 once the order is searchable.
   */
  negativeTtlMs?: number;
  cacheEntries?: number;
  followUpDelaysMs?: readonly number[];
  /** One warn line per refusal reason per interval, with how many were not logged (default 10 s). */
  warnIntervalMs?: number;
  now?: () => number;
}

export interface PushDispatcher {
  dispatch(push: CaPushSignal): Promise<DispatchOutcome>;
  /** Counts and logs (rate-limited) a push refused before dispatch. Never given the body. */
  refuse(reason: PushRefusal, fields?: Record<string, unknown>): void;
  ignored(): void;
  failed(): void;
  stats(): PushStats;
  close(): void;
}

const isNotFound = (err: unknown): boolean => err instanceof OrderNotFoundError || err instanceof WorkflowNotFoundError || (err as Error | undefined)?.name === 'WorkflowNotFoundError';

export function createPushDispatcher(o: PushDispatcherOptions): PushDispatcher {
  const now = o.now ?? Date.now;
  const since = new Date(now()).toISOString();
  const budget = createTokenBucket({ ratePerSec: o.ratePerSec, burst: o.burst, now });
  // The revocation flag of the push that was routed with the entry: a revocation is a new
  // event that may concern a workflow started since — a revocation child takes the order's
  // own CA order id — so it is looked up afresh (within its token). Issuance is not: no
  // workflow starts on a CA order id when it is issued, and at zero CA delay the issued
  // push follows the first one within a second (bench: one look-up per order saved).
  const known = createTtlLru<{ workflowIds: string[]; flags: string }>({ ttlMs: o.cacheTtlMs ?? 60_000, maxEntries: o.cacheEntries ?? 10_000, now });
  const unknown = createTtlLru<true>({ ttlMs: o.negativeTtlMs ?? 1_000, maxEntries: o.cacheEntries ?? 10_000, now });
  const counts = { received: 0, signalled: 0, deferred: 0, ignored: 0, failed: 0, lookUps: 0, hits: 0, negativeHits: 0, invalidated: 0 };
  const refused = Object.fromEntries(PUSH_REFUSALS.map((r) => [r, 0])) as Record<PushRefusal, number>;

  const warnEvery = o.warnIntervalMs ?? 10_000;
  const lastWarn = new Map<PushRefusal, { at: number; suppressed: number }>();
  function refuse(reason: PushRefusal, fields: Record<string, unknown> = {}): void {
    refused[reason]++;
    const last = lastWarn.get(reason);
    const at = now();
    if (last && at - last.at < warnEvery) {
      last.suppressed++;
      return;
    }
    lastWarn.set(reason, { at, suppressed: 0 });
    o.log.warn({ ...fields, reason, refusedSoFar: refused[reason], notLoggedSinceLast: last?.suppressed ?? 0 }, `CA push refused: ${reason}`);
  }

  /** Signals every workflow; not-found ones are reported apart (the cache entry is stale). */
  async function signalEach(workflowIds: readonly string[], push: CaPushSignal): Promise<{ signalled: number; gone: number; failure?: unknown }> {
    const results = await Promise.allSettled(workflowIds.map((id) => o.signal(id, push)));
    const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
    return { signalled: results.length - failures.length, gone: failures.filter(isNotFound).length, failure: failures.find((f) => !isNotFound(f)) ?? failures[0] };
  }

  const flagsOf = (p: CaPushSignal): string => (p.isRevoked ? 'revoked' : 'live');

  async function lookUp(caOrderId: string, push: CaPushSignal): Promise<string[]> {
    counts.lookUps++;
    const ids = await o.find(caOrderId);
    if (ids.length > 0) {
      known.set(caOrderId, { workflowIds: ids, flags: flagsOf(push) });
      unknown.delete(caOrderId);
    } else {
      unknown.set(caOrderId, true);
    }
    return ids;
  }

  /** Signals workflows just found; throws when none took it. */
  async function signalFound(caOrderId: string, workflowIds: string[], push: CaPushSignal): Promise<number> {
    const r = await signalEach(workflowIds, push);
    if (r.gone > 0) known.delete(caOrderId);
    if (r.signalled === 0) throw r.failure;
    return r.signalled;
  }

  /** One delivery: a token, then the cached workflows or a look-up, then the signals. */
  async function deliver(push: CaPushSignal): Promise<DispatchOutcome> {
    const id = push.caOrderId;
    if (unknown.get(id)) {
      counts.negativeHits++;
      refuse('unknown-order', { caOrderId: id, cached: true });
      return { action: 'unknown' };
    }
    if (!budget.take()) {
      refuse('over-budget', { caOrderId: id });
      return { action: 'throttled' };
    }
    const cached = known.get(id);
    if (cached && cached.flags === flagsOf(push)) {
      counts.hits++;
      const r = await signalEach(cached.workflowIds, push);
      if (r.gone > 0) {
        known.delete(id);
        counts.invalidated++;
      }
      if (r.signalled > 0) return { action: 'signalled', workflows: r.signalled };
      if (r.gone === 0) throw r.failure;
      // Every cached workflow has ended: look again (within the same token).
    }
    const found = await lookUp(id, push);
    if (found.length === 0) {
      followUp.hold(push);
      refuse('unknown-order', { caOrderId: id });
      return { action: 'unknown' };
    }
    return { action: 'signalled', workflows: await signalFound(id, found, push) };
  }

  const debounce = createPushDebounce({
    windowMs: o.windowMs,
    deliver: async (push) => {
      try {
        const r = await deliver(push);
        if (r.action === 'signalled') o.log.info({ caOrderId: push.caOrderId, workflows: r.workflows, trailing: true }, 'CA push signalled');
        return r.action === 'signalled';
      } catch (err) {
        o.log.warn({ caOrderId: push.caOrderId, err: (err as Error | undefined)?.message }, 'trailing CA push not delivered; the order\'s poll covers it');
        return false;
      }
    },
  });

  const followUp = createPushFollowUp({
    delaysMs: o.followUpDelaysMs ?? FOLLOW_UP_DELAYS_MS,
    find: async (caOrderId, push) => (budget.take() ? lookUp(caOrderId, push) : undefined),
    deliver: async (push, workflowIds) => {
      if (!debounce.offer(push)) {
        counts.deferred++;
        return true;
      }
      try {
        await signalFound(push.caOrderId, workflowIds, push);
        return true;
      } catch {
        debounce.release(push.caOrderId);
        return false;
      }
    },
    log: (fields, message) => o.log.info(fields, message),
  });

  return {
    async dispatch(push) {
      counts.received++;
      if (!debounce.offer(push)) {
        counts.deferred++;
        o.log.debug({ caOrderId: push.caOrderId }, 'CA push deferred to the end of its window');
        return { action: 'deferred' };
      }
      let outcome: DispatchOutcome;
      try {
        outcome = await deliver(push);
      } catch (err) {
        debounce.release(push.caOrderId);
        throw err;
      }
      if (outcome.action === 'signalled') counts.signalled++;
      else if (outcome.action === 'unknown') {
        // Pushes deferred meanwhile would only look again at the window's end: the follow-up
        // already looks for this id, so it takes the latest of them instead.
        const pending = debounce.drop(push.caOrderId);
        if (pending) followUp.hold(pending);
      } else debounce.release(push.caOrderId);
      return outcome;
    },
    refuse,
    ignored: () => void counts.ignored++,
    failed: () => void counts.failed++,
    stats: () => ({
      since,
      settings: { ...o.settings, windowMs: o.windowMs, ratePerSec: o.ratePerSec, burst: o.burst },
      received: counts.received,
      signalled: counts.signalled,
      deferred: counts.deferred,
      trailingDelivered: debounce.stats.trailingDelivered,
      ignored: counts.ignored,
      refused: { ...refused },
      failed: counts.failed,
      lookUps: counts.lookUps,
      cache: { hits: counts.hits, negativeHits: counts.negativeHits, invalidated: counts.invalidated, entries: known.size, negativeEntries: unknown.size },
      followUp: { ...followUp.stats, pending: followUp.held },
      budgetAvailable: Math.floor(budget.available * 100) / 100,
    }),
    close() {
      debounce.close();
      followUp.close();
    },
  };
}

/** Placing orders through the API and watching them, with a progress line per phase. */
import type { OrderRequestInput } from '../../../src/domain/order';
import { SIM_PRODUCT_IDS } from '../../../tools/simulators/wotrus/catalog';
import { generateCsr, generateKeyPair } from '../../../tools/simulators/wotrus/csr';
import type { OrderState } from '../../../src/domain/order-states';
import type { OrderView } from '../../../src/domain/order-view';
import { orderWorkflowId } from '../../../src/domain/workflow-ids';
import type { FaultStack, Log } from './fault-stack';

let keys: ReturnType<typeof generateKeyPair> | undefined;

/** The host name of a billing order's certificate: its own, so the CA's records can be looked up by domain. */
export function orderDomain(billingOrderId: string): string {
  return `${billingOrderId.toLowerCase().replace(/[^a-z0-9-]/g, '-')}.faults.example.com`;
}

/** A DV order (WoTrus unless another product is given) with its own host name; one EC key for all (key generation is not under test). */
export async function orderBody(billingOrderId: string, productId: string = SIM_PRODUCT_IDS.rsaDv): Promise<OrderRequestInput> {
  keys ??= generateKeyPair('ec');
  const commonName = orderDomain(billingOrderId);
  const csr = await generateCsr({ commonName, keys: await keys });
  return { billingOrderId, productId, commonName, csr: csr.csrPem, month: 12 };
}

export function orderIds(prefix: string, n: number): string[] {
  const run = Date.now().toString(36);
  return Array.from({ length: n }, (_, i) => `${prefix}-${run}-${String(i + 1).padStart(4, '0')}`);
}

/** Runs `fn` over `items` with at most `limit` at once. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (;;) {
        const i = next++;
        if (i >= items.length) return;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

export interface PlaceOutcome {
  id: string;
  status: number;
  created?: boolean;
  attempts: number;
}

/**
 * POSTs each order; a 503 (Temporal briefly unreachable) is retried as a billing system would,
 * with the same body, which the API answers idempotently.
 */
export async function placeOrders(stack: FaultStack, ids: readonly string[], opts: { concurrency?: number; retryFor?: number; productId?: string } = {}): Promise<PlaceOutcome[]> {
  return pool(ids, opts.concurrency ?? 16, async (id) => {
    const body = await orderBody(id, opts.productId);
    const until = Date.now() + (opts.retryFor ?? 120_000);
    for (let attempts = 1; ; attempts++) {
      let status = 0;
      let created: boolean | undefined;
      try {
        const r = await stack.api('/v1/orders', { body });
        status = r.status;
        const j = (await r.json()) as { created?: boolean };
        created = j.created;
      } catch {
        status = 0;
      }
      if (status === 202 || Date.now() > until || (status >= 400 && status < 500)) return { id, status, created, attempts };
      await new Promise((r) => setTimeout(r, 1000));
    }
  });
}

export function countStates(states: Iterable<string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of states) out[s] = (out[s] ?? 0) + 1;
  return out;
}

export function formatStates(c: Record<string, number>): string {
  return Object.entries(c)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

/**
 * Polls visibility until `done(states of ids)` holds or the timeout passes; prints a progress
 * line when the counts change (and at least every 15 s). Returns the last states seen.
 */
export async function waitForStates(
  stack: FaultStack,
  ids: readonly string[],
  o: { label: string; log: Log; done: (counts: Record<string, number>) => boolean; timeoutMs: number; extra?: () => string; intervalMs?: number },
): Promise<{ ok: boolean; counts: Record<string, number>; states: Map<string, string> }> {
  const deadline = Date.now() + o.timeoutMs;
  let last = '';
  let lastAt = 0;
  let states = new Map<string, string>();
  for (;;) {
    try {
      const all = await stack.states();
      states = new Map(ids.map((id) => [id, all.get(id) ?? 'notStarted']));
    } catch {
      // Temporal unreachable (e.g. being restarted): keep the last view.
    }
    const counts = countStates(states.values());
    const line = `[${o.label}] ${counts.active ?? 0}/${ids.length} active (${formatStates(counts)})${o.extra ? `, ${o.extra()}` : ''}`;
    if (line !== last || Date.now() - lastAt > 15_000) {
      o.log(line);
      last = line;
      lastAt = Date.now();
    }
    if (states.size === ids.length && o.done(counts)) return { ok: true, counts, states };
    if (Date.now() > deadline) return { ok: false, counts, states };
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 1000));
  }
}

export const allActive = (n: number) => (c: Record<string, number>): boolean => (c.active ?? 0) === n;

/** The exact state of each order from its workflow (query), with bounded concurrency. */
export async function queryViews(stack: FaultStack, ids: readonly string[]): Promise<Map<string, OrderView | Error>> {
  const views = await pool(ids, 16, async (id) => {
    try {
      return await stack.orders.getOrder(id);
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  });
  return new Map(ids.map((id, i) => [id, views[i]!]));
}

/** Sum of all WoTrus API calls the simulator counted. */
export function totalCalls(c: { calls: Record<string, number> }): number {
  return Object.values(c.calls).reduce((a, b) => a + b, 0);
}

/**
 * Why an order is not where it should be: its pending activities (type, attempt, last failure,
 * next attempt) from DescribeWorkflowExecution. Printed for orders a scenario waited for in vain.
 */
export async function describeStuck(stack: FaultStack, ids: readonly string[]): Promise<string[]> {
  const lines = await pool(ids.slice(0, 10), 4, async (id) => {
    try {
      const d = await stack.client.workflow.getHandle(orderWorkflowId(id)).describe();
      const pending = d.raw.pendingActivities ?? [];
      if (pending.length === 0) return `${id}: no pending activity (history length ${d.historyLength})`;
      return `${id}: ${pending
        .map((p) => {
          const next = p.nextAttemptScheduleTime?.seconds ? new Date(Number(p.nextAttemptScheduleTime.seconds) * 1000).toISOString().slice(11, 19) : '—';
          return `${p.activityType?.name} attempt ${p.attempt} (state ${p.state}), last failure "${(p.lastFailure?.message ?? '').slice(0, 120)}", next attempt ${next}`;
        })
        .join('; ')}`;
    } catch (err) {
      return `${id}: describe failed: ${err instanceof Error ? err.message : String(err)}`;
    }
  });
  return lines;
}

/** Where the orders ended, read from their workflows once a scenario's wait is over. */
export interface FinalStates {
  views: Map<string, OrderView | Error>;
  /** Orders per state; an order whose query failed counts as `queryFailed`. */
  counts: Record<string, number>;
  /** Every order answered in the expected state. */
  reached: boolean;
  /** `id: state/reason` of the orders that answered in another state. */
  elsewhere: string[];
}

/**
 * Queries each order's final state and counts them. Orders not in `state` (or whose query
 * failed) are described in the log, `[label] not <state>: …`, so a failed check comes with
 * why those orders were stuck.
 */
export async function finalStates(stack: FaultStack, ids: readonly string[], o: { state: OrderState; label: string; log: Log }): Promise<FinalStates> {
  const views = await queryViews(stack, ids);
  const counts = countStates([...views.values()].map((v) => (v instanceof Error ? 'queryFailed' : v.condition.state)));
  const late = ids.filter((id) => {
    const v = views.get(id);
    return v instanceof Error || v?.condition.state !== o.state;
  });
  for (const line of await describeStuck(stack, late)) o.log(`[${o.label}] not ${o.state}: ${line}`);
  const elsewhere = [...views.entries()].flatMap(([id, v]) => (v instanceof Error || v.condition.state === o.state ? [] : [`${id}: ${v.condition.state}/${v.condition.reason}`]));
  return { views, counts, reached: counts[o.state] === ids.length, elsewhere };
}

/** Polls `fn` every 100 ms until it holds; throws naming `what` after `timeoutMs`. */
export async function until(what: string, fn: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

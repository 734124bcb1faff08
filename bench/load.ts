/**
 * Phase A/B/E load: orders placed through the HTTP API (POST /v1/orders) at a set concurrency
 * (optionally at a set arrival rate), followed to "active" through the simulator's records,
 * with CA calls and latencies read from the simulator's counters and order milestones.
 */
import { Agent, request } from 'undici';
import { API_OPS, type ApiOp, type CountersView } from '../tools/simulators/wotrus/counters';
import { SIM_PRODUCT_IDS } from '../tools/simulators/wotrus/catalog';
import { generateCsr, generateKeyPair } from '../tools/simulators/wotrus/csr';
import type { RunningSimulator } from '../tools/simulators/wotrus/server';
import type { PushStats } from '../src/api/schemas';
import { PUSH_STATS_PATH } from '../src/api/routes/push';
import { type LatencySummary, summarize } from './stats';

export interface PreparedOrder {
  billingOrderId: string;
  body: string;
}

let sharedKeys: ReturnType<typeof generateKeyPair> | undefined;

/**
 * Request bodies with a CSR per order, all on ONE RSA key pair (key generation is slow and not
 * what is measured); built before the timed window.
 */
export async function prepareOrders(prefix: string, n: number, progress?: (line: string) => void): Promise<PreparedOrder[]> {
  sharedKeys ??= generateKeyPair('rsa');
  const keys = await sharedKeys;
  const out: PreparedOrder[] = [];
  for (let i = 0; i < n; i++) {
    const billingOrderId = `${prefix}-${i}`;
    const commonName = `o${i}.${prefix.toLowerCase()}.bench.example.com`;
    const { csrPem } = await generateCsr({ commonName, keys });
    out.push({ billingOrderId, body: JSON.stringify({ billingOrderId, productId: SIM_PRODUCT_IDS.rsaDv, commonName, csr: csrPem, month: 12 }) });
    if (progress && (i + 1) % 2000 === 0) progress(`prepared ${i + 1}/${n} CSRs`);
  }
  return out;
}

export interface PlaceOptions {
  apiUrl: string;
  apiKey: string;
  concurrency: number;
  /** Open-loop arrivals at this rate (orders/s); as fast as the concurrency allows when absent. */
  ratePerSec?: number;
}

export interface PlaceResult {
  /** When each order's POST was sent (epoch ms), by billing order id. */
  sentAt: Map<string, number>;
  accepted: number;
  failed: number;
  errors: string[];
  startedAt: number;
  endedAt: number;
}

/** POSTs every order; a 202 counts as accepted, anything else as failed (first few kept). */
export async function placeOrders(orders: readonly PreparedOrder[], o: PlaceOptions): Promise<PlaceResult> {
  const dispatcher = new Agent({ connections: o.concurrency, pipelining: 1 });
  const sentAt = new Map<string, number>();
  const errors: string[] = [];
  let accepted = 0;
  let failed = 0;
  let next = 0;
  const startedAt = Date.now();
  const url = `${o.apiUrl}/v1/orders`;
  const headers = { authorization: `Bearer ${o.apiKey}`, 'content-type': 'application/json' };
  async function lane(): Promise<void> {
    for (;;) {
      const i = next++;
      if (i >= orders.length) return;
      if (o.ratePerSec) {
        const due = startedAt + (i * 1000) / o.ratePerSec;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const order = orders[i]!;
      sentAt.set(order.billingOrderId, Date.now());
      try {
        const res = await request(url, { method: 'POST', headers, body: order.body, dispatcher });
        const text = await res.body.text();
        if (res.statusCode === 202) accepted++;
        else {
          failed++;
          if (errors.length < 5) errors.push(`${order.billingOrderId}: HTTP ${res.statusCode} ${text.slice(0, 200)}`);
        }
      } catch (err) {
        failed++;
        if (errors.length < 5) errors.push(`${order.billingOrderId}: ${(err as Error).message}`);
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.concurrency, orders.length)) }, lane));
  await dispatcher.close();
  return { sentAt, accepted, failed, errors, startedAt, endedAt: Date.now() };
}

/**
 * Follows the simulator's e-mail requests: certflow asks the CA to e-mail the customer as the
 * last step before the order turns active, so the request's time is when the order is active.
 */
export class ActiveTracker {
  private seen = 0;
  /** CA e-mail time by billing order id. */
  readonly activeAt = new Map<string, number>();

  constructor(private readonly sim: RunningSimulator, private readonly prefix: string) {}

  poll(): number {
    const emails = this.sim.state.emails();
    for (; this.seen < emails.length; this.seen++) {
      const e = emails[this.seen]!;
      const billingOrderId = this.sim.state.order(e.orderId)?.idempotenceId;
      if (billingOrderId?.startsWith(`${this.prefix}-`) && !this.activeAt.has(billingOrderId)) this.activeAt.set(billingOrderId, e.at);
    }
    return this.activeAt.size;
  }
}

export interface WaitOptions {
  label: string;
  expected: number;
  timeoutMs: number;
  progress?: (line: string) => void;
  /** Start of the rate measurement (default: the first progress call). */
  since?: number;
  /** Extra text on each progress line. */
  extra?: () => string;
  /** Give up when the count has not moved for this long (default 3 minutes). */
  stallMs?: number;
}

/** Waits until `count()` reaches `expected`, printing "[phase] k/N active, r orders/s" lines. */
export async function waitForCount(count: () => number, o: WaitOptions): Promise<{ reached: number; timedOut: boolean }> {
  const since = o.since ?? Date.now();
  const deadline = Date.now() + o.timeoutMs;
  let lastPrint = 0;
  let lastCount = -1;
  let lastChange = Date.now();
  for (;;) {
    const c = count();
    if (c !== lastCount) {
      lastCount = c;
      lastChange = Date.now();
    }
    const now = Date.now();
    if (o.progress && (now - lastPrint >= 2000 || c >= o.expected)) {
      lastPrint = now;
      const rate = c / Math.max(0.001, (now - since) / 1000);
      o.progress(`[${o.label}] ${c}/${o.expected} active, ${rate.toFixed(1)} orders/s${o.extra ? `, ${o.extra()}` : ''}`);
    }
    if (c >= o.expected) return { reached: c, timedOut: false };
    if (now > deadline || now - lastChange > (o.stallMs ?? 180_000)) {
      o.progress?.(`[${o.label}] gave up with ${c}/${o.expected} (last change ${Math.round((now - lastChange) / 1000)} s ago)`);
      return { reached: c, timedOut: true };
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

export type CallsPerOrder = Record<ApiOp, number> & { total: number };

/** CA calls since the last counter reset, per order, by operation and in total. */
export function callsPerOrder(counters: CountersView, orders: number): CallsPerOrder {
  const out = { total: 0 } as CallsPerOrder;
  let total = 0;
  for (const op of API_OPS) {
    out[op] = orders > 0 ? counters.calls[op] / orders : Number.NaN;
    total += counters.calls[op];
  }
  out.total = orders > 0 ? total / orders : Number.NaN;
  return out;
}

export interface OrderRunResult {
  label: string;
  orders: number;
  accepted: number;
  failedPosts: number;
  errors: string[];
  active: number;
  /** CA orders the simulator created for this run (by idempotenceID). */
  caOrders: number;
  counters: CountersView;
  calls: CallsPerOrder;
  /** The API's push receiver during this run (differences of GET /v1/ca/wotrus/push/stats). */
  receiver?: PushReceiverDelta;
  /** First POST to last order active. */
  durationS: number;
  ordersPerSec: number;
  /** Rate at which the API accepted the orders. */
  acceptedPerSec: number;
  /** CA issuance (issuedAt) → certificate retrieved (retrievedAt). */
  issuedToRetrieved: LatencySummary;
  issuedToRetrievedSamples: number[];
  /** POST sent → order active (CA e-mail requested). */
  createToActive: LatencySummary;
  /** The slowest orders, POST → active (straggler analysis). */
  slowest: { billingOrderId: string; ms: number }[];
  /** When 50 / 95 / 100 % of the orders were active, seconds after the first POST. */
  completion: { p50S: number; p95S: number; p100S: number };
  /** 95 % of the orders over the time to reach 95 %: the rate without the stragglers. */
  ordersPerSec95: number;
  timedOut: boolean;
}

export interface RunOrdersOptions extends PlaceOptions {
  sim: RunningSimulator;
  label: string;
  prefix: string;
  orders: readonly PreparedOrder[];
  timeoutMs: number;
  progress?: (line: string) => void;
  extra?: () => string;
}

/** One load phase: reset the CA's counters, place every order, wait until all are active, measure. */
export interface PushReceiverDelta {
  received: number;
  signalled: number;
  deferred: number;
  refusedUnknown: number;
  /** Visibility queries: the figure a push must not cost one of. */
  lookUps: number;
  cacheHits: number;
  negativeHits: number;
}

async function receiverStats(o: RunOrdersOptions): Promise<PushStats | undefined> {
  try {
    const res = await request(`${o.apiUrl}${PUSH_STATS_PATH}`, { headers: { authorization: `Bearer ${o.apiKey}` } });
    if (res.statusCode !== 200) {
      await res.body.dump();
      return undefined;
    }
    return (await res.body.json()) as PushStats;
  } catch {
    return undefined;
  }
}

function receiverDelta(before: PushStats | undefined, after: PushStats | undefined): PushReceiverDelta | undefined {
  if (!before || !after) return undefined;
  return {
    received: after.received - before.received,
    signalled: after.signalled - before.signalled,
    deferred: after.deferred - before.deferred,
    refusedUnknown: after.refused['unknown-order'] - before.refused['unknown-order'],
    lookUps: after.lookUps - before.lookUps,
    cacheHits: after.cache.hits - before.cache.hits,
    negativeHits: after.cache.negativeHits - before.cache.negativeHits,
  };
}

export async function runOrders(o: RunOrdersOptions): Promise<OrderRunResult> {
  const receiverBefore = await receiverStats(o);
  o.sim.state.resetCounters();
  const tracker = new ActiveTracker(o.sim, o.prefix);
  const startedAt = Date.now();
  const placing = placeOrders(o.orders, o);
  let placed: PlaceResult | undefined;
  void placing.then((p) => (placed = p));
  const wait = await waitForCount(() => tracker.poll(), {
    label: o.label,
    expected: o.orders.length,
    timeoutMs: o.timeoutMs,
    progress: o.progress,
    since: startedAt,
    extra: () => `${placed ? placed.accepted : '…'} accepted${o.extra ? `, ${o.extra()}` : ''}`,
  });
  placed = await placing;
  // The last pushes and e-mails settle; counters are read after.
  await o.sim.state.pushesIdle();
  return { ...collect(o, tracker, placed, startedAt, wait.timedOut), receiver: receiverDelta(receiverBefore, await receiverStats(o)) };
}

function collect(o: RunOrdersOptions, tracker: ActiveTracker, placed: PlaceResult, startedAt: number, timedOut: boolean): OrderRunResult {
  const counters = o.sim.state.counters();
  const ids = new Set(o.orders.map((x) => x.billingOrderId));
  const issuedToRetrieved: number[] = [];
  let caOrders = 0;
  for (const order of o.sim.state.orders()) {
    if (!order.idempotenceId || !ids.has(order.idempotenceId) || order.role === 'sm2-rsa') continue;
    caOrders++;
    if (order.issuedAt !== undefined && order.retrievedAt !== undefined) issuedToRetrieved.push(order.retrievedAt - order.issuedAt);
  }
  const createToActive: number[] = [];
  const perOrder: { billingOrderId: string; ms: number }[] = [];
  let lastActive = startedAt;
  for (const [id, at] of tracker.activeAt) {
    const sent = placed.sentAt.get(id);
    if (sent !== undefined) {
      createToActive.push(at - sent);
      perOrder.push({ billingOrderId: id, ms: at - sent });
    }
    lastActive = Math.max(lastActive, at);
  }
  const durationS = (lastActive - startedAt) / 1000;
  const done = [...tracker.activeAt.values()].map((at) => (at - startedAt) / 1000).sort((x, y) => x - y);
  const at = (q: number): number => done[Math.max(0, Math.ceil(q * o.orders.length) - 1)] ?? Number.NaN;
  const completion = { p50S: at(0.5), p95S: at(0.95), p100S: done.length === o.orders.length ? durationS : Number.NaN };
  return {
    label: o.label,
    orders: o.orders.length,
    accepted: placed.accepted,
    failedPosts: placed.failed,
    errors: placed.errors,
    active: tracker.activeAt.size,
    caOrders,
    counters,
    calls: callsPerOrder(counters, tracker.activeAt.size),
    durationS,
    ordersPerSec: tracker.activeAt.size / Math.max(0.001, durationS),
    acceptedPerSec: placed.accepted / Math.max(0.001, (placed.endedAt - placed.startedAt) / 1000),
    issuedToRetrieved: summarize(issuedToRetrieved),
    issuedToRetrievedSamples: issuedToRetrieved,
    createToActive: summarize(createToActive),
    slowest: perOrder.sort((x, y) => y.ms - x.ms).slice(0, 3),
    completion,
    ordersPerSec95: (0.95 * o.orders.length) / Math.max(0.001, completion.p95S),
    timedOut,
  };
}

/**
 * The benchmark's phases as functions over a running stack, shared by `npm run bench`
 * (scripts/bench.ts) and the smoke test (test/e2e/bench-smoke.test.ts).
 */
import { Client } from '@temporalio/client';
import { type OrderPolicyInput, orderPolicySchema } from '../src/domain/order';
import { type BareRunResult, type BareWorkerHandle, runBare } from './bare';
import type { BareShape } from './bare-shared';
import { type CertflowModelOptions, type Scenario, certflowCalls, cronCalls, SCENARIOS, scaleScenario } from './cron-model';
import { ActiveTracker, callsPerOrder, type OrderRunResult, type PreparedOrder, placeOrders, prepareOrders, runOrders, waitForCount } from './load';
import { summarize } from './stats';
import { type HistoryShape, measureShape } from './shape';
import { type BenchStack, databaseBytes, type WorkerMemory } from './stack';

export type Progress = (line: string) => void;

export interface PhaseAOptions {
  label?: string;
  prefix: string;
  orders: number | readonly PreparedOrder[];
  concurrency: number;
  ratePerSec?: number;
  timeoutMs?: number;
  progress?: Progress;
  extra?: () => string;
}

const prepared = async (prefix: string, orders: number | readonly PreparedOrder[], progress?: Progress): Promise<readonly PreparedOrder[]> =>
  typeof orders === 'number' ? prepareOrders(prefix, orders, progress) : orders;

/** Phase A: orders through the API at zero CA delay with pushes on (or whatever the simulator is set to). */
export async function phaseA(stack: BenchStack, o: PhaseAOptions): Promise<OrderRunResult> {
  const orders = await prepared(o.prefix, o.orders, o.progress);
  return runOrders({
    sim: stack.sim,
    apiUrl: stack.apiUrl,
    apiKey: stack.apiKey,
    concurrency: o.concurrency,
    ratePerSec: o.ratePerSec,
    label: o.label ?? 'phase A',
    prefix: o.prefix,
    orders,
    timeoutMs: o.timeoutMs ?? 30 * 60_000,
    progress: o.progress,
    extra: o.extra,
  });
}

/** The order's cost to the engine, from the histories of (up to) `sample` orders of a run. */
export async function orderShape(stack: BenchStack, billingOrderIds: readonly string[], sample = 20): Promise<HistoryShape> {
  const step = Math.max(1, Math.floor(billingOrderIds.length / sample));
  const ids: string[] = [];
  for (let i = 0; i < billingOrderIds.length && ids.length < sample; i += step) ids.push(`order-${billingOrderIds[i]}`);
  return measureShape(stack.client, ids);
}

/** The bare workflow's shape for an order's measured one (rounded to whole operations). */
export function bareShapeFor(shape: HistoryShape): BareShape {
  return { activities: Math.max(1, Math.round(shape.activities)), localActivities: Math.round(shape.localActivities), signals: Math.round(shape.signals), timers: Math.max(1, Math.round(shape.timers)) };
}

/** Phase C: the bare workflow on the same server and the same worker tuning. */
export async function phaseC(stack: BenchStack, worker: BareWorkerHandle, o: { prefix: string; n: number; concurrency: number; shape: BareShape; progress?: Progress; timeoutMs?: number }): Promise<BareRunResult> {
  // The engine's own limit: the same connection, the default data converter (no codec).
  const client = new Client({ connection: stack.client.connection, namespace: stack.namespace });
  return runBare({ client, worker, n: o.n, concurrency: o.concurrency, shape: o.shape, label: 'phase C', prefix: o.prefix, timeoutMs: o.timeoutMs ?? 30 * 60_000, progress: o.progress });
}

/** The production polling policy on a clock running `factor` times faster. */
export function scaledPolicy(factor: number): OrderPolicyInput {
  const base = orderPolicySchema.parse({});
  return { pollInitialMs: Math.max(1, Math.round(base.pollInitialMs / factor)), pollMaxMs: Math.max(1, Math.round(base.pollMaxMs / factor)), pollFactor: base.pollFactor };
}

export interface PhaseBResult {
  label: string;
  scenario: Scenario;
  factor: number;
  pushes: boolean;
  run: OrderRunResult;
  /** What the model of awaitIssuance predicts for this scenario (calls per order). */
  modelCalls: number;
  cronCalls: number;
}

/**
 * Phase B: a realistic CA (minutes to hours of DCV and issuance) on a compressed clock: the
 * simulator's delays and certflow's polling policy are both divided by `factor`, so the counts
 * of CA calls are those of the real durations. Pushes dropped (polling only) or delivered.
 */
export async function phaseB(stack: BenchStack, o: { label: string; prefix: string; orders: number | readonly PreparedOrder[]; concurrency: number; scenario: Scenario; factor: number; pushes: boolean; progress?: Progress }): Promise<PhaseBResult> {
  const scaled = scaleScenario(o.scenario, o.factor);
  const orders = await prepared(o.prefix, o.orders, o.progress);
  const before = stack.sim.state.settings().delays;
  stack.sim.state.updateSettings({ delays: { submitMs: scaled.submitMs, dcvMs: scaled.dcvMs, issueMs: scaled.issueMs } });
  stack.sim.state.setFaults(o.pushes ? {} : { dropPushRate: 1 });
  const policy = scaledPolicy(o.factor);
  stack.setPolicyOverrides(policy);
  try {
    const run = await phaseA(stack, { label: o.label, prefix: o.prefix, orders, concurrency: o.concurrency, progress: o.progress, timeoutMs: 10 * 60_000 + (o.scenario.submitMs + o.scenario.dcvMs + o.scenario.issueMs) / o.factor * 4 });
    const model: CertflowModelOptions = { policy: orderPolicySchema.parse(policy), pushes: o.pushes };
    // The API's push dedupe window (30 s) is not compressed: two pushes of one key within it signal once.
    return { label: o.label, scenario: o.scenario, factor: o.factor, pushes: o.pushes, run, modelCalls: certflowCalls(scaled, model), cronCalls: cronCalls(o.scenario) };
  } finally {
    stack.setPolicyOverrides(undefined);
    stack.sim.state.clearFaults();
    stack.sim.state.updateSettings({ delays: before });
  }
}

export interface CronRow {
  scenario: Scenario;
  cron: number;
  certflowPolling: number;
  certflowPushes: number;
  /** A lever: with pushes trusted, poll first after 10 minutes instead of 1. */
  certflowPushesSlowPoll: number;
}

/** Phase D: the cron poller's calls per order next to certflow's (model), per DCV duration. */
export function phaseD(scenarios: readonly Scenario[] = SCENARIOS): CronRow[] {
  const policy = orderPolicySchema.parse({});
  return scenarios.map((s) => ({
    scenario: s,
    cron: cronCalls(s),
    certflowPolling: certflowCalls(s, { policy, pushes: false }),
    certflowPushes: certflowCalls(s, { policy, pushes: true }),
    certflowPushesSlowPoll: certflowCalls(s, { policy: { ...policy, pollInitialMs: 10 * 60_000 }, pushes: true }),
  }));
}

export interface PhaseEResult {
  waiting: number;
  accepted: number;
  createS: number;
  /** Once all orders wait: worker memory (peak over the sampling window) and database size. */
  workerRssPeakBytes?: number;
  workerRssBytes?: number;
  workerHeapUsedBytes?: number;
  workerHeapUsedPeakBytes?: number;
  dbBytes?: number;
  maxCachedWorkflows: number;
  /** Absent while the release has not finished (interim report). */
  release?: OrderRunResult;
  drainPerSec?: number;
  drainS?: number;
  timedOut: boolean;
}

/**
 * Phase E: `n` orders held at pendingDCV (a DCV that takes a day), then released at once by
 * setting the DCV delay to zero (the simulator re-arms every waiting order when it leaves
 * manual mode): memory and database while they wait, drain rate on release.
 */
export async function phaseE(stack: BenchStack, o: { prefix: string; orders: number | readonly PreparedOrder[]; concurrency: number; progress?: Progress; settleMs?: number; sampleMs?: number; memory: () => WorkerMemory | undefined; rss: () => number | undefined; onHeld?: (interim: PhaseEResult) => void }): Promise<PhaseEResult> {
  const progress = o.progress ?? (() => undefined);
  const orders = await prepared(o.prefix, o.orders, progress);
  const n = orders.length;
  const before = stack.sim.state.settings().delays;
  stack.sim.state.updateSettings({ delays: { submitMs: 0, dcvMs: 86_400_000, issueMs: 0 } });
  stack.sim.state.resetCounters();
  const started = Date.now();
  // Placing reuses runOrders' HTTP path; "active" never comes here, so wait on the CA's side.
  const placing = placeOrders(orders, { apiUrl: stack.apiUrl, apiKey: stack.apiKey, concurrency: o.concurrency });
  let accepted = 0;
  void placing.then((p) => (accepted = p.accepted));
  const ids = new Set(orders.map((x) => x.billingOrderId));
  const waitingCount = (): number => {
    // An order waits once the CA has it at pendingDCV and its workflow has read that status.
    const q = stack.sim.state.counters().calls.query;
    let atDcv = 0;
    for (const order of stack.sim.state.orders('pendingDCV')) if (order.idempotenceId && ids.has(order.idempotenceId)) atDcv++;
    return Math.min(atDcv, q);
  };
  const mem = (): string => {
    const m = o.memory();
    const rss = o.rss();
    return `worker RSS ${rss ? Math.round(rss / 2 ** 20) : '?'} MiB${m ? `, heap ${Math.round(m.heapUsed / 2 ** 20)} MiB` : ''}`;
  };
  const held = await waitForCount(waitingCount, { label: 'phase E', expected: n, timeoutMs: 60 * 60_000, progress: (l) => progress(l.replace(' active,', ' waiting at pendingDCV,')), since: started, extra: mem });
  const placed = await placing;
  accepted = placed.accepted;
  const createS = (Date.now() - started) / 1000;
  // Let in-flight pushes and reads settle, then sample memory while everything waits.
  await new Promise((r) => setTimeout(r, o.settleMs ?? 5_000));
  let rssPeak = 0;
  let rssLast: number | undefined;
  let heapPeak = 0;
  let heapLast: number | undefined;
  const sampleEnd = Date.now() + (o.sampleMs ?? 10_000);
  while (Date.now() < sampleEnd) {
    const r = o.rss();
    const m = o.memory();
    if (r !== undefined) {
      rssPeak = Math.max(rssPeak, r);
      rssLast = r;
    }
    if (m) {
      heapPeak = Math.max(heapPeak, m.heapUsed);
      heapLast = m.heapUsed;
    }
    await new Promise((res) => setTimeout(res, 500));
  }
  const dbBytes = databaseBytes(stack.dbFile);
  progress(`[phase E] ${n} orders waiting: ${mem()}, database ${dbBytes === undefined ? 'n/a' : `${Math.round(dbBytes / 2 ** 20)} MiB`}; releasing DCV`);
  const held_: PhaseEResult = {
    waiting: n,
    accepted,
    createS,
    workerRssPeakBytes: rssPeak || undefined,
    workerRssBytes: rssLast,
    workerHeapUsedBytes: heapLast,
    workerHeapUsedPeakBytes: heapPeak || undefined,
    dbBytes,
    maxCachedWorkflows: stack.tuning.maxCachedWorkflows,
    timedOut: held.timedOut,
  };
  o.onHeld?.(held_);

  // Release: leaving manual mode re-arms every waiting order with the delays now set (zero).
  stack.sim.state.updateSettings({ manual: true });
  stack.sim.state.updateSettings({ manual: false, delays: { dcvMs: 0, issueMs: 0 } });
  const tracker = new ActiveTracker(stack.sim, o.prefix);
  const releasedAt = Date.now();
  const drained = await waitForCount(() => tracker.poll(), { label: 'phase E drain', expected: n, timeoutMs: 60 * 60_000, progress, since: releasedAt, extra: mem });
  await stack.sim.state.pushesIdle();
  let last = releasedAt;
  for (const at of tracker.activeAt.values()) last = Math.max(last, at);
  const drainS = (last - releasedAt) / 1000;
  const counters = stack.sim.state.counters();
  stack.sim.state.updateSettings({ delays: before });
  const release: OrderRunResult = {
    label: 'phase E',
    orders: n,
    accepted: placed.accepted,
    failedPosts: placed.failed,
    errors: placed.errors,
    active: tracker.activeAt.size,
    caOrders: n,
    counters,
    calls: callsPerOrder(counters, tracker.activeAt.size),
    durationS: drainS,
    ordersPerSec: tracker.activeAt.size / Math.max(0.001, drainS),
    acceptedPerSec: placed.accepted / Math.max(0.001, (placed.endedAt - placed.startedAt) / 1000),
    issuedToRetrieved: summarize([]),
    issuedToRetrievedSamples: [],
    createToActive: summarize([]),
    slowest: [],
    completion: { p50S: Number.NaN, p95S: Number.NaN, p100S: drainS },
    ordersPerSec95: Number.NaN,
    timedOut: drained.timedOut,
  };
  return {
    ...held_,
    release,
    drainPerSec: tracker.activeAt.size / Math.max(0.001, drainS),
    drainS,
    timedOut: held.timedOut || drained.timedOut,
  };
}

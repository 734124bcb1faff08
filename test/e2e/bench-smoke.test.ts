/**
 * A tiny run of the benchmark's own code path (bench/*.ts, as `npm run bench` uses it) on the
 * integration run's shared dev server, with the worker in this process: phase A with 10
 * orders, the history shape, phase C with 10 bare workflows, the phase D model. It checks that
 * the counters add up, never how fast anything is.
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { type BareWorkerHandle, startBareWorker } from '../../bench/bare';
import { API_OPS } from '../../tools/simulators/wotrus/counters';
import { bareShapeFor, orderShape, phaseA, phaseC, phaseD } from '../../bench/phases';
import { type BenchStack, startBenchStack } from '../../bench/stack';
import { percentile, summarize } from '../../bench/stats';

Runtime.install({ logger: new DefaultLogger('WARN') });

const N = 10;
let stack: BenchStack;
let bare: BareWorkerHandle | undefined;

beforeAll(async () => {
  const address = process.env.CERTFLOW_TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('no shared dev server: run under the integration project (globalSetup)');
  stack = await startBenchStack({ temporalAddress: address, codec: true, worker: 'in-process', tuning: { maxCachedWorkflows: 50 } });
});

afterAll(async () => {
  await bare?.stop();
  await stack?.close();
});

describe('benchmark smoke', () => {
  it('phase A: orders placed == active == CA orders created; calls by operation add up; percentiles are ordered', async () => {
    const prefix = `S${Date.now().toString(36)}`;
    const a = await phaseA(stack, { prefix, orders: N, concurrency: 4, timeoutMs: 120_000 });
    expect(a.timedOut).toBe(false);
    expect(a.failedPosts).toBe(0);
    expect(a.accepted).toBe(N);
    expect(a.active).toBe(N);
    expect(a.caOrders).toBe(N);
    expect(a.counters.ordersCreated).toBe(N);
    expect(a.counters.calls.create).toBeGreaterThanOrEqual(N);
    expect(Object.values(a.counters.ordersByIdempotenceId).every((c) => c === 1)).toBe(true);

    const byOp = API_OPS.reduce((sum, op) => sum + a.calls[op], 0);
    expect(byOp).toBeCloseTo(a.calls.total, 9);
    expect(a.calls.create).toBeCloseTo(a.counters.calls.create / N, 9);
    expect(a.calls.retrieve).toBeGreaterThanOrEqual(1);
    expect(a.calls.email).toBeGreaterThanOrEqual(1);

    for (const s of [a.issuedToRetrieved, a.createToActive]) {
      expect(s.count).toBe(N);
      expect(s.min).toBeLessThanOrEqual(s.p50);
      expect(s.p50).toBeLessThanOrEqual(s.p95);
      expect(s.p95).toBeLessThanOrEqual(s.p99);
      expect(s.p99).toBeLessThanOrEqual(s.max);
    }
    expect(a.issuedToRetrievedSamples.every((v) => v >= 0)).toBe(true);

    const shape = await orderShape(stack, Array.from({ length: N }, (_, i) => `${prefix}-${i}`), 3);
    expect(shape.sampled).toBe(3);
    // Activity tasks: create, the customer e-mail, billing; inline: at least one status read, the collection, the verification.
    expect(shape.activities).toBeGreaterThanOrEqual(3);
    expect(shape.localActivities).toBeGreaterThanOrEqual(3);

    // Phase C on the same server: the bare workflow with the order's shape.
    bare = await startBareWorker({ mode: 'in-process', client: stack.client, address: stack.address, tuning: stack.tuning, logFile: '/dev/null' });
    const c = await phaseC(stack, bare, { prefix: `${prefix}-bare`, n: N, concurrency: 4, shape: bareShapeFor(shape), timeoutMs: 120_000 });
    expect(c.timedOut).toBe(false);
    expect(c.started).toBe(N);
    expect(c.active).toBe(N);
  });

  it('phase D: the model counts every fixed call and never beats reading once per status change', () => {
    for (const row of phaseD()) {
      expect(row.cron).toBeGreaterThanOrEqual(4);
      expect(row.certflowPolling).toBeGreaterThanOrEqual(6); // create, >= 3 reads, retrieve, e-mail
      expect(row.certflowPushes).toBeGreaterThanOrEqual(row.certflowPolling);
    }
  });

  it('percentiles are nearest-rank and ordered', () => {
    const xs = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile([...xs].sort((p, q) => p - q), 50)).toBe(50);
    const s = summarize(xs);
    expect([s.min, s.p50, s.p95, s.p99, s.max]).toEqual([1, 50, 95, 99, 100]);
  });
});

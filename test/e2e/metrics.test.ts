/**
 * The worker's Prometheus endpoint (WORKER_METRICS_BIND) on a real worker process: after a
 * few orders, `GET /metrics` shows the SDK's own series and certflow's — CA calls by
 * operation and outcome, state transitions, verifications, billing deliveries — with the
 * counts those orders caused.
 */
import { freePort } from '../../tools/engine/ports';
import { type FaultStack, startFaultStack } from '../faults/support/fault-stack';
import { allActive, orderIds, placeOrders, waitForStates } from '../faults/support/orders';

jest.setTimeout(180_000);

let stack: FaultStack | undefined;
afterAll(async () => {
  await stack?.close();
});

/** The value of one series, its labels given in any order; 0 when absent. */
function value(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const inner = line.slice(name.length + 1, line.indexOf('}'));
    if (Object.entries(labels).every(([k, v]) => inner.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

test('after 3 orders the worker\'s /metrics counts their CA calls, transitions and verifications, beside the SDK\'s series', async () => {
  const port = await freePort();
  stack = await startFaultStack({
    name: 'metrics',
    log: () => undefined,
    temporalAddress: process.env.CERTFLOW_TEST_TEMPORAL_ADDRESS,
    workerEnv: { WORKER_METRICS_BIND: `127.0.0.1:${port}` },
  });
  const ids = orderIds('MX', 3);
  await placeOrders(stack, ids);
  const done = await waitForStates(stack, ids, { label: 'metrics', log: () => undefined, done: allActive(3), timeoutMs: 120_000 });
  expect(done.ok).toBe(true);

  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const created = stack.sim.state.counters().calls.create;
  expect(created).toBe(3);
  expect(value(text, 'certflow_ca_calls_total', { operation: 'createCaOrder', outcome: 'ok' })).toBe(created);
  expect(value(text, 'certflow_order_transitions_total', { state: 'active' })).toBe(3);
  expect(value(text, 'certflow_certificate_verifications_total', { outcome: 'ok' })).toBe(3);
  expect(value(text, 'certflow_certificate_verifications_total', { outcome: 'failed' })).toBe(0);
  expect(value(text, 'certflow_billing_deliveries_total', { type: 'order.issued' })).toBe(3);
  // The SDK's own series are on the same endpoint.
  expect(text).toMatch(/^temporal_worker_task_slots_available\{/m);
  expect(text).toMatch(/^temporal_activity_execution_latency/m);

  // The API's: running orders of this task queue by state, from visibility (eventually
  // consistent, and one count serves 15 s of scrapes).
  const api = async (): Promise<string> => (await fetch(`${stack!.apiUrl}/metrics`, { headers: { authorization: `Bearer ${stack!.apiKey}` } })).text();
  let apiText = await api();
  for (const until = Date.now() + 40_000; value(apiText, 'certflow_orders', { state: 'active' }) !== 3 && Date.now() < until; ) {
    await new Promise((r) => setTimeout(r, 1_000));
    apiText = await api();
  }
  expect(value(apiText, 'certflow_orders', { state: 'active' })).toBe(3);
  expect(value(apiText, 'certflow_orders', { state: 'awaitingIssuance' })).toBe(0);
  expect(apiText).toMatch(/^certflow_orders\{state="needsAttention"\} 0$/m);
  expect(value(apiText, 'certflow_api_requests_total', { method: 'POST', route: '/v1/orders', status: '202' })).toBe(3);
});

/**
 * The simulator's Prometheus endpoint (`GET /metrics`, open: counts only, no order data):
 * what certflow asked of the CA and what the CA did, read at scrape time from the same
 * counters and store as the admin API, so a dashboard can set certflow's CA calls beside the
 * calls the CA saw.
 */
import type { FastifyInstance } from 'fastify';
import { Gauge, Registry } from 'prom-client';
import { type CounterReading, snapshotCounter } from '../../../src/lib/snapshot-counter';
import { WOTRUS_STATUSES } from '../../../src/ca/wotrus/statuses';
import type { Counters } from './counters';
import type { OrderStore } from './store';

export function registerSimulatorMetrics(app: FastifyInstance, o: { counters: Counters; store: OrderStore }): void {
  const registry = new Registry();
  const fromCounters = (name: string, help: string, labelNames: readonly string[], read: (c: ReturnType<Counters['view']>) => CounterReading): void =>
    snapshotCounter(registry, name, help, labelNames, () => read(o.counters.view()));
  fromCounters('certflow_simulator_calls_total', 'WoTrus API calls received, by operation', ['operation'], (c) => Object.entries(c.calls).map(([operation, v]) => [{ operation }, v]));
  fromCounters('certflow_simulator_pushes_total', 'Order-status pushes, by outcome', ['outcome'], (c) => Object.entries(c.pushes).map(([outcome, v]) => [{ outcome }, v]));
  fromCounters('certflow_simulator_refusals_total', 'Calls refused before the operation, by reason', ['reason'], (c) => [
    [{ reason: 'rate_limited' }, c.rateLimited],
    [{ reason: 'fault_injected' }, c.faultsInjected],
    [{ reason: 'unauthorized' }, c.unauthorized],
  ]);
  fromCounters('certflow_simulator_emails_total', 'E-mails the CA sent to customers', [], (c) => [[{}, c.emailsSent]]);
  new Gauge({
    name: 'certflow_simulator_orders',
    help: 'CA orders by WoTrus status',
    labelNames: ['status'],
    registers: [registry],
    collect() {
      this.reset();
      for (const status of WOTRUS_STATUSES) this.set({ status }, o.store.count(status));
    },
  });

  app.get('/metrics', async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
}

/**
 * `GET /metrics` (open: counts only): what certflow asked of the CA and what the CA did, read
 * at scrape time from the counters and applications the admin API reports.
 */
import type { FastifyInstance } from 'fastify';
import { Gauge, Registry } from 'prom-client';
import { type CounterReading, snapshotCounter } from '../../../src/lib/snapshot-counter';
import { APPLICATION_STATES, type ApplicationStore } from './applications';
import type { Counters, CountersView } from './counters';

export function registerAcmapiMetrics(app: FastifyInstance, o: { counters: Counters; store: ApplicationStore }): void {
  const registry = new Registry();
  const counter = (name: string, help: string, labelNames: readonly string[], read: (c: CountersView) => CounterReading): void =>
    snapshotCounter(registry, name, help, labelNames, () => read(o.counters.view()));
  counter('certflow_acmapi_simulator_requests_total', 'ACMAPI requests received, by kind', ['kind'], (c) => [
    [{ kind: 'all' }, c.requests],
    [{ kind: 'apply' }, c.applications],
    [{ kind: 'handle_ask' }, c.handleAsks],
  ]);
  counter('certflow_acmapi_simulator_certificates_issued_total', 'Certificates the simulated CA issued', [], (c) => [[{}, c.certificatesIssued]]);
  counter('certflow_acmapi_simulator_errors_total', 'Error answers, by ACMAPI code', ['code'], (c) => Object.entries(c.errorsByCode).map(([code, v]) => [{ code }, v]));
  counter('certflow_acmapi_simulator_faults_total', 'Injected faults, by kind', ['fault'], (c) => [
    [{ fault: 'answer_dropped' }, c.answersDropped],
    [{ fault: 'failed_before_handling' }, c.failedBeforeHandling],
  ]);
  // Set at scrape time, like the counters above, so it never lags the store.
  const applications = new Gauge({ name: 'certflow_acmapi_simulator_applications', help: 'Applications held by the simulated CA, by state', labelNames: ['state'], registers: [registry] });
  app.get('/metrics', async (_request, reply) => {
    for (const state of APPLICATION_STATES) applications.set({ state }, o.store.count(state));
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}

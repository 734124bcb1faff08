import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, collectDefaultMetrics, Registry } from 'prom-client';
import type { Config } from '../config';
import { type CounterReading, snapshotCounter } from '../lib/snapshot-counter';
import { apiKeyAuth } from './auth';
import type { PushDispatcher } from './push-dispatch';

export const METRICS_PATH = '/metrics';

/**
 * The API's Prometheus endpoint (behind the API key, like the push stats: a scraper sends it
 * as a bearer token): requests by route and status, orders placed, and the push receiver's
 * counters, read from the dispatcher at scrape time so they can never drift from
 * `GET /v1/ca/wotrus/push/stats`. One registry per API instance: tests run several.
 */
/** How long one count of orders by state serves scrapes: fifteen visibility counts per scrape would be a load of their own. */
export const ORDER_COUNT_TTL_MS = 15_000;

export interface MetricsDeps {
  dispatcher: PushDispatcher;
  apiKeys: Config['API_KEYS'];
  /** Running orders by state (OrderService.countOpenOrders). */
  countOpenOrders?: () => Promise<Record<string, number>>;
}

export function registerMetrics(app: FastifyInstance, o: MetricsDeps): void {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'certflow_api_' });

  const requests = new Counter({ name: 'certflow_api_requests_total', help: 'API requests by method, route and status', labelNames: ['method', 'route', 'status'] as const, registers: [registry] });
  app.addHook('onResponse', async (request, reply) => {
    // The route's pattern, not the URL: billing order ids stay out of label values.
    requests.inc({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) });
  });

  const fromStats = (name: string, help: string, labelNames: readonly string[], read: (s: ReturnType<PushDispatcher['stats']>) => CounterReading): void =>
    snapshotCounter(registry, name, help, labelNames, () => read(o.dispatcher.stats()));
  fromStats('certflow_pushes_total', 'CA pushes by what became of them', ['outcome'], (s) => [
    [{ outcome: 'signalled' }, s.signalled],
    [{ outcome: 'deferred' }, s.deferred],
    [{ outcome: 'trailing_delivered' }, s.trailingDelivered],
    [{ outcome: 'ignored' }, s.ignored],
    [{ outcome: 'failed' }, s.failed],
  ]);
  fromStats('certflow_pushes_refused_total', 'CA pushes refused, by reason', ['reason'], (s) => Object.entries(s.refused).map(([reason, v]) => [{ reason }, v]));
  fromStats('certflow_push_lookups_total', 'Visibility look-ups of CA order ids caused by pushes', [], (s) => [[{}, s.lookUps]]);

  if (o.countOpenOrders) {
    const count = o.countOpenOrders;
    let cached: { at: number; counts: Promise<Record<string, number>> } | undefined;
    new Gauge({
      name: 'certflow_orders',
      help: `Running orders on this task queue by state (visibility counts, at most ${ORDER_COUNT_TTL_MS / 1000} s old)`,
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        if (!cached || Date.now() - cached.at >= ORDER_COUNT_TTL_MS) cached = { at: Date.now(), counts: count() };
        this.reset();
        try {
          for (const [state, n] of Object.entries(await cached.counts)) this.set({ state }, n);
        } catch {
          // Absent rather than zero: "no orders" and "could not count" must not look alike.
          cached = undefined;
          failures.inc();
        }
      },
    });
    // Registered after the gauge: a scrape serialises in registration order, so it shows its own failure.
    const failures = new Counter({ name: 'certflow_orders_count_failures_total', help: 'Scrapes whose count of orders by state failed (Temporal unreachable): certflow_orders is then absent', registers: [registry] });
  }

  app.get(METRICS_PATH, { onRequest: apiKeyAuth(o.apiKeys), schema: { hide: true } }, async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
}

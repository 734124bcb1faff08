import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Registry } from 'prom-client';
import type { Config } from '../config';
import { apiKeyAuth } from './auth';
import type { PushDispatcher } from './push-dispatch';

export const METRICS_PATH = '/metrics';

/**
 * The API's Prometheus endpoint (behind the API key, like the push stats: a scraper sends it
 * as a bearer token): requests by route and status, orders placed, and the push receiver's
 * counters, read from the dispatcher at scrape time so they can never drift from
 * `GET /v1/ca/wotrus/push/stats`. One registry per API instance: tests run several.
 */
export function registerMetrics(app: FastifyInstance, o: { dispatcher: PushDispatcher; apiKeys: Config['API_KEYS'] }): void {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'certflow_api_' });

  const requests = new Counter({ name: 'certflow_api_requests_total', help: 'API requests by method, route and status', labelNames: ['method', 'route', 'status'] as const, registers: [registry] });
  app.addHook('onResponse', async (request, reply) => {
    // The route's pattern, not the URL: billing order ids stay out of label values.
    requests.inc({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) });
  });

  const fromStats = (name: string, help: string, labelNames: readonly string[], read: (s: ReturnType<PushDispatcher['stats']>) => [Record<string, string>, number][]): void => {
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const [labels, v] of read(o.dispatcher.stats())) this.inc(labels, v);
      },
    });
  };
  fromStats('certflow_pushes_total', 'CA pushes by what became of them', ['outcome'], (s) => [
    [{ outcome: 'signalled' }, s.signalled],
    [{ outcome: 'deferred' }, s.deferred],
    [{ outcome: 'trailing_delivered' }, s.trailingDelivered],
    [{ outcome: 'ignored' }, s.ignored],
    [{ outcome: 'failed' }, s.failed],
  ]);
  fromStats('certflow_pushes_refused_total', 'CA pushes refused, by reason', ['reason'], (s) => Object.entries(s.refused).map(([reason, v]) => [{ reason }, v]));
  fromStats('certflow_push_lookups_total', 'Visibility look-ups of CA order ids caused by pushes', [], (s) => [[{}, s.lookUps]]);

  app.get(METRICS_PATH, { onRequest: apiKeyAuth(o.apiKeys), schema: { hide: true } }, async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
}

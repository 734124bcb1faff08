/**
 * The platform's endpoints over HTTP, at the paths src/ca/reseller/inferred.ts names (the
 * document names none: INFERRED there, imported from there):
 * - `RESELLER_PATHS.create`: the create sketched there (INFERRED: the reissue's fields less
 *   `service_id`/`renew`, plus `product_id` and `period`), answered with the reissue's `data`;
 * - `RESELLER_PATHS.reissue`: the documented reissue;
 * - `RESELLER_PATHS.status`: the status read sketched there (`{ service_id }`, answered with the
 *   reissue's `data`), which also re-checks pending domains.
 * Both by `RESELLER_METHOD` (POST), authenticated by the configured header carrying the API key
 * verbatim (INFERRED; 401 `{ success: false }` otherwise). Every answer on the merits is HTTP
 * 200 `{ success, message, data }` (refusals: `data: null`, INFERRED).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { RESELLER_PATHS } from '../../../src/ca/reseller/inferred';
import type { Pauses } from '../wotrus/routes';
import type { ResellerCounters } from './counters';
import type { ResellerFaultInjector } from './faults';
import { readCreate, readReissue, Refusal } from './protocol';
import type { ReissueAnswer, ServiceStore } from './services';

export interface ResellerRouteDeps {
  store: ServiceStore;
  faults: ResellerFaultInjector;
  counters: ResellerCounters;
  pauses: Pauses;
  apiKey: string;
  authHeader: string;
  log: Logger;
}

const BAD_GATEWAY: Record<500 | 502 | 503, string> = {
  500: '<html><body><h1>500 Internal Server Error</h1></body></html>',
  502: '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>',
  503: '<html><head><title>503 Service Unavailable</title></head><body><center><h1>503 Service Unavailable</h1></center></body></html>',
};

type Envelope = { success: true; message: 'OK'; data: ReissueAnswer } | { success: false; message: string; data: null };

export async function registerResellerRoutes(app: FastifyInstance, d: ResellerRouteDeps): Promise<void> {
  const key = createHash('sha256').update(d.apiKey).digest();
  const header = d.authHeader.toLowerCase();
  const authorised = (req: FastifyRequest): boolean => {
    const got = req.headers[header];
    return typeof got === 'string' && timingSafeEqual(createHash('sha256').update(got).digest(), key);
  };

  const endpoint = (name: 'create' | 'reissue' | 'status', handle: (body: unknown) => Promise<ReissueAnswer>) => async (req: FastifyRequest, reply: FastifyReply) => {
    d.counters.bump('requests');
    const f = d.faults.decide();
    if (f.failStatus) {
      d.counters.bump('failedBeforeHandling');
      return reply.code(f.failStatus).type('text/html; charset=utf-8').send(BAD_GATEWAY[f.failStatus]);
    }
    if (f.delayPhase === 'before') await d.pauses.wait(f.delayMs);
    if (!authorised(req)) return reply.code(401).send({ success: false, message: `unauthorized: ${d.authHeader} must carry the API key`, data: null });
    let answer: Envelope;
    if (f.forcedMessage !== undefined) {
      d.counters.bump('forcedFailures');
      answer = { success: false, message: f.forcedMessage, data: null };
    } else {
      try {
        answer = { success: true, message: 'OK', data: await handle(req.body) };
      } catch (err) {
        if (!(err instanceof Refusal)) throw err;
        d.counters.bump('refusals');
        answer = { success: false, message: err.message, data: null };
      }
    }
    if (f.delayPhase === 'after') await d.pauses.wait(f.delayMs);
    const line = { endpoint: name, success: answer.success, message: answer.message, status: answer.data?.status };
    if (f.drop || d.pauses.isClosed) {
      d.counters.bump('answersDropped');
      d.log.info({ ...line, fault: 'dropAfterHandling' }, 'reseller simulator: answer dropped after handling');
      reply.hijack();
      req.raw.socket.destroy();
      return;
    }
    d.log.info(line, 'reseller simulator');
    return reply.code(200).type('application/json; charset=utf-8').send(answer);
  };

  await app.register(async (api) => {
    // Any content type; a body that is not JSON reads as nothing and is refused by the first field check.
    api.removeAllContentTypeParsers();
    api.addContentTypeParser('*', { parseAs: 'string' }, (_req, raw, done) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(String(raw));
      } catch {
        parsed = undefined;
      }
      done(null, parsed);
    });
    api.post(
      RESELLER_PATHS.create,
      endpoint('create', async (body) => {
        const request = await readCreate(body);
        return d.store.order(request);
      }),
    );
    api.post(
      RESELLER_PATHS.reissue,
      endpoint('reissue', async (body) => {
        const request = await readReissue(body);
        return d.store.reissue(request);
      }),
    );
    api.post(
      RESELLER_PATHS.status,
      endpoint('status', async (body) => {
        d.counters.bump('statusReads');
        const id = typeof body === 'object' && body !== null ? (body as { service_id?: unknown }).service_id : undefined;
        if (typeof id !== 'string' || id.trim() === '') throw new Refusal('service_id: 证书编号,必填 (required)');
        return d.store.refresh(id.trim());
      }),
    );
  });
}

/**
 * The platform's endpoint over HTTPS: `POST /` (the document gives the address,
 * `https://docapi.wosign.com`, and names the function by `actiontype`, so there is no path),
 * any content type, faults around the handling, one log line per request. HTTP 200 for every
 * WoSignDoc answer, errors included: the document defines `status` and `errorcode`, no HTTP
 * statuses. A body over the limit is refused with 413 before it is read.
 */
import type { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Pauses } from '../wotrus/routes';
import type { Counters } from './counters';
import type { FaultInjector } from './faults';
import type { WosignDocOperations } from './operations';
import { type CreateAnswer, NOT_JSON, WOSIGNDOC_ERRORS } from './protocol';
import type { ClientCheck, ClientRegistry } from './tls';

export interface RouteDeps {
  ops: WosignDocOperations;
  faults: FaultInjector;
  counters: Counters;
  clients: ClientRegistry;
  pauses: Pauses;
  log: Logger;
}

/** What a proxy in front of the platform sends when the platform behind it is down. */
const PROXY_PAGES: Record<500 | 502 | 503, string> = {
  500: '<html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server Error</h1></body></html>',
  502: '<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1><p>nginx</p></body></html>',
  503: '<html><head><title>503 Service Unavailable</title></head><body><h1>Service Unavailable</h1><p>nginx</p></body></html>',
};

function clientOf(req: FastifyRequest, clients: ClientRegistry): ClientCheck {
  const socket = req.raw.socket as TLSSocket;
  if (typeof socket.getPeerCertificate !== 'function') return 'none';
  const peer = socket.getPeerCertificate();
  return clients.check(peer && 'raw' in peer ? peer.raw : undefined);
}

export async function registerWosignDocRoutes(app: FastifyInstance, d: RouteDeps): Promise<void> {
  const drop = (req: FastifyRequest, reply: FastifyReply): void => {
    reply.hijack();
    req.raw.socket.destroy();
  };

  await app.register(async (api) => {
    // Any content type; the text is parsed once (the 20 MB document's base64 is one string
    // in the parsed object, and the body text is garbage as soon as it is parsed).
    api.removeAllContentTypeParsers();
    api.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
      try {
        done(null, JSON.parse(typeof body === 'string' ? body : body.toString('utf8')));
      } catch {
        done(null, NOT_JSON);
      }
    });

    api.post('/', async (req, reply) => {
      d.counters.requests++;
      const started = Date.now();
      const f = d.faults.decideCreate();
      if (f.failStatus) {
        d.counters.failedBeforeHandling++;
        d.log.info({ fault: 'failBeforeHandling', status: f.failStatus }, 'wosigndoc simulator: failing before handling');
        return void reply.code(f.failStatus).type('text/html; charset=utf-8').send(PROXY_PAGES[f.failStatus]);
      }
      if (f.delayPhase === 'before') await d.pauses.wait(f.delayMs);
      // An empty body never reaches the parser: it is not JSON either.
      const body = req.body === undefined ? NOT_JSON : req.body;
      let answer: CreateAnswer;
      if (f.forcedError !== undefined) answer = d.ops.forced(f.forcedError, body);
      else {
        try {
          answer = d.ops.create(body, clientOf(req, d.clients));
        } catch (err) {
          d.log.error({ err }, 'wosigndoc simulator: handling failed');
          answer = d.ops.forced(WOSIGNDOC_ERRORS.internal, undefined);
        }
      }
      if (f.delayPhase === 'after') await d.pauses.wait(f.delayMs);
      const line = { status: answer.status, errorcode: answer.errorcode, signid: answer.signid || undefined, forced: f.forcedError !== undefined || undefined, ms: Date.now() - started };
      if (f.drop || d.pauses.isClosed) {
        d.counters.answersDropped++;
        d.log.info({ ...line, fault: 'dropCreateAnswer' }, 'wosigndoc simulator: answer dropped after handling');
        return drop(req, reply);
      }
      d.log.info(line, 'wosigndoc simulator');
      return void reply.code(200).type('application/json; charset=utf-8').send(answer);
    });
  });
}

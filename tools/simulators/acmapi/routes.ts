/**
 * The ACMAPI endpoint over HTTP: `POST /`, any content type, faults around the handling, one
 * log line per request. HTTP 200 for every ACMAPI answer, errors included: the document
 * defines no HTTP statuses, only `result` and `status`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Pauses } from '../wotrus/routes';
import type { Counters } from './counters';
import type { FaultInjector } from './faults';
import type { AcmapiOperations } from './operations';
import { ACMAPI_ERRORS, type AcmapiAnswer, type AcmapiRequest, errorAnswer, readRequest } from './protocol';

export interface AcmapiRouteDeps {
  ops: AcmapiOperations;
  faults: FaultInjector;
  counters: Counters;
  pauses: Pauses;
  log: Logger;
}

/** What a proxy in front of the CA sends when the CA behind it is down. */
const PROXY_PAGES: Record<500 | 502 | 503, string> = {
  500: '<html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server Error</h1></body></html>',
  502: '<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1><p>nginx</p></body></html>',
  503: '<html><head><title>503 Service Unavailable</title></head><body><h1>Service Unavailable</h1><p>nginx</p></body></html>',
};

/** A forced 107 names a domain, as a real one does: the request's first, if it has one. */
function forcedAnswer(code: number, req: AcmapiRequest): AcmapiAnswer {
  if (code !== ACMAPI_ERRORS.domainVerify) return errorAnswer(code);
  const first = Array.isArray(req.domainName) && typeof req.domainName[0] === 'string' ? req.domainName[0] : '';
  return errorAnswer(code, first);
}

export async function registerAcmapiRoutes(app: FastifyInstance, d: AcmapiRouteDeps): Promise<void> {
  const drop = (req: FastifyRequest, reply: FastifyReply): void => {
    reply.hijack();
    req.raw.socket.destroy();
  };

  await app.register(async (api) => {
    // Any content type. A body that is not JSON reads as empty and so fails the first check
    // that needs a field (101): the document has no code for an unreadable request (inferred).
    api.removeAllContentTypeParsers();
    api.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
      try {
        done(null, JSON.parse(typeof body === 'string' ? body : body.toString('utf8')));
      } catch {
        done(null, undefined);
      }
    });

    api.post('/', async (req, reply) => {
      d.counters.requests++;
      const started = Date.now();
      const f = d.faults.decide();
      if (f.failStatus) {
        d.counters.failedBeforeHandling++;
        d.log.info({ fault: 'failBeforeHandling', status: f.failStatus }, 'acmapi simulator: failing before handling');
        return void reply.code(f.failStatus).type('text/html; charset=utf-8').send(PROXY_PAGES[f.failStatus]);
      }
      if (f.delayPhase === 'before') await d.pauses.wait(f.delayMs);
      const request = readRequest(req.body);
      let answer: AcmapiAnswer;
      if (f.forcedError !== undefined) {
        answer = forcedAnswer(f.forcedError, request);
        d.counters.error(f.forcedError);
      } else {
        try {
          answer = await d.ops.handle(request, req.socket.remoteAddress);
        } catch (err) {
          d.log.error({ err }, 'acmapi simulator: handling failed');
          answer = errorAnswer(ACMAPI_ERRORS.unknown);
          d.counters.error(ACMAPI_ERRORS.unknown);
        }
      }
      if (f.delayPhase === 'after') await d.pauses.wait(f.delayMs);
      const line = { result: answer.result, status: answer.status, handleId: 'handle_id' in answer ? answer.handle_id : undefined, forced: f.forcedError !== undefined || undefined, ms: Date.now() - started };
      if (f.drop || d.pauses.isClosed) {
        d.counters.answersDropped++;
        d.log.info({ ...line, fault: 'dropAfterHandling' }, 'acmapi simulator: answer dropped after handling');
        return drop(req, reply);
      }
      d.log.info(line, 'acmapi simulator');
      return void reply.code(200).type('application/json; charset=utf-8').send(answer);
    });
  });
}

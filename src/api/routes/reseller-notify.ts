import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyError } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { parseResellerCallback } from '../../ca/reseller/callback';
import { RESELLER_NOTIFY_PATH_PREFIX } from '../../ca/reseller/notify';
import { errorHandler, HttpProblem, problemResponses, ProblemType } from '../problems';
import type { PushDispatcher } from '../push-dispatch';

export interface ResellerNotifyRoutesOptions {
  /** RESELLER_NOTIFY_TOKEN: the secret path segment of the notify_url. Unset: every call is a 404. */
  token?: string;
  /** The push dispatcher (push-dispatch.ts): the same window, budget and routing as WoTrus pushes. */
  dispatcher: PushDispatcher;
}

export const RESELLER_NOTIFY_PATH = `${RESELLER_NOTIFY_PATH_PREFIX}:token`;
/** The path as logs and problem documents show it: never the token. */
export const RESELLER_NOTIFY_PATH_SHOWN = `${RESELLER_NOTIFY_PATH_PREFIX}[redacted]`;
/** A callback is a few small fields (or the reissue answer's data at most); anything near this is not one. */
export const RESELLER_NOTIFY_BODY_LIMIT = 64 * 1024;

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** Whether the path's token is the configured one, in constant time (digests: equal lengths whatever was sent). */
export function notifyTokenMatches(configured: string | undefined, given: string | undefined): boolean {
  if (!configured || given === undefined) return false;
  return timingSafeEqual(digest(configured), digest(given));
}

const answerSchema = z.object({ ok: z.literal(true) });

const callbackDocSchema = z
  .looseObject({
    service_id: z.string().describe('the platform\'s order (certflow\'s CA order id); required'),
    caid: z.string().optional(),
    status: z.string().optional(),
  })
  .describe('INFERRED (src/ca/reseller/inferred.ts InferredCallbackBody): read tolerantly — JSON or a form, whatever the content type; the fields at the top or under data');

/**
 * The reseller platform's `notify_url` callback. Authenticated as far as the platform allows:
 * the secret token in the path (RESELLER_NOTIFY_TOKEN, compared in constant time, checked
 * before the body is read); a wrong or unconfigured token is a plain 404 that says nothing of
 * why. The callback is a hint only: it makes the workflows following that CA order read its
 * status now, through the push dispatcher (per-order window, global budget, routing caches).
 * The token never reaches a log line or a problem document.
 */
export const resellerNotifyRoutes: FastifyPluginAsyncZod<ResellerNotifyRoutesOptions> = async (app, { token, dispatcher }) => {
  app.removeAllContentTypeParsers();
  // The callback's serialiser is unknown (inferred): every body is read as bytes and parsed by the adapter.
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: RESELLER_NOTIFY_BODY_LIMIT }, (_request, body, done) => {
    done(null, body);
  });
  // Problems of this scope (413, 503, …) name the route without its token.
  app.setErrorHandler((err: FastifyError, request, reply) => errorHandler(err, request, reply, RESELLER_NOTIFY_PATH_SHOWN));

  app.post(RESELLER_NOTIFY_PATH, {
    bodyLimit: RESELLER_NOTIFY_BODY_LIMIT,
    // Fastify's request log lines show the URL: here, without the token.
    logSerializers: {
      req: (req: { method?: string; ip?: string }) => ({ method: req.method, url: RESELLER_NOTIFY_PATH_SHOWN, remoteAddress: req.ip }),
    },
    // Before the body is read: a stranger's callback costs no parsing.
    onRequest: async (request) => {
      const given = (request.params as { token?: string } | undefined)?.token;
      if (!notifyTokenMatches(token, given)) {
        dispatcher.refuse('signature', { ip: request.ip, issuer: 'reseller' });
        throw new HttpProblem(404, ProblemType.notFound, 'Not found', 'No such notify URL.');
      }
    },
    // The body is read by the handler (tolerantly); the schema documents it.
    validatorCompiler: () => (data) => ({ value: data }),
    schema: {
      operationId: 'receiveResellerNotify',
      tags: ['ca'],
      summary: 'Reseller platform notify_url callback receiver (no API key; the secret token in the path)',
      description:
        'The notify_url certflow sends with every reseller create and reissue: `${PUBLIC_BASE_URL}/v1/issuers/reseller/notify/${RESELLER_NOTIFY_TOKEN}`. ' +
        'A wrong token, or none configured, is a 404. The body (inferred) needs only `service_id`; it makes the orders following that ' +
        'CA order read its status now, within the push receiver\'s bounds (CA_PUSH_WINDOW_MS, CA_PUSH_RATE_PER_SEC, CA_PUSH_BURST; docs/pushes.md), ' +
        'and is answered `{ ok: true }` once handed on (also when it is deferred, throttled, or for an order not searchable yet: the order\'s poll covers it).',
      params: z.object({ token: z.string().describe('RESELLER_NOTIFY_TOKEN') }),
      body: callbackDocSchema,
      response: { 200: answerSchema, ...problemResponses(400, 404, 413, 503) },
    },
    handler: async (request) => {
      const parsed = parseResellerCallback(Buffer.isBuffer(request.body) ? request.body : undefined);
      if (!parsed.ok) {
        dispatcher.refuse('unreadable', { ip: request.ip, issuer: 'reseller', fields: parsed.issues.map((i) => i.path.join('.')) });
        throw new HttpProblem(400, ProblemType.validation, 'Invalid callback', 'The callback does not name a service_id.',
          parsed.issues.map((i) => ({ path: `body.${i.path.join('.')}`, rule: i.rule })));
      }
      const { serviceId, status, phase } = parsed.callback;
      const signal = { caOrderId: serviceId, isIssued: phase === 'issued', isRevoked: phase === 'revoked', receivedAt: new Date().toISOString() };
      let outcome;
      try {
        outcome = await dispatcher.dispatch(signal);
      } catch (err) {
        dispatcher.failed();
        throw err;
      }
      request.log.info({ caOrderId: serviceId, status, action: outcome.action, ...(outcome.action === 'signalled' ? { workflows: outcome.workflows } : {}) }, 'reseller callback handed on');
      return { ok: true as const };
    },
  });
};

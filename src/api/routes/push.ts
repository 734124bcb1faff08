import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Config } from '../../config';
import { PUSH_SIGNATURE_HEADER, type PushVerifier } from '../../ca/wotrus/push';
import { orderStatusPushSchema, pushActionSchema } from '../../ca/wotrus/schemas';
import { apiKeyAuth } from '../auth';
import { fieldErrors, HttpProblem, problemResponses, ProblemType } from '../problems';
import type { PushDispatcher } from '../push-dispatch';
import { pushAnswerSchema, pushBodyDocSchema, pushStatsSchema } from '../schemas';

export interface PushRoutesOptions {
  /** CA_PUSH_VERIFY's: takes every push (`none`) or checks our signature (`hmac`). */
  verifier: PushVerifier;
  /** Whether a source address may push (CA_PUSH_ALLOW_FROM); any when absent. */
  allowFrom?: (ip: string | undefined) => boolean;
  dispatcher: PushDispatcher;
  /** The stats route is behind the API key, like the orders. */
  apiKeys: Config['API_KEYS'];
}

export const PUSH_PATH = '/v1/ca/wotrus/push';
export const PUSH_STATS_PATH = '/v1/ca/wotrus/push/stats';
/** A push is four small fields; anything near this size is not one. */
export const PUSH_BODY_LIMIT = 64 * 1024;
/** WoTrus order ids are GUIDs; a longer "id" is not one, and is kept out of caches and logs. */
export const MAX_CA_ORDER_ID_LENGTH = 128;

function invalid(detail: string, errors?: { path: string; rule: string }[]): HttpProblem {
  return new HttpProblem(400, ProblemType.validation, 'Invalid push', detail, errors);
}

function parseBody(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    throw invalid('The push body is not JSON.', [{ path: 'body', rule: 'must be a JSON object' }]);
  }
}

/**
 * The CA's status push. As the WoTrus document describes it, unsigned (`CA_PUSH_VERIFY=none`,
 * the default), optionally from allowed sources only; with `hmac`, authenticated by our
 * signature over the exact bytes sent, so this scope parses bodies as raw Buffers and the
 * handler verifies before it reads anything. A push never changes an order: the dispatcher
 * makes the waiting workflows read the CA's status, within per-order and global bounds.
 * Refusals are counted and logged at warn (rate-limited) with their reason, never the body.
 */
export const pushRoutes: FastifyPluginAsyncZod<PushRoutesOptions> = async (app, { verifier, allowFrom, dispatcher, apiKeys }) => {
  app.removeAllContentTypeParsers();
  // The CA's serialiser is unspecified; JSON sent as text/plain is still JSON to us.
  app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'buffer', bodyLimit: PUSH_BODY_LIMIT }, (_request, body, done) => {
    done(null, body);
  });

  app.post(PUSH_PATH, {
    bodyLimit: PUSH_BODY_LIMIT,
    // Before the body is read: a stranger's push costs us no parsing.
    onRequest: async (request) => {
      if (allowFrom && !allowFrom(request.ip)) {
        dispatcher.refuse('source', { ip: request.ip });
        throw new HttpProblem(403, ProblemType.forbidden, 'Push source not allowed', 'This address is not in CA_PUSH_ALLOW_FROM.');
      }
    },
    // The body is validated by the handler after the signature check; the schema documents it.
    validatorCompiler: () => (data) => ({ value: data }),
    schema: {
      operationId: 'receiveWotrusPush',
      tags: ['ca'],
      summary: 'WoTrus status push receiver (no API key)',
      description:
        'The document\'s push, unsigned by default (CA_PUSH_VERIFY=none); with CA_PUSH_VERIFY=hmac it must carry ' +
        `\`${PUSH_SIGNATURE_HEADER}: sha256=<hex HMAC-SHA256(CA_PUSH_SECRET, raw body)>\`. CA_PUSH_ALLOW_FROM limits the sources. ` +
        'A push only makes the order read its CA status now: at most once per CA order per CA_PUSH_WINDOW_MS (later pushes are delivered once at the window\'s end), ' +
        'and within a global budget (CA_PUSH_RATE_PER_SEC, CA_PUSH_BURST) beyond which pushes are acknowledged and not acted on. See docs/pushes.md.',
      body: pushBodyDocSchema,
      response: { 200: pushAnswerSchema, ...problemResponses(400, 401, 403, 404, 413, 415, 503) },
    },
    handler: async (request) => {
      // No body is verified as an empty one: the signature check always comes first.
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      if (!verifier.verify(raw, request.headers)) {
        dispatcher.refuse('signature', { ip: request.ip });
        throw new HttpProblem(401, ProblemType.unauthorized, 'Invalid push signature',
          `The ${PUSH_SIGNATURE_HEADER} header is missing or does not match the body.`);
      }

      const unreadable = (problem: HttpProblem): HttpProblem => {
        dispatcher.refuse('unreadable', { ip: request.ip, fields: problem.errors?.map((e) => e.path) });
        return problem;
      };
      let json: unknown;
      try {
        json = parseBody(raw);
      } catch (err) {
        throw err instanceof HttpProblem ? unreadable(err) : err;
      }
      const action = pushActionSchema.safeParse(json);
      if (!action.success) throw unreadable(invalid('The push has no dataAction.', fieldErrors('body', action.error.issues)));
      if (action.data.dataAction.toLowerCase() !== 'order') {
        dispatcher.ignored();
        request.log.info({ dataAction: action.data.dataAction.slice(0, 40) }, 'CA push acknowledged and ignored');
        return { received: true as const, action: 'ignored' as const, workflows: 0 };
      }
      const parsed = orderStatusPushSchema.safeParse(json);
      if (!parsed.success) throw unreadable(invalid('The order push is not readable.', fieldErrors('body', parsed.error.issues)));
      const push = parsed.data;
      if (push.orderId.length > MAX_CA_ORDER_ID_LENGTH) {
        throw unreadable(invalid('The order push is not readable.', [{ path: 'body.orderId', rule: `must be at most ${MAX_CA_ORDER_ID_LENGTH} characters` }]));
      }

      const signal = { caOrderId: push.orderId, isIssued: push.isIssued, isRevoked: push.isRevoked, receivedAt: new Date().toISOString() };
      let outcome;
      try {
        outcome = await dispatcher.dispatch(signal);
      } catch (err) {
        dispatcher.failed();
        throw err;
      }
      switch (outcome.action) {
        case 'signalled':
          request.log.info({ caOrderId: push.orderId, isIssued: push.isIssued, isRevoked: push.isRevoked, workflows: outcome.workflows }, 'CA push signalled');
          return { received: true as const, action: 'signalled' as const, workflows: outcome.workflows };
        case 'deferred':
          return { received: true as const, action: 'deferred' as const, workflows: 0 };
        case 'throttled':
          // Acknowledged so the CA stops retrying: the order's poll covers what we skip.
          return { received: true as const, action: 'throttled' as const, workflows: 0 };
        case 'unknown':
          // Perhaps an order too new to be searchable yet: the dispatcher follows it up.
          throw new HttpProblem(404, ProblemType.noWaitingOrder, 'No order waits for this CA order',
            `No running order has CA order id ${push.orderId}.`);
      }
    },
  });

  app.get(PUSH_STATS_PATH, {
    onRequest: apiKeyAuth(apiKeys),
    schema: {
      operationId: 'getWotrusPushStats',
      tags: ['ca'],
      summary: 'Counters of the push receiver since this process started (API key)',
      description: 'Per API instance. Refusals by reason, deliveries, deferrals, look-ups, cache and budget. See docs/pushes.md.',
      security: [{ bearerAuth: [] }, { apiKeyHeader: [] }],
      response: { 200: pushStatsSchema, ...problemResponses(401) },
    },
    handler: async () => dispatcher.stats(),
  });
};

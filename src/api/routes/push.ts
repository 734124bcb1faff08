import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { PUSH_SIGNATURE_HEADER, type PushVerifier } from '../../ca/wotrus/push';
import { orderStatusPushSchema, pushActionSchema } from '../../ca/wotrus/schemas';
import type { OrderService } from '../../orders/order-service';
import { fieldErrors, HttpProblem, problemResponses, ProblemType } from '../problems';
import { type PushDedupe, pushKey } from '../push-dedupe';
import { type PushFollowUp, signalEach } from '../push-follow-up';
import { pushAnswerSchema, pushBodyDocSchema } from '../schemas';

export interface PushRoutesOptions {
  orders: OrderService;
  verifier: PushVerifier;
  dedupe: PushDedupe;
  followUp: PushFollowUp;
}

export const PUSH_PATH = '/v1/ca/wotrus/push';
/** A push is four small fields; anything near this size is not one. */
export const PUSH_BODY_LIMIT = 64 * 1024;

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
 * The CA's status push. Authenticated by its HMAC signature alone, which is computed over
 * the exact bytes sent, so this scope parses bodies as raw Buffers and the handler verifies
 * before it reads anything. It answers fast: the push only nudges the workflows, which
 * confirm through the CA's status API.
 */
export const pushRoutes: FastifyPluginAsyncZod<PushRoutesOptions> = async (app, { orders, verifier, dedupe, followUp }) => {
  app.removeAllContentTypeParsers();
  // The CA's serialiser is unspecified; JSON sent as text/plain is still JSON to us.
  app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'buffer', bodyLimit: PUSH_BODY_LIMIT }, (_request, body, done) => {
    done(null, body);
  });

  app.post(PUSH_PATH, {
    bodyLimit: PUSH_BODY_LIMIT,
    // The body is validated by the handler after the signature check; the schema documents it.
    validatorCompiler: () => (data) => ({ value: data }),
    schema: {
      operationId: 'receiveWotrusPush',
      tags: ['ca'],
      summary: 'WoTrus status push receiver (signed; no API key)',
      description:
        `Authenticated by \`${PUSH_SIGNATURE_HEADER}: sha256=<hex HMAC-SHA256(CA_PUSH_SECRET, raw body)>\`. ` +
        'Identical pushes within 30 seconds (the span of the CA retries) signal once. A push only makes the order read its CA status now.',
      body: pushBodyDocSchema,
      response: { 200: pushAnswerSchema, ...problemResponses(400, 401, 404, 413, 415, 503) },
    },
    handler: async (request) => {
      // No body is verified as an empty one: the signature check always comes first.
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      if (!verifier.verify(raw, request.headers)) {
        throw new HttpProblem(401, ProblemType.unauthorized, 'Invalid push signature',
          `The ${PUSH_SIGNATURE_HEADER} header is missing or does not match the body.`);
      }

      const json = parseBody(raw);
      const action = pushActionSchema.safeParse(json);
      if (!action.success) throw invalid('The push has no dataAction.', fieldErrors('body', action.error.issues));
      if (action.data.dataAction.toLowerCase() !== 'order') {
        request.log.info({ dataAction: action.data.dataAction }, 'CA push acknowledged and ignored');
        return { received: true as const, action: 'ignored' as const, workflows: 0 };
      }
      const parsed = orderStatusPushSchema.safeParse(json);
      if (!parsed.success) throw invalid('The order push is not readable.', fieldErrors('body', parsed.error.issues));
      const push = parsed.data;

      const key = pushKey(push);
      if (!dedupe.claim(key)) {
        request.log.debug({ caOrderId: push.orderId }, 'duplicate CA push');
        return { received: true as const, action: 'duplicate' as const, workflows: 0 };
      }
      try {
        const signal = { caOrderId: push.orderId, isIssued: push.isIssued, isRevoked: push.isRevoked, receivedAt: new Date().toISOString() };
        const workflowIds = await orders.findByCaOrderId(push.orderId);
        if (workflowIds.length === 0) {
          // Perhaps an order too new to be searchable yet: looked up again for a few seconds.
          followUp.hold(key, signal);
          throw new HttpProblem(404, ProblemType.noWaitingOrder, 'No order waits for this CA order',
            `No running order has CA order id ${push.orderId}.`);
        }
        const { signalled, failure } = await signalEach(workflowIds, signal, (id, p) => orders.signalPush(id, p));
        if (signalled === 0) throw failure;
        request.log.info({ caOrderId: push.orderId, isIssued: push.isIssued, isRevoked: push.isRevoked, workflows: signalled }, 'CA push signalled');
        return { received: true as const, action: 'signalled' as const, workflows: signalled };
      } catch (err) {
        // Let the CA's retry through: it is one of only three attempts.
        dedupe.release(key);
        throw err;
      }
    },
  });
};

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Config } from '../../config';
import type { OrderService } from '../../orders/order-service';
import { resendCustomerEmailInputSchema, resolveCreateInputSchema } from '../../workflows/message-schemas';
import { apiKeyAuth } from '../auth';
import { problemResponses } from '../problems';
import { billingOrderIdParamsSchema, updateAnswerSchema } from '../schemas';

export interface NotifyRoutesOptions {
  orders: OrderService;
  apiKeys: Config['API_KEYS'];
}

/**
 * The operator's actions on calls certflow never repeats by itself, because the CA takes no
 * idempotency key for them: the customer e-mail's resend, and the settling of a create whose
 * answer was lost (docs/order-workflow.md, docs/acmapi.md). Apart from the order routes for that.
 */
export const notifyRoutes: FastifyPluginAsyncZod<NotifyRoutesOptions> = async (app, { orders, apiKeys }) => {
  app.addHook('onRequest', apiKeyAuth(apiKeys));
  // As on the order routes: bodies are JSON (or none); anything else is a 415.
  app.removeContentTypeParser('text/plain');

  app.post('/v1/orders/:billingOrderId/notify', {
    schema: {
      operationId: 'resendCustomerEmail',
      tags: ['orders'],
      security: [{ bearerAuth: [] }, { apiKeyHeader: [] }],
      summary: 'Ask the CA to e-mail the customer the collection link again (idempotent on requestId)',
      description:
        'For a certificate whose e-mail is `unconfirmed` or `failed` in the order view (notifications.caEmails), ' +
        'or on the customer\'s request. The CA may already have sent an unconfirmed e-mail: this can be a second one. ' +
        'The body is optional; the same requestId twice is one e-mail.',
      params: billingOrderIdParamsSchema,
      // Fastify hands a missing body to the schema as null.
      body: resendCustomerEmailInputSchema.nullish(),
      response: { 202: updateAnswerSchema, ...problemResponses(400, 401, 404, 409, 415, 503) },
    },
    handler: async (request, reply) => reply.code(202).send(await orders.resendCustomerEmail(request.params.billingOrderId, request.body ?? {})),
  });

  app.post('/v1/orders/:billingOrderId/resolve-create', {
    schema: {
      operationId: 'resolveCreate',
      tags: ['orders'],
      security: [{ bearerAuth: [] }, { apiKeyHeader: [] }],
      summary: 'Settle a create whose answer was lost at a CA without idempotency key (WoSign ACMAPI)',
      description:
        'Only for an order in needsAttention with reason CaCreateOutcomeUnknown: the CA may have created the order ' +
        '(and issued) although its answer never arrived, and asking again could issue a second certificate. Look the ' +
        'order up at the CA, then give either `caOrderId` (the CA order found there; ACMAPI: its handle_id) or ' +
        '`createAgain: true` (the CA made none).',
      params: billingOrderIdParamsSchema,
      body: resolveCreateInputSchema,
      response: { 202: updateAnswerSchema, ...problemResponses(400, 401, 404, 409, 415, 503) },
    },
    handler: async (request, reply) => reply.code(202).send(await orders.resolveCreate(request.params.billingOrderId, request.body)),
  });
};

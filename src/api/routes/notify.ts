import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Config } from '../../config';
import type { OrderService } from '../../orders/order-service';
import { resendCustomerEmailInputSchema } from '../../workflows/message-schemas';
import { apiKeyAuth } from '../auth';
import { problemResponses } from '../problems';
import { billingOrderIdParamsSchema, updateAnswerSchema } from '../schemas';

export interface NotifyRoutesOptions {
  orders: OrderService;
  apiKeys: Config['API_KEYS'];
}

/**
 * The operator's resend of the customer e-mail. Apart from the order routes because it is
 * the one action that repeats something the customer sees: the CA's e-mail has no
 * idempotency key, so certflow never repeats it by itself (docs/order-workflow.md).
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
};

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../../config';
import { orderRequestSchema } from '../../domain/order';
import { orderWorkflowId } from '../../domain/workflow-ids';
import type { OrderService } from '../../orders/order-service';
import { listOrdersQuerySchema, orderPageSchema, switchDomainValidationInputSchema } from '../../orders/schemas';
import { type CertificateBundle, certificatePart } from '../../domain/certificate';
import { cancelInputSchema, reissueInputSchema, revokeInputSchema } from '../../workflows/message-schemas';
import { apiKeyAuth } from '../auth';
import { HttpProblem, problemResponses, ProblemType } from '../problems';
import {
  billingOrderIdParamsSchema,
  certificateBundleSchema,
  certificateQuerySchema,
  orderViewSchema,
  placeOrderAnswerSchema,
  updateAnswerSchema,
} from '../schemas';

export interface OrderRoutesOptions {
  orders: OrderService;
  apiKeys: Config['API_KEYS'];
  /** Prefix of the links in answers; empty for path-only links. */
  publicBaseUrl?: string;
  /** Lets the customer's e-mailed collect link download the certificate without an API key. */
  collectLinkSecret?: string;
}

/**
 * Temporal refuses a payload over 2 MiB (its default blob limit), and the order or update
 * becomes one payload: a bigger body could never start, so it is refused at the door (413).
 */
export const ORDER_BODY_LIMIT = 2 * 1024 * 1024;

export const PEM_MEDIA_TYPES = ['application/x-pem-file', 'application/pem-certificate-chain'] as const;

/** Leaf first, then the chain towards the root: the order TLS servers present. */
export function bundleToPem(bundle: Pick<CertificateBundle, 'leafPem' | 'chainPems'>): string {
  return [bundle.leafPem, ...bundle.chainPems].map((p) => `${p.trim()}\n`).join('');
}

function wantsPem(accept: string | undefined, format: string | undefined): boolean {
  if (format !== undefined) return format === 'pem';
  const a = (accept ?? '').toLowerCase();
  return PEM_MEDIA_TYPES.some((t) => a.includes(t));
}

const security: { [scheme: string]: string[] }[] = [{ bearerAuth: [] }, { apiKeyHeader: [] }];
const tags = ['orders'];

export const orderRoutes: FastifyPluginAsyncZod<OrderRoutesOptions> = async (app, { orders, apiKeys, publicBaseUrl = '', collectLinkSecret }) => {
  app.addHook('onRequest', apiKeyAuth(apiKeys, { collectLinkSecret }));
  // Fastify parses text/plain by default: a string body would only meet a confusing schema
  // error ("expected object"). Bodies here are JSON; anything else is a 415, as documented.
  app.removeContentTypeParser('text/plain');

  const base = publicBaseUrl.replace(/\/+$/, '');
  const orderPath = (id: string): string => `${base}/v1/orders/${encodeURIComponent(id)}`;
  const links = (id: string) => {
    const self = orderPath(id);
    return { self, certificate: `${self}/certificate`, cancel: `${self}/cancel`, reissue: `${self}/reissue`, revoke: `${self}/revoke`, retry: `${self}/retry` };
  };

  app.post('/v1/orders', {
    bodyLimit: ORDER_BODY_LIMIT,
    schema: {
      operationId: 'placeOrder',
      tags,
      security,
      summary: 'Place an order (idempotent on billingOrderId)',
      description:
        'Starts the order workflow. Posting the same body again answers the same order with created=false; ' +
        'a different body under the same billingOrderId is a 409. A billing order id names one order forever, also after it ended.',
      body: orderRequestSchema,
      response: { 202: placeOrderAnswerSchema, ...problemResponses(400, 401, 409, 413, 415, 503) },
    },
    handler: async (request, reply) => {
      const placed = await orders.placeOrder(request.body);
      const id = request.body.billingOrderId;
      request.log.info({ billingOrderId: id, workflowId: placed.workflowId, created: placed.created }, 'order placed');
      return reply
        .code(202)
        .header('location', orderPath(id))
        .send({ billingOrderId: id, workflowId: placed.workflowId, created: placed.created, links: links(id) });
    },
  });

  app.get('/v1/orders', {
    schema: {
      operationId: 'listOrders',
      tags,
      security,
      summary: 'List orders (open first, most recent first), filtered by state and common name',
      querystring: listOrdersQuerySchema,
      response: { 200: orderPageSchema, ...problemResponses(400, 401, 503) },
    },
    handler: async (request) => orders.listOrders(request.query),
  });

  app.get('/v1/orders/:billingOrderId', {
    schema: {
      operationId: 'getOrder',
      tags,
      security,
      summary: 'The order: state with reason and message, CA status, certificate, lineage, timeline',
      params: billingOrderIdParamsSchema,
      response: { 200: orderViewSchema, ...problemResponses(400, 401, 404, 503) },
    },
    handler: async (request) => orders.getOrder(request.params.billingOrderId),
  });

  app.get('/v1/orders/:billingOrderId/certificate', {
    schema: {
      operationId: 'getCertificate',
      tags,
      security,
      summary: 'The issued certificate, as JSON or as one PEM file (leaf, then chain towards the root)',
      description: 'PEM with `Accept: application/x-pem-file` (or application/pem-certificate-chain) or `?format=pem`; JSON otherwise (the whole bundle). An SM2 order\'s PEM is its signing certificate; `part=encryption` gives its encryption certificate and `part=rsa` the bound RSA order\'s.',
      params: billingOrderIdParamsSchema,
      querystring: certificateQuerySchema,
      response: {
        200: {
          description: 'The current certificate and its chain',
          content: {
            'application/json': { schema: certificateBundleSchema },
            'application/x-pem-file': { schema: z.string() },
          },
        },
        ...problemResponses(400, 401, 404, 503),
      },
    },
    handler: async (request, reply) => {
      const id = request.params.billingOrderId;
      const bundle = await orders.getCertificate(id);
      if (!bundle) {
        throw new HttpProblem(404, ProblemType.certificateNotIssued, 'Certificate not issued yet',
          `Order ${id} has no certificate yet; GET /v1/orders/${id} shows what it is waiting for.`);
      }
      const partName = request.query.part ?? 'signing';
      const pem = wantsPem(request.headers.accept, request.query.format);
      if (request.query.part && !pem) {
        throw new HttpProblem(400, ProblemType.validation, 'Invalid request', 'The JSON bundle holds every certificate; part selects one PEM file.',
          [{ path: 'query.part', rule: 'only with format=pem or Accept: application/x-pem-file' }]);
      }
      if (pem) {
        const part = certificatePart(bundle, partName);
        if (!part) {
          throw new HttpProblem(404, ProblemType.certificateNotIssued, 'No such certificate in this order',
            `Order ${id} has no ${partName} certificate: part=encryption is for SM2 orders, part=rsa for SM2 orders with a bound RSA product.`);
        }
        const suffix = partName === 'signing' ? '' : `-${partName}`;
        return reply
          .type('application/x-pem-file')
          .header('content-disposition', `attachment; filename="${orderWorkflowId(id)}${suffix}.pem"`)
          .send(bundleToPem(part));
      }
      return reply.type('application/json').send(bundle);
    },
  });

  app.post('/v1/orders/:billingOrderId/cancel', {
    schema: {
      operationId: 'cancelOrder',
      tags,
      security,
      summary: 'Cancel an order before issuance (cancels the CA order)',
      params: billingOrderIdParamsSchema,
      body: cancelInputSchema,
      response: { 200: updateAnswerSchema, ...problemResponses(400, 401, 404, 409, 415, 503) },
    },
    handler: async (request) => orders.cancel(request.params.billingOrderId, request.body),
  });

  app.post('/v1/orders/:billingOrderId/reissue', {
    bodyLimit: ORDER_BODY_LIMIT,
    schema: {
      operationId: 'reissueOrder',
      tags,
      security,
      summary: 'Reissue the active certificate with a new CSR, or (CAs that validate per name) with new names or methods (idempotent on requestId)',
      params: billingOrderIdParamsSchema,
      body: reissueInputSchema,
      response: { 202: updateAnswerSchema, ...problemResponses(400, 401, 404, 409, 413, 415, 503) },
    },
    handler: async (request, reply) => reply.code(202).send(await orders.reissue(request.params.billingOrderId, request.body)),
  });

  app.post('/v1/orders/:billingOrderId/domain-validation', {
    schema: {
      operationId: 'switchDomainValidation',
      tags,
      security,
      summary: 'Switch names\' validation methods (CAs that validate per name; a reissue, idempotent on requestId)',
      description:
        'Give only the names that change (`methods`: name → dns, http, https or an approver e-mail address). certflow adds every ' +
        'other name of the order with its current method (`ca.domains`; a name the CA has not reported yet: dns) and asks for a ' +
        'reissue with the full set as `domainValidation`, without a new CSR, so the reissue\'s rules apply: a name that is not the ' +
        'order\'s is a 400 naming `body.methods.<name>`, a method the CA does not take for a name (a wildcard by http) a 400 naming ' +
        '`body.domainValidation.<name>`. The same requestId twice is one reissue.',
      params: billingOrderIdParamsSchema,
      body: switchDomainValidationInputSchema,
      response: { 202: updateAnswerSchema, ...problemResponses(400, 401, 404, 409, 415, 503) },
    },
    handler: async (request, reply) => reply.code(202).send(await orders.switchDomainValidation(request.params.billingOrderId, request.body)),
  });

  app.post('/v1/orders/:billingOrderId/revoke', {
    bodyLimit: ORDER_BODY_LIMIT,
    schema: {
      operationId: 'revokeOrder',
      tags,
      security,
      summary: 'Revoke the active certificate (with a proof document)',
      params: billingOrderIdParamsSchema,
      body: revokeInputSchema,
      response: { 202: updateAnswerSchema, ...problemResponses(400, 401, 404, 409, 413, 415, 503) },
    },
    handler: async (request, reply) => reply.code(202).send(await orders.revoke(request.params.billingOrderId, request.body)),
  });

  app.post('/v1/orders/:billingOrderId/retry', {
    schema: {
      operationId: 'retryOrder',
      tags,
      security,
      summary: 'Retry now an order that needs attention, instead of at its next scheduled attempt',
      params: billingOrderIdParamsSchema,
      response: { 202: updateAnswerSchema, ...problemResponses(400, 401, 404, 409, 503) },
    },
    handler: async (request, reply) => reply.code(202).send(await orders.retryNow(request.params.billingOrderId)),
  });
};

import { randomUUID } from 'node:crypto';
import { type CodecRoutesOptions, registerCodecRoutes } from '../codec/codec-server';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import pino from 'pino';
import { domainFilesFromConfig } from '../ca/issuer-from-config';
import { createPushVerifier, type PushVerifier } from '../ca/wotrus/push';
import type { Config } from '../config';
import type { OrderService } from '../orders/order-service';
import { errorHandler, notFoundHandler } from './problems';
import { createPushDispatcher, type PushDispatcherOptions } from './push-dispatch';
import { createSourceAllowList } from './push-source';
import { healthRoutes } from './routes/health';
import { issuerRoutes } from './routes/issuers';
import { notifyRoutes } from './routes/notify';
import { orderRoutes } from './routes/orders';
import { registerMetrics } from './metrics';
import { pushRoutes } from './routes/push';
import { resellerNotifyRoutes } from './routes/reseller-notify';

/** The settings the push receiver reads (docs/pushes.md). */
export type PushConfig = Pick<Config, 'CA_PUSH_VERIFY' | 'CA_PUSH_SECRET' | 'CA_PUSH_ALLOW_FROM' | 'CA_PUSH_WINDOW_MS' | 'CA_PUSH_RATE_PER_SEC' | 'CA_PUSH_BURST'>;

export interface ApiDeps {
  config: Pick<Config, 'API_KEYS' | 'PUBLIC_BASE_URL' | 'DOWNLOAD_LINK_SECRET' | 'API_TRUST_PROXY'> & Partial<Pick<Config, 'ACMAPI_URL' | 'ACMAPI_SIGNFILE' | 'RESELLER_NOTIFY_TOKEN'>> & PushConfig;
  orders: OrderService;
  /** Default: the one CA_PUSH_VERIFY and CA_PUSH_SECRET configure. */
  pushVerifier?: PushVerifier;
  logger?: FastifyBaseLogger;
  /** Readiness: whether Temporal answers. Always ready when not given. */
  ready?: () => Promise<boolean>;
  /** Tests: the dispatcher's clock, cache TTLs and follow-up steps. */
  push?: Pick<PushDispatcherOptions, 'now' | 'cacheTtlMs' | 'negativeTtlMs' | 'followUpDelaysMs' | 'warnIntervalMs'>;
  /** The payload codec endpoints for the Temporal Web UI and CLI (`/codec/decode|encode`). */
  codec?: CodecRoutesOptions;
}

export const API_VERSION = '1.0.0';

/** Where and how the API listens: one place for the service and the embedded stacks. */
export function apiListenOptions(config: Pick<Config, 'API_HOST' | 'API_PORT' | 'API_LISTEN_BACKLOG'>, override: { host?: string; port?: number } = {}): { host: string; port: number; backlog: number } {
  return { host: override.host ?? config.API_HOST, port: override.port ?? config.API_PORT, backlog: config.API_LISTEN_BACKLOG };
}

/** The API, built and ready to `listen` or to `inject` in tests. */
export async function buildApi({ config, orders, pushVerifier, logger, ready = async () => true, push, codec }: ApiDeps): Promise<FastifyInstance> {
  const trustProxy = config.API_TRUST_PROXY;
  const app = Fastify({
    loggerInstance: logger ?? pino({ enabled: false }),
    // request.ip (the push allow-list) is the peer unless these proxies vouch for the client.
    trustProxy: typeof trustProxy === 'number' ? (_address: string, hop: number) => hop < trustProxy : trustProxy?.map((n) => `${n.address}/${n.prefix}`),
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[A-Za-z0-9._:-]{1,128}$/.test(given) ? given : randomUUID();
    },
    // Long enough that an over-long id reaches zod (which names the field); beyond it, a 414.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
    // Errors the router raises before any route runs (bad URL encoding, over-long params).
    frameworkErrors: (err, request, reply) => errorHandler(err, request, reply),
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  const dispatcher = createPushDispatcher({
    ...push,
    find: (caOrderId) => orders.findByCaOrderId(caOrderId),
    signal: (workflowId, p) => orders.signalPush(workflowId, p),
    log: app.log,
    windowMs: config.CA_PUSH_WINDOW_MS,
    ratePerSec: config.CA_PUSH_RATE_PER_SEC,
    burst: config.CA_PUSH_BURST,
    settings: { verify: config.CA_PUSH_VERIFY, allowFrom: config.CA_PUSH_ALLOW_FROM?.length ?? 0 },
  });
  app.addHook('onClose', async () => dispatcher.close());
  // Before every route, so its request counter sees them all.
  registerMetrics(app, { dispatcher, apiKeys: config.API_KEYS, countOpenOrders: () => orders.countOpenOrders() });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'certflow API',
        version: API_VERSION,
        description: 'Billing orders in, certificates out: orders, their certificates and lifecycle, and the CA push and callback receivers.',
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <API key>' },
          apiKeyHeader: { type: 'apiKey', in: 'header', name: 'x-api-key' },
        },
      },
      tags: [
        { name: 'orders', description: 'Billing orders and their certificates (API key)' },
        { name: 'ca', description: 'Receivers for the CA (signed requests, or a secret token in the path)' },
        { name: 'health', description: 'Liveness and readiness' },
      ],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(healthRoutes, { ready });
  await app.register(orderRoutes, { orders, apiKeys: config.API_KEYS, publicBaseUrl: config.PUBLIC_BASE_URL, collectLinkSecret: config.DOWNLOAD_LINK_SECRET });
  await app.register(notifyRoutes, { orders, apiKeys: config.API_KEYS });
  await app.register(issuerRoutes, { apiKeys: config.API_KEYS, domainFiles: domainFilesFromConfig(config) });
  await app.register(pushRoutes, {
    verifier: pushVerifier ?? createPushVerifier({ mode: config.CA_PUSH_VERIFY, secret: config.CA_PUSH_SECRET }),
    allowFrom: config.CA_PUSH_ALLOW_FROM ? createSourceAllowList(config.CA_PUSH_ALLOW_FROM) : undefined,
    dispatcher,
    apiKeys: config.API_KEYS,
  });
  // The reseller platform's notify_url callbacks: hints like WoTrus pushes, through the same dispatcher.
  await app.register(resellerNotifyRoutes, { token: config.RESELLER_NOTIFY_TOKEN, dispatcher });
  if (codec) registerCodecRoutes(app, codec);

  await app.ready();
  return app;
}

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { problemResponses, ProblemType, HttpProblem } from '../problems';

export interface HealthRoutesOptions {
  /** Whether Temporal answers; readiness follows it so a load balancer stops sending work. */
  ready: () => Promise<boolean>;
}

const statusSchema = z.object({ status: z.enum(['ok', 'ready']) });

export const healthRoutes: FastifyPluginAsyncZod<HealthRoutesOptions> = async (app, { ready }) => {
  app.get('/healthz', {
    schema: {
      operationId: 'getHealth',
      tags: ['health'],
      summary: 'The process is up',
      response: { 200: statusSchema },
    },
    handler: async () => ({ status: 'ok' as const }),
  });

  app.get('/readyz', {
    schema: {
      operationId: 'getReadiness',
      tags: ['health'],
      summary: 'Temporal is reachable, so orders can be served',
      response: { 200: statusSchema, ...problemResponses(503) },
    },
    handler: async (request) => {
      const ok = await ready().catch((err: unknown) => {
        request.log.warn({ err }, 'readiness check failed');
        return false;
      });
      if (!ok) throw new HttpProblem(503, ProblemType.unavailable, 'Not ready', 'Temporal is not reachable.', undefined, { 'retry-after': '5' });
      return { status: 'ready' as const };
    },
  });
};

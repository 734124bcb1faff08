import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Config } from '../../config';
import { ISSUER_IDS } from '../../ca/registry';
import { apiKeyAuth } from '../auth';
import { HttpProblem, ProblemType, problemResponses } from '../problems';

export interface IssuerRoutesOptions {
  apiKeys: Config['API_KEYS'];
  /** The file each issuer with `fileValidationAtCreate` expects on every domain, by issuer id (configuration). */
  domainFiles: Readonly<Record<string, { path: string; content: string } | undefined>>;
}

/**
 * What a customer (or an integrator serving files for them) must publish for an issuer that
 * validates during the create: ACMAPI's signfile. Behind the API key like everything billing
 * calls: the file is public once served, but which platform account it belongs to is not.
 */
export const issuerRoutes: FastifyPluginAsyncZod<IssuerRoutesOptions> = async (app, { apiKeys, domainFiles }) => {
  app.addHook('onRequest', apiKeyAuth(apiKeys));

  app.get('/v1/issuers/:issuerId/domain-file', {
    schema: {
      operationId: 'getDomainFile',
      tags: ['issuers'],
      security: [{ bearerAuth: [] }, { apiKeyHeader: [] }],
      summary: 'The validation file every domain must serve before this issuer is asked (WoSign ACMAPI: the signfile)',
      description: 'The body is the file as it must be served; the `x-certflow-domain-file-path` header says where (`/.well-known/pki-validation/signfile`).',
      params: z.object({ issuerId: z.string().min(1).max(40) }),
      response: { 200: z.string(), ...problemResponses(401, 404) },
    },
    handler: async (request, reply) => {
      const { issuerId } = request.params;
      const file = domainFiles[issuerId];
      if (!file) {
        const why = ISSUER_IDS.includes(issuerId) ? `The issuer ${issuerId} is not configured here or asks for no domain file.` : `No issuer ${issuerId} (known: ${ISSUER_IDS.join(', ')}).`;
        throw new HttpProblem(404, ProblemType.notFound, 'No domain file', why);
      }
      return reply
        .header('content-type', 'text/plain; charset=utf-8')
        .header('content-disposition', `attachment; filename="${file.path.split('/').pop()}"`)
        .header('x-certflow-domain-file-path', file.path)
        .send(file.content);
    },
  });
};

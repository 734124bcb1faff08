import { verifyCollectLink } from '../orders/collect-link';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config';
import { HttpProblem, ProblemType } from './problems';

declare module 'fastify' {
  interface FastifyRequest {
    /** Name of the API key that authenticated the request (never the key itself). */
    apiKeyName?: string;
  }
}

export type ApiKeyEntry = NonNullable<Config['API_KEYS']>[number];

const CHALLENGE = { 'www-authenticate': 'Bearer realm="certflow"' };

/** The key from `Authorization: Bearer <key>` or `x-api-key: <key>`. */
export function presentedKey(headers: FastifyRequest['headers']): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m?.[1]) return m[1];
  }
  const header = headers['x-api-key'];
  return typeof header === 'string' && header.length > 0 ? header : undefined;
}

/**
 * Keys are stored as sha256 hashes; the presented key is hashed and compared with every
 * entry in constant time, without stopping at a match, so timing reveals neither which
 * entry matched nor how much of a hash did.
 */
export function createApiKeyMatcher(entries: readonly ApiKeyEntry[]): (key: string) => string | undefined {
  const stored = entries.map((e) => ({ name: e.name, hash: Buffer.from(e.sha256, 'hex') }));
  return (key) => {
    const hash = createHash('sha256').update(key, 'utf8').digest();
    let match: string | undefined;
    for (const entry of stored) {
      if (entry.hash.length === hash.length && timingSafeEqual(entry.hash, hash) && match === undefined) match = entry.name;
    }
    return match;
  };
}

/** An onRequest hook: runs before the body is read, so strangers cannot make us parse it. */
export function apiKeyAuth(entries: Config['API_KEYS'], opts: { collectLinkSecret?: string } = {}) {
  const match = entries && entries.length > 0 ? createApiKeyMatcher(entries) : undefined;
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (opts.collectLinkSecret && isSignedCollectRequest(request, opts.collectLinkSecret)) {
      request.apiKeyName = 'collect-link';
      request.log = request.log.child({ apiKeyName: 'collect-link' });
      reply.log = request.log;
      return;
    }
    if (!match) {
      throw new HttpProblem(401, ProblemType.unauthorized, 'API keys not configured',
        'This API accepts no requests until API_KEYS is configured (name:<sha256 hex of the key>, comma-separated); there are no default keys.', undefined, CHALLENGE);
    }
    const key = presentedKey(request.headers);
    if (key === undefined) {
      throw new HttpProblem(401, ProblemType.unauthorized, 'API key required',
        'Send the API key as "Authorization: Bearer <key>" or "x-api-key: <key>".', undefined, CHALLENGE);
    }
    const name = match(key);
    if (name === undefined) {
      throw new HttpProblem(401, ProblemType.unauthorized, 'Invalid API key', 'The API key is not one this service knows.', undefined, CHALLENGE);
    }
    request.apiKeyName = name;
    // Every later log line of this request (including "request completed") names the key.
    // Not `apiKey`: the shared logger redacts that field, as it should a key.
    request.log = request.log.child({ apiKeyName: name });
    reply.log = request.log;
  };
}

/** The customer's e-mailed link: only the certificate download, only with a valid signature. */
function isSignedCollectRequest(request: FastifyRequest, secret: string): boolean {
  if (request.method !== 'GET' || request.routeOptions.url !== '/v1/orders/:billingOrderId/certificate') return false;
  const sig = (request.query as Record<string, unknown> | undefined)?.sig;
  const id = (request.params as Record<string, unknown> | undefined)?.billingOrderId;
  return typeof sig === 'string' && typeof id === 'string' && verifyCollectLink(secret, id, sig);
}

import type { Payload, PayloadCodec } from '@temporalio/common';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Config } from '../config';
import { anyCodecAuth, type CodecAuthResult, oidcAuth, type OidcCodecAuth, operatorTokenAuth } from './codec-auth';
import { PayloadCodecError } from './errors';
import { payloadFromJson, payloadsJsonSchema, payloadToJson } from './payload-json';

/**
 * The Temporal codec-server protocol (POST …/encode, POST …/decode with protobuf-JSON
 * Payloads) so the Web UI and `temporal --codec-endpoint` can show decrypted histories.
 * Decoding hands out customers' personal data, so every request needs a credential — the
 * operator token, or the Web UI user's OIDC access token (codec-auth.ts); only CORS
 * preflights are answered without one, because browsers never send credentials on a preflight.
 */

export interface CodecRoutesOptions {
  readonly codec: PayloadCodec;
  /** The static operator token (CLI, scripts), expected as `Authorization: Bearer <token>`. */
  readonly operatorToken?: string;
  /** The Web UI user's forwarded OIDC access token (the UI's "pass access token"). */
  readonly oidc?: OidcCodecAuth;
  /** Exact origins of Temporal Web UIs allowed to call from a browser, e.g. http://localhost:8233. */
  readonly corsOrigins: readonly string[];
  /** Where the routes are mounted; the UI / CLI codec endpoint is this URL. Default `/codec`. */
  readonly prefix?: string;
  /**
   * Send Access-Control-Allow-Credentials, needed when the UI's "Include cross-origin
   * credentials" is on (the browser then rejects answers without it). Default true.
   */
  readonly allowCredentials?: boolean;
  /**
   * Development only: a request from a loopback address whose Origin is one of `corsOrigins`
   * (the embedded Web UI) is decoded without a credential, so `npm start` shows orders in
   * clear. Never set in production (`codecDevAccess`).
   */
  readonly openToLocalUi?: boolean;
  /** Largest accepted body; a history page can hold many payloads of up to 2 MB. Default 16 MiB. */
  readonly bodyLimit?: number;
}

const ALLOWED_HEADERS = 'content-type, x-namespace, authorization';
const PREFLIGHT_MAX_AGE_SECONDS = 600;

function corsHeaders(options: CodecRoutesOptions) {
  const origins = new Set(options.corsOrigins.map((o) => o.replace(/\/+$/, '')));
  const allowCredentials = options.allowCredentials ?? true;
  return (request: FastifyRequest, reply: FastifyReply): boolean => {
    // Caches in between must not serve one origin's answer to another.
    reply.header('vary', 'Origin');
    const origin = request.headers.origin;
    if (origin === undefined || !origins.has(origin)) return false;
    reply.header('access-control-allow-origin', origin);
    if (allowCredentials) reply.header('access-control-allow-credentials', 'true');
    return true;
  };
}

export function registerCodecRoutes(app: FastifyInstance, options: CodecRoutesOptions): void {
  const credentials = options.operatorToken !== undefined || options.oidc !== undefined
    ? anyCodecAuth({
        operatorToken: options.operatorToken === undefined ? undefined : operatorTokenAuth(options.operatorToken),
        oidc: options.oidc && oidcAuth(options.oidc),
      })
    : undefined;
  if (!credentials && !options.openToLocalUi) throw new Error('codec server: an operator token, OIDC settings or local development access is required');
  const uiOrigins = new Set(options.corsOrigins.map((o) => o.replace(/\/+$/, '')));
  const localUi = (request: FastifyRequest): boolean =>
    options.openToLocalUi === true && isLoopback(request.socket.remoteAddress) && request.headers.origin !== undefined && uiOrigins.has(request.headers.origin);
  const authorize = async (request: FastifyRequest): Promise<CodecAuthResult> => {
    if (localUi(request)) return { ok: true, who: 'local Web UI (development)' };
    if (credentials) return credentials(request.headers.authorization);
    return { ok: false, status: 401, message: 'outside the local Web UI a credential is required, and none is configured (OPERATOR_TOKEN or CODEC_OIDC_*)' };
  };
  const prefix = (options.prefix ?? '/codec').replace(/\/+$/, '');
  const applyCors = corsHeaders(options);
  const bodyLimit = options.bodyLimit ?? 16 * 1024 * 1024;

  const operations: Record<'encode' | 'decode', (payloads: Payload[]) => Promise<Payload[]>> = {
    encode: (p) => options.codec.encode(p),
    decode: (p) => options.codec.decode(p),
  };

  for (const [name, run] of Object.entries(operations)) {
    // The protocol lets clients put the namespace in the path ({namespace} templating in
    // the CLI); we serve one namespace's keys, so both forms reach the same handler.
    for (const url of [`${prefix}/${name}`, `${prefix}/:namespace/${name}`]) {
      app.route({
        method: 'OPTIONS',
        url,
        handler: async (request, reply) => {
          if (applyCors(request, reply)) {
            reply
              .header('access-control-allow-methods', 'POST, OPTIONS')
              .header('access-control-allow-headers', ALLOWED_HEADERS)
              .header('access-control-max-age', String(PREFLIGHT_MAX_AGE_SECONDS));
          }
          return reply.code(204).send();
        },
      });

      app.route({
        method: 'POST',
        url,
        bodyLimit,
        // onRequest runs before the body is read: unauthenticated callers cost no parsing.
        onRequest: async (request, reply) => {
          applyCors(request, reply);
          const auth = await authorize(request);
          if (!auth.ok) {
            request.log.warn({ status: auth.status, reason: auth.message }, 'codec request refused');
            if (auth.status === 401) reply.header('www-authenticate', 'Bearer realm="certflow-codec"');
            return reply.code(auth.status).send({ error: auth.status === 401 ? 'unauthorized' : 'forbidden', message: auth.message });
          }
        },
        handler: async (request, reply) => {
          const body = payloadsJsonSchema.safeParse(request.body);
          if (!body.success) {
            return reply.code(400).send({ error: 'bad_request', message: 'body must be {"payloads":[{"metadata":{…base64},"data":"base64"}]}' });
          }
          try {
            const result = await run(body.data.payloads.map(payloadFromJson));
            return reply.code(200).send({ payloads: result.map(payloadToJson) });
          } catch (err) {
            // PayloadCodecError messages name key ids only, and tell the operator what to fix.
            if (err instanceof PayloadCodecError) {
              return reply.code(400).send({ error: 'codec_error', message: err.message });
            }
            request.log.error({ err: { name: (err as Error).name } }, `codec ${name} failed`);
            return reply.code(500).send({ error: 'internal_error', message: `codec ${name} failed` });
          }
        },
      });
    }
  }
}

/**
 * The Web UI origin(s) to allow: TEMPORAL_UI_URL's origin when set, else the embedded dev
 * UI on localhost, under both names a browser may use for it.
 */
export function codecCorsOrigins(config: Pick<Config, 'TEMPORAL_UI_URL' | 'TEMPORAL_UI_PORT'>): string[] {
  if (config.TEMPORAL_UI_URL) return [new URL(config.TEMPORAL_UI_URL).origin];
  return [`http://localhost:${config.TEMPORAL_UI_PORT}`, `http://127.0.0.1:${config.TEMPORAL_UI_PORT}`];
}

/** A standalone codec server (tests, or running it apart from the API). Not listening yet. */
export function buildCodecServer(options: CodecRoutesOptions & { readonly logger?: boolean }): FastifyInstance {
  const { logger = false, ...routeOptions } = options;
  const app = Fastify({ logger });
  registerCodecRoutes(app, routeOptions);
  return app;
}

const isLoopback = (ip: string | undefined): boolean => ip !== undefined && (ip === '::1' || ip.startsWith('127.') || ip.startsWith('::ffff:127.'));

/** The embedded Web UI decodes without a credential in development, never in production. */
export function codecDevAccess(config: Pick<Config, 'CERTFLOW_ENV'>): boolean {
  return config.CERTFLOW_ENV !== 'production';
}

/** The codec endpoint's credentials from the configuration; undefined when none is configured (the endpoint stays off). */
export function codecAuthFromConfig(config: Pick<Config, 'OPERATOR_TOKEN' | 'CODEC_OIDC_ISSUER' | 'CODEC_OIDC_AUDIENCE' | 'CODEC_OIDC_JWKS_URL' | 'CODEC_OIDC_REQUIRED_CLAIM'>): Pick<CodecRoutesOptions, 'operatorToken' | 'oidc'> | undefined {
  const oidc: OidcCodecAuth | undefined = config.CODEC_OIDC_ISSUER && config.CODEC_OIDC_AUDIENCE && config.CODEC_OIDC_JWKS_URL
    ? { issuer: config.CODEC_OIDC_ISSUER, audience: config.CODEC_OIDC_AUDIENCE, keys: new URL(config.CODEC_OIDC_JWKS_URL), requiredClaim: config.CODEC_OIDC_REQUIRED_CLAIM }
    : undefined;
  if (!config.OPERATOR_TOKEN && !oidc) return undefined;
  return { operatorToken: config.OPERATOR_TOKEN, oidc };
}

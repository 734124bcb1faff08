import { type Dispatcher } from 'undici';
import type { CaOperation } from '../errors';
import { caConnection, headerSafe, requestJson, secretRedactor, type AnswerContext } from '../http-answer';
import type { CallContext } from '../issuer';
import type { FieldIssue } from '../../lib/field-issue';
import {
  buildInferredCreateBody,
  RESELLER_DEFAULT_AUTH_HEADER,
  RESELLER_METHOD,
  RESELLER_PATHS,
  RESELLER_REQUEST_ID_HEADER,
  type InferredStatusBody,
  type ResellerCreateFields,
  type ResellerPaths,
} from './inferred';
import { readReissueAnswer, ResellerRequestRefusedError, type ResellerReissueResult } from './mapping';
import { createIssuesWithSignature, reissueIssuesWithSignature, type CreateRuleContext, type ReissueRuleContext } from './rules';
import { buildReissueBody, type ResellerReissueFields } from './schemas';
import { RESELLER_DISPLAY_NAME } from './descriptor';


export interface ResellerClientOptions {
  /**
   * The platform's base URL (`https://api.reseller.example`); a path prefix is kept. The
   * operation's path under it is an inference (inferred.ts `RESELLER_PATHS`, `paths`).
   */
  url: string;
  /**
   * The platform credential, sent verbatim in `authHeader` (INFERRED: the document shows no
   * authentication at all). A secret: redacted from every error. Absent: no credential is
   * sent (an IP allow-list).
   */
  apiKey?: string;
  /** INFERRED: the header carrying `apiKey`; `Authorization` unless configured. */
  authHeader?: string;
  /** INFERRED: paths replacing `RESELLER_PATHS`' under `url`. */
  paths?: Partial<ResellerPaths>;
  /**
   * Per request: time to the response headers, and the longest silence while reading the
   * body. undici runs these on its coarse timer wheel, so they fire up to ~1 s late.
   */
  timeoutMs: number;
  connectTimeoutMs: number;
  /** Keep-alive connections to the platform this client may hold open. */
  connections: number;
  /**
   * A dispatcher to use instead of the client's own Pool (tests, a shared Agent, a proxy).
   * Its own connect timeout and pool limits then apply, and close() leaves it open.
   */
  dispatcher?: Dispatcher;
}

/** A reissue: the fields to send, and what the rules need to check them first (never sent). */
export interface ResellerReissueRequest extends ResellerReissueFields {
  check: ReissueRuleContext;
}

/** A create (INFERRED call): the fields to send, and what the rules need to check them first (never sent). */
export interface ResellerCreateRequest extends ResellerCreateFields {
  check: CreateRuleContext;
}

/**
 * The reseller platform's calls: the documented reissue, and the create and status read
 * sketched by analogy (inferred.ts). Every answer is the reissue's envelope and `data`.
 * The `Issuer` over it is issuer.ts.
 */
export interface ResellerClient {
  /**
   * INFERRED call (inferred.ts `inferredCreateBodySchema`): checks the request against the
   * documented rules of the same fields (refusing with ResellerRequestRefusedError, naming
   * the fields, before any call), then POSTs it: the new service, the charge, each domain's
   * validation (all pending, normally).
   */
  create(request: ResellerCreateRequest, ctx: CallContext): Promise<ResellerReissueResult>;
  /**
   * INFERRED call: the service as it stands (`{ service_id }`), answered like the reissue;
   * the certificate once issued. `operation` names the port operation for errors.
   */
  status(serviceId: string, ctx: CallContext, operation?: Extract<CaOperation, 'getStatus' | 'retrieveCertificate'>): Promise<ResellerReissueResult>;
  /**
   * Checks the request against every documented rule (refusing with
   * ResellerRequestRefusedError, naming the fields, before any call), then POSTs it and
   * reads the answer: the CA order, the charge, and each domain's validation.
   *
   * Beware: a reissue that replaces a domain revokes the current certificate (the
   * document's 危险 warning); confirming that is the caller's (issue 18 item 2).
   */
  reissue(request: ResellerReissueRequest, ctx: CallContext): Promise<ResellerReissueResult>;
  /** Closes the connection pool (if this client created it); in-flight requests finish first. */
  close(): Promise<void>;
}

/** An answer carries a certificate, its chain and a few domains; anything far larger is not one. */
const MAX_RESPONSE_BYTES = 1024 * 1024;
/** RFC 9110 token: what a header name may be. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const RESERVED_HEADERS = new Set(['content-type', 'content-length', 'accept', 'host', 'connection', 'transfer-encoding']);

export function createResellerClient(options: ResellerClientOptions): ResellerClient {
  const base = new URL(options.url);
  if (base.protocol !== 'https:' && base.protocol !== 'http:') {
    throw new Error(`Reseller platform URL must be http(s), got ${base.protocol}`);
  }
  const authHeader = options.authHeader ?? RESELLER_DEFAULT_AUTH_HEADER;
  if (!HEADER_NAME.test(authHeader) || RESERVED_HEADERS.has(authHeader.toLowerCase())) {
    throw new Error(`Reseller platform auth header must be a header name of its own, got "${authHeader}"`);
  }
  if (options.apiKey !== undefined && (options.apiKey === '' || /[\r\n]/.test(options.apiKey))) {
    throw new Error('Reseller platform API key must not be empty or hold a line break');
  }
  const origin = base.origin;
  const pathPrefix = base.pathname.replace(/\/+$/, '');
  const paths: ResellerPaths = { ...RESELLER_PATHS, ...options.paths };
  const { timeoutMs, apiKey } = options;

  const connection = caConnection(origin, { ...options, maxResponseBytes: MAX_RESPONSE_BYTES });
  const { dispatcher } = connection;

  /** The key must never reach an error, whatever the platform echoes back. */
  const redactKey = secretRedactor(apiKey ?? '');

  /** One POST of a JSON body: refused first when the rules say so, then sent and its answer read. */
  async function call(
    operation: CaOperation,
    path: string,
    body: Record<string, unknown>,
    ctx: CallContext,
    issuesOf?: () => Promise<FieldIssue[]>,
  ): Promise<ResellerReissueResult> {
    // A notify_url may carry the callback's secret (inferred.ts): scrubbed like the key.
    const redactUrl = secretRedactor(typeof body.notify_url === 'string' ? body.notify_url : '');
    const redact = (text: string): string => redactUrl(redactKey(text));
    const answerCtx: AnswerContext = { issuer: RESELLER_DISPLAY_NAME, operation, requestId: ctx.requestId, redact };

    const issues = issuesOf ? await issuesOf() : [];
    if (issues.length > 0) throw new ResellerRequestRefusedError({ ...answerCtx, issues: issues.map((i) => ({ path: i.path, rule: redact(i.rule) })) });

    const headers: Record<string, string> = { 'Content-Type': 'application/json', Accept: 'application/json' };
    if (apiKey !== undefined) headers[authHeader] = apiKey;
    if (RESELLER_REQUEST_ID_HEADER !== undefined) headers[RESELLER_REQUEST_ID_HEADER] = headerSafe(ctx.requestId);
    const res = await requestJson(
      dispatcher,
      { origin, path: pathPrefix + path, method: RESELLER_METHOD, headers, body: JSON.stringify(body) },
      answerCtx,
      ctx.signal,
      { timeoutMs, maxResponseBytes: MAX_RESPONSE_BYTES },
    );
    return readReissueAnswer(res.body, res.ctx);
  }

  return {
    async reissue(request, ctx) {
      const { check, ...fields } = request;
      const body = buildReissueBody(fields);
      return call('requestReissue', paths.reissue, body, ctx, () => reissueIssuesWithSignature(body, check));
    },

    async create(request, ctx) {
      const { check, ...fields } = request;
      const body = buildInferredCreateBody(fields);
      return call('createOrder', paths.create, body, ctx, () => createIssuesWithSignature(body, check));
    },

    async status(serviceId, ctx, operation = 'getStatus') {
      const id = serviceId.trim();
      if (!id) throw new TypeError('status: serviceId must not be empty');
      const body: InferredStatusBody = { service_id: id };
      return call(operation, paths.status, { ...body }, ctx);
    },

    close() {
      return connection.close();
    },
  };
}

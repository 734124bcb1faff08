import { type IncomingHttpHeaders } from 'node:http';
import { Pool, type Dispatcher } from 'undici';
import { type z } from 'zod';
import { type Config } from '../../config';
import { type CallContext, type Issuer } from '../issuer';
import { parseJsonAnswer, readAnswer, type AnswerContext, type RefusalReader } from './answer';
import { WOTRUS, WOTRUS_DISPLAY_NAME } from './descriptor';
import {
  CaAuthError,
  CaBusinessError,
  CaCertificateNotReadyError,
  CaProtocolError,
  CaRateLimitError,
  CaUnavailableError,
  type CaOperation,
} from '../errors';
import {
  toCancelResult,
  toCreateOrderResult,
  toEmailResult,
  toOrderStatusResult,
  toReissueResult,
  toRetrievedCertificate,
  toRevokeResult,
} from './mapping';
import { parseRetryAfter } from './retry-after';
import {
  WOTRUS_PATHS,
  WOTRUS_REQUEST_ID_HEADER,
  WOTRUS_TOKEN_HEADER,
  buildCancelBody,
  buildCreateOrderBody,
  buildEmailBody,
  buildReissueBody,
  buildRevokeBody,
  cancelAnswerSchema,
  createOrderAnswerSchema,
  emailAnswerSchema,
  queryOrderAnswerSchema,
  reissueAnswerSchema,
  retrievePemAnswerSchema,
  revokeAnswerSchema,
} from './schemas';

export interface WotrusClientOptions {
  /** e.g. `https://restapi.wosign.com`; a path prefix (`http://sim:8090/wotrus`) is kept. */
  baseUrl: string;
  token: string;
  /**
   * Per request: time to the response headers, and the longest silence while reading the
   * body. undici runs these on its coarse timer wheel, so they fire up to ~1 s late.
   */
  timeoutMs: number;
  connectTimeoutMs: number;
  /** Keep-alive connections to the CA this client may hold open. */
  connections: number;
  /**
   * A dispatcher to use instead of the client's own Pool (tests, a shared Agent, a proxy).
   * Its own connect timeout and pool limits then apply, and close() leaves it open.
   */
  dispatcher?: Dispatcher;
}

export interface WotrusClient extends Required<Issuer> {
  /** Closes the connection pool (if this client created it); in-flight requests finish first. */
  close(): Promise<void>;
}

/** Answers are a few PEMs; anything far larger is not a WoTrus answer. */
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;
/** Above undici's 4 s default, below typical server idle timeouts; a stale socket fails as ECONNRESET, which is retryable. */
const KEEP_ALIVE_MS = 10_000;
const ERROR_BODY_CHARS = 300;

/** Transport failures after which the same request may well succeed. */
const TRANSIENT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * Failures before any byte of the request left: the CA cannot have acted on it. Node names
 * the phase in `syscall`; undici's own connect timeout has only its code. A reset or a
 * timeout on an open connection stays ambiguous (the request may have been read).
 */
const NOT_SENT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);
const NOT_SENT_SYSCALLS = new Set(['connect', 'getaddrinfo']);

export function createWotrusClient(options: WotrusClientOptions): WotrusClient {
  const base = new URL(options.baseUrl);
  if (base.protocol !== 'https:' && base.protocol !== 'http:') {
    throw new Error(`WoTrus base URL must be http(s), got ${base.protocol}`);
  }
  if (!options.token) throw new Error('WoTrus token must not be empty');
  const origin = base.origin;
  const pathPrefix = base.pathname.replace(/\/+$/, '');
  const { token, timeoutMs } = options;

  const ownPool = options.dispatcher
    ? undefined
    : new Pool(origin, {
        connections: options.connections,
        connect: { timeout: options.connectTimeoutMs },
        keepAliveTimeout: KEEP_ALIVE_MS,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        maxResponseSize: MAX_RESPONSE_BYTES,
      });
  const dispatcher: Dispatcher = options.dispatcher ?? (ownPool as Pool);
  let closing: Promise<void> | undefined;

  /** The token must never reach an error, whatever the CA echoes back. */
  const redact = (text: string): string => text.split(token).join('[redacted]');

  async function call<S extends z.ZodType>(
    operation: CaOperation,
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    dataSchema: S,
    ctx: CallContext,
    onRefusal?: RefusalReader,
  ): Promise<z.output<S>> {
    const headers: Record<string, string> = {
      [WOTRUS_TOKEN_HEADER]: token,
      [WOTRUS_REQUEST_ID_HEADER]: headerSafe(ctx.requestId),
      Accept: 'application/json',
    };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const answerCtx: AnswerContext = { issuer: WOTRUS_DISPLAY_NAME, operation, requestId: ctx.requestId, redact };

    let statusCode: number;
    let responseHeaders: IncomingHttpHeaders;
    let text: string;
    try {
      const res = await dispatcher.request({
        origin,
        path: pathPrefix + path,
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: ctx.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      statusCode = res.statusCode;
      responseHeaders = res.headers;
      text = await res.body.text();
    } catch (err) {
      throw transportError(err, answerCtx, ctx.signal);
    }

    const httpCtx: AnswerContext = { ...answerCtx, httpStatus: statusCode };
    rejectHttpFailure(statusCode, responseHeaders, text, httpCtx);
    return readAnswer(parseJsonAnswer(text, httpCtx), dataSchema, httpCtx, onRefusal);
  }

  return {
    descriptor: WOTRUS,

    async createOrder(req, ctx) {
      const a = await call('createOrder', 'POST', WOTRUS_PATHS.createOrder, buildCreateOrderBody(req), createOrderAnswerSchema, ctx);
      return toCreateOrderResult(a);
    },

    async getStatus(caOrderId, ctx) {
      const a = await call('getStatus', 'GET', WOTRUS_PATHS.queryOrder(caOrderId), undefined, queryOrderAnswerSchema, ctx);
      return toOrderStatusResult(a, caOrderId);
    },

    async retrieveCertificate(caOrderId, ctx) {
      const a = await call('retrieveCertificate', 'GET', WOTRUS_PATHS.retrievePem(caOrderId), undefined, retrievePemAnswerSchema, ctx, notIssuedYet);
      const cert = toRetrievedCertificate(a);
      if (cert === undefined) {
        throw new CaCertificateNotReadyError({
          issuer: WOTRUS_DISPLAY_NAME,
          operation: 'retrieveCertificate',
          requestId: ctx.requestId,
          caMessage: a.result === false ? 'result is false' : 'no certificate in the answer',
        });
      }
      return cert;
    },

    async cancelOrder(caOrderId, reason, ctx) {
      const a = await call('cancelOrder', 'POST', WOTRUS_PATHS.cancelOrder, buildCancelBody(caOrderId, reason), cancelAnswerSchema, ctx);
      return toCancelResult(a);
    },

    async requestRevoke(req, ctx) {
      const a = await call('requestRevoke', 'POST', WOTRUS_PATHS.revoke, buildRevokeBody(req), revokeAnswerSchema, ctx);
      return toRevokeResult(a);
    },

    async requestReissue(req, ctx) {
      const a = await call('requestReissue', 'POST', WOTRUS_PATHS.reissue, buildReissueBody(req), reissueAnswerSchema, ctx);
      return toReissueResult(a);
    },

    async sendIssuedEmail(caOrderId, collectUrl, ctx) {
      const a = await call('sendIssuedEmail', 'POST', WOTRUS_PATHS.email, buildEmailBody(caOrderId, collectUrl), emailAnswerSchema, ctx);
      return toEmailResult(a);
    },

    close() {
      closing ??= ownPool ? ownPool.close() : Promise.resolve();
      return closing;
    },
  };
}

/** The client for the configured CA (the real WoTrus or the simulator). */
export function createWotrusClientFromConfig(
  config: Pick<Config, 'CA_BASE_URL' | 'CA_TOKEN' | 'CA_TIMEOUT_MS' | 'CA_CONNECT_TIMEOUT_MS' | 'CA_POOL_CONNECTIONS'>,
  extra: Pick<WotrusClientOptions, 'dispatcher'> = {},
): WotrusClient {
  if (!config.CA_BASE_URL || !config.CA_TOKEN) {
    throw new Error('CA_BASE_URL and CA_TOKEN must be configured to create the WoTrus client');
  }
  return createWotrusClient({
    baseUrl: config.CA_BASE_URL,
    token: config.CA_TOKEN,
    timeoutMs: config.CA_TIMEOUT_MS,
    connectTimeoutMs: config.CA_CONNECT_TIMEOUT_MS,
    connections: config.CA_POOL_CONNECTIONS,
    ...extra,
  });
}

/**
 * Workflow ids come from billing: percent-encode anything outside printable ASCII, so a
 * stray newline cannot inject a header and a non-Latin id cannot make undici refuse the request.
 */
function headerSafe(value: string): string {
  return value.replace(/[^\x20-\x7e]/gu, (c) =>
    [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

// ---------------------------------------------------------------- error mapping

/**
 * RetrievePem before issuance may answer `isSuccess: false` with `data.result: false` and no
 * PEM (the simulator does, with errorMsg "证书尚未签发 …"). That is the CA still working, not a
 * refusal: a CaCertificateNotReadyError carrying the CA's message, as for `isSuccess: true`
 * with `result: false`. Any other refusal stays a CaBusinessError.
 */
const notIssuedYet: RefusalReader = (data, caMessage, ctx) => {
  const read = retrievePemAnswerSchema.safeParse(data);
  if (!read.success || read.data.result !== false || toRetrievedCertificate(read.data) !== undefined) return undefined;
  return new CaCertificateNotReadyError({ ...ctx, caMessage });
};

/**
 * A request that never produced a full answer. A cancelled activity's abort is rethrown
 * as is: turning it into a retryable error would make Temporal retry a cancelled activity.
 */
function transportError(err: unknown, ctx: AnswerContext, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted) return signal.reason ?? err;
  const code = errorCode(err);
  if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') {
    return new CaProtocolError({ ...ctx, cause: err, issues: [{ path: '', message: `answer larger than ${MAX_RESPONSE_BYTES} bytes` }] });
  }
  if (code !== undefined && (TRANSIENT_CODES.has(code) || code.startsWith('HPE_'))) {
    const notSent = NOT_SENT_CODES.has(code) || NOT_SENT_SYSCALLS.has(errorField(err, 'syscall') ?? '');
    return new CaUnavailableError({ ...ctx, code, cause: err, notActedOn: notSent || undefined });
  }
  return err;
}

/** Node and undici put the code on the error, its cause, or (happy eyeballs) each of an AggregateError's errors. */
function errorCode(err: unknown): string | undefined {
  return errorField(err, 'code');
}

function errorField(err: unknown, field: 'code' | 'syscall'): string | undefined {
  for (let e: unknown = err, depth = 0; e !== null && typeof e === 'object' && depth < 4; depth++) {
    const value = (e as Record<string, unknown>)[field];
    if (typeof value === 'string') return value;
    e = e instanceof AggregateError ? e.errors[0] : (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function rejectHttpFailure(status: number, headers: IncomingHttpHeaders, text: string, ctx: AnswerContext): void {
  if (status >= 200 && status < 300) return;
  const caMessage = describeErrorBody(text, ctx.redact);
  if (status === 401 || status === 403) throw new CaAuthError({ ...ctx, caMessage });
  if (status === 429) {
    throw new CaRateLimitError({ ...ctx, caMessage, retryAfterMs: parseRetryAfter(headers['retry-after']) });
  }
  if (status === 408 || status >= 500) {
    // 408 and 503 say the request was not handled (RFC 9110 §15.5.9, §15.6.4); after a 500,
    // 502 or 504 the CA (or what stands behind the gateway) may have acted on it.
    const notActedOn = status === 408 || status === 503 || undefined;
    throw new CaUnavailableError({ ...ctx, caMessage, retryAfterMs: parseRetryAfter(headers['retry-after']), notActedOn });
  }
  if (status >= 300 && status < 400) {
    // undici does not follow redirects; a redirect means a misconfigured base URL (http vs https?).
    const location = ctx.redact?.(String(headers.location ?? '')) ?? '';
    throw new CaProtocolError({ ...ctx, notActedOn: true, issues: [{ path: '', message: `unexpected redirect${location ? ` to ${location}` : ''}` }] });
  }
  // Other 4xx: the CA refused this request as sent; sending it again will not change that.
  throw new CaBusinessError({ ...ctx, caMessage });
}

/** The CA's errorMsg when the error body is an envelope, else the start of the body. */
function describeErrorBody(text: string, redact: ((s: string) => string) | undefined): string | undefined {
  let message: string | undefined;
  try {
    const json = JSON.parse(text) as unknown;
    if (json !== null && typeof json === 'object') {
      const o = json as Record<string, unknown>;
      const candidate = o.errorMsg ?? o.ErrorMsg ?? o.message ?? o.Message ?? o.title;
      if (typeof candidate === 'string') message = candidate;
    }
  } catch {
    // not JSON: fall back to the raw text
  }
  message = (message ?? text).replace(/\s+/g, ' ').trim().slice(0, ERROR_BODY_CHARS);
  if (!message) return undefined;
  return redact ? redact(message) : message;
}

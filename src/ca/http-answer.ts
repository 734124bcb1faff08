/**
 * How any CA adapter over undici turns one HTTP exchange into an answer or into the port's
 * error taxonomy (`./errors`): transport failures (and which of them prove the CA did not
 * act), HTTP statuses, Retry-After, bodies that are not JSON. What an answer *means* — a
 * vendor's envelope and its own error codes — stays in the vendor's folder; this module
 * imports none.
 */
import { type IncomingHttpHeaders } from 'node:http';
import { type Socket } from 'node:net';
import { type ConnectionOptions } from 'node:tls';
import { buildConnector, Pool, type Dispatcher } from 'undici';
import { type z } from 'zod';
import {
  CaAuthError,
  CaBusinessError,
  CaProtocolError,
  CaRateLimitError,
  CaUnavailableError,
  type CaOperation,
  type ProtocolIssue,
} from './errors';

/** Where an answer came from, for the errors raised while reading it. */
export interface AnswerContext {
  issuer?: string;
  operation: CaOperation;
  requestId: string;
  httpStatus?: number;
  /** Scrubs secrets from any CA text that ends up in an error. */
  redact?: (text: string) => string;
}

const PREVIEW_CHARS = 120;
const ERROR_BODY_CHARS = 300;

/** Replaces every occurrence of `secret` (a token the CA might echo back) in a text. */
export function secretRedactor(secret: string): (text: string) => string {
  if (!secret) return (text) => text;
  return (text) => text.split(secret).join('[redacted]');
}

// ---------------------------------------------------------------- one exchange

/** What `requestJson` sends: undici's request options, the dispatcher's origin included. */
/** How a client reaches its CA: its own keep-alive pool, or a dispatcher it was given. */
export interface CaConnectionOptions {
  connections: number;
  connectTimeoutMs: number;
  /** Time to the response headers, and the longest silence while reading the body. */
  timeoutMs: number;
  maxResponseBytes: number;
  /** Tests, a shared Agent, a proxy: used as is, its own limits apply, and close() leaves it open. */
  dispatcher?: Dispatcher;
  /**
   * TLS settings of the client's own Pool (a client certificate, pinned CAs): passed to
   * `tls.connect` with the connect timeout. Ignored with `dispatcher`, which brings its own.
   */
  tls?: Pick<ConnectionOptions, 'ca' | 'cert' | 'key' | 'passphrase' | 'rejectUnauthorized' | 'allowPartialTrustChain' | 'checkServerIdentity' | 'minVersion'>;
  /**
   * Called with every connection the client's own Pool opens, once it is up (after the TLS
   * handshake): to watch what undici does not report, such as the TLS alert a server sends
   * when it refuses our client certificate (undici says only "other side closed").
   */
  onConnection?: (socket: Socket) => void;
}

/** Above undici's 4 s default, below typical server idle timeouts; a stale socket fails as ECONNRESET, which is retryable. */
const KEEP_ALIVE_MS = 10_000;

/** undici's own connector, telling `onConnection` of every connection it opens. */
function observedConnector(options: buildConnector.BuildOptions, onConnection: (socket: Socket) => void): buildConnector.connector {
  const connect = buildConnector(options);
  return (opts, callback) =>
    connect(opts, (...args: Parameters<buildConnector.Callback>) => {
      if (args[0] === null) onConnection(args[1]);
      (callback as (...a: Parameters<buildConnector.Callback>) => void)(...args);
    });
}

/** The dispatcher a CA client sends through, and its close (once, however often called). */
export function caConnection(origin: string, o: CaConnectionOptions): { dispatcher: Dispatcher; close(): Promise<void> } {
  const connectOptions: buildConnector.BuildOptions = { ...o.tls, timeout: o.connectTimeoutMs };
  const connect = o.onConnection ? observedConnector(connectOptions, o.onConnection) : connectOptions;
  const ownPool = o.dispatcher
    ? undefined
    : new Pool(origin, {
        connections: o.connections,
        connect,
        keepAliveTimeout: KEEP_ALIVE_MS,
        headersTimeout: o.timeoutMs,
        bodyTimeout: o.timeoutMs,
        maxResponseSize: o.maxResponseBytes,
      });
  let closing: Promise<void> | undefined;
  return {
    dispatcher: o.dispatcher ?? (ownPool as Pool),
    close: () => (closing ??= ownPool ? ownPool.close() : Promise.resolve()),
  };
}

export type JsonRequest = Omit<Dispatcher.RequestOptions, 'signal' | 'headersTimeout' | 'bodyTimeout'>;

export interface JsonExchangeLimits {
  timeoutMs: number;
  /** Named in the error when undici stops reading a larger answer (the Pool's `maxResponseSize`). */
  maxResponseBytes: number;
}

/**
 * Sends one request and reads its answer as JSON: a transport failure, an HTTP failure and a
 * body that is not JSON become the port's errors; what the JSON means is the caller's. The
 * returned context carries the HTTP status for the errors the caller raises while reading.
 */
export async function requestJson(
  dispatcher: Dispatcher,
  request: JsonRequest,
  ctx: AnswerContext,
  signal: AbortSignal | undefined,
  limits: JsonExchangeLimits,
): Promise<{ body: unknown; ctx: AnswerContext }> {
  let statusCode: number;
  let headers: IncomingHttpHeaders;
  let text: string;
  try {
    const res = await dispatcher.request({ ...request, signal, headersTimeout: limits.timeoutMs, bodyTimeout: limits.timeoutMs });
    statusCode = res.statusCode;
    headers = res.headers;
    text = await res.body.text();
  } catch (err) {
    throw transportError(err, ctx, signal, limits.maxResponseBytes);
  }
  const httpCtx: AnswerContext = { ...ctx, httpStatus: statusCode };
  rejectHttpFailure(statusCode, headers, text, httpCtx);
  return { body: parseJsonAnswer(text, httpCtx), ctx: httpCtx };
}

// ---------------------------------------------------------------- reading the body

/** Zod issues as dotted paths (`data.orderId`) an operator can read in a failure message. */
export function toProtocolIssues(error: z.ZodError, prefix: readonly PropertyKey[] = []): ProtocolIssue[] {
  return error.issues.map((issue) => ({
    path: [...prefix, ...issue.path].map(String).join('.'),
    message: issue.message,
  }));
}

/** JSON.parse, failing as a CaProtocolError that shows the start of what came instead. */
export function parseJsonAnswer(text: string, ctx: AnswerContext): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    const redact = ctx.redact ?? ((s: string) => s);
    const preview = redact(text.slice(0, PREVIEW_CHARS)).replace(/\s+/g, ' ').trim();
    throw new CaProtocolError({
      ...ctx,
      issues: [{ path: '', message: `body is not JSON${preview ? ` (starts with "${preview}")` : ' (empty)'}` }],
    });
  }
}

// ---------------------------------------------------------------- transport failures

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

/**
 * A request that never produced a full answer. A cancelled activity's abort is rethrown
 * as is: turning it into a retryable error would make Temporal retry a cancelled activity.
 */
export function transportError(err: unknown, ctx: AnswerContext, signal: AbortSignal | undefined, maxResponseBytes: number): unknown {
  if (signal?.aborted) return signal.reason ?? err;
  const code = errorCode(err);
  if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') {
    return new CaProtocolError({ ...ctx, cause: err, issues: [{ path: '', message: `answer larger than ${maxResponseBytes} bytes` }] });
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

// ---------------------------------------------------------------- HTTP failures

/** Throws the port's error for any status outside 2xx. */
export function rejectHttpFailure(status: number, headers: IncomingHttpHeaders, text: string, ctx: AnswerContext): void {
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

/** The CA's message when the error body is JSON carrying one, else the start of the body. */
export function describeErrorBody(text: string, redact: ((s: string) => string) | undefined): string | undefined {
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

/**
 * Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP date. Returns milliseconds from
 * `now`, never negative, or undefined when absent or unreadable.
 */
export function parseRetryAfter(
  value: string | string[] | undefined,
  now: number = Date.now(),
): number | undefined {
  const raw = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!raw) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Math.round(Number(raw) * 1000);
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

// ---------------------------------------------------------------- request headers

/**
 * Workflow ids come from billing: percent-encode anything outside printable ASCII, so a
 * stray newline cannot inject a header and a non-Latin id cannot make undici refuse the request.
 */
export function headerSafe(value: string): string {
  return value.replace(/[^\x20-\x7e]/gu, (c) =>
    [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

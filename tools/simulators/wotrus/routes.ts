/**
 * The WoTrus partner API over HTTP: auth, fault injection, the envelope, one log line per call
 * carrying the caller's RequestID. Semantics live in operations.ts.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { ApiOp, Counters } from './counters';
import { SIM_ERRORS } from './errors';
import { type FaultDecision, type FaultInjector, malformedBody } from './faults';
import type { OpResult, WoTrusOperations } from './operations';
import { queryParam } from './requests';
import { EMPTY_PAGE, type Envelope } from './views';

/** Marks a body that did not parse, so the handler (not Fastify) answers and the call is counted. */
const INVALID_JSON = Symbol('invalid-json');

/** Operations whose documented answer carries a zeroed `page`; the others answer `page: null`. */
const PAGED: ReadonlySet<ApiOp> = new Set(['create', 'retrieve', 'revoke', 'reissue']);

const HTML = 'text/html; charset=utf-8';
const ERROR_BODIES: Record<500 | 502 | 503, string> = {
  500: '<html><body><h1>500 Internal Server Error</h1></body></html>',
  502: '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>',
  503: '<html><head><title>503 Service Temporarily Unavailable</title></head><body><center><h1>503 Service Temporarily Unavailable</h1></center><hr><center>nginx</center></body></html>',
};

/** Sleeps that `close()` can cut short, so a hanging request never holds the server open. */
export class Pauses {
  private readonly pending = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private closed = false;

  wait(ms: number): Promise<void> {
    if (ms <= 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const entry = {
        resolve,
        timer: setTimeout(() => {
          this.pending.delete(entry);
          resolve();
        }, ms),
      };
      this.pending.add(entry);
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  releaseAll(): void {
    this.closed = true;
    for (const e of this.pending) {
      clearTimeout(e.timer);
      e.resolve();
    }
    this.pending.clear();
  }
}

export interface ApiRouteDeps {
  ops: WoTrusOperations;
  faults: FaultInjector;
  counters: Counters;
  token: string;
  log: Logger;
  pauses: Pauses;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function toEnvelope(op: ApiOp, r: OpResult): Envelope {
  if (r.ok) {
    // The query example answers errorMsg null; the others ''.
    return { isSuccess: true, errorMsg: op === 'query' ? null : '', successMsg: r.successMsg ?? '', data: r.data, page: PAGED.has(op) ? EMPTY_PAGE() : null };
  }
  return { isSuccess: false, errorMsg: r.errorMsg, successMsg: null, data: r.data ?? null, page: null };
}

function orderIdOf(req: FastifyRequest, r: OpResult | undefined): string | undefined {
  const fromReq = (req.params as Record<string, string> | undefined)?.orderId ?? queryParam(req.query, 'orderID');
  if (fromReq) return fromReq;
  const body = req.body as Record<string, unknown> | undefined;
  if (body && typeof body === 'object') {
    for (const [k, v] of Object.entries(body)) if (k.toLowerCase() === 'orderid' && typeof v === 'string') return v.trim();
  }
  const data = r?.ok ? (r.data as Record<string, unknown> | null) : undefined;
  return (data?.orderId ?? data?.newOrderID) as string | undefined;
}

export async function registerWoTrusRoutes(app: FastifyInstance, d: ApiRouteDeps): Promise<void> {
  const expected = digest(d.token);
  const tokenOk = (req: FastifyRequest): boolean => {
    const got = header(req, 'wotrustoken');
    return got !== undefined && timingSafeEqual(digest(got), expected);
  };

  const drop = (req: FastifyRequest, reply: FastifyReply): void => {
    reply.hijack();
    req.raw.socket?.destroy();
  };

  const serve = async (op: ApiOp, req: FastifyRequest, reply: FastifyReply, run: () => OpResult | Promise<OpResult>): Promise<void> => {
    d.counters.calls[op]++;
    const started = Date.now();
    const requestId = header(req, 'requestid');
    const log = d.log.child({ op, requestId });
    if (!tokenOk(req)) {
      d.counters.unauthorized++;
      log.warn({ orderId: orderIdOf(req, undefined) }, 'wotrus api: 401, missing or wrong WoTrusToken');
      // WoTrus answers a bare 401 (§1.2 of the original: "将返回一个 401 http 错误状态码").
      return void reply.code(401).send();
    }
    const f: FaultDecision = d.faults.decide(op);
    const reject = f.reject;
    if (reject) {
      log.info({ fault: reject }, 'wotrus api: fault injected');
      switch (reject.kind) {
        case 'auth':
          return void reply.code(401).send();
        case 'outage':
          return void reply.code(503).header('content-type', HTML).header('retry-after', '1').send(ERROR_BODIES[503]);
        case 'rate-limit':
          return void reply.code(429).header('retry-after', String(reject.retryAfterSeconds)).header('content-type', HTML).send('<html><body><h1>429 Too Many Requests</h1></body></html>');
        case 'error':
          await d.pauses.wait(f.latencyMs);
          return void reply.code(reject.status).header('content-type', HTML).send(ERROR_BODIES[reject.status]);
      }
    }
    await d.pauses.wait(f.latencyMs);
    if (f.hang?.beforeProcessing) {
      log.info({ fault: 'hang', ms: f.hang.ms, then: f.hang.then }, 'wotrus api: hanging before processing');
      await d.pauses.wait(f.hang.ms);
      if (f.hang.then === 'drop' || d.pauses.isClosed) return drop(req, reply);
    }
    let result: OpResult;
    if (req.body === INVALID_JSON) {
      log.info('wotrus api: body is not JSON');
      return void reply.code(400).send(toEnvelope(op, { ok: false, errorMsg: SIM_ERRORS.invalidJson() }));
    }
    try {
      result = await run();
    } catch (err) {
      log.error({ err }, 'wotrus api: handler failed');
      return void reply.code(500).header('content-type', HTML).send(ERROR_BODIES[500]);
    }
    log.info({ orderId: orderIdOf(req, result), ok: result.ok, errorMsg: result.ok ? undefined : result.errorMsg, ms: Date.now() - started }, 'wotrus api');
    if (f.hang && !f.hang.beforeProcessing) {
      log.info({ fault: 'hang', ms: f.hang.ms, then: f.hang.then }, 'wotrus api: hanging after processing');
      await d.pauses.wait(f.hang.ms);
      if (f.hang.then === 'drop' || d.pauses.isClosed) return drop(req, reply);
    }
    if (f.malformed) {
      const m = malformedBody(f.malformed);
      log.info({ fault: 'malformed', kind: f.malformed }, 'wotrus api: answering a malformed body');
      return void reply.code(200).header('content-type', m.contentType).send(m.body);
    }
    return void reply.code(200).send(toEnvelope(op, result));
  };

  await app.register(async (api) => {
    // Tolerant like the real service: any content type, bodies parsed as JSON when possible.
    api.removeAllContentTypeParsers();
    api.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
      const text = typeof body === 'string' ? body : body.toString('utf8');
      if (text.trim() === '') return done(null, undefined);
      try {
        done(null, JSON.parse(text));
      } catch {
        done(null, INVALID_JSON);
      }
    });

    api.post('/v1/Order/Create', (req, reply) => serve('create', req, reply, () => d.ops.create(req.body)));
    api.get<{ Params: { orderId: string } }>('/v1/Order/:orderId', (req, reply) => serve('query', req, reply, () => d.ops.query(req.params.orderId)));
    api.get('/v1/Certificate/RetrievePem', (req, reply) => serve('retrieve', req, reply, () => d.ops.retrieve(queryParam(req.query, 'orderID'))));
    api.post('/v1/Order/Cancel', (req, reply) => serve('cancel', req, reply, () => d.ops.cancel(req.body)));
    api.post('/v1/Certificate/RevokeRequest', (req, reply) => serve('revoke', req, reply, () => d.ops.revoke(req.body)));
    api.post('/v1/Certificate/ReissueRequest', (req, reply) => serve('reissue', req, reply, () => d.ops.reissue(req.body)));
    api.post('/v1/Notification/email', (req, reply) => serve('email', req, reply, () => d.ops.email(req.body, header(req, 'requestid'))));
  });
}

import { type Dispatcher } from 'undici';
import { type z } from 'zod';
import { type Config } from '../../config';
import { type CallContext, type Issuer } from '../issuer';
import { caConnection, headerSafe, requestJson, secretRedactor, type AnswerContext } from '../http-answer';
import { readAnswer, type RefusalReader } from './answer';
import { WOTRUS, WOTRUS_DISPLAY_NAME } from './descriptor';
import { CaBusinessError, CaCertificateNotReadyError, type CaOperation } from '../errors';
import {
  toCancelResult,
  toCreateOrderResult,
  toEmailResult,
  toOrderStatusResult,
  toReissueResult,
  toRetrievedCertificate,
  toRevokeResult,
} from './mapping';
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

export interface WotrusClient extends Required<Omit<Issuer, 'domainFile'>> {
  /** Closes the connection pool (if this client created it); in-flight requests finish first. */
  close(): Promise<void>;
}

/** Answers are a few PEMs; anything far larger is not a WoTrus answer. */
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

export function createWotrusClient(options: WotrusClientOptions): WotrusClient {
  const base = new URL(options.baseUrl);
  if (base.protocol !== 'https:' && base.protocol !== 'http:') {
    throw new Error(`WoTrus base URL must be http(s), got ${base.protocol}`);
  }
  if (!options.token) throw new Error('WoTrus token must not be empty');
  const origin = base.origin;
  const pathPrefix = base.pathname.replace(/\/+$/, '');
  const { token, timeoutMs } = options;

  const connection = caConnection(origin, { ...options, maxResponseBytes: MAX_RESPONSE_BYTES });
  const { dispatcher } = connection;

  /** The token must never reach an error, whatever the CA echoes back. */
  const redact = secretRedactor(token);

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

    const answer = await requestJson(
      dispatcher,
      { origin, path: pathPrefix + path, method, headers, body: body === undefined ? undefined : JSON.stringify(body) },
      answerCtx,
      ctx.signal,
      { timeoutMs, maxResponseBytes: MAX_RESPONSE_BYTES },
    );
    return readAnswer(answer.body, dataSchema, answer.ctx, onRefusal);
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
      const { csr } = req;
      if (csr === undefined) {
        throw new CaBusinessError({ issuer: WOTRUS_DISPLAY_NAME, operation: 'requestReissue', requestId: ctx.requestId, notActedOn: true, caMessage: 'csr: WoTrus reissues only with a new CSR' });
      }
      const a = await call('requestReissue', 'POST', WOTRUS_PATHS.reissue, buildReissueBody({ ...req, csr }), reissueAnswerSchema, ctx);
      return toReissueResult(a);
    },

    async sendIssuedEmail(caOrderId, collectUrl, ctx) {
      const a = await call('sendIssuedEmail', 'POST', WOTRUS_PATHS.email, buildEmailBody(caOrderId, collectUrl), emailAnswerSchema, ctx);
      return toEmailResult(a);
    },

    close() {
      return connection.close();
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

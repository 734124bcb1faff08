import fs from 'node:fs';
import { type Dispatcher } from 'undici';
import { type Config } from '../../config';
import { CaBusinessError, CaProtocolError, isCaError } from '../../ca/errors';
import { caConnection, requestJson, secretRedactor, toProtocolIssues, type AnswerContext } from '../../ca/http-answer';
import type { CallContext } from '../../ca/issuer';
import { outcomeOfErrorCodes, WosignDocRequestRefusedError, type AlreadyAccepted } from './mapping';
import {
  buildCreateSignOrderBody,
  createSignOrderAnswerSchema,
  createSignOrderBodySchema,
  signOrderInputSchema,
  WOSIGNDOC_DISPLAY_NAME,
  type SignOrderInput,
} from './schemas';
import { checkMutualTlsMaterial, clientCertificateExpiry, clientCertificateRefused, pinnedTlsOptions, tlsAlertRecorder, tlsFailure, type ClientCertificateExpiry } from './tls';

export interface WosignDocClientOptions {
  /** The endpoint every request is POSTed to, path kept (the document names only the host). HTTPS only. */
  url: string;
  /** `tokenid`: a secret, redacted from every error, never logged. */
  tokenid: string;
  /** Our client certificate, PEM (intermediates after it are sent along). */
  clientCertPem: string;
  /** Its private key, PEM. */
  clientKeyPem: string;
  /** The platform's CA certificate(s), PEM: pinned, the only ones trusted for the server's certificate. */
  caPem: string;
  /**
   * Per request: time to the response headers, and the longest silence while reading the
   * body. undici runs these on its coarse timer wheel, so they fire up to ~1 s late.
   */
  timeoutMs: number;
  connectTimeoutMs: number;
  /** Keep-alive connections to the platform this client may hold open. */
  connections: number;
  /**
   * A dispatcher to use instead of the client's own Pool: tests of the answers only. It
   * brings its own TLS, so the client certificate and the pin are NOT applied through it.
   */
  dispatcher?: Dispatcher;
}

/** The signing order exists on the platform now: its `signid` (the push names it), and our orderNumber. */
export interface SignOrderCreated {
  kind: 'created';
  /** Promised by the table; absent if the platform leaves it out (the push then names the order by orderNumber). */
  signId: string | undefined;
  orderNumber: string;
}

export type CreateSignOrderResult = SignOrderCreated | AlreadyAccepted;

export interface WosignDocClient {
  /**
   * `CreateSignOrder`: checks the order against the document's rules (refusing with
   * WosignDocRequestRefusedError, naming certflow's fields, before any call), sends it, and
   * reads the answer. Idempotent by `orderNumber`: when a previous attempt got through, the
   * platform answers -46/-47 and this returns `{ kind: 'alreadyAccepted' }`. Failures are
   * thrown in certflow's taxonomy (mapping.ts).
   */
  createSignOrder(input: SignOrderInput, ctx: CallContext): Promise<CreateSignOrderResult>;
  /** The client certificate's validity as seen now: for the start-up warning and metrics. */
  clientCertificate(now?: Date): ClientCertificateExpiry;
  /** Closes the connection pool (if this client created it); in-flight requests finish first. */
  close(): Promise<void>;
}

/** An answer is a status, a code and two ids; anything far larger is not a WoSignDoc answer. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/** HTTP-level refusals of a client certificate by a TLS-terminating proxy: nginx's 400 pages and their like. */
const CERTIFICATE_REFUSAL_PAGE = /SSL certificate|client certificate/i;

export function createWosignDocClient(options: WosignDocClientOptions): WosignDocClient {
  const endpoint = new URL(options.url);
  if (endpoint.protocol !== 'https:') throw new Error(`WoSignDoc URL must be https (the platform authenticates by client certificate), got ${endpoint.protocol}`);
  if (!options.tokenid) throw new Error('WoSignDoc tokenid must not be empty');
  checkMutualTlsMaterial(options);
  const origin = endpoint.origin;
  const path = endpoint.pathname + endpoint.search;
  const { timeoutMs, tokenid } = options;
  const clientCertPem = options.clientCertPem;

  const alerts = tlsAlertRecorder();
  const connection = caConnection(origin, {
    ...options,
    maxResponseBytes: MAX_RESPONSE_BYTES,
    tls: pinnedTlsOptions(options),
    onConnection: alerts.onConnection,
  });
  const { dispatcher } = connection;
  const redactToken = secretRedactor(tokenid);

  return {
    async createSignOrder(input, ctx) {
      // The order's secrets and personal data must not reach an error either: the document's
      // password, and the signers' ID numbers (a platform may echo a request back).
      const parsed = signOrderInputSchema.safeParse(input);
      const personal = parsed.success ? [parsed.data.password, ...parsed.data.signers.map((s) => (s.type === 'person' ? s.idNumber : undefined))] : [];
      const redactors = [redactToken, ...personal.filter((v): v is string => v !== undefined && v.length >= 4).map(secretRedactor)];
      const redact = (text: string): string => redactors.reduce((t, r) => r(t), text);
      const answerCtx: AnswerContext = { issuer: WOSIGNDOC_DISPLAY_NAME, operation: 'createSignOrder', requestId: ctx.requestId, redact };

      if (!parsed.success) {
        throw new WosignDocRequestRefusedError({ ...answerCtx, issues: parsed.error.issues.map((i) => ({ path: i.path.map((p) => (typeof p === 'number' ? p : String(p))), rule: i.message })) });
      }
      const body = buildCreateSignOrderBody(tokenid, parsed.data);
      const checked = createSignOrderBodySchema.safeParse(body);
      if (!checked.success) {
        // The builder's output breaks the wire rules: certflow's bug, never sent.
        throw new CaBusinessError({ ...answerCtx, notActedOn: true, caMessage: `certflow built a request the document forbids: ${toProtocolIssues(checked.error).map((i) => `${i.path} ${i.message}`).join('; ')}` });
      }

      let res: { body: unknown; ctx: AnswerContext };
      try {
        res = await requestJson(
          dispatcher,
          {
            origin,
            path,
            method: 'POST',
            // The document defines no header, so no correlation header either: the request id stays in our errors.
            headers: { 'Content-Type': 'application/json; charset=utf-8', Accept: 'application/json' },
            body: JSON.stringify(body),
          },
          answerCtx,
          ctx.signal,
          { timeoutMs, maxResponseBytes: MAX_RESPONSE_BYTES },
        );
      } catch (err) {
        if (ctx.signal?.aborted) throw err;
        throw refineTransportFailure(err, answerCtx, alerts.alertFor);
      }

      const read = createSignOrderAnswerSchema.safeParse(res.body);
      if (!read.success) {
        throw new CaProtocolError({ ...res.ctx, issues: toProtocolIssues(read.error).map((i) => ({ path: i.path, message: redact(i.message) })) });
      }
      const answer = read.data;
      if (answer.status === 'failed') {
        const outcome = outcomeOfErrorCodes(answer.errorCodes, res.ctx);
        if (isCaError(outcome)) throw outcome;
        return outcome;
      }
      if (answer.orderNumber !== undefined && answer.orderNumber !== parsed.data.orderNumber) {
        // An answer for another order: not one we can act on (a mixed-up response).
        throw new CaProtocolError({ ...res.ctx, issues: [{ path: 'orderNumber', message: redact(`is "${answer.orderNumber}", but we sent "${parsed.data.orderNumber}"`) }] });
      }
      return { kind: 'created', signId: answer.signId, orderNumber: parsed.data.orderNumber };
    },

    clientCertificate(now) {
      return clientCertificateExpiry(clientCertPem, now);
    },

    close() {
      return connection.close();
    },
  };
}

/**
 * What requestJson made of a failure, made precise for mutual TLS: a TLS refusal either way is
 * an authentication matter (tls.ts `tlsFailure`), and a TLS-terminating proxy's "400 No
 * required SSL certificate was sent" page is our certificate refused, not a business refusal.
 */
function refineTransportFailure(err: unknown, ctx: AnswerContext, alertFor: (localPort: number | undefined) => string | undefined): unknown {
  const tls = tlsFailure(isCaError(err) ? (err.cause ?? err) : err, ctx, alertFor);
  if (tls) return tls;
  if (err instanceof CaBusinessError && err.httpStatus === 400 && CERTIFICATE_REFUSAL_PAGE.test(err.caMessage ?? '')) {
    return clientCertificateRefused(`HTTP 400 "${err.caMessage ?? ''}"`, err, { ...ctx, httpStatus: 400 });
  }
  return err;
}

export type WosignDocConfig = Pick<
  Config,
  'WOSIGNDOC_URL' | 'WOSIGNDOC_TOKENID' | 'WOSIGNDOC_CLIENT_CERT_FILE' | 'WOSIGNDOC_CLIENT_KEY_FILE' | 'WOSIGNDOC_CA_FILE' | 'CA_TIMEOUT_MS' | 'CA_CONNECT_TIMEOUT_MS' | 'CA_POOL_CONNECTIONS'
>;

/** The client for the configured platform (WoSign's or a simulator): reads the certificate, key and CA files and checks them. */
export function createWosignDocClientFromConfig(config: WosignDocConfig, extra: Pick<WosignDocClientOptions, 'dispatcher'> = {}): WosignDocClient {
  const required = ['WOSIGNDOC_URL', 'WOSIGNDOC_TOKENID', 'WOSIGNDOC_CLIENT_CERT_FILE', 'WOSIGNDOC_CLIENT_KEY_FILE', 'WOSIGNDOC_CA_FILE'] as const;
  const { WOSIGNDOC_URL: url, WOSIGNDOC_TOKENID: tokenid, WOSIGNDOC_CLIENT_CERT_FILE: certFile, WOSIGNDOC_CLIENT_KEY_FILE: keyFile, WOSIGNDOC_CA_FILE: caFile } = config;
  if (!url || !tokenid || !certFile || !keyFile || !caFile) {
    throw new Error(`${required.filter((k) => !config[k]).join(', ')} must be configured to create the WoSignDoc client`);
  }
  const read = (file: string, key: string): string => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`${key}: cannot read ${file}: ${(err as Error).message}`);
    }
  };
  return createWosignDocClient({
    url,
    tokenid,
    clientCertPem: read(certFile, 'WOSIGNDOC_CLIENT_CERT_FILE'),
    clientKeyPem: read(keyFile, 'WOSIGNDOC_CLIENT_KEY_FILE'),
    caPem: read(caFile, 'WOSIGNDOC_CA_FILE'),
    timeoutMs: config.CA_TIMEOUT_MS,
    connectTimeoutMs: config.CA_CONNECT_TIMEOUT_MS,
    connections: config.CA_POOL_CONNECTIONS,
    ...extra,
  });
}

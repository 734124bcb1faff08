import { type Dispatcher } from 'undici';
import { type Config } from '../../config';
import { CaCertificateNotReadyError, type CaOperation } from '../errors';
import { caConnection, requestJson, secretRedactor, type AnswerContext } from '../http-answer';
import { type CallContext, type DomainFile, type Issuer } from '../issuer';
import { readAnswer } from './answer';
import { readChainFile } from './chain-file';
import { ACMAPI, ACMAPI_DISPLAY_NAME, ACMAPI_SIGNFILE_PATH } from './descriptor';
import { toCreateOrderResult, toOrderStatusResult, toRetrievedCertificate } from './mapping';
import { buildApplyBody, buildAskBody, type IssuedAnswer, type PendingAnswer, type RequestBody } from './schemas';

export interface AcmapiClientOptions {
  /** The endpoint every request is POSTed to, path and query kept as is (the document names only the host). */
  url: string;
  /** `customer_id`, given by WoSign after review. */
  customerId: string;
  /** `auth_token`: a secret, redacted from every error. */
  authToken: string;
  /** The content of the signfile WoSign gave the platform, served on every domain before an apply. */
  signfile: string;
  /** WoSign's intermediates (and root) from configuration: the answer carries only the leaf. */
  chainPems: string[];
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

/** The ACMAPI issuer: create, status and retrieve (all one `cert_apply` call), and the signfile. No cancel, revoke, reissue or e-mail: the CA has none. */
export interface AcmapiClient extends Issuer {
  domainFile(): DomainFile;
  /** Closes the connection pool (if this client created it); in-flight requests finish first. */
  close(): Promise<void>;
}

/** An answer is one certificate; anything far larger is not an ACMAPI answer. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

export function createAcmapiClient(options: AcmapiClientOptions): AcmapiClient {
  const endpoint = new URL(options.url);
  if (endpoint.protocol !== 'https:' && endpoint.protocol !== 'http:') {
    throw new Error(`ACMAPI URL must be http(s), got ${endpoint.protocol}`);
  }
  if (!options.customerId) throw new Error('ACMAPI customer id must not be empty');
  if (!options.authToken) throw new Error('ACMAPI auth token must not be empty');
  if (!options.signfile.trim()) throw new Error('ACMAPI signfile must not be empty');
  const origin = endpoint.origin;
  const path = endpoint.pathname + endpoint.search;
  const { timeoutMs } = options;
  const credentials = { customerId: options.customerId, authToken: options.authToken };
  const chainPems = [...options.chainPems];
  const domainFile: DomainFile = Object.freeze({ path: ACMAPI_SIGNFILE_PATH, content: options.signfile });

  const connection = caConnection(origin, { ...options, maxResponseBytes: MAX_RESPONSE_BYTES });
  const { dispatcher } = connection;

  /** The token travels in every body; it must never reach an error, whatever the CA echoes back. */
  const redact = secretRedactor(options.authToken);

  /** One `cert_apply`: `success` or `pending` come back, anything else is thrown as the port's error. */
  async function apply(operation: CaOperation, body: RequestBody, ctx: CallContext): Promise<{ answer: IssuedAnswer | PendingAnswer; ctx: AnswerContext }> {
    const answerCtx: AnswerContext = { issuer: ACMAPI_DISPLAY_NAME, operation, requestId: ctx.requestId, redact };
    const res = await requestJson(
      dispatcher,
      {
        origin,
        path,
        method: 'POST',
        // The document defines no header, so no correlation header either: the request id stays in our errors.
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(body),
      },
      answerCtx,
      ctx.signal,
      { timeoutMs, maxResponseBytes: MAX_RESPONSE_BYTES },
    );
    return { answer: readAnswer(res.body, res.ctx), ctx: res.ctx };
  }

  return {
    descriptor: ACMAPI,

    // The apply has no idempotency key (req.idempotenceId goes nowhere): the activity layer
    // never repeats one whose answer was lost (descriptor `idempotentCreate: false`).
    async createOrder(req, ctx) {
      const { answer } = await apply('createOrder', buildApplyBody(credentials, req), ctx);
      return toCreateOrderResult(answer, chainPems);
    },

    async getStatus(caOrderId, ctx) {
      const { answer } = await apply('getStatus', buildAskBody(credentials, caOrderId), ctx);
      return toOrderStatusResult(answer, caOrderId, chainPems);
    },

    async retrieveCertificate(caOrderId, ctx) {
      const { answer, ctx: answerCtx } = await apply('retrieveCertificate', buildAskBody(credentials, caOrderId), ctx);
      if (answer.result === 'pending') {
        throw new CaCertificateNotReadyError({ ...answerCtx, caMessage: 'pending: validated, waiting for a person at WoSign (等待人工处理)' });
      }
      return toRetrievedCertificate(answer, chainPems);
    },

    domainFile() {
      return domainFile;
    },

    close() {
      return connection.close();
    },
  };
}

export type AcmapiConfig = Pick<
  Config,
  | 'ACMAPI_URL'
  | 'ACMAPI_CUSTOMER_ID'
  | 'ACMAPI_AUTH_TOKEN'
  | 'ACMAPI_SIGNFILE'
  | 'ACMAPI_CHAIN_FILE'
  | 'CA_TIMEOUT_MS'
  | 'CA_CONNECT_TIMEOUT_MS'
  | 'CA_POOL_CONNECTIONS'
>;

/** The client for the configured ACMAPI endpoint (WoSign or the simulator); reads and checks the chain file. */
export function createAcmapiClientFromConfig(config: AcmapiConfig, extra: Pick<AcmapiClientOptions, 'dispatcher'> = {}): AcmapiClient {
  const missing = (['ACMAPI_URL', 'ACMAPI_CUSTOMER_ID', 'ACMAPI_AUTH_TOKEN', 'ACMAPI_SIGNFILE', 'ACMAPI_CHAIN_FILE'] as const).filter((k) => !config[k]);
  const { ACMAPI_URL: url, ACMAPI_CUSTOMER_ID: customerId, ACMAPI_AUTH_TOKEN: authToken, ACMAPI_SIGNFILE: signfile, ACMAPI_CHAIN_FILE: chainFile } = config;
  if (!url || !customerId || !authToken || !signfile || !chainFile) {
    throw new Error(`${missing.join(', ')} must be configured to create the WoSign ACMAPI client`);
  }
  return createAcmapiClient({
    url,
    customerId,
    authToken,
    signfile,
    chainPems: readChainFile(chainFile),
    timeoutMs: config.CA_TIMEOUT_MS,
    connectTimeoutMs: config.CA_CONNECT_TIMEOUT_MS,
    connections: config.CA_POOL_CONNECTIONS,
    ...extra,
  });
}

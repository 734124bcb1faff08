import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { type Socket } from 'node:net';
import { CaAuthError, CaUnavailableError, type CaError } from '../../ca/errors';
import type { AnswerContext, CaConnectionOptions } from '../../ca/http-answer';

/**
 * Mutual TLS with the platform (seed 003 §1.5: "接口启用客户端证书强身份认证" — the caller
 * applies for a client certificate at buy.wosign.com and sends WoSign its public key to be
 * authorised): our client certificate and key, the platform's CA pinned, the certificate's
 * expiry told ahead of time, and the TLS failures undici reports vaguely told apart.
 */

const DAY_MS = 86_400_000;

/** The PEM `CERTIFICATE` blocks of a text, in order. */
export function pemCertificates(text: string): string[] {
  return [...text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map((m) => `${m[0]}\n`);
}

export interface ClientCertificateExpiry {
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  /** Whole days from `now` to notAfter, rounded down; negative once expired. */
  daysLeft: number;
  expired: boolean;
  notYetValid: boolean;
}

/** When the (first) certificate of a PEM text expires, as seen at `now`. Throws when the text holds no certificate. */
export function clientCertificateExpiry(pem: string, now: Date = new Date()): ClientCertificateExpiry {
  const [first] = pemCertificates(pem);
  if (first === undefined) throw new Error('no PEM certificate found');
  const cert = new X509Certificate(first);
  const notBefore = cert.validFromDate;
  const notAfter = cert.validToDate;
  return {
    subject: cert.subject.replace(/\n/g, ', '),
    issuer: cert.issuer.replace(/\n/g, ', '),
    serialNumber: cert.serialNumber.toLowerCase(),
    notBefore,
    notAfter,
    daysLeft: Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS),
    expired: now.getTime() > notAfter.getTime(),
    notYetValid: now.getTime() < notBefore.getTime(),
  };
}

/**
 * A warning for the worker's start and the logs while the client certificate expires within
 * `warnDays` (or has expired, or is not valid yet); undefined while it is fine. The platform
 * refuses a request with an expired certificate (-80, or in the TLS handshake), and a new one
 * must be applied for and its public key sent to WoSign before it is accepted: that takes
 * days, hence the warning weeks ahead.
 */
export function expiryWarning(pem: string, now: Date = new Date(), warnDays = 30): string | undefined {
  const e = clientCertificateExpiry(pem, now);
  const which = `The WoSignDoc client certificate (${e.subject}, serial ${e.serialNumber}; WOSIGNDOC_CLIENT_CERT_FILE)`;
  const renew = 'apply for a new one at buy.wosign.com and send WoSign its public key to be authorised';
  if (e.notYetValid) return `${which} is not valid before ${e.notBefore.toISOString()}: the platform will refuse it until then.`;
  if (e.expired) return `${which} expired on ${e.notAfter.toISOString()}: the platform refuses every request; ${renew}.`;
  if (e.daysLeft < warnDays) return `${which} expires on ${e.notAfter.toISOString()}, in ${e.daysLeft} day${e.daysLeft === 1 ? '' : 's'}: ${renew} before then.`;
  return undefined;
}

export interface MutualTlsMaterial {
  /** The client certificate, PEM; intermediates after it are sent along. */
  clientCertPem: string;
  /** Its private key, PEM (PKCS#8, or PKCS#1 / SEC1). */
  clientKeyPem: string;
  /** The platform's CA certificate(s), PEM: the only ones trusted for the server's certificate. */
  caPem: string;
}

/**
 * Checks the material before any connection (a wrong file fails at start, naming the file):
 * a certificate, a key that belongs to it, a CA. Throws with a message naming the variable.
 */
export function checkMutualTlsMaterial(m: MutualTlsMaterial): void {
  const [leaf] = pemCertificates(m.clientCertPem);
  if (leaf === undefined) throw new Error('WOSIGNDOC_CLIENT_CERT_FILE holds no PEM certificate');
  let key;
  try {
    key = createPrivateKey(m.clientKeyPem);
  } catch (err) {
    throw new Error(`WOSIGNDOC_CLIENT_KEY_FILE holds no readable private key (an encrypted key is not supported): ${(err as Error).message}`);
  }
  const cert = new X509Certificate(leaf);
  const expected = cert.publicKey.export({ type: 'spki', format: 'der' });
  if (!createPublicKey(key).export({ type: 'spki', format: 'der' }).equals(expected)) {
    throw new Error('WOSIGNDOC_CLIENT_KEY_FILE does not hold the key of the certificate in WOSIGNDOC_CLIENT_CERT_FILE');
  }
  if (pemCertificates(m.caPem).length === 0) throw new Error('WOSIGNDOC_CA_FILE holds no PEM certificate');
  for (const ca of pemCertificates(m.caPem)) new X509Certificate(ca); // throws on a broken block
}

/**
 * The TLS settings of the client's Pool. `ca` replaces Node's trust store: only the pinned
 * certificates can anchor the server's chain, so a server certificate from any other CA —
 * public or private — is refused, and `rejectUnauthorized` stays on (the host name is checked
 * as usual). `allowPartialTrustChain` lets the pin be an intermediate (WoSign's issuing CA)
 * rather than a root: the chain must still reach a pinned certificate.
 */
export function pinnedTlsOptions(m: MutualTlsMaterial): NonNullable<CaConnectionOptions['tls']> {
  return {
    cert: m.clientCertPem,
    key: m.clientKeyPem,
    ca: pemCertificates(m.caPem),
    rejectUnauthorized: true,
    allowPartialTrustChain: true,
    minVersion: 'TLSv1.2',
  };
}

// ---------------------------------------------------------------- TLS failures

/** Our side refused the server's certificate (Node's verification codes). */
const SERVER_CERTIFICATE_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'CERT_REVOKED',
  'CERT_REJECTED',
  'CERT_CHAIN_TOO_LONG',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'PATH_LENGTH_EXCEEDED',
  'HOSTNAME_MISMATCH',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_TLS_CERT_ALTNAME_FORMAT',
]);

/** TLS alerts a server sends when it refuses our certificate (OpenSSL's codes, TLS 1.2 and 1.3). */
const CLIENT_CERTIFICATE_ALERT = /^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_ALERT_(?:CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_EXPIRED|CERTIFICATE_REVOKED|CERTIFICATE_UNKNOWN|UNSUPPORTED_CERTIFICATE|ACCESS_DENIED)$/;

function errorChainField(err: unknown, field: 'code' | 'socket'): unknown {
  for (let e: unknown = err, depth = 0; e !== null && typeof e === 'object' && depth < 5; depth++) {
    const value = (e as Record<string, unknown>)[field];
    if (value !== undefined) return value;
    e = e instanceof AggregateError ? e.errors[0] : (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Remembers the TLS alerts servers sent on recent connections, by local port: undici reports a
 * server's refusal of our certificate after the handshake (TLS 1.3) as "other side closed",
 * and names the connection's local port in that error. Bounded: the last 64 alerts.
 */
export function tlsAlertRecorder(): { onConnection(socket: Socket): void; alertFor(localPort: number | undefined): string | undefined } {
  const alerts = new Map<number, string>();
  return {
    onConnection(socket) {
      const port = socket.localPort;
      if (port === undefined) return;
      alerts.delete(port); // a new connection on a reused port starts clean
      socket.on('error', (err: unknown) => {
        const c = errorChainField(err, 'code');
        if (typeof c !== 'string' || !CLIENT_CERTIFICATE_ALERT.test(c)) return;
        alerts.set(port, c);
        if (alerts.size > 64) alerts.delete(alerts.keys().next().value!);
      });
    },
    alertFor(localPort) {
      return localPort === undefined ? undefined : alerts.get(localPort);
    },
  };
}

/**
 * The port's error for a TLS failure, or undefined when `err` is none (the caller keeps
 * what it had). All of them happen before the platform has read a request: `notActedOn`.
 *
 * - We refused the server's certificate: CaAuthError naming WOSIGNDOC_CA_FILE. Not retried by
 *   itself: a certificate from outside the pin is a misconfiguration or an interception, and
 *   an operator must look (the workflow asks again slowly, needsAttention).
 * - The server refused ours with a TLS alert (seen on the connection): CaAuthError naming
 *   WOSIGNDOC_CLIENT_CERT_FILE.
 * - A new connection closed by the server with not one byte of answer: retryable (a restart
 *   looks the same), but the message says it may be our certificate — a server that checks
 *   client certificates after the handshake (TLS 1.3) often just closes.
 */
export function tlsFailure(err: unknown, ctx: AnswerContext, alertFor: (localPort: number | undefined) => string | undefined): CaError | undefined {
  const code = errorChainField(err, 'code');
  const socket = errorChainField(err, 'socket') as { localPort?: number; bytesRead?: number; bytesWritten?: number } | undefined;
  if (typeof code === 'string' && SERVER_CERTIFICATE_CODES.has(code)) {
    return new CaAuthError({
      ...ctx,
      notActedOn: true,
      cause: err,
      summary: 'presented a server certificate we do not trust',
      caMessage: `${code}: the server's certificate does not chain to the pinned CA (WOSIGNDOC_CA_FILE) or does not name the host; nothing was sent`,
    });
  }
  if (typeof code === 'string' && CLIENT_CERTIFICATE_ALERT.test(code)) {
    return clientCertificateRefused(`TLS alert ${code}`, err, ctx);
  }
  const alert = alertFor(socket?.localPort);
  if (alert !== undefined) return clientCertificateRefused(`TLS alert ${alert}`, err, ctx);
  if (code === 'UND_ERR_SOCKET' && socket?.bytesRead === 0) {
    return new CaUnavailableError({
      ...ctx,
      code,
      cause: err,
      notActedOn: undefined,
      caMessage: 'the platform closed a new connection without a byte of answer; if this repeats, it may be refusing the client certificate (WOSIGNDOC_CLIENT_CERT_FILE)',
    });
  }
  return undefined;
}

/**
 * The platform (or the TLS proxy in front of it) refused our client certificate: `how` says
 * how it said so (a TLS alert, a proxy's error page). Nothing reached the platform itself.
 */
export function clientCertificateRefused(how: string, err: unknown, ctx: AnswerContext): CaError {
  return new CaAuthError({
    ...ctx,
    notActedOn: true,
    cause: err,
    summary: 'refused our client certificate',
    caMessage: `${how}: the platform does not accept the client certificate (WOSIGNDOC_CLIENT_CERT_FILE); is its public key registered with WoSign, is it expired?`,
  });
}

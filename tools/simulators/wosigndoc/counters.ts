/**
 * What tests and the fault suite count with: requests, handshakes refused, orders accepted,
 * error codes answered, signings, push attempts by outcome, faults used. Since start or the
 * last reset; in memory only. Per-order push counts are on the order (orders.ts).
 */

export interface PushCountersView {
  /** HTTP requests made to the callback address (each duplicate copy counts). */
  sent: number;
  /** Orders whose push was answered `1`. */
  acknowledged: number;
  /** Requests answered, but not `1` (any status, any other body). */
  rejected: number;
  /** Requests that failed (connection refused, timeout, reset). */
  failed: number;
  /** Attempts not sent (`lostPushes`). */
  lost: number;
  /** Requests sent with a wrong hash (`wrongHashPushes`, each copy counts). */
  wrongHash: number;
  /** Extra copies sent (`duplicatePushes`: copies − 1 per attempt). */
  duplicates: number;
  /** Orders whose pushes were given up after the last scheduled attempt. */
  givenUp: number;
}

export interface CountersView {
  /** Every request to the create endpoint that completed a TLS handshake, faults included. */
  requests: number;
  /** TLS handshakes refused (no client certificate, another CA's, expired…): never requests. */
  tlsRefused: number;
  /** Creates accepted (a new signing order). */
  creates: number;
  /** Error answers by code ("-43"…"-100", and forced ones). */
  errorsByCode: Record<string, number>;
  /** Handled creates whose answer was dropped (`dropCreateAnswer`). */
  answersDropped: number;
  /** Creates answered 500/502/503 without being handled (`failBeforeHandling`). */
  failedBeforeHandling: number;
  /** Documents signed. */
  signed: number;
  /** Signings failed on purpose (`failSignings`). */
  signingsFailed: number;
  pushes: PushCountersView;
}

const zeroPushes = (): PushCountersView => ({ sent: 0, acknowledged: 0, rejected: 0, failed: 0, lost: 0, wrongHash: 0, duplicates: 0, givenUp: 0 });

export class Counters {
  requests = 0;
  tlsRefused = 0;
  creates = 0;
  readonly errorsByCode = new Map<string, number>();
  answersDropped = 0;
  failedBeforeHandling = 0;
  signed = 0;
  signingsFailed = 0;
  pushes: PushCountersView = zeroPushes();

  error(code: number | string): void {
    const key = String(code);
    this.errorsByCode.set(key, (this.errorsByCode.get(key) ?? 0) + 1);
  }

  reset(): void {
    this.requests = 0;
    this.tlsRefused = 0;
    this.creates = 0;
    this.errorsByCode.clear();
    this.answersDropped = 0;
    this.failedBeforeHandling = 0;
    this.signed = 0;
    this.signingsFailed = 0;
    this.pushes = zeroPushes();
  }

  view(): CountersView {
    return {
      requests: this.requests,
      tlsRefused: this.tlsRefused,
      creates: this.creates,
      errorsByCode: Object.fromEntries(this.errorsByCode),
      answersDropped: this.answersDropped,
      failedBeforeHandling: this.failedBeforeHandling,
      signed: this.signed,
      signingsFailed: this.signingsFailed,
      pushes: { ...this.pushes },
    };
  }
}

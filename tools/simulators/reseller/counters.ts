/** What tests and the fault suite count with, since start or the last reset; in memory only. */
import type { Method } from './protocol';

export interface ValidationCount {
  attempted: number;
  passed: number;
}

export interface ResellerCountersView {
  /** Every request to the create, reissue and status endpoints, faults included. */
  requests: number;
  /** Creates (INFERRED call) accepted and charged: services made (a repeated unique_id is not one). */
  creates: number;
  /** Reissues accepted and charged (a repeated unique_id is not one). */
  reissues: number;
  statusReads: number;
  /** Charges by unique_id, creates and reissues alike: never more than 1 each. */
  charges: Record<string, number>;
  /** `success: false` answers on the merits (rules, unknown service), forced ones excluded. */
  refusals: number;
  validations: Record<Method, ValidationCount>;
  certificatesIssued: number;
  certificatesRevoked: number;
  /** Callback attempts made (retries included), and those answered 2xx. */
  callbacksSent: number;
  callbacksAcknowledged: number;
  failedBeforeHandling: number;
  answersDropped: number;
  forcedFailures: number;
}

const noValidations = (): Record<Method, ValidationCount> => ({
  dns: { attempted: 0, passed: 0 },
  http: { attempted: 0, passed: 0 },
  https: { attempted: 0, passed: 0 },
  email: { attempted: 0, passed: 0 },
});

export class ResellerCounters {
  private v: ResellerCountersView = ResellerCounters.zero();

  private static zero(): ResellerCountersView {
    return {
      requests: 0,
      creates: 0,
      reissues: 0,
      statusReads: 0,
      charges: {},
      refusals: 0,
      validations: noValidations(),
      certificatesIssued: 0,
      certificatesRevoked: 0,
      callbacksSent: 0,
      callbacksAcknowledged: 0,
      failedBeforeHandling: 0,
      answersDropped: 0,
      forcedFailures: 0,
    };
  }

  bump(key: Exclude<keyof ResellerCountersView, 'charges' | 'validations'>): void {
    this.v[key]++;
  }

  charge(uniqueId: string): void {
    this.v.charges[uniqueId] = (this.v.charges[uniqueId] ?? 0) + 1;
  }

  validation(method: Method, passed: boolean): void {
    this.v.validations[method].attempted++;
    if (passed) this.v.validations[method].passed++;
  }

  reset(): void {
    this.v = ResellerCounters.zero();
  }

  view(): ResellerCountersView {
    return structuredClone(this.v);
  }
}

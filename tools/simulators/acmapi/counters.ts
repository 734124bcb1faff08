/**
 * What the fault suite and tests count with: calls by kind, certificates issued, error codes
 * answered, answers lost on purpose. Since start or the last reset; in memory only.
 */

export interface CountersView {
  /** Every request to the endpoint, faults included. */
  requests: number;
  /** Apply calls (no handle_id) that passed the IP and credential checks. */
  applications: number;
  /** Asks by handle_id that passed the IP and credential checks. */
  handleAsks: number;
  certificatesIssued: number;
  /** Error answers by code ("101"…"111", and forced ones). */
  errorsByCode: Record<string, number>;
  /** Handled requests whose answer was dropped (`dropAfterHandling`). */
  answersDropped: number;
  /** Requests answered 500/502/503 without being handled (`failBeforeHandling`). */
  failedBeforeHandling: number;
}

export class Counters {
  requests = 0;
  applications = 0;
  handleAsks = 0;
  certificatesIssued = 0;
  readonly errorsByCode = new Map<string, number>();
  answersDropped = 0;
  failedBeforeHandling = 0;

  error(code: number | string): void {
    const key = String(code);
    this.errorsByCode.set(key, (this.errorsByCode.get(key) ?? 0) + 1);
  }

  reset(): void {
    this.requests = 0;
    this.applications = 0;
    this.handleAsks = 0;
    this.certificatesIssued = 0;
    this.errorsByCode.clear();
    this.answersDropped = 0;
    this.failedBeforeHandling = 0;
  }

  view(): CountersView {
    return {
      requests: this.requests,
      applications: this.applications,
      handleAsks: this.handleAsks,
      certificatesIssued: this.certificatesIssued,
      errorsByCode: Object.fromEntries(this.errorsByCode),
      answersDropped: this.answersDropped,
      failedBeforeHandling: this.failedBeforeHandling,
    };
  }
}

/**
 * What tests and benchmarks assert on: how many calls the client made, how many orders the
 * CA ended up with per idempotenceID, how pushes fared. Counted since start or the last reset;
 * not persisted (a restart begins a new measurement).
 */

export const API_OPS = ['create', 'query', 'retrieve', 'cancel', 'revoke', 'reissue', 'email'] as const;
export type ApiOp = (typeof API_OPS)[number];

export interface PushCounters {
  /** HTTP attempts made (a retried push counts once per attempt). */
  sent: number;
  /** Attempts answered 200: events delivered. */
  acknowledged: number;
  /** Attempts that got another status, a network error or a timeout. */
  failed: number;
  /** Events given up on: all attempts failed, or dropped by the `dropPushRate` fault. */
  dropped: number;
}

export interface CountersView {
  calls: Record<ApiOp, number>;
  ordersCreated: number;
  ordersReissued: number;
  createsByIdempotenceId: Record<string, number>;
  ordersByIdempotenceId: Record<string, number>;
  pushes: PushCounters;
  emailsSent: number;
  rateLimited: number;
  faultsInjected: number;
  unauthorized: number;
}

const zeroCalls = (): Record<ApiOp, number> => Object.fromEntries(API_OPS.map((op) => [op, 0])) as Record<ApiOp, number>;

export class Counters {
  calls = zeroCalls();
  ordersCreated = 0;
  ordersReissued = 0;
  createsByIdempotenceId = new Map<string, number>();
  ordersByIdempotenceId = new Map<string, number>();
  pushes: PushCounters = { sent: 0, acknowledged: 0, failed: 0, dropped: 0 };
  emailsSent = 0;
  rateLimited = 0;
  faultsInjected = 0;
  unauthorized = 0;

  bump(map: Map<string, number>, key: string): void {
    map.set(key, (map.get(key) ?? 0) + 1);
  }

  reset(): void {
    this.calls = zeroCalls();
    this.ordersCreated = 0;
    this.ordersReissued = 0;
    this.createsByIdempotenceId.clear();
    this.ordersByIdempotenceId.clear();
    this.pushes = { sent: 0, acknowledged: 0, failed: 0, dropped: 0 };
    this.emailsSent = 0;
    this.rateLimited = 0;
    this.faultsInjected = 0;
    this.unauthorized = 0;
  }

  view(): CountersView {
    return {
      calls: { ...this.calls },
      ordersCreated: this.ordersCreated,
      ordersReissued: this.ordersReissued,
      createsByIdempotenceId: Object.fromEntries(this.createsByIdempotenceId),
      ordersByIdempotenceId: Object.fromEntries(this.ordersByIdempotenceId),
      pushes: { ...this.pushes },
      emailsSent: this.emailsSent,
      rateLimited: this.rateLimited,
      faultsInjected: this.faultsInjected,
      unauthorized: this.unauthorized,
    };
  }
}

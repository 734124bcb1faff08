/**
 * In-memory order store with the indexes every request needs (id, status, idempotenceID), so
 * no request scans all orders: benchmarks create thousands.
 */
import type { PersistedState, SimEmail, SimOrder, SimStatus, Transition } from './model';

/** Ids are GUIDs; the documents show them in both cases and with stray whitespace. */
export function normalizeId(id: string): string {
  return id.trim().toUpperCase();
}

export class OrderStore {
  private readonly orders = new Map<string, SimOrder>();
  private readonly byStatus = new Map<SimStatus, Set<string>>();
  private readonly idempotence = new Map<string, string>();
  private readonly reissueIdempotence = new Map<string, string>();
  private emailLog: SimEmail[] = [];
  lastOrderNumber = '';

  /** Called after every mutation (persistence marks itself dirty). */
  constructor(private readonly changed: () => void = () => undefined) {}

  get size(): number {
    return this.orders.size;
  }

  get(id: string): SimOrder | undefined {
    return this.orders.get(normalizeId(id));
  }

  insert(order: SimOrder): void {
    this.orders.set(order.id, order);
    this.index(order.id, order.status);
    this.changed();
  }

  rememberCreate(idempotenceId: string, orderId: string): void {
    this.idempotence.set(idempotenceId, orderId);
    this.changed();
  }

  setStatus(order: SimOrder, status: SimStatus, by: Transition['by'], at = Date.now()): void {
    if (order.status === status) return;
    this.byStatus.get(order.status)?.delete(order.id);
    order.status = status;
    order.transitions.push({ status, at, by });
    this.index(order.id, status);
    this.changed();
  }

  /** For field changes other than status (timestamps, cert, links between orders). */
  touch(): void {
    this.changed();
  }

  list(status?: SimStatus): SimOrder[] {
    if (!status) return [...this.orders.values()];
    const ids = this.byStatus.get(status);
    return ids ? [...ids].map((id) => this.orders.get(id)!) : [];
  }

  count(status: SimStatus): number {
    return this.byStatus.get(status)?.size ?? 0;
  }

  byIdempotenceId(id: string): SimOrder | undefined {
    const orderId = this.idempotence.get(id);
    return orderId === undefined ? undefined : this.orders.get(orderId);
  }

  byReissueIdempotenceId(id: string): SimOrder | undefined {
    const orderId = this.reissueIdempotence.get(id);
    return orderId === undefined ? undefined : this.orders.get(orderId);
  }

  rememberReissue(idempotenceId: string, newOrderId: string): void {
    this.reissueIdempotence.set(idempotenceId, newOrderId);
    this.changed();
  }

  addEmail(e: SimEmail): void {
    this.emailLog.push(e);
    this.changed();
  }

  emails(): readonly SimEmail[] {
    return this.emailLog;
  }

  snapshot(): PersistedState {
    return {
      version: 1,
      savedAt: new Date().toISOString(),
      orders: [...this.orders.values()],
      idempotence: [...this.idempotence.entries()],
      reissueIdempotence: [...this.reissueIdempotence.entries()],
      emails: this.emailLog,
      lastOrderNumber: this.lastOrderNumber,
    };
  }

  restore(state: PersistedState): void {
    for (const o of state.orders) {
      this.orders.set(o.id, o);
      this.index(o.id, o.status);
    }
    for (const [k, v] of state.idempotence) this.idempotence.set(k, v);
    for (const [k, v] of state.reissueIdempotence) this.reissueIdempotence.set(k, v);
    this.emailLog = [...state.emails];
    this.lastOrderNumber = state.lastOrderNumber;
  }

  private index(id: string, status: SimStatus): void {
    let set = this.byStatus.get(status);
    if (!set) this.byStatus.set(status, (set = new Set()));
    set.add(id);
  }
}

/**
 * The order state machines of ca-apis.md §1 and the timers that drive them.
 *
 *   DV / SM2 / Sectigo: pendingSubmitOrderToCA →(submitMs) pendingDCV →(dcvMs) pendingCAIssued →(issueMs) issued
 *   OV / EV:            pendingSubmitOrderToCA →(reviewMs, legal review) pendingDCV →(dcvMs) pendingCAIssued →(issueMs, CA phone call) issued
 *   PDF / documents:    pendingSubmitOrderToCA →(reviewMs) pendingCAIssued →(issueMs) issued
 *   reissue:            pendingDCV (PDF: pendingCAIssued) → … (no review)
 *   revocation:         issued → pendingRevoke →(revokeMs) revoked
 *
 * Every status change goes through `transition`, which also pushes, so no push is forgotten.
 * One timer per order with a pending automatic step; manual mode schedules none.
 */
import type { Logger } from 'pino';
import { getProduct } from './catalog';
import { issueCertificates } from './issuance';
import type { SimOrder, SimStatus, Transition } from './model';
import type { Pki } from './pki';
import type { PushSender } from './pushes';
import type { Settings } from './settings';
import type { OrderStore } from './store';

export const DRIVE_ACTIONS = ['pass-review', 'pass-dcv', 'issue', 'reject', 'revoke', 'close'] as const;
export type DriveAction = (typeof DRIVE_ACTIONS)[number];

export type DriveResult = { ok: true; order: SimOrder } | { ok: false; error: string; status: 404 | 409 };

/** Statuses in which the certificate does not exist yet and the order can still be stopped. */
const PRE_ISSUE: ReadonlySet<SimStatus> = new Set(['pendingSubmitOrderToCA', 'pendingDCV', 'pendingCAIssued', 'pending', 'pendingAutoIssue', 'unknown']);
/** Statuses with an automatic next step (used to resume after a restart or leaving manual mode). */
const TIMED: readonly SimStatus[] = ['pendingSubmitOrderToCA', 'pendingDCV', 'pendingCAIssued', 'pendingRevoke'];

export interface EngineDeps {
  store: OrderStore;
  pki: Pki;
  pushes: PushSender;
  settings: () => Settings;
  log: Logger;
}

export class OrderEngine {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly issuing = new Map<string, Promise<void>>();
  private closed = false;

  constructor(private readonly d: EngineDeps) {}

  /** A certificate exists and is not withdrawn: cancel is refused, revoke and reissue allowed. */
  static isLive(o: SimOrder): boolean {
    return o.cert !== undefined && (o.status === 'issued' || o.status === 'pendingCAIssued');
  }

  transition(order: SimOrder, status: SimStatus, by: Transition['by'], at = Date.now()): void {
    if (order.status === status) return;
    order.dueAt = undefined; // the step it was due for has happened; schedule() sets the next
    this.d.store.setStatus(order, status, by, at);
    this.d.pushes.push({ orderId: order.id, isIssued: order.cert !== undefined, isRevoked: status === 'revoked' });
  }

  private nextStep(order: SimOrder): { action: DriveAction; delayMs: number } | undefined {
    const delays = this.d.settings().delays;
    switch (order.status) {
      case 'pendingSubmitOrderToCA':
        return { action: 'pass-review', delayMs: getProduct(order.productId).review ? delays.reviewMs : delays.submitMs };
      case 'pendingDCV':
        return { action: 'pass-dcv', delayMs: delays.dcvMs };
      case 'pendingCAIssued':
        return order.cert ? undefined : { action: 'issue', delayMs: delays.issueMs };
      case 'pendingRevoke':
        return { action: 'revoke', delayMs: delays.revokeMs };
      default:
        return undefined;
    }
  }

  /** Arms the order's next automatic step; `resume` keeps a due time restored from disk. */
  schedule(order: SimOrder, resume = false): void {
    this.unschedule(order.id);
    const step = this.nextStep(order);
    if (!step || this.closed || this.d.settings().manual) {
      if (order.dueAt !== undefined) {
        order.dueAt = undefined;
        this.d.store.touch();
      }
      return;
    }
    const now = Date.now();
    const due = resume && order.dueAt !== undefined ? order.dueAt : now + step.delayMs;
    order.dueAt = due;
    this.d.store.touch();
    const timer = setTimeout(() => {
      this.timers.delete(order.id);
      // drive() has logged any failure; a timer has nobody to report to.
      this.drive(order.id, step.action, 'timer').catch(() => undefined);
    }, Math.max(0, due - now));
    timer.unref();
    this.timers.set(order.id, timer);
  }

  unschedule(id: string): void {
    const t = this.timers.get(id);
    if (t) {
      clearTimeout(t);
      this.timers.delete(id);
    }
  }

  /** Arms every order with a pending step (after loading state, or leaving manual mode). */
  resumeAll(resume: boolean): void {
    for (const status of TIMED) for (const o of this.d.store.list(status)) this.schedule(o, resume);
  }

  pauseAll(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const status of TIMED) for (const o of this.d.store.list(status)) o.dueAt = undefined;
    this.d.store.touch();
  }

  get scheduledCount(): number {
    return this.timers.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.issuing.values()]);
  }

  async drive(id: string, action: DriveAction, by: Transition['by'] = 'admin', reason?: string): Promise<DriveResult> {
    const order = this.d.store.get(id);
    if (!order) return { ok: false, status: 404, error: `order not found: ${id}` };
    const refuse = (): DriveResult => ({ ok: false, status: 409, error: `cannot ${action} an order in status ${order.status}${order.cert ? ' (certificate issued)' : ''}` });
    try {
      switch (action) {
        case 'pass-review':
          if (order.status !== 'pendingSubmitOrderToCA') return refuse();
          this.passReview(order, by);
          break;
        case 'pass-dcv':
          if (order.status !== 'pendingDCV') return refuse();
          this.passDcv(order, by);
          break;
        case 'issue':
          if (!PRE_ISSUE.has(order.status) || (order.cert && order.status !== 'pendingCAIssued')) return refuse();
          await this.issue(order, by);
          break;
        case 'reject':
          if (!PRE_ISSUE.has(order.status) || order.cert) return refuse();
          order.rejectedAt = Date.now();
          order.rejectReason = reason ?? 'rejected by the CA';
          this.unschedule(order.id);
          this.transition(order, 'rejected', by);
          this.schedule(order);
          break;
        case 'revoke':
          if (order.status !== 'pendingRevoke' && !OrderEngine.isLive(order)) return refuse();
          this.revoke(order, by, reason);
          break;
        case 'close':
          if (!this.close1(order, by, reason)) return refuse();
          break;
      }
    } catch (err) {
      this.d.log.error({ err, orderId: order.id, action }, 'simulator: transition failed');
      throw err;
    }
    return { ok: true, order };
  }

  /** Admin override: any status (e.g. `unknown`, `pendingAutoIssue`) to test how a client copes. */
  force(order: SimOrder, status: SimStatus): void {
    this.unschedule(order.id);
    this.transition(order, status, 'admin');
    this.schedule(order);
  }

  private passReview(order: SimOrder, by: Transition['by']): void {
    const product = getProduct(order.productId);
    order.reviewPassedAt = Date.now();
    this.transition(order, product.dcv ? 'pendingDCV' : 'pendingCAIssued', by);
    this.schedule(order);
  }

  private passDcv(order: SimOrder, by: Transition['by']): void {
    order.dcvPassedAt = Date.now();
    this.transition(order, 'pendingCAIssued', by);
    this.schedule(order);
  }

  /** Admin `issue` fast-forwards through the remaining steps, each with its own transition and push. */
  private async issue(order: SimOrder, by: Transition['by']): Promise<void> {
    // Statuses only reachable by force (pending, pendingAutoIssue, unknown) rejoin the flow before issuance.
    if (order.status === 'pending' || order.status === 'pendingAutoIssue' || order.status === 'unknown') this.transition(order, 'pendingCAIssued', by);
    if (order.status === 'pendingSubmitOrderToCA') this.passReview(order, by);
    if (order.status === 'pendingDCV') this.passDcv(order, by);
    if (order.status !== 'pendingCAIssued') return;
    if (order.cert) {
      // issuedOn=retrieve left it waiting for RetrievePem; an explicit issue completes it.
      this.unschedule(order.id);
      this.transition(order, 'issued', by);
      return;
    }
    this.unschedule(order.id);
    let running = this.issuing.get(order.id);
    if (!running) {
      running = this.produceCertificate(order, by).finally(() => this.issuing.delete(order.id));
      this.issuing.set(order.id, running);
    }
    await running;
  }

  private async produceCertificate(order: SimOrder, by: Transition['by']): Promise<void> {
    let cert;
    try {
      cert = await issueCertificates(order, this.d.pki);
    } catch (err) {
      this.d.log.error({ err, orderId: order.id }, 'simulator: issuance failed, rejecting the order');
      if (order.status === 'pendingCAIssued' && !order.cert) {
        order.rejectedAt = Date.now();
        order.rejectReason = `issuance failed: ${(err as Error).message}`;
        this.transition(order, 'rejected', 'system');
      }
      return;
    }
    // Cancelled, rejected or issued by someone else while the CA was signing: discard.
    if (this.closed || order.status !== 'pendingCAIssued' || order.cert) return;
    order.cert = cert;
    order.issuedAt = Date.now();
    if (this.d.settings().issuedOn === 'issue') {
      this.transition(order, 'issued', by);
    } else {
      // Status unchanged until RetrievePem, but the partner is told the certificate is ready.
      order.dueAt = undefined;
      this.d.store.touch();
      this.d.pushes.push({ orderId: order.id, isIssued: true, isRevoked: false });
    }
    this.afterIssued(order);
  }

  /** §1.6: for SM2 and Sectigo products the old certificate is revoked once its reissue is issued. */
  private afterIssued(order: SimOrder): void {
    if (!order.reissuedFrom || !getProduct(order.productId).reissueRevokesOld) return;
    const old = this.d.store.get(order.reissuedFrom);
    if (!old || !(OrderEngine.isLive(old) || old.status === 'pendingRevoke')) return;
    old.revokeReason = `superseded by reissue ${order.id}`;
    this.revoke(old, 'system');
  }

  /** Called by RetrievePem in issuedOn=retrieve mode. */
  markRetrieved(order: SimOrder): void {
    order.retrievedAt ??= Date.now();
    if (order.status === 'pendingCAIssued' && order.cert) this.transition(order, 'issued', 'api');
    else this.d.store.touch();
  }

  requestRevoke(order: SimOrder, reason: string): void {
    order.revokeRequestedAt = Date.now();
    order.revokeReason = reason;
    this.transition(order, 'pendingRevoke', 'api');
    this.schedule(order);
  }

  private revoke(order: SimOrder, by: Transition['by'], reason?: string): void {
    this.unschedule(order.id);
    order.revokedAt = Date.now();
    if (reason) order.revokeReason = reason;
    this.transition(order, 'revoked', by);
    this.schedule(order);
  }

  /** Closes an order that has no certificate yet; an SM2 order takes its bundled RSA order along. */
  close1(order: SimOrder, by: Transition['by'], reason?: string): boolean {
    if (!PRE_ISSUE.has(order.status) || order.cert) return false;
    this.unschedule(order.id);
    order.closedAt = Date.now();
    order.cancelReason = reason;
    this.transition(order, 'closed', by);
    this.schedule(order);
    if (order.role === 'sm2' && order.bundleId) {
      const rsa = this.d.store.get(order.bundleId);
      if (rsa && PRE_ISSUE.has(rsa.status) && !rsa.cert) this.close1(rsa, by, reason);
    }
    return true;
  }
}

import { droppedNamesIssues } from '../../domain/domain-names';
import { ApplicationFailure, allHandlersFinished, condition, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import type { BillingEventType } from '../../activities';
import type { CaEmailResult } from '../../activities/ca';
import { type Capability, ISSUER_BEFORE_PORT, type IssuerRef, type RetrievedCertificate } from '../../ca/issuer';
import type { CertificateBundle, CertificateMeta } from '../../domain/certificate';
import { CANCELLABLE_STATES, type OrderState } from '../../domain/order-states';
import type { CaEmailRecord, OrderView } from '../../domain/order-view';
import { emailActivities } from '../activity-stubs';
import type { AttentionControl } from '../attention';
import type { BoundOrderResult } from '../bound-order';
import type { RunningChild } from './children';
import { actionRequiredEvent, CUSTOMER_ACTION_PATCH, type CustomerActionNotice } from '../customer-action';
import { failureMessage } from '../failures';
import type { CarriedState, OrderWorkflowInput } from '../inputs';
import {
  type CaPushSignal,
  type CancelInput,
  type ReissueInput,
  type ResendCustomerEmailInput,
  type ResolveCreateInput,
  type RevokeInput,
  type UpdateAnswer,
  UPDATE_REJECTED,
  cancelUpdate,
  caPushedSignal,
  describe,
  getCertificateQuery,
  getOrderQuery,
  reissueUpdate,
  resendCustomerEmailUpdate,
  resolveCreateUpdate,
  retryNowUpdate,
  revokeUpdate,
} from '../messages';
import { messageSchemas } from '../parse-message';
import { BillingEvents } from '../billing-events';
import { OrderRecord } from '../record';

function reject(message: string): never {
  throw ApplicationFailure.create({ type: UPDATE_REJECTED, message, nonRetryable: true });
}

function initialView(input: OrderWorkflowInput): OrderView {
  const at = new Date().toISOString();
  const condition = { state: 'creating' as const, reason: 'Accepted', message: 'Creating the CA order.', at };
  return {
    workflowId: workflowInfo().workflowId,
    billingOrderId: input.order.billingOrderId,
    productId: input.order.productId,
    commonName: input.order.commonName,
    hosts: input.order.hosts,
    condition,
    ca: { issuer: input.issuer?.id, checks: 0 },
    lineage: { renews: input.order.renewsBillingOrderId, caOrderIds: [], reissues: [], revocations: [], replacedCertificates: [] },
    timeline: [condition],
    notifications: { caEmailFor: [], renewalReminderFor: [] },
    continuedAsNew: 0,
  };
}

/** Views carried by runs before billing keys left the public view held them there. */
function restoreView(carried: CarriedState): { view: OrderView; billingEventKeys: string[] } {
  const notifications = carried.view.notifications as OrderView['notifications'] & { billingEvents?: string[] };
  const { billingEvents, ...kept } = notifications;
  return { view: { ...carried.view, notifications: kept }, billingEventKeys: carried.billingEventKeys ?? billingEvents ?? [] };
}

/** The outcome of a cancel request, handed from the process to the waiting update. */
type CancelOutcome = { ok: boolean; message: string };
type ChildDone<T> = { ok: true; result: T } | { ok: false; message: string };

/**
 * One billing order's state and the handlers of its messages (the shape of Temporal's
 * safe-message-handlers sample). Handlers record requests; the process (./workflow.ts)
 * carries them out and answers through the fields the handlers wait on.
 */
export class OrderEntity {
  readonly record: OrderRecord<OrderView>;
  readonly issuer: IssuerRef;
  bundle: CertificateBundle | null;
  private readonly seenReissueRequests: Set<string>;
  /** Idempotency keys of the billing events sent: internal bookkeeping, not part of the view. */
  private readonly billingEventKeys: string[];
  /** Billing events sent without waiting (notices while the order waits on others): awaited before the run ends. */
  private readonly billing: BillingEvents;
  readonly push = { pending: false };
  readonly retryNow = { requested: false };
  cancelRequest: CancelInput | undefined;
  cancelOutcome: CancelOutcome | undefined;
  reissueRequest: ReissueInput | undefined;
  revokeRequest: RevokeInput | undefined;
  /** The CA reported the certificate issued: a cancel can no longer undo the order. */
  certificateIssued = false;
  /** An operator's resend of the customer e-mail is running (one at a time). */
  private emailResendRunning = false;
  /** The bound RSA CA order's child while it runs (SM2 orders with a bound RSA product). */
  boundRsa: RunningChild<BoundOrderResult> | undefined;
  /** Set when the child a pending update asked for has started (`revoke` or the reissue request id). */
  childStarted: { id: string } | undefined;
  /** A create's answer was lost at a CA without idempotency key: the order waits for resolveCreate. */
  createOutcomeUnknown = false;
  /** The operator's decision, consumed by the create step. */
  createResolution: ResolveCreateInput | undefined;
  /** Waiting to check the domains' validation files again (issuers with fileValidationAtCreate): retryNow checks at once. */
  awaitingDomainFiles = false;
  /** The certificate a create handed out at once (ACMAPI `success`): no wait for issuance. */
  issuedAtCreate: RetrievedCertificate | undefined;
  /** Waiting for the customer to fix a name (issuers with domainValidation): retryNow looks again at once. */
  readonly namesWait = { waiting: false };
  /** A switch of names or methods asked for while the CA validates the first certificate; cleared once sent to the CA. */
  methodSwitch: ReissueInput | undefined;
  /** Request ids of switches sent to the CA (their update answers wait for this). */
  readonly switchesSent: string[] = [];
  /**
   * The CSR of the current certificate: the order's, or the last reissue's that brought one.
   * A reissue that changes only names or methods keeps the key, and is verified against it.
   */
  currentCsr: string;

  constructor(readonly input: OrderWorkflowInput) {
    const restored = input.carried ? restoreView(input.carried) : { view: initialView(input), billingEventKeys: [] };
    // Views carried from runs before the view held the hosts.
    if (restored.view.hosts === undefined && input.order.hosts !== undefined) restored.view.hosts = input.order.hosts;
    this.record = new OrderRecord(restored.view, true);
    this.billingEventKeys = restored.billingEventKeys;
    // Billing being down for a day must not block the certificate; the event is recorded as lost.
    this.billing = new BillingEvents(restored.view.billingOrderId, this.billingEventKeys, (type, message) => this.note('BillingWebhookFailed', `${type}: ${message}`));
    this.bundle = input.carried?.bundle ?? null;
    this.seenReissueRequests = new Set(input.carried?.seenReissueRequests ?? []);
    this.issuer = input.issuer ?? ISSUER_BEFORE_PORT;
    this.currentCsr = input.carried?.currentCsr ?? input.order.csr;
  }

  /** The names the current certificate covers (a reissue may have changed them). */
  get names(): string[] {
    return [this.view.commonName, ...(this.view.hosts ?? [])];
  }

  get view(): OrderView {
    return this.record.view;
  }

  get state(): OrderState {
    return this.record.state;
  }

  /** What the shared waiting and attention helpers need of this order. */
  get control(): AttentionControl {
    return {
      record: this.record,
      policy: this.input.policy,
      retryNow: this.retryNow,
      interrupted: () => this.cancelRequest !== undefined,
      onAttention: (reason, message) => this.tellAttention(reason, message),
    };
  }

  /** `order.needs_attention`: once per time the order enters needsAttention, keyed by when it did. */
  private tellAttention(reason: string, message: string): void {
    if (!patched(CUSTOMER_ACTION_PATCH)) return;
    this.notifyBillingInBackground('order.needs_attention', `${reason}:${this.view.condition.at}`, { reason, message, caOrderId: this.view.ca.orderId });
  }

  /** `order.action_required`: the customer must act, with the CA's link, what is expected and the deadline; then reminders. */
  readonly tellCustomerAction = (n: CustomerActionNotice): void => {
    const { key, data } = actionRequiredEvent(n);
    this.notifyBillingInBackground('order.action_required', key, data);
  };

  can(capability: Capability): boolean {
    return this.issuer.capabilities.includes(capability);
  }

  listen(): void {
    setHandler(getOrderQuery, () => this.view, describe(getOrderQuery));
    setHandler(getCertificateQuery, () => this.bundle, describe(getCertificateQuery));
    setHandler(caPushedSignal, (p) => this.onCaPushed(p), describe(caPushedSignal));
    setHandler(cancelUpdate, (req) => this.cancel(req), { validator: (req) => this.validateCancel(req), ...describe(cancelUpdate) });
    setHandler(reissueUpdate, (req) => this.reissue(req), { validator: (req) => this.validateReissue(req), ...describe(reissueUpdate) });
    setHandler(revokeUpdate, (req) => this.revoke(req), { validator: (req) => this.validateRevoke(req), ...describe(revokeUpdate) });
    setHandler(retryNowUpdate, () => this.retry(), { validator: () => this.validateRetry(), ...describe(retryNowUpdate) });
    setHandler(resendCustomerEmailUpdate, (req) => this.resendCustomerEmail(req), { validator: (req) => this.validateResendCustomerEmail(req), ...describe(resendCustomerEmailUpdate) });
    setHandler(resolveCreateUpdate, (req) => this.resolveCreate(req), { validator: (req) => this.validateResolveCreate(req), ...describe(resolveCreateUpdate) });
  }

  private validateResolveCreate(req: ResolveCreateInput): void {
    messageSchemas().resolveCreateInputSchema.parse(req);
    if (!this.createOutcomeUnknown) reject(`Nothing to resolve: only an order whose create answer was lost waits for this (the order is ${this.state}).`);
    if (this.createResolution) reject('A resolution is already being carried out.');
  }

  private resolveCreate(req: ResolveCreateInput): UpdateAnswer {
    this.createResolution = req;
    const message = req.caOrderId ? `Following CA order ${req.caOrderId}.` : 'Creating the CA order again.';
    return { accepted: true, state: this.state, message, caOrderId: req.caOrderId };
  }

  /** A hint only: the next step reads the CA's status. Pushes for other lineage ids go to the child that waits for them. */
  private onCaPushed(p: CaPushSignal): void {
    if (p.caOrderId === this.view.ca.orderId) this.push.pending = true;
  }

  private validateCancel(req: CancelInput): void {
    messageSchemas().cancelInputSchema.parse(req);
    if (!CANCELLABLE_STATES.includes(this.state) || this.certificateIssued || this.bundle) {
      reject(`An order in state ${this.state} cannot be cancelled; cancel is possible only before issuance.`);
    }
    if (this.view.ca.orderId !== undefined && !this.can('cancel')) reject(this.missing('cancel', 'cancel an order it has accepted'));
    if (this.cancelRequest) reject('A cancellation is already in progress.');
  }

  private async cancel(req: CancelInput): Promise<UpdateAnswer> {
    this.cancelRequest = req;
    await condition(() => this.cancelOutcome !== undefined);
    const outcome = this.cancelOutcome!;
    this.cancelOutcome = undefined;
    if (!outcome.ok) {
      this.cancelRequest = undefined;
      reject(outcome.message);
    }
    return { accepted: true, state: this.state, message: outcome.message, caOrderId: this.view.ca.orderId };
  }

  private validateReissue(req: ReissueInput): void {
    messageSchemas().reissueInputSchema.parse(req);
    if (this.seenReissueRequests.has(req.requestId)) return;
    if (!this.can('reissue')) reject(this.missing('reissue', 'reissue a certificate'));
    if (this.switchesWhileValidating(req)) {
      if (this.methodSwitch) reject('Another switch of names or methods is being sent to the CA.');
      const dropped = droppedNamesIssues(this.names, req.domainValidation, req.confirmDroppedDomains);
      if (dropped.length > 0) reject(dropped.map((i) => `${i.path.join('.')} ${i.rule}`).join('; '));
      return;
    }
    if (this.state !== 'active') reject(`An order in state ${this.state} cannot be reissued; reissue is possible only for an active certificate.`);
    const { caRevokesReplaced } = this.input.policy;
    if (caRevokesReplaced && !req.proof) reject('proof is required: for this product the CA revokes the replaced certificate itself and asks for the signed request with the reissue.');
    if (caRevokesReplaced && req.revokeReplaced) reject('revokeReplaced does not apply: for this product the CA revokes the replaced certificate itself.');
    if (req.revokeReplaced && !this.can('revoke')) reject(this.missing('revoke', 'revoke the replaced certificate'));
    if (req.csr === undefined && !this.can('domainValidation')) reject(`csr is required: the order's issuer (${this.issuer.id}) reissues only with a new key.`);
    if (req.domainValidation !== undefined && !this.can('domainValidation')) reject(this.missing('domainValidation', 'change names or validation methods'));
    const dropped = droppedNamesIssues(this.names, req.domainValidation, req.confirmDroppedDomains);
    if (dropped.length > 0) reject(dropped.map((i) => `${i.path.join('.')} ${i.rule}`).join('; '));
    if (this.reissueRequest || this.revokeRequest) reject('Another reissue or revocation is in progress.');
  }

  private async reissue(req: ReissueInput): Promise<UpdateAnswer> {
    if (this.seenReissueRequests.has(req.requestId)) {
      const r = this.view.lineage.reissues.find((x) => x.id === req.requestId);
      return { accepted: true, state: this.state, message: `Reissue ${req.requestId} was already requested (${r?.status ?? 'running'}).`, caOrderId: r?.caOrderId };
    }
    this.seenReissueRequests.add(req.requestId);
    if (this.switchesWhileValidating(req)) {
      this.methodSwitch = req;
      await condition(() => this.switchesSent.includes(req.requestId));
      const rec = this.view.lineage.reissues.find((x) => x.id === req.requestId);
      if (rec?.status === 'failed') reject(rec.message ?? 'The switch failed.');
      return { accepted: true, state: this.state, message: `Switch ${req.requestId} sent to the CA: the names are validated by their new methods.`, caOrderId: this.view.ca.orderId };
    }
    this.reissueRequest = req;
    await condition(() => this.childStarted?.id === req.requestId);
    return { accepted: true, state: this.state, message: `Reissue ${req.requestId} started.` };
  }

  /**
   * A switch of names or methods (no new key) while the CA still validates the first
   * certificate, at a CA that validates per name: sent to the CA as a reissue of the same CA
   * order (the reseller platform's reissue "may change the CSR, the domains and the methods"),
   * and the order keeps waiting for validation — the customer need not wait for the first
   * certificate to move a name from a dead mailbox to DNS.
   */
  private switchesWhileValidating(req: ReissueInput): boolean {
    const waiting: OrderState[] = ['awaitingReview', 'awaitingValidation', 'awaitingIssuance'];
    return this.can('domainValidation') && req.csr === undefined && req.domainValidation !== undefined && this.view.ca.orderId !== undefined && !this.certificateIssued && waiting.includes(this.state);
  }

  private validateRevoke(req: RevokeInput): void {
    messageSchemas().revokeInputSchema.parse(req);
    if (!this.can('revoke')) reject(this.missing('revoke', 'revoke a certificate'));
    if (this.state !== 'active') reject(`An order in state ${this.state} cannot be revoked; revocation is possible only for an active certificate.`);
    if (this.reissueRequest || this.revokeRequest) reject('Another reissue or revocation is in progress.');
  }

  private async revoke(req: RevokeInput): Promise<UpdateAnswer> {
    this.revokeRequest = req;
    await condition(() => this.childStarted?.id === 'revoke');
    return { accepted: true, state: this.state, message: 'Revocation requested from the CA.', caOrderId: this.view.ca.orderId };
  }

  private validateRetry(): void {
    if (this.state !== 'needsAttention' && !this.awaitingDomainFiles && !this.namesWait.waiting) reject(`Nothing to retry: the order is ${this.state}.`);
    if (this.createOutcomeUnknown) reject('The CA may have created the order already: retrying could make a second one. Resolve it with resolveCreate (the CA order found at the CA, or createAgain).');
  }

  private retry(): UpdateAnswer {
    this.retryNow.requested = true;
    const message = this.awaitingDomainFiles ? 'Checking the domains\' validation files now.' : this.namesWait.waiting ? 'Looking at the names\' validation now.' : 'Retrying now.';
    return { accepted: true, state: this.state, message };
  }

  /** The record of an earlier resend with this request id: the same id twice is one e-mail. */
  private resendRecord(requestId: string | undefined): CaEmailRecord | undefined {
    return requestId === undefined ? undefined : this.view.notifications.caEmails?.find((r) => r.trigger === 'resend' && r.requestId === requestId);
  }

  private validateResendCustomerEmail(req: ResendCustomerEmailInput): void {
    messageSchemas().resendCustomerEmailInputSchema.parse(req);
    if (this.resendRecord(req.requestId)) return;
    if (!this.can('customerEmail')) reject(this.missing('customerEmail', 'e-mail the customer'));
    if (!this.input.policy.sendCaEmail) reject("This product's policy does not use the CA's e-mail (sendCaEmail: false).");
    if (this.state !== 'active' || !this.view.certificate) reject(`An order in state ${this.state} has no active certificate to e-mail; resend is possible only when active.`);
    if (this.emailResendRunning) reject('A resend of the customer e-mail is already in progress.');
  }

  private async resendCustomerEmail(req: ResendCustomerEmailInput): Promise<UpdateAnswer> {
    const done = this.resendRecord(req.requestId);
    const cert = this.view.certificate!;
    if (done) return { accepted: true, state: this.state, message: `Resend ${req.requestId} was already made: ${describeEmail(done)}` };
    this.emailResendRunning = true;
    try {
      const record = await this.sendCustomerEmail(cert, 'resend', req);
      if (record.status === 'failed') reject(`The CA did not e-mail the customer: ${record.message}`);
      return { accepted: true, state: this.state, message: describeEmail(record), caOrderId: cert.caOrderId };
    } finally {
      this.emailResendRunning = false;
    }
  }

  /**
   * Asks the CA once to e-mail the customer the collect link and records the outcome in the
   * view. A lost answer comes back `unconfirmed` and is never repeated (src/activities/ca.ts);
   * results recorded before that are `{ sent: boolean }`.
   */
  async sendCustomerEmail(cert: CertificateMeta, trigger: CaEmailRecord['trigger'], req?: ResendCustomerEmailInput): Promise<CaEmailRecord> {
    const base = { serialNumber: cert.serialNumber, trigger, requestId: req?.requestId, reason: req?.reason };
    let record: CaEmailRecord;
    try {
      const r: CaEmailResult = await emailActivities.sendCaEmail.executeWithOptions(
        { summary: `Ask the CA to e-mail the customer (certificate ${cert.serialNumber}${trigger === 'resend' ? ', resend' : ''})` },
        [cert.caOrderId, this.input.collectUrl, this.issuer.id],
      );
      const at = new Date().toISOString();
      if (r.sent === true) record = { ...base, status: 'sent', at };
      else if (r.sent === 'unconfirmed') record = { ...base, status: 'unconfirmed', at, message: r.reason, caRequestId: r.requestId };
      else record = { ...base, status: 'failed', at, message: 'The CA answered that it did not send the e-mail (sentResult false).' };
    } catch (err) {
      record = { ...base, status: 'failed', at: new Date().toISOString(), message: failureMessage(err) };
    }
    (this.view.notifications.caEmails ??= []).push(record);
    if (record.status === 'unconfirmed') this.note('CaEmailUnconfirmed', `Certificate ${cert.serialNumber}: the CA's answer was lost (${record.message}); not repeated automatically, an operator may resend.`);
    if (record.status === 'failed') this.note('CaEmailFailed', record.message ?? 'failed');
    return record;
  }

  private missing(capability: Capability, what: string): string {
    return `The order's issuer (${this.issuer.id}) cannot ${what}: it lacks the capability "${capability}".`;
  }

  /** Answers the waiting cancel update. */
  answerCancel(outcome: CancelOutcome): void {
    this.cancelOutcome = outcome;
  }

  /**
   * One event per idempotency key (order, event, certificate serial): a retried or replayed
   * delivery carries the same key and billing can drop duplicates.
   */
  notifyBilling(type: BillingEventType, key: string, data: Record<string, unknown>): Promise<void> {
    return this.billing.send(type, key, data);
  }

  /**
   * Like notifyBilling, without holding the order up: the wait for the customer or an
   * operator goes on (pushes, polls, retryNow) while billing is slow or down.
   */
  notifyBillingInBackground(type: BillingEventType, key: string, data: Record<string, unknown>): void {
    this.billing.sendInBackground(type, key, data);
  }

  /** Waits for the billing events still in flight (before the run ends or continues as new). */
  billingSent(): Promise<void> {
    return this.billing.sent();
  }

  /** A timeline entry that does not change the order's state (a side step that failed). */
  note(reason: string, message: string): void {
    this.view.timeline.push({ ...this.view.condition, reason, message, at: new Date().toISOString() });
  }

  /** The order's last state: billing is told, pending updates answered, then the workflow returns the view. */
  async finish(state: OrderState, reason: string, message: string, event?: BillingEventType): Promise<OrderView> {
    this.record.transition(state, reason, message);
    this.record.setNextCheck(undefined);
    if (event) await this.notifyBilling(event, state, { reason, message });
    await this.billingSent();
    await condition(allHandlersFinished);
    return this.view;
  }

  /** What continue-as-new hands to the next run. */
  carried(): CarriedState {
    return { view: this.view, bundle: this.bundle, seenReissueRequests: [...this.seenReissueRequests], billingEventKeys: [...this.billingEventKeys], currentCsr: this.currentCsr };
  }
}

function describeEmail(r: CaEmailRecord): string {
  if (r.status === 'sent') return `The CA e-mailed the customer (certificate ${r.serialNumber}).`;
  if (r.status === 'unconfirmed') return `The CA's answer was lost: the customer may or may not have the e-mail (certificate ${r.serialNumber}; CA RequestID ${r.caRequestId ?? 'unknown'}).`;
  return `The CA did not e-mail the customer (certificate ${r.serialNumber}): ${r.message ?? 'failed'}.`;
}

export type { CancelOutcome, ChildDone };

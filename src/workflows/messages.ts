/**
 * Workflow messages (signals, queries, updates), defined once and imported by workflow code,
 * the API, the CLI and the tests. Their input shapes are zod schemas in ./message-schemas
 * (types only here: workflow code loads zod lazily).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CertificateBundle } from '../domain/certificate';
import type { BoundOrderView, OrderView, ReissueView } from '../domain/order-view';
import type { CancelInput, ReissueInput, ResendCustomerEmailInput, ResolveCreateInput, RevokeInput, UpdateAnswer } from './message-schemas';

export type { CancelInput, ReissueInput, ResendCustomerEmailInput, ResolveCreateInput, RevokeInput, UpdateAnswer };

/** Push from the CA (or the API's push receiver): a hint to read the status now. */
export interface CaPushSignal {
  caOrderId: string;
  isIssued: boolean;
  isRevoked: boolean;
  receivedAt: string;
}

export const caPushedSignal = defineSignal<[CaPushSignal]>('caPushed');

export const getOrderQuery = defineQuery<OrderView>('getOrder');
/** A reissue child's own progress. */
export const getReissueQuery = defineQuery<ReissueView>('getReissue');
export const getBoundOrderQuery = defineQuery<BoundOrderView>('getBoundOrder');
export const getCertificateQuery = defineQuery<CertificateBundle | null>('getCertificate');

export const cancelUpdate = defineUpdate<UpdateAnswer, [CancelInput]>('cancel');
export const reissueUpdate = defineUpdate<UpdateAnswer, [ReissueInput]>('reissue');
export const revokeUpdate = defineUpdate<UpdateAnswer, [RevokeInput]>('revoke');
export const retryNowUpdate = defineUpdate<UpdateAnswer, []>('retryNow');
/** Operator: ask the CA to e-mail the customer again (the e-mail is never repeated automatically). */
export const resendCustomerEmailUpdate = defineUpdate<UpdateAnswer, [ResendCustomerEmailInput]>('resendCustomerEmail');
/** Operator: settle a create whose answer was lost at a CA without idempotency key (the CA order found, or none made). */
export const resolveCreateUpdate = defineUpdate<UpdateAnswer, [ResolveCreateInput]>('resolveCreate');

/** What each message does, shown by the Web UI beside its handler (`description` of setHandler). */
export const MESSAGE_DESCRIPTIONS = {
  caPushed: 'A CA push for one of this workflow\'s CA orders: a hint only, it makes the workflow read the CA status now.',
  getOrder: 'The order: state with reason and message, CA status and customer link, certificate, lineage, timeline.',
  getReissue: 'This reissue: its new CA order, state and timeline.',
  getBoundOrder: 'This bound CA order (the RSA order of an SM2 order): state, CA status, certificate.',
  getCertificate: 'The verified certificate bundle (leaf, chain; SM2: encryption and bound RSA certificates), or null before issuance.',
  cancel: 'Cancel the order before issuance; cancels the CA order. Refused once the CA has issued.',
  reissue: 'Reissue the active certificate with a new CSR (idempotent on requestId); optionally revoke the replaced one with the customer\'s proof.',
  revoke: 'Revoke the active certificate, with the customer\'s proof document.',
  retryNow: 'An order that needs attention retries its failed step now instead of at the next scheduled attempt.',
  resendCustomerEmail: 'Ask the CA to e-mail the customer again (never repeated automatically; idempotent on requestId).',
  resolveCreate: 'After a lost create answer at a CA without idempotency key: give the CA order found at the CA (caOrderId), or confirm it made none (createAgain).',
} as const satisfies Record<string, string>;

/** The setHandler description of a message (a unit test checks every message has one). */
export const describe = (def: { name: string }): { description?: string } => ({ description: (MESSAGE_DESCRIPTIONS as Record<string, string>)[def.name] });

/** ApplicationFailure type of an update refused by the workflow (the API answers 409). */
export const UPDATE_REJECTED = 'UpdateRejected';

/**
 * Workflow messages (signals, queries, updates), defined once and imported by workflow code,
 * the API, the CLI and the tests. Their input shapes are zod schemas in ./message-schemas
 * (types only here: workflow code loads zod lazily).
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CertificateBundle } from '../domain/certificate';
import type { BoundOrderView, OrderView, ReissueView } from '../domain/order-view';
import type { CancelInput, ReissueInput, ResendCustomerEmailInput, RevokeInput, UpdateAnswer } from './message-schemas';

export type { CancelInput, ReissueInput, ResendCustomerEmailInput, RevokeInput, UpdateAnswer };

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

/** ApplicationFailure type of an update refused by the workflow (the API answers 409). */
export const UPDATE_REJECTED = 'UpdateRejected';

/**
 * Workflow messages (signals, queries, updates) and the shapes they carry, defined once and
 * imported by workflow code, the API, the CLI and the tests.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { OrderPolicy, OrderRequest } from '../domain/order';
import type { CancelInput, ReissueInput, RevokeInput } from './message-schemas';

export type { CancelInput, ReissueInput, RevokeInput };

export const TASK_QUEUE_DEFAULT = 'certflow';

export const ORDER_STATES = [
  'creating',
  'awaitingReview',
  'awaitingValidation',
  'awaitingIssuance',
  'retrieving',
  'verifying',
  'delivering',
  'active',
  'reissuing',
  'revoking',
  'needsAttention',
  'revoked',
  'expired',
  'cancelled',
  'failed',
] as const;
export type OrderState = (typeof ORDER_STATES)[number];
export const FINAL_STATES: readonly OrderState[] = ['revoked', 'expired', 'cancelled', 'failed'];
export const isFinalState = (s: OrderState): boolean => FINAL_STATES.includes(s);

/** A machine reason and a human message, as cert-manager conditions carry. */
export interface Condition {
  state: OrderState;
  reason: string;
  message: string;
  /** ISO time of the transition. */
  at: string;
}

export interface CertificateMeta {
  caOrderId: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  sha256Fingerprint: string;
  subject: string;
  issuer: string;
  sans: string[];
}

export interface CertificateBundle {
  caOrderId: string;
  /** Leaf first, then intermediate(s), then root: the order servers present. */
  leafPem: string;
  chainPems: string[];
  encryptionLeafPem?: string;
}

export interface ReissueRecord {
  id: string;
  reason: string;
  requestedAt: string;
  caOrderId?: string;
  status: 'running' | 'completed' | 'failed';
  message?: string;
  serialNumber?: string;
}

export interface RevocationRecord {
  caOrderId: string;
  serialNumber?: string;
  reason: string;
  requestedAt: string;
  status: 'running' | 'revoked' | 'failed';
  completedAt?: string;
  /** Revocation of the whole order, or of a certificate replaced by a reissue. */
  scope: 'order' | 'replaced';
}

export interface CaView {
  orderId?: string;
  orderIdRsa?: string;
  status?: string;
  pendingLink?: string;
  isPay?: number;
  lastCheckedAt?: string;
  nextCheckAt?: string;
  checks: number;
}

export interface OrderView {
  workflowId: string;
  billingOrderId: string;
  productId: string;
  commonName: string;
  condition: Condition;
  ca: CaView;
  certificate?: CertificateMeta;
  lineage: {
    renews?: string;
    /** Every CA order id this billing order has used, original first. */
    caOrderIds: string[];
    reissues: ReissueRecord[];
    revocations: RevocationRecord[];
    replacedCertificates: CertificateMeta[];
  };
  timeline: Condition[];
  notifications: { caEmailFor: string[]; billingEvents: string[]; renewalReminderFor: string[] };
  continuedAsNew: number;
}

/** Push from the CA (or the API's push receiver): a hint to read the status now. */
export interface CaPushSignal {
  caOrderId: string;
  isIssued: boolean;
  isRevoked: boolean;
  receivedAt: string;
}

export const caPushedSignal = defineSignal<[CaPushSignal]>('caPushed');

export const getOrderQuery = defineQuery<OrderView>('getOrder');
export const getCertificateQuery = defineQuery<CertificateBundle | null>('getCertificate');

export interface UpdateAnswer {
  accepted: true;
  state: OrderState;
  message: string;
  caOrderId?: string;
}

export const cancelUpdate = defineUpdate<UpdateAnswer, [CancelInput]>('cancel');
export const reissueUpdate = defineUpdate<UpdateAnswer, [ReissueInput]>('reissue');
export const revokeUpdate = defineUpdate<UpdateAnswer, [RevokeInput]>('revoke');
export const retryNowUpdate = defineUpdate<UpdateAnswer, []>('retryNow');

/** ApplicationFailure type of an update refused by the workflow (the API answers 409). */
export const UPDATE_REJECTED = 'UpdateRejected';

/** Input of orderWorkflow; `carried` is set only by continue-as-new. */
export interface OrderWorkflowInput {
  order: OrderRequest;
  policy: OrderPolicy;
  collectUrl: string;
  carried?: CarriedState;
}

/** What survives continue-as-new. */
export interface CarriedState {
  view: OrderView;
  bundle: CertificateBundle | null;
  seenReissueRequests: string[];
}

export interface ReissueWorkflowInput {
  parentWorkflowId: string;
  billingOrderId: string;
  oldCaOrderId: string;
  commonName: string;
  hosts?: string[];
  request: ReissueInput;
  policy: OrderPolicy;
}

export interface ReissueWorkflowResult {
  newCaOrderId: string;
  bundle: CertificateBundle;
  certificate: CertificateMeta;
}

export interface RevokeWorkflowInput {
  caOrderId: string;
  reason: string;
  proof: { fileType: string; fileContent: string };
  policy: OrderPolicy;
}

export interface RevokeWorkflowResult {
  caOrderId: string;
  revokedAt: string;
}

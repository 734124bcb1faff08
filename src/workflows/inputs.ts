/**
 * What certflow's workflows take and return. Recorded in every history: a field may be
 * added (optional, with its absence handled), never renamed or removed.
 */
import type { IssuerRef } from '../ca/issuer';
import type { CertificateBundle, CertificateMeta } from '../domain/certificate';
import type { OrderPolicy, OrderRequest } from '../domain/order';
import type { OrderView } from '../domain/order-view';
import type { ProofDocument } from '../domain/documents';
import type { ReissueInput } from './message-schemas';

/** Input of orderWorkflow; `carried` is set only by continue-as-new. */
export interface OrderWorkflowInput {
  order: OrderRequest;
  policy: OrderPolicy;
  collectUrl: string;
  /** The issuer serving the product; absent in orders started before the issuer port (WoTrus). */
  issuer?: IssuerRef;
  carried?: CarriedState;
}

/** What survives continue-as-new. */
export interface CarriedState {
  view: OrderView;
  bundle: CertificateBundle | null;
  seenReissueRequests: string[];
  /** Idempotency keys of the billing events sent (runs before this field carried them in view.notifications.billingEvents). */
  billingEventKeys?: string[];
  /** The current certificate's CSR when a reissue changed it (absent: the order's). */
  currentCsr?: string;
}

export interface ReissueWorkflowInput {
  parentWorkflowId: string;
  billingOrderId: string;
  oldCaOrderId: string;
  commonName: string;
  hosts?: string[];
  request: ReissueInput;
  policy: OrderPolicy;
  issuer?: IssuerRef;
  /** The current certificate's CSR: what a reissue without a new CSR is verified against. */
  currentCsr?: string;
  /** Sent again with the reissue where the CA wants them (the reseller platform: organisation fields for OV/EV). */
  productId?: string;
  organization?: OrderRequest['organization'];
}

export interface ReissueWorkflowResult {
  newCaOrderId: string;
  bundle: CertificateBundle;
  certificate: CertificateMeta;
  /** What the CA charged for the reissue, where it says. */
  cost?: number;
  /** The names the new certificate covers, when the reissue changed them. */
  names?: string[];
}

export interface RevokeWorkflowInput {
  caOrderId: string;
  reason: string;
  proof: ProofDocument;
  policy: OrderPolicy;
  issuer?: IssuerRef;
}

export interface RevokeWorkflowResult {
  caOrderId: string;
  revokedAt: string;
}

/**
 * The issuer interface the activities depend on. Workflows never see a CA client, only the
 * activities built over this interface, so another CA (the seeds' ACMAPI, WoSignDoc, the
 * reseller reissue API) can be added without touching workflow code.
 */

/** WoTrus order status values (ca-apis.md §1), the vocabulary of every issuer. */
export const CA_STATUSES = [
  'pendingSubmitOrderToCA',
  'pendingDCV',
  'pendingCAIssued',
  'issued',
  'pendingAutoIssue',
  'pending',
  'pendingRevoke',
  'revoked',
  'rejected',
  'closed',
  'unknown',
] as const;
export type CaStatus = (typeof CA_STATUSES)[number];

/** Per-call context: correlation id for the CA's logs, cancellation from the activity. */
export interface CallContext {
  /** Sent as the `RequestID` header: `<workflowId>/<activityType>/<attempt>` so operators can trace a CA log line. */
  requestId: string;
  signal?: AbortSignal;
}

export interface Organization {
  orgName: string;
  countryCode: string;
  businessCategory?: 'Business Entity' | 'Private Organization' | 'Government Entity' | 'Non-Commercial Entity';
  orgPhone?: string;
  orgEmail?: string;
  userFirstName?: string;
  userLastName?: string;
  userEmail?: string;
  userMobile?: string;
  idCardNo?: string;
  state?: string;
  city?: string;
  street?: string;
  zip?: string;
  businessLicense?: string;
  otherName?: string;
}

export interface OrderDocument {
  documentType: 1 | 2 | 3;
  fileType: '.jpg' | '.gif' | '.pdf';
  fileContent: string;
}

export interface CreateOrderRequest {
  productId: string;
  commonName: string;
  csr: string;
  month: 12 | 13 | 24 | 25;
  idempotenceId: string;
  /** Extra host names (SANs) beyond the common name. */
  hosts?: string[];
  organization?: Organization;
  documents?: OrderDocument[];
  uKeyPassword?: string;
  uKeyShipAddress?: string;
}

export interface CreateOrderResult {
  caOrderId: string;
  /** The RSA order bundled with an SM2 order. */
  caOrderIdRsa?: string;
}

export interface OrderStatusResult {
  caOrderId: string;
  status: CaStatus;
  /** A WoTrus page where the end user can do DCV and upload documents themselves. */
  pendingLink?: string;
  /** 0 unpaid, 1 paid, 2 issue first / pay later. */
  isPay?: number;
  productId?: string;
  commonName?: string;
}

export interface RetrievedCertificate {
  /** Leaf certificate PEM (RSA/ECC orders) or the SM2 signing certificate. */
  certificatePem: string;
  /** Chain as the CA returns it: root first, intermediate last. */
  chainPems: string[];
  /** SM2 orders: the encryption certificate and its chain. */
  encryptionCertificatePem?: string;
  encryptionChainPems?: string[];
}

export interface CancelResult {
  cancelled: boolean;
  failedReason?: string;
}

export interface RevokeRequest {
  caOrderId: string;
  reason: string;
  proof: { fileType: string; fileContent: string };
}

export interface RevokeResult {
  revokeStatus: string;
  revoked: boolean;
}

export interface ReissueRequest {
  caOrderId: string;
  csr: string;
  csrEncrypt?: string;
  reason: string;
  idempotenceId: string;
  proof?: { fileType: string; fileContent: string };
}

export interface ReissueResult {
  newCaOrderId: string;
}

export interface Issuer {
  readonly name: string;
  createOrder(req: CreateOrderRequest, ctx: CallContext): Promise<CreateOrderResult>;
  getStatus(caOrderId: string, ctx: CallContext): Promise<OrderStatusResult>;
  retrieveCertificate(caOrderId: string, ctx: CallContext): Promise<RetrievedCertificate>;
  cancelOrder(caOrderId: string, reason: string, ctx: CallContext): Promise<CancelResult>;
  requestRevoke(req: RevokeRequest, ctx: CallContext): Promise<RevokeResult>;
  requestReissue(req: ReissueRequest, ctx: CallContext): Promise<ReissueResult>;
  sendIssuedEmail(caOrderId: string, collectUrl: string, ctx: CallContext): Promise<{ sent: boolean }>;
}

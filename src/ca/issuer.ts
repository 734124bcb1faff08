/**
 * The vendor-neutral CA port. Activities call an `Issuer`; workflows see only the results
 * and the capabilities declared here. Each CA is an adapter folder under `src/ca/<vendor>/`
 * that implements this interface and maps its failures into `./errors` — the core never
 * knows the vendor (cert-manager's external-issuer contract is the model).
 */
import type { Organization, ProofDocument, SupportingDocument } from '../domain/documents';
import type { DomainMethodChoices, DomainValidation } from '../domain/domain-validation';
import type { CustomerTask } from '../domain/order-states';
import type { FieldIssue } from '../lib/field-issue';

export type { CustomerTask, DomainMethodChoices, DomainValidation };

/**
 * What an issuer can do beyond creating an order and handing out its certificate. The
 * workflow refuses an update its order's issuer cannot perform (the validator names the
 * missing capability) and skips a step (compensation, the customer e-mail) it cannot take.
 */
export const CAPABILITIES = [
  /** Read an order's status on demand (polling). */
  'query',
  /** Cancel an order before issuance (also what compensation uses). */
  'cancel',
  /** Revoke an issued certificate. */
  'revoke',
  /** Reissue with a new key under a new CA order id. */
  'reissue',
  /** The CA e-mails the customer the collection link. */
  'customerEmail',
  /** The CA pushes status changes (polling then only backs them up). */
  'push',
  /** The status answer (and a create that issued at once) carries the certificate itself: no separate retrieve call. */
  'inlineCertificate',
  /**
   * The CA validates every domain during the create call itself, by fetching a file the
   * platform publishes on each of them (ACMAPI's `signfile`, `Issuer.domainFile`). certflow
   * checks the file on every domain before each create, as the CA would, instead of spending
   * CA calls on a domain that is not ready.
   */
  'fileValidationAtCreate',
  /**
   * The CA validates each name by a method chosen per name (a CNAME, a file, an approver
   * e-mail), takes the choice with the create and the reissue (`domainValidation`), and
   * reports each name's state and what to publish in its status answer (`domains`). certflow
   * checks the CNAMEs and files itself before it asks the CA to look again, and a reissue
   * may switch methods or names without a new CSR (the reseller platform, docs/reseller.md).
   */
  'domainValidation',
] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** What the API and the workflows know of an issuer without a client: its id, name and capabilities. */
export interface IssuerDescriptor {
  /** Stable id, used in the products file and recorded in workflow inputs (`wotrus`). */
  readonly id: string;
  /** For messages and logs (`WoTrus`). */
  readonly displayName: string;
  readonly capabilities: readonly Capability[];
  /** Names (common name and SANs) one order may carry; the API refuses more before any CA call. */
  readonly maxDomains?: number;
  /** The product kinds it issues, when not all (ACMAPI: `dv`): the products file may list no other for it. */
  readonly productKinds?: readonly string[];
  /**
   * false: the create call carries no idempotency key (ACMAPI), so a create whose answer was
   * lost may have issued. The activity never repeats it then (CaOutcomeUnknownError) and an
   * operator decides. Absent: idempotent (WoTrus' idempotenceID).
   */
  readonly idempotentCreate?: boolean;
  /**
   * Issuers with `domainValidation`: the CA's own rules for a choice of methods (wildcards
   * only by dns or e-mail, approver mailboxes…), checked by the API before any call; each
   * issue names the field under `domainValidation`.
   */
  readonly domainValidationIssues?: (choices: DomainMethodChoices) => FieldIssue[];
  /**
   * The CA's own rules on an order's (or a reissue's) CSR and organisation that the request
   * schema and the door's CSR check (lib/csr-check: parse, self-signature, names) do not know
   * (the reseller platform: RSA 2048/4096 or ECDSA P-256/P-384 only, every organisation field
   * for OV/EV), checked by the API before any workflow starts, so the order is refused with a
   * 400 instead of failing at the CA. Each issue names the field in certflow's request words
   * (`csr`, `organization.orgUnit`), never the CA's wire names.
   */
  readonly requestIssues?: (request: IssuerRequestCheck) => Promise<FieldIssue[]>;
}

/** What `IssuerDescriptor.requestIssues` checks. */
export interface IssuerRequestCheck {
  /** An order's product kind (`dv`, `ov`, `ev`, …): the CA's rules may depend on it. */
  productKind: string;
  /** `create`: an order being placed; `reissue`: a reissue of a running order. */
  operation: 'create' | 'reissue';
  /** The CSR sent (a reissue may keep the key: absent). */
  csr?: string;
  /**
   * `create`: the order's organisation (absent: the order has none). `reissue`: the order's
   * own, which the reissue sends again unchanged (the reissue input cannot change it), only
   * where the caller knows it — absent, the organisation is not checked (it was when the
   * order was placed).
   */
  organization?: Organization;
}

/**
 * Where an order stands at its CA, in certflow's words. Adapters map their own status
 * vocabulary onto these and keep the CA's word in `status` for operators.
 */
export const CA_PHASES = [
  /** The CA reviews the order before validation starts. */
  'review',
  /** A person at the CA reviews it (slower, may need contact). */
  'manualReview',
  /** Waiting for domain / organisation validation. */
  'validation',
  /** Validated; the CA has yet to sign. */
  'issuance',
  /**
   * No review needed: the CA signs by itself once the customer has completed domain
   * validation (WoTrus `pendingAutoIssue`). Validation is still pending.
   */
  'autoIssuance',
  'issued',
  'rejected',
  /** Closed (cancelled) at the CA. */
  'closed',
  'revocationPending',
  'revoked',
  'unknown',
] as const;
export type CaPhase = (typeof CA_PHASES)[number];

/** Per-call context: correlation id for the CA's logs, cancellation from the activity. */
export interface CallContext {
  /** Sent to the CA (WoTrus: the `RequestID` header): `<workflowId>/<activityType>/<attempt>`. */
  requestId: string;
  signal?: AbortSignal;
}

export interface CreateOrderRequest {
  productId: string;
  commonName: string;
  /**
   * The order's CSR: RSA or ECC for SSL and document-signing products; for SM2 products the
   * SM2 signing CSR (or an RSA/ECC one). Adapters send it where their CA wants a CSR of its
   * key type.
   */
  csr: string;
  month: 12 | 13 | 24 | 25;
  /** certflow's idempotency key (the billing order id): a retried create never makes a second CA order. */
  idempotenceId: string;
  /** Extra host names (SANs) beyond the common name. */
  hosts?: string[];
  organization?: Organization;
  documents?: SupportingDocument[];
  /** Document-signing products: the USB-key password (a secret: never logged). */
  uKeyPassword?: string;
  /** Document-signing products: where the USB key is shipped (personal data). */
  uKeyShipAddress?: string;
  /** SM2 products: the encryption CSR. */
  csrEncrypt?: string;
  /** SM2 products: an RSA SSL product ordered with it; its certificate is `CreateOrderResult.caOrderIdRsa`. */
  bindRsaProductId?: string;
  /** SM2 products with `bindRsaProductId`: the RSA certificate's CSR (`csr` is then the SM2 signing CSR). */
  csrRsa?: string;
  /** Issuers with `domainValidation`: the method for each name (every name of the order). */
  domainValidation?: DomainMethodChoices;
  /** Issuers with `domainValidation`: the customer's contact address, where the CA asks for one. */
  contactEmail?: string;
}

export interface CreateOrderResult {
  caOrderId: string;
  /** A second CA order created with it (WoTrus: the RSA order bundled with an SM2 order). */
  caOrderIdRsa?: string;
  /** Issuers with `inlineCertificate` whose create issued at once (ACMAPI `success`): the certificate. */
  certificate?: RetrievedCertificate;
  /** What the CA charged for it, where it says (reported to billing). */
  cost?: number;
  /** Issuers with `domainValidation`: each name's validation as the create left it. */
  domains?: DomainValidation[];
}

/** The file an issuer with `fileValidationAtCreate` fetches on every domain before it issues. */
export interface DomainFile {
  /** Absolute path on each domain, e.g. `/.well-known/pki-validation/signfile`. */
  path: string;
  /** What the file must hold (compared after trimming surrounding white space). */
  content: string;
}

export interface OrderStatusResult {
  caOrderId: string;
  phase: CaPhase;
  /** The CA's own status word, shown to operators (`pendingDCV`). */
  status: string;
  /** A page at the CA where the customer can complete validation themselves. */
  pendingLink?: string;
  /** What the CA still waits for from the customer, where it says (WoTrus' `is…` flags that are false). */
  customerTasks?: CustomerTask[];
  payment?: 'unpaid' | 'paid' | 'payLater';
  /** Issuers with `inlineCertificate`: the certificate, once issued. */
  certificate?: RetrievedCertificate;
  productId?: string;
  commonName?: string;
  /** Issuers with `domainValidation`: every name's method, state and what to publish. */
  domains?: DomainValidation[];
}

export interface RetrievedCertificate {
  /** Leaf certificate PEM (RSA/ECC orders) or the SM2 signing certificate. */
  certificatePem: string;
  /** Chain as the CA returns it, in any order (verification builds the path). */
  chainPems: string[];
  /** SM2 orders: the encryption certificate and its chain. */
  encryptionCertificatePem?: string;
  encryptionChainPems?: string[];
  /**
   * An RSA/ECC certificate the answer carries beside an SM2 pair (WoTrus: the certificate of
   * the RSA order bundled with an SM2 order, itself a CA order of its own). Kept so nothing
   * the CA returned is lost; verification takes it when the order's CSR is not an SM2 key.
   * Absent in values recorded before SM2 support, whose `certificatePem` may be this one.
   */
  rsaCertificatePem?: string;
  rsaChainPems?: string[];
}

export interface CancelResult {
  cancelled: boolean;
  failedReason?: string;
}

export interface RevokeRequest {
  caOrderId: string;
  reason: string;
  proof: ProofDocument;
}

export interface RevokeResult {
  /** The CA's own word for where the revocation stands. */
  revokeStatus: string;
  revoked: boolean;
}

export interface ReissueRequest {
  caOrderId: string;
  /**
   * The new key's CSR: for SM2 orders, of the signing key. Absent only for issuers with
   * `domainValidation`, when the reissue changes names or methods and keeps the key.
   */
  csr?: string;
  /** SM2 orders: the CSR of the new encryption key (WoTrus requires it for an SM2 reissue). */
  csrEncrypt?: string;
  reason: string;
  idempotenceId: string;
  proof?: ProofDocument;
  /** Issuers with `domainValidation`: the names the new certificate covers, each with its method (absent: as they are). */
  domainValidation?: DomainMethodChoices;
  /** The product ordered (issuers whose rules depend on it: the reseller platform's organisation fields for OV/EV). */
  productId?: string;
  /** The organisation the certificate names (OV/EV), sent again where the CA wants it with every reissue. */
  organization?: Organization;
  /** Passed on to CAs that distinguish a reissue on renewal (the reseller platform's `renew`). */
  renew?: boolean;
}

export interface ReissueResult {
  /** The CA order the new certificate is issued under; the same as the old one at CAs that keep one id per certificate (the reseller platform's service_id). */
  newCaOrderId: string;
  /** What the CA charged for the reissue, where it says (reported to billing). */
  cost?: number;
  /** Issuers with `domainValidation`: each name's validation after the reissue. */
  domains?: DomainValidation[];
}

/**
 * One CA. The optional operations exist exactly when the descriptor lists their capability
 * (`cancel`, `revoke`, `reissue`, `customerEmail`); `issuerSupports` checks both.
 */
export interface Issuer {
  readonly descriptor: IssuerDescriptor;
  createOrder(req: CreateOrderRequest, ctx: CallContext): Promise<CreateOrderResult>;
  getStatus(caOrderId: string, ctx: CallContext): Promise<OrderStatusResult>;
  retrieveCertificate(caOrderId: string, ctx: CallContext): Promise<RetrievedCertificate>;
  cancelOrder?(caOrderId: string, reason: string, ctx: CallContext): Promise<CancelResult>;
  requestRevoke?(req: RevokeRequest, ctx: CallContext): Promise<RevokeResult>;
  requestReissue?(req: ReissueRequest, ctx: CallContext): Promise<ReissueResult>;
  sendIssuedEmail?(caOrderId: string, collectUrl: string, ctx: CallContext): Promise<{ sent: boolean }>;
  /** Issuers with `fileValidationAtCreate`: the file the CA expects on every domain. */
  domainFile?(): DomainFile;
}

/** The issuer as a workflow knows it: recorded in the order's input. */
export interface IssuerRef {
  id: string;
  capabilities: Capability[];
}

export const issuerRef = (d: IssuerDescriptor): IssuerRef => ({ id: d.id, capabilities: [...d.capabilities] });

/**
 * Orders started before issuers declared capabilities carry no issuer in their input; they
 * were WoTrus orders, and WoTrus offers everything but an inline certificate.
 */
export const ISSUER_BEFORE_PORT: IssuerRef = {
  id: 'wotrus',
  capabilities: ['query', 'cancel', 'revoke', 'reissue', 'customerEmail', 'push'],
};

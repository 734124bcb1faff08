/**
 * The simulator's product catalogue. The four WoTrus GUIDs come from the partner document
 * (ca-apis.md §1.1 and the query example); the others are invented so that every flow the
 * service must handle (OV/EV review, SM2 double certificates, Sectigo reissue semantics)
 * has a product to exercise it.
 */

export type ProductKind = 'dv' | 'ov' | 'ev' | 'sm2' | 'pdf';
export type ProductBrand = 'wotrus' | 'sectigo';
/** Which certificate profile the leaf gets: TLS server, or one of the document-signing ones. */
export type CertProfile = 'ssl' | 'pdf-sign-encrypt' | 'doc-sign-org' | 'doc-sign-personal';

export interface SimProduct {
  readonly id: string;
  readonly name: string;
  readonly kind: ProductKind;
  readonly brand: ProductBrand;
  readonly profile: CertProfile;
  /** WoTrus legal review (pendingSubmitOrderToCA waits for a person) before the next step. */
  readonly review: boolean;
  /** Domain control validation step (pendingDCV); document-signing products have none. */
  readonly dcv: boolean;
  /** organizationPost with OrgName and countryCode is mandatory. */
  readonly requiresOrg: boolean;
  /** SM2 products: the RSA product a create binds when it sends csR_RSA without BindRSAProductID. */
  readonly bindsRsaProductId?: string;
  /** Reissue revokes the old certificate once the new one is issued (doc §1.6: SM2 and Sectigo only). */
  readonly reissueRevokesOld: boolean;
  /** Reissue needs the signed revocation proof (fileType + fileContent). */
  readonly reissueNeedsProof: boolean;
  /** CA/B Forum policy OID (SSL) or a private-arc OID (document signing). */
  readonly policyOid: string;
}

function product(p: Omit<SimProduct, 'reissueRevokesOld' | 'reissueNeedsProof'>): SimProduct {
  const special = p.kind === 'sm2' || p.brand === 'sectigo';
  return Object.freeze({ ...p, reissueRevokesOld: special, reissueNeedsProof: special });
}

/** An SM2 order may bind one of these (V1.02 `BindRSAProductID`): its certificate is an order of its own. */
export function isBindableRsaProduct(p: SimProduct): boolean {
  return p.profile === 'ssl' && p.kind !== 'sm2';
}

const DV = '2.23.140.1.2.1';
const OV = '2.23.140.1.2.2';
const EV = '2.23.140.1.1';
// A private arc (example enterprise number space) for the simulated document-signing policies.
const DOC = '1.3.6.1.4.1.55555.1.2';

export const SIM_PRODUCT_IDS = {
  pdfSignEncrypt: '76ECE651-B59E-48F2-A47B-135614AADAD9',
  docSignOrg: '2C17C336-A772-42F8-B3DD-4F2591A5B116',
  docSignPersonal: 'D4D30B75-68D5-471C-B66A-21299F1DFAA5',
  superFastSslV1: '30B3F256-9D2D-43C5-ABCB-017AA9D3CB6D',
  rsaDv: '2E80A645-CB80-4EC3-ACCD-729EBBBDCBBB',
  rsaOv: 'F6E8DB8D-C5F7-4BE9-8750-B6537CCF1B96',
  rsaEv: '587FF659-72E0-4882-90F5-287A2452DC77',
  sm2: '13CBA8EE-2D09-4953-871B-C90531BB64A5',
  sectigoDv: '05F459B2-0F81-4653-B3C3-F9CF7C90608E',
} as const;

export const SIM_PRODUCTS: readonly SimProduct[] = Object.freeze([
  product({ id: SIM_PRODUCT_IDS.pdfSignEncrypt, name: 'PDF 签名和加密证书', kind: 'pdf', brand: 'wotrus', profile: 'pdf-sign-encrypt', review: true, dcv: false, requiresOrg: true, policyOid: `${DOC}.1` }),
  product({ id: SIM_PRODUCT_IDS.docSignOrg, name: '单位文档签名证书', kind: 'pdf', brand: 'wotrus', profile: 'doc-sign-org', review: true, dcv: false, requiresOrg: true, policyOid: `${DOC}.2` }),
  product({ id: SIM_PRODUCT_IDS.docSignPersonal, name: '个人文档签名证书', kind: 'pdf', brand: 'wotrus', profile: 'doc-sign-personal', review: true, dcv: false, requiresOrg: true, policyOid: `${DOC}.3` }),
  product({ id: SIM_PRODUCT_IDS.superFastSslV1, name: '超快 SSL V1', kind: 'dv', brand: 'wotrus', profile: 'ssl', review: false, dcv: true, requiresOrg: false, policyOid: DV }),
  product({ id: SIM_PRODUCT_IDS.rsaDv, name: 'WoTrus RSA DV SSL', kind: 'dv', brand: 'wotrus', profile: 'ssl', review: false, dcv: true, requiresOrg: false, policyOid: DV }),
  product({ id: SIM_PRODUCT_IDS.rsaOv, name: 'WoTrus RSA OV SSL', kind: 'ov', brand: 'wotrus', profile: 'ssl', review: true, dcv: true, requiresOrg: true, policyOid: OV }),
  product({ id: SIM_PRODUCT_IDS.rsaEv, name: 'WoTrus RSA EV SSL', kind: 'ev', brand: 'wotrus', profile: 'ssl', review: true, dcv: true, requiresOrg: true, policyOid: EV }),
  product({ id: SIM_PRODUCT_IDS.sm2, name: 'WoTrus SM2 DV SSL (双算法)', kind: 'sm2', brand: 'wotrus', profile: 'ssl', review: false, dcv: true, requiresOrg: false, policyOid: DV, bindsRsaProductId: SIM_PRODUCT_IDS.rsaDv }),
  product({ id: SIM_PRODUCT_IDS.sectigoDv, name: 'Sectigo DV SSL', kind: 'dv', brand: 'sectigo', profile: 'ssl', review: false, dcv: true, requiresOrg: false, policyOid: DV }),
]);

const byId = new Map(SIM_PRODUCTS.map((p) => [p.id, p]));

/** GUIDs compare case-insensitively: the documents show both cases. */
export function findProduct(productId: string): SimProduct | undefined {
  return byId.get(productId.trim().toUpperCase());
}

export function getProduct(productId: string): SimProduct {
  const p = findProduct(productId);
  if (!p) throw new Error(`unknown simulator product ${productId}`);
  return p;
}

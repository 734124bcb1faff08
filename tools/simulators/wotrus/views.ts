/** Answers in the documents' spelling: the query example (§1.2) and RetrievePem (§1.3). */
import { getProduct } from './catalog';
import type { SimOrder } from './model';
import type { Pki } from './pki';

export interface Envelope {
  isSuccess: boolean;
  errorMsg: string | null;
  successMsg: string | null;
  data: unknown;
  page: { total: number; limit: number; skip: number } | null;
}

export const EMPTY_PAGE = (): Envelope['page'] => ({ total: 0, limit: 0, skip: 0 });

export function pendingLink(baseUrl: string, id: string): string {
  return `${baseUrl}/pending/${encodeURIComponent(id)}`;
}

export function queryView(o: SimOrder, baseUrl: string): Record<string, unknown> {
  const product = getProduct(o.productId);
  const org = o.org
    ? {
        id: o.orgId,
        orgName: o.org.orgName,
        orgPhone: o.org.orgPhone ?? '',
        orgEmail: o.org.orgEmail ?? '',
        userFirstName: o.org.userFirstName ?? null,
        userLastName: o.org.userLastName ?? null,
        userEmail: o.org.userEmail ?? null,
        userMobile: o.org.userMobile ?? null,
        idCardNumber: o.org.idCardNo ?? null,
        isUpload: o.documentsCount > 0,
        status: !product.review || o.reviewPassedAt !== undefined ? 'approved' : 'pending',
      }
    : null;
  return {
    id: o.id,
    // Bundled RSA orders made before they had their own (RSA) product carry the SM2 product's.
    productName: o.role === 'sm2-rsa' && product.kind === 'sm2' ? `${product.name} (RSA)` : product.name,
    productID: product.id,
    cn: o.commonName,
    sn: o.hosts.length ? o.hosts.join(',') : o.commonName,
    org,
    orderNumber: o.orderNumber,
    duration: o.month,
    durationType: 0,
    createTime: o.createTime,
    serverCount: Math.max(1, o.hosts.length),
    includeRSA: o.role !== 'sm2' ? product.profile === 'ssl' : o.bundleId !== undefined,
    isUploadedPic: o.documentsCount > 0,
    isSNVerified: o.dcvPassedAt !== undefined,
    isCSRSubmitted: true,
    isCustomerInfoFilled: o.org !== undefined,
    status: o.status,
    isPay: o.isPay,
    pendingLink: pendingLink(baseUrl, o.id),
  };
}

export interface RetrieveData {
  pem_RSA: string | null;
  chains_RSA: string[];
  pem_Sign: string | null;
  chains_Sign: string[];
  pem_Encrypt: string | null;
  chains_Encrypt: string[];
  result: boolean;
}

export const EMPTY_RETRIEVE: RetrieveData = { pem_RSA: null, chains_RSA: [], pem_Sign: null, chains_Sign: [], pem_Encrypt: null, chains_Encrypt: [], result: false };

/** Chains root first, intermediate last (§1.3). An SM2 order also carries its bundled RSA certificate once issued. */
export function retrieveView(o: SimOrder, pki: Pki, bundle: SimOrder | undefined): RetrieveData {
  const cert = o.cert!;
  if (o.role === 'sm2') {
    return {
      pem_RSA: bundle?.cert?.pem ?? null,
      chains_RSA: bundle?.cert ? pki.rsa.chainPems() : [],
      pem_Sign: cert.pem,
      chains_Sign: pki.sm2.chainPems(),
      pem_Encrypt: cert.encryptPem ?? null,
      chains_Encrypt: cert.encryptPem ? pki.sm2.chainPems() : [],
      result: true,
    };
  }
  return { ...EMPTY_RETRIEVE, pem_RSA: cert.pem, chains_RSA: pki.rsa.chainPems(), result: true };
}

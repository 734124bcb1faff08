/**
 * The rules an order must meet for its product, which the request schema alone cannot know
 * (domain/order.ts validates shapes; the product catalog says which kind a product is).
 * docs/products.md lists them per kind.
 */
import type { IssuerDescriptor } from '../ca/issuer';
import type { Organization } from '../domain/documents';
import { choicesForNames, droppedNamesIssues } from '../domain/domain-names';
import type { DomainMethodChoices } from '../domain/domain-validation';
import type { OrderRequest } from '../domain/order';
import type { ProductCatalog, ProductEntry, ProductKind } from '../domain/products';
import { csrKeyOf } from '../lib/csr-key';
import { checkCsr } from '../lib/csr-check';
import type { FieldIssue } from './errors';

const SSL_KINDS: readonly ProductKind[] = ['dv', 'ov', 'ev', 'sm2'];
/** The products an SM2 order may bind: RSA (or ECC) SSL certificates. */
const RSA_SSL_KINDS: readonly ProductKind[] = ['dv', 'ov', 'ev'];

const SM2_FIELDS = ['csrEncrypt', 'bindRsaProductId', 'csrRsa'] as const;
const UKEY_FIELDS = ['uKeyPassword', 'uKeyShipAddress'] as const;

/** Every rule the order breaks for its product; empty when it fits. */
export async function productIssues(order: OrderRequest, product: ProductEntry, catalog: ProductCatalog): Promise<FieldIssue[]> {
  const issues: FieldIssue[] = [];
  const refuse = (field: string, rule: string): void => {
    issues.push({ path: [field], rule });
  };
  const ssl = SSL_KINDS.includes(product.kind);
  const sm2 = product.kind === 'sm2';
  const about = `product ${product.id} is kind ${product.kind}`;

  if (ssl) {
    for (const f of UKEY_FIELDS) if (order[f] !== undefined) refuse(f, `is only for document-signing products (kind pdf); ${about}`);
  } else {
    if (!order.organization) issues.push({ path: ['organization', 'orgName'], rule: `is required for document-signing products (the certificate names the organisation or person); ${about}` });
    if (order.hosts?.length) refuse('hosts', `must be absent for document-signing products (their certificates carry no DNS names); ${about}`);
  }
  if (!sm2) {
    for (const f of SM2_FIELDS) if (order[f] !== undefined) refuse(f, `is only for SM2 products (kind sm2); ${about}`);
  }

  if (sm2 && order.bindRsaProductId !== undefined) {
    const bound = catalog.find(order.bindRsaProductId);
    if (!bound || !RSA_SSL_KINDS.includes(bound.kind)) {
      refuse('bindRsaProductId', `must be an RSA SSL product this service sells (kind dv, ov or ev); ${bound ? `product ${bound.id} is kind ${bound.kind}` : `${order.bindRsaProductId} is not in the products file`}`);
    }
  }
  if (issues.length > 0) return issues;

  // SSL certificates must carry the order's names; document-signing ones carry none.
  const names = ssl ? [order.commonName, ...(order.hosts ?? [])] : undefined;
  issues.push(...(await checkCsr(order.csr, { field: 'csr', allowSm2: sm2, names })));
  if (order.csrEncrypt !== undefined) issues.push(...(await checkCsr(order.csrEncrypt, { field: 'csrEncrypt', allowSm2: true })));
  if (order.csrRsa !== undefined) {
    issues.push(...(await checkCsr(order.csrRsa, { field: 'csrRsa', allowSm2: false, names })));
    // The CA takes an RSA/ECC `csr` as the RSA CSR itself: a second one would have nowhere to go.
    if (csrKeyOf(order.csr)?.type !== 'sm2') refuse('csrRsa', 'is only taken with an SM2 signing CSR in csr (an RSA or ECC csr already is the RSA certificate\'s CSR)');
  }
  return issues;
}

/**
 * The rules a reissue request must meet for its order: the new CSR is checked as the
 * order's was (names, key, self-signature), so a CSR that does not fit is refused before the
 * CA issues a certificate nobody can use. At CAs that validate per name the request may
 * change names and methods instead of (or with) the key: the CA's own rules for the methods,
 * and the explicit confirmation a dropped name needs, are checked here too. Last, the CA's
 * own rules on the new CSR and on the order's organisation, sent again unchanged (the
 * descriptor's `requestIssues`; the organisation only when `order` carries it).
 */
export async function reissueIssues(
  request: { csr?: string; csrEncrypt?: string; domainValidation?: DomainMethodChoices; confirmDroppedDomains?: string[] },
  order: { commonName: string; hosts?: string[]; organization?: Organization },
  product: ProductEntry,
  issuer?: IssuerDescriptor,
): Promise<FieldIssue[]> {
  const ssl = SSL_KINDS.includes(product.kind);
  const sm2 = product.kind === 'sm2';
  const about = `product ${product.id} is kind ${product.kind}`;
  const issues: FieldIssue[] = [];
  const perName = issuer?.capabilities.includes('domainValidation') ?? false;
  if (!sm2 && request.csrEncrypt !== undefined) issues.push({ path: ['csrEncrypt'], rule: `is only for SM2 products (kind sm2); ${about}` });
  const current = [order.commonName, ...(order.hosts ?? [])];
  if (request.domainValidation !== undefined && !perName) {
    issues.push({ path: ['domainValidation'], rule: `is only for products whose CA validates per name; ${issuer?.displayName ?? product.issuer} lacks the capability "domainValidation"` });
  }
  if (request.csr === undefined && !perName) issues.push({ path: ['csr'], rule: `is required: ${issuer?.displayName ?? product.issuer} reissues only with a new key` });
  if (issues.length > 0) return issues;
  if (request.domainValidation !== undefined) {
    issues.push(...(issuer?.domainValidationIssues?.(request.domainValidation) ?? []));
    issues.push(...droppedNamesIssues(current, request.domainValidation, request.confirmDroppedDomains));
  } else if (request.confirmDroppedDomains?.length) {
    issues.push({ path: ['confirmDroppedDomains'], rule: 'must be absent or empty: a reissue without domainValidation keeps every name' });
  }
  const names = ssl ? (request.domainValidation ? Object.keys(request.domainValidation) : current) : undefined;
  if (request.csr !== undefined) issues.push(...(await checkCsr(request.csr, { field: 'csr', allowSm2: sm2, names })));
  if (sm2 && request.csrEncrypt !== undefined) issues.push(...(await checkCsr(request.csrEncrypt, { field: 'csrEncrypt', allowSm2: true })));
  if (issuer?.requestIssues) {
    const ca = await issuer.requestIssues({
      productKind: product.kind,
      operation: 'reissue',
      ...(request.csr === undefined ? {} : { csr: request.csr }),
      ...(order.organization === undefined ? {} : { organization: order.organization }),
    });
    issues.push(...withoutRepeats(issues, ca));
  }
  return issues;
}

/** The issues of `more` not already in `issues` (the same field and rule: a CSR that does not parse, told by the door and the CA's rules alike). */
export function withoutRepeats(issues: readonly FieldIssue[], more: readonly FieldIssue[]): FieldIssue[] {
  const said = new Set(issues.map((i) => `${i.path.join('.')}\u0000${i.rule}`));
  return more.filter((i) => !said.has(`${i.path.join('.')}\u0000${i.rule}`));
}

/**
 * The rules of the product's CA that certflow can check before calling it (ACMAPI: at most
 * five names, its error 106; the reseller platform: the methods per name, the CSR's key, the
 * organisation for OV/EV), so a request the CA would refuse is refused here, naming the field.
 */
export async function issuerIssues(
  order: Pick<OrderRequest, 'commonName' | 'hosts' | 'domainValidation' | 'csr' | 'organization'>,
  issuer: IssuerDescriptor,
  product: Pick<ProductEntry, 'kind'>,
): Promise<FieldIssue[]> {
  const issues = [...namesIssues(order, issuer)];
  if (issuer.requestIssues) {
    issues.push(...(await issuer.requestIssues({
      productKind: product.kind,
      operation: 'create',
      csr: order.csr,
      ...(order.organization === undefined ? {} : { organization: order.organization }),
    })));
  }
  return issues;
}

/** The CA's rules on the order's names: how many, and the method chosen for each. */
function namesIssues(order: Pick<OrderRequest, 'commonName' | 'hosts' | 'domainValidation'>, issuer: IssuerDescriptor): FieldIssue[] {
  const names = new Set([order.commonName.toLowerCase(), ...(order.hosts ?? []).map((h) => h.toLowerCase())]);
  if (issuer.maxDomains !== undefined && names.size > issuer.maxDomains) {
    return [{ path: ['hosts'], rule: `must leave at most ${issuer.maxDomains} names together with commonName: ${issuer.displayName} takes no more per order (got ${names.size})` }];
  }
  if (!issuer.capabilities.includes('domainValidation')) {
    return order.domainValidation === undefined ? [] : [{ path: ['domainValidation'], rule: `is only for products whose CA validates per name; ${issuer.displayName} lacks the capability "domainValidation"` }];
  }
  const unknown = Object.keys(order.domainValidation ?? {}).filter((n) => !names.has(n.trim().toLowerCase()));
  if (unknown.length > 0) return unknown.map((n) => ({ path: ['domainValidation', n], rule: 'must be commonName or one of hosts: a method is chosen for a name of the order' }));
  return issuer.domainValidationIssues?.(choicesForNames([order.commonName, ...(order.hosts ?? [])], order.domainValidation)) ?? [];
}

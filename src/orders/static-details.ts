import type { OrderRequest } from '../domain/order';
import type { ProductEntry } from '../domain/products';

/**
 * The order's static details in the Web UI (Markdown, set once at start): what was bought and
 * for which names, so an operator need not decode the input. A personal subject (a
 * document-signing certificate's signatory) is left to the encrypted input.
 */
export function orderStaticDetails(request: OrderRequest, product: ProductEntry, personalSubject: boolean): string {
  const names = personalSubject ? [] : [request.commonName, ...(request.hosts ?? []).filter((h) => h !== request.commonName)];
  const rows = [
    ['Billing order', request.billingOrderId],
    ['Product', `${product.name} (${product.kind}, ${request.productId})`],
    ['Term', `${request.month} months${request.renewsBillingOrderId ? `, renews ${request.renewsBillingOrderId}` : ''}`],
    names.length > 0 ? ['Names', names.join(', ')] : undefined,
    request.bindRsaProductId ? ['Bound RSA product', request.bindRsaProductId] : undefined,
  ].filter((r): r is [string, string] => r !== undefined);
  return rows.map(([k, v]) => `- **${k}:** ${v}`).join('\n');
}

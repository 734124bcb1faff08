import { orderStaticDetails } from '../../src/orders/static-details';
import { productEntrySchema } from '../../src/domain/products';
import type { OrderRequest } from '../../src/domain/order';

const request = { billingOrderId: 'B-7', productId: '76ECE651-B59E-48F2-A47B-135614AADAD9', commonName: 'shop.example.com', hosts: ['shop.example.com', 'www.shop.example.com'], csr: 'x', month: 24 } as OrderRequest;

describe('the order static details shown in the Web UI', () => {
  test('name the billing order, the product, the term and every name once', () => {
    const product = productEntrySchema.parse({ id: request.productId, name: 'Shop DV', kind: 'dv', issuer: 'wotrus', caRevokesReplaced: false });
    expect(orderStaticDetails(request, product, false).split('\n')).toEqual([
      '- **Billing order:** B-7',
      `- **Product:** Shop DV (dv, ${request.productId})`,
      '- **Term:** 24 months',
      '- **Names:** shop.example.com, www.shop.example.com',
    ]);
  });

  test('leave a personal subject (a document-signing signatory) to the encrypted input', () => {
    const product = productEntrySchema.parse({ id: request.productId, name: 'Signing', kind: 'pdf', issuer: 'wotrus', caRevokesReplaced: false });
    const details = orderStaticDetails({ ...request, commonName: 'Zhang San', hosts: undefined, month: 13, renewsBillingOrderId: 'B-6' }, product, true);
    expect(details).not.toContain('Zhang San');
    expect(details).toContain('- **Term:** 13 months, renews B-6');
  });
});

import { type OrderPolicy, type OrderPolicyInput, orderPolicySchema } from './order';
import { productInfo } from './products';

/**
 * Timing and behaviour for one order, resolved by the caller (API, CLI, tests) so that
 * workflow code reads no configuration. Overrides come from tests and benchmarks.
 */
export function resolvePolicy(productId: string, overrides: OrderPolicyInput = {}): OrderPolicy {
  const product = productInfo(productId);
  const fromProduct: OrderPolicyInput = product
    ? { caRevokesReplaced: product.caRevokesReplaced, expectDnsNames: product.kind !== 'pdf' }
    : {};
  return orderPolicySchema.parse({ ...fromProduct, ...overrides });
}

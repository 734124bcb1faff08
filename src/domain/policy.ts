import { type OrderPolicy, type OrderPolicyInput, orderPolicySchema } from './order';
import type { ProductEntry } from './products';

/**
 * Timing and behaviour for one order, resolved by the caller (API, CLI, tests) so that
 * workflow code reads no configuration. Layers, later winning: the policy's defaults, what
 * the product's kind and CA imply, the product's own `policy` from the products file, then
 * the caller's overrides (tests and benchmarks).
 */
export function resolvePolicy(product: ProductEntry, overrides: OrderPolicyInput = {}): OrderPolicy {
  const fromProduct: OrderPolicyInput = { caRevokesReplaced: product.caRevokesReplaced, expectDnsNames: product.kind !== 'pdf' };
  return orderPolicySchema.parse({ ...fromProduct, ...product.policy, ...overrides });
}

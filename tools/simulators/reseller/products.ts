/**
 * The platform's products, by `product_id` — INFERRED as the whole create call is (the
 * document names no product at all): two GUIDs of certflow's dev products file
 * (tools/simulators/wotrus/products.json, issuer `reseller`), each with its validation level
 * (which decides the organisation fields, "如果为`OV`、`EV`、`IV`类型的证书,则必须填写") and a
 * yearly price charged at create.
 */
import type { Level } from './protocol';

export const RESELLER_SIM_PRODUCT_IDS = Object.freeze({
  dv: 'ACA91000-0004-4D5A-9C00-000000000001',
  ov: 'ACA91000-0004-4D5A-9C00-000000000002',
} as const);

export interface ResellerSimProduct {
  /** `product_id`, matched without regard to case. */
  id: string;
  name: string;
  level: Level;
  /** INFERRED: what one year costs; a create is charged per started year of `period` beyond the bonus month (12, 13 → 1; 24, 25 → 2). */
  pricePerYear: number;
}

export const RESELLER_SIM_PRODUCTS: readonly ResellerSimProduct[] = Object.freeze([
  { id: RESELLER_SIM_PRODUCT_IDS.dv, name: 'Reseller DV SSL (simulator)', level: 'DV', pricePerYear: 199 },
  { id: RESELLER_SIM_PRODUCT_IDS.ov, name: 'Reseller OV SSL (simulator)', level: 'OV', pricePerYear: 1299 },
]);

/** The create's charge: per year of `period` months (a 13th or 25th month is the platform's gift). */
export function priceOf(product: ResellerSimProduct, periodMonths: number): number {
  const years = Math.max(1, Math.floor(periodMonths / 12));
  return Math.round(product.pricePerYear * years * 100) / 100;
}

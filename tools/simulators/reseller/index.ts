/** The reseller platform simulator's public surface (started by tools/stack/reseller.ts). */
export { startResellerSimulator, type ResellerSimulatorOptions, type RunningResellerSimulator } from './server';
export { createResellerAdmin, ResellerAdminError, RESELLER_ADMIN_PREFIX, type ResellerAdmin } from './admin-client';
export { resellerFaultsSchema, type ResellerFaults } from './faults';
export { PRICE_PER_NEW_DOMAIN, DCV_BRAND, FILE_DIR, type Certificate, type CreateServiceInput, type PendingPublication, type DcvView, type ReissueAnswer, type Revocation } from './services';
export { RETRY_DELAYS_MS, type CallbackDelivery } from './callbacks';
export type { ResellerCountersView, ValidationCount } from './counters';
export { APPROVER_MAILBOXES, ORG_FIELDS, type Level, type Method, type Organization } from './protocol';
export { RESELLER_SIM_PRODUCT_IDS, RESELLER_SIM_PRODUCTS, priceOf, type ResellerSimProduct } from './products';

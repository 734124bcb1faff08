/** The simulator's public surface: other modules and tests import from here. */
export { startSimulator, type RunningSimulator, type SimulatorOptions, type SimulatorState } from './server';
export { createSimulatorAdmin, SimulatorAdminError, type SimulatorAdmin, type AdminOrder, type AdminOrderSummary } from './admin-client';
export { generateCsr, generateKeyPair, generateSm2Csr, inspectCsr, type GenerateCsrOptions, type GeneratedCsr, type GeneratedSm2Csr, type CsrKeyType } from './csr';
export { SIM_PRODUCTS, SIM_PRODUCT_IDS, findProduct, isBindableRsaProduct, type SimProduct, type ProductKind, type ProductBrand } from './catalog';
export { SIM_ERRORS, CANCEL_REASONS } from './errors';
export { PUSH_SIGNATURE_HEADER, pushBody, signPushBody, type PushEvent, type PushDelivery } from './pushes';
export { API_OPS, type ApiOp, type CountersView } from './counters';
export { faultsSchema, type Faults } from './faults';
export { settingsSchema, settingsPatchSchema, DEFAULT_DELAYS, type Settings, type SettingsPatch, type Delays } from './settings';
export { DRIVE_ACTIONS, type DriveAction } from './state-machine';
export type { SimOrder, SimStatus, SimEmail } from './model';

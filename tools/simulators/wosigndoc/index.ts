/** The WoSignDoc simulator's public surface: tests and stacks import from here. */
export { startWosignDocSimulator, DEFAULT_BODY_LIMIT, type WosignDocSimulatorOptions, type RunningWosignDocSimulator } from './server';
export { createWosignDocAdmin, WosignDocAdminError, ADMIN_PREFIX, type WosignDocAdmin, type CaView, type IssueClientOptions } from './admin-client';
export {
  ACTION_CREATE,
  ACTION_PUSH,
  WOSIGNDOC_ERRORS,
  ERROR_DESCRIPTIONS,
  type CreateAnswer,
  type WosignDocErrorCode,
  type AnswerOrderNumberField,
  type PushOrderNumberField,
  type PushExtendData,
} from './protocol';
export { faultsSchema, type Faults } from './faults';
export {
  settingsSchema,
  settingsPatchSchema,
  DEFAULT_SETTINGS,
  DEFAULT_TEMPLATE_ID,
  DEFAULT_DANGEROUS_MARKER,
  EXAMPLE_ORGANIZATION,
  type Settings,
  type SettingsPatch,
  type Template,
} from './settings';
export { SIGNATURE_MARK, signDocument, readSimulatedSignature, type SimulatedSignature } from './signing';
export { foreignClientCertificate, type WosignDocCaMaterial, type IssuedCertificate, type IssueOptions, type ClientCertificateView } from './tls';
export type { TokenSpec, TokenPatch, TokenView } from './tokens';
export type { OrderView, OrderPushes, PushAttempt, PushOutcome, SignState } from './orders';
export type { CountersView, PushCountersView } from './counters';

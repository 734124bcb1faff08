/** The ACMAPI simulator's public surface: tests, the fault suite and `npm start` import from here. */
export { startAcmapiSimulator, type AcmapiSimulatorOptions, type RunningAcmapiSimulator } from './server';
export { createAcmapiAdmin, AcmapiAdminError, ADMIN_PREFIX, type AcmapiAdmin, type SettingsView } from './admin-client';
export { ACMAPI_ERRORS, ERROR_DESCRIPTIONS, REQ_TYPE_APPLY, SIGNFILE_PATH, type AcmapiAnswer, type AcmapiErrorCode } from './protocol';
export { MAX_DOMAINS } from './domains';
export { faultsSchema, type Faults } from './faults';
export { settingsSchema, settingsPatchSchema, LOOPBACK_IPS, type Settings, type SettingsPatch, type Mode, type Credentials } from './settings';
export type { CountersView } from './counters';
export type { ApplicationState, ApplicationView, IssuedCertificate } from './applications';
export type { ConnectTo } from './signfile-check';

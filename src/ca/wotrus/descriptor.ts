import type { IssuerDescriptor } from '../issuer';

/** Shown in error messages and logs. */
export const WOTRUS_DISPLAY_NAME = 'WoTrus';

/**
 * The WoTrus partner API (ca-apis.md §1): every operation of the port, with status pushes;
 * the certificate is collected by RetrievePem, never returned with the status.
 */
export const WOTRUS: IssuerDescriptor = Object.freeze({
  id: 'wotrus',
  displayName: WOTRUS_DISPLAY_NAME,
  capabilities: Object.freeze(['query', 'cancel', 'revoke', 'reissue', 'customerEmail', 'push'] as const),
});

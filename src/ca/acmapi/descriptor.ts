import type { IssuerDescriptor } from '../issuer';

/** Shown in error messages and logs. */
export const ACMAPI_DISPLAY_NAME = 'WoSign ACMAPI';

/** Where every domain of an order must serve the platform's signfile (seed 002 §3.1), over http and https. */
export const ACMAPI_SIGNFILE_PATH = '/.well-known/pki-validation/signfile';

/**
 * WoSign's free-SSL ACMAPI (ca-apis.md §2, docs/acmapi.md): one call applies and, when it
 * can, issues at once with the certificate in the answer; a `pending` apply is asked again by
 * its handle_id. The CA validates every domain during that call by fetching the signfile, so
 * certflow checks the file first. No cancel, revoke, reissue, e-mail or push; at most 5
 * domains (error 106); no idempotency key on the apply.
 */
export const ACMAPI: IssuerDescriptor = Object.freeze({
  id: 'acmapi',
  displayName: ACMAPI_DISPLAY_NAME,
  capabilities: Object.freeze(['inlineCertificate', 'fileValidationAtCreate'] as const),
  maxDomains: 5,
  // Free DV SSL only ("只能签发 DV SSL 证书").
  productKinds: Object.freeze(['dv']),
  idempotentCreate: false,
});

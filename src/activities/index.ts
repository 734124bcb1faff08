import type { Logger } from '../lib/logger';
import { type IssuerDirectory, createCaActivities } from './ca';
import { type VerifyInput, type VerifyResult, verifyCertificate } from './certificates';
import { countVerification } from './metrics';
import { createDomainCheckActivities } from './domain-checks';
import type { HttpFileChecker } from '../validation/http-file-check';
import type { DnsCnameChecker } from '../validation/dns-cname-check';
import { type BillingNotifier, createDeliveryActivities } from './delivery';

export interface ActivityDeps {
  issuers: IssuerDirectory;
  /** Checks the files of issuers that validate at create (ACMAPI); absent: such orders cannot be checked. */
  fileChecker?: HttpFileChecker;
  /** Resolves the validation CNAMEs of issuers that validate per name (the reseller platform); absent: such orders cannot be checked. */
  dnsChecker?: DnsCnameChecker;
  billing?: BillingNotifier;
  logger: Logger;
}

/** The worker is the only place that wires activities to their dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createCaActivities({ issuers: deps.issuers }),
    ...createDomainCheckActivities({ issuers: deps.issuers, fileChecker: deps.fileChecker, dnsChecker: deps.dnsChecker }),
    ...createDeliveryActivities({ billing: deps.billing, logger: deps.logger }),
    async verifyCertificate(input: VerifyInput): Promise<VerifyResult> {
      const result = await verifyCertificate(input);
      countVerification(result.ok ? 'ok' : 'failed');
      return result;
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { BillingEvent, BillingEventType, BillingNotifier } from './delivery';
export type { VerifyInput, VerifyResult } from './certificates';
export type { DomainFileCheck, DomainValidationCheck } from './domain-checks';
export { type IssuerDirectory, issuerDirectory } from './ca';

import type { Logger } from '../lib/logger';
import { type IssuerDirectory, createCaActivities } from './ca';
import { type VerifyInput, type VerifyResult, verifyCertificate } from './certificates';
import { countVerification } from './metrics';
import { type BillingNotifier, createDeliveryActivities } from './delivery';

export interface ActivityDeps {
  issuers: IssuerDirectory;
  billing?: BillingNotifier;
  logger: Logger;
}

/** The worker is the only place that wires activities to their dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createCaActivities({ issuers: deps.issuers }),
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
export { type IssuerDirectory, issuerDirectory } from './ca';

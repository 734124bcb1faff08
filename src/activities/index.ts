import type { Logger } from '../lib/logger';
import { type IssuerDirectory, createCaActivities } from './ca';
import { verifyCertificate } from './certificates';
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
    verifyCertificate,
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { BillingEvent, BillingEventType, BillingNotifier } from './delivery';
export type { VerifyInput, VerifyResult } from './certificates';
export { type IssuerDirectory, issuerDirectory } from './ca';

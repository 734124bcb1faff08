import type { Config } from '../../config';

/**
 * Where the platform's `notify_url` callbacks arrive (the API's reseller notify route): a
 * path under PUBLIC_BASE_URL ending in RESELLER_NOTIFY_TOKEN, the callback's only
 * authentication (inferred.ts `InferredCallbackBody`: the document's callback page is not at
 * hand). `${RESELLER_NOTIFY_PATH_PREFIX}<token>`.
 */
export const RESELLER_NOTIFY_PATH_PREFIX = '/v1/issuers/reseller/notify/';

/**
 * The `notify_url` sent with every create and reissue:
 * `${PUBLIC_BASE_URL}/v1/issuers/reseller/notify/${RESELLER_NOTIFY_TOKEN}`, or undefined
 * (nothing sent, reseller orders polled only) unless both are configured. A secret: it
 * carries the token (the client redacts it from every error).
 */
export function resellerNotifyUrl(config: Pick<Config, 'PUBLIC_BASE_URL' | 'RESELLER_NOTIFY_TOKEN'>): string | undefined {
  if (!config.PUBLIC_BASE_URL || !config.RESELLER_NOTIFY_TOKEN) return undefined;
  return `${config.PUBLIC_BASE_URL.replace(/\/+$/, '')}${RESELLER_NOTIFY_PATH_PREFIX}${encodeURIComponent(config.RESELLER_NOTIFY_TOKEN)}`;
}

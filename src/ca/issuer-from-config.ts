import type { Logger } from 'pino';
import type { Config } from '../config';
import type { ProductCatalog } from '../domain/products';
import { DEFAULT_CIRCUIT_BREAKER, type GuardedIssuer, withCircuitBreaker } from './circuit-breaker';
import type { DomainFile, Issuer } from './issuer';
import { createAcmapiClientFromConfig } from './acmapi/client';
import { ACMAPI, ACMAPI_SIGNFILE_PATH } from './acmapi/descriptor';
import { createResellerIssuerFromConfig, type ResellerConfig } from './reseller/issuer';
import { createWotrusClientFromConfig } from './wotrus/client';

export type ConfiguredIssuer = GuardedIssuer & { close(): Promise<void> };

type IssuerConfig = Parameters<typeof createWotrusClientFromConfig>[0] &
  Parameters<typeof createAcmapiClientFromConfig>[0] &
  ResellerConfig &
  Pick<Config, 'CA_BASE_URL' | 'ACMAPI_URL'>;

/**
 * Every CA this deployment is configured for (WoTrus with CA_BASE_URL, WoSign ACMAPI with
 * ACMAPI_URL, the reseller platform with RESELLER_URL), each behind a circuit breaker of its
 * own whose changes are logged. WoTrus first: activities scheduled before the issuer port
 * name no issuer and go to the first. The reseller issuer reads each product's validation
 * level from the product catalog the caller loaded (`products`).
 */
export function createIssuersFromConfig(config: IssuerConfig, logger: Pick<Logger, 'warn' | 'info'>, products: Pick<ProductCatalog, 'find'>): ConfiguredIssuer[] {
  const clients: (Issuer & { close(): Promise<void> })[] = [];
  if (config.CA_BASE_URL) clients.push(createWotrusClientFromConfig(config));
  if (config.ACMAPI_URL) clients.push(createAcmapiClientFromConfig(config));
  if (config.RESELLER_URL) clients.push(createResellerIssuerFromConfig(config, { products }));
  if (clients.length === 0) throw new Error('no CA is configured: set CA_BASE_URL (WoTrus), ACMAPI_URL (WoSign ACMAPI) and/or RESELLER_URL (the reseller platform)');
  return clients.map((client) => guard(client, logger));
}

function guard(client: Issuer & { close(): Promise<void> }, logger: Pick<Logger, 'warn' | 'info'>): ConfiguredIssuer {
  const guarded = withCircuitBreaker(client, DEFAULT_CIRCUIT_BREAKER, (e) => {
    if (e.state === 'open') logger.warn({ ca: client.descriptor.id, openForMs: e.openForMs }, 'CA circuit open: calls fail fast until a probe succeeds');
    else if (e.state === 'closed') logger.info({ ca: client.descriptor.id }, 'CA circuit closed: the CA answers again');
  });
  return { ...guarded, close: () => client.close() };
}

/** Closes every issuer's connections. */
export async function closeIssuers(issuers: readonly ConfiguredIssuer[]): Promise<void> {
  await Promise.all(issuers.map((i) => i.close()));
}

/** The file each configured issuer with `fileValidationAtCreate` expects on every domain, by issuer id (for the API, which builds no client). */
export function domainFilesFromConfig(config: Pick<Config, 'ACMAPI_URL' | 'ACMAPI_SIGNFILE'>): Record<string, DomainFile | undefined> {
  return { [ACMAPI.id]: config.ACMAPI_URL && config.ACMAPI_SIGNFILE ? { path: ACMAPI_SIGNFILE_PATH, content: config.ACMAPI_SIGNFILE } : undefined };
}

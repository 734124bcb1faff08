import type { Logger } from 'pino';
import { DEFAULT_CIRCUIT_BREAKER, type GuardedIssuer, withCircuitBreaker } from './circuit-breaker';
import { createWotrusClientFromConfig } from './wotrus/client';

export type ConfiguredIssuer = GuardedIssuer & { close(): Promise<void> };

/** The configured CA client behind the worker-wide circuit breaker, whose changes are logged. */
export function createIssuerFromConfig(
  config: Parameters<typeof createWotrusClientFromConfig>[0],
  logger: Pick<Logger, 'warn' | 'info'>,
): ConfiguredIssuer {
  const client = createWotrusClientFromConfig(config);
  const guarded = withCircuitBreaker(client, DEFAULT_CIRCUIT_BREAKER, (e) => {
    if (e.state === 'open') logger.warn({ ca: client.descriptor.id, openForMs: e.openForMs }, 'CA circuit open: calls fail fast until a probe succeeds');
    else if (e.state === 'closed') logger.info({ ca: client.descriptor.id }, 'CA circuit closed: the CA answers again');
  });
  return { ...guarded, close: () => client.close() };
}


import pino, { type Logger } from 'pino';

/**
 * One logger shape for every process. Redaction is a second line of defence: secrets are
 * never passed to the logger in the first place.
 */
export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: ['token', '*.token', 'headers.wotrustoken', 'headers.authorization', 'headers["x-api-key"]', 'apiKey', '*.apiKey', 'secret', '*.secret', 'CA_TOKEN', 'key', '*.key'],
      censor: '[redacted]',
    },
  });
}
export type { Logger };

import pino, { type Logger } from 'pino';

/**
 * One logger shape for every process. Redaction is a second line of defence: secrets are
 * never passed to the logger in the first place.
 */
/**
 * The USB-key password of document-signing orders, at any depth a logged object could carry it
 * (an order, a create body's orderinfoPost, a request body around it), in the document's
 * spelling and lower-cased as the simulator reads keys. Pino has no recursive wildcard.
 */
const UKEY_PASSWORD_PATHS = ['uKeyPassword', 'ukeypassword'].flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `*.*.*.${k}`, `*.*.*.*.${k}`]);

export const REDACTED_PATHS = [
  'token', '*.token', 'headers.wotrustoken', 'headers.authorization', 'headers["x-api-key"]', 'apiKey', '*.apiKey', 'secret', '*.secret', 'CA_TOKEN', 'key', '*.key',
  ...UKEY_PASSWORD_PATHS,
];

export function createLogger(name: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: REDACTED_PATHS,
      censor: '[redacted]',
    },
  });
}
export type { Logger };

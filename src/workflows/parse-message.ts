import type * as MessageSchemas from './message-schemas';

/**
 * The update input schemas, evaluated on first use. Webpack bundles the module but runs it
 * only when this is called: a workflow that never receives an update never pays for zod.
 */
export function messageSchemas(): typeof MessageSchemas {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose (see message-schemas.ts)
  return require('./message-schemas') as typeof MessageSchemas;
}

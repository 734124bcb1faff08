/** The standalone ACMAPI simulator's settings (`tsx tools/simulators/acmapi/main.ts`), from the environment. */
import { z } from 'zod';

const address = z.string().regex(/^\[?[^\s\]]+\]?:\d{1,5}$/, 'must be host:port');

export const acmapiEnvSchema = z.object({
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  ACMAPI_SIM_HOST: z.string().min(1).default('127.0.0.1'),
  ACMAPI_SIM_PORT: z.coerce.number().int().min(0).max(65535).default(8091),
  /** certflow's ACMAPI_CUSTOMER_ID. */
  ACMAPI_SIM_CUSTOMER_ID: z.string().min(1),
  /** certflow's ACMAPI_AUTH_TOKEN. */
  ACMAPI_SIM_AUTH_TOKEN: z.string().min(8, 'must be at least 8 characters'),
  /** certflow's ACMAPI_SIGNFILE: what every domain must serve. */
  ACMAPI_SIM_SIGNFILE: z.string().min(1),
  /** Bearer token of /admin; not mounted without it. */
  ACMAPI_SIM_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Where every domain's http:// and https:// signfile fetch connects (the local web host). */
  ACMAPI_SIM_CONNECT_HTTP: address,
  ACMAPI_SIM_CONNECT_HTTPS: address,
  /** Write the chain (intermediate, root) here for certflow's ACMAPI_CHAIN_FILE. */
  ACMAPI_SIM_CHAIN_OUT: z.string().min(1).optional(),
});
export type AcmapiEnv = Readonly<z.output<typeof acmapiEnvSchema>>;

/** Empty strings count as unset; throws listing every issue by name, values never shown. */
export function parseAcmapiEnv(env: Record<string, string | undefined>): AcmapiEnv {
  const keys = Object.keys(acmapiEnvSchema.shape);
  const result = acmapiEnvSchema.safeParse(Object.fromEntries(keys.map((k) => [k, env[k] || undefined])));
  if (result.success) return Object.freeze(result.data);
  throw new Error(`Invalid ACMAPI simulator settings:\n${result.error.issues.map((i) => `  - ${String(i.path[0])}: ${i.message}`).join('\n')}`);
}

/**
 * The standalone simulator's settings (`npm run simulator`, the compose `simulator` profile):
 * its own small zod schema over the environment, apart from certflow's (src/config.ts), which
 * knows nothing of the simulator. Documented in docs/simulator.md.
 */
import { z } from 'zod';

const port = z.coerce.number().int().min(1).max(65535);
const secret = z.string().min(16, 'must be at least 16 characters').optional();

export const simulatorEnvSchema = z.object({
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  /** CA keys and orders persist under `$DATA_DIR/simulator/`. */
  DATA_DIR: z.string().min(1).default('.data'),
  SIMULATOR_HOST: z.string().min(1).default('127.0.0.1'),
  SIMULATOR_PORT: port.default(8090),
  /** The token clients send as WoTrusToken (certflow's CA_TOKEN). */
  CA_TOKEN: z.string().min(8, 'must be at least 8 characters'),
  /** Signs the pushes in `signed` mode (certflow's CA_PUSH_SECRET with CA_PUSH_VERIFY=hmac). */
  CA_PUSH_SECRET: secret,
  /** `document` (default): unsigned pushes, as the WoTrus document shows them; `signed`: our HMAC header. */
  SIMULATOR_PUSH_MODE: z.enum(['document', 'signed'], { error: 'must be document or signed' }).default('document'),
  /** The push's order id field: `orderId` (the document, default) or `orderID` (its OCR copy). */
  SIMULATOR_PUSH_ORDER_ID_FIELD: z.enum(['orderId', 'orderID'], { error: 'must be orderId or orderID' }).default('orderId'),
  /** Bearer token of /__admin; the admin API is not mounted without it. */
  SIMULATOR_ADMIN_TOKEN: secret,
  /** Where status pushes go; none are sent without it. */
  SIMULATOR_PUSH_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
}).superRefine((c, ctx) => {
  if (c.SIMULATOR_PUSH_MODE === 'signed' && !c.CA_PUSH_SECRET) {
    ctx.addIssue({ code: 'custom', path: ['CA_PUSH_SECRET'], message: 'required when SIMULATOR_PUSH_MODE=signed' });
  }
});

export type SimulatorEnv = Readonly<z.output<typeof simulatorEnvSchema>>;
export const simulatorEnvKeys = Object.keys(simulatorEnvSchema.shape) as (keyof SimulatorEnv)[];

/** Parses the environment (empty strings count as unset); throws listing every issue, values never shown. */
export function parseSimulatorEnv(env: Record<string, string | undefined>): SimulatorEnv {
  const cleaned = Object.fromEntries(simulatorEnvKeys.map((k) => [k, env[k] === '' ? undefined : env[k]]));
  const result = simulatorEnvSchema.safeParse(cleaned);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  - ${String(i.path[0] ?? '(settings)')}: ${i.message}`);
    throw new Error(`Invalid simulator settings:\n${lines.join('\n')}`);
  }
  return Object.freeze(result.data);
}

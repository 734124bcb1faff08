/** Runtime-adjustable behaviour of the ACMAPI simulator: what a new application gets, and who may call. */
import { z } from 'zod';

export const modeSchema = z.union([
  /** Issue at once (`result: success`). */
  z.literal('success'),
  /** Validated, issuance left to a person (`result: pending`). */
  z.literal('pending'),
  /** Validated, then answered with this error code (e.g. 109 refused, 111 unknown). */
  z.object({ error: z.number().int().min(100).max(999) }).strict(),
]);
export type Mode = z.infer<typeof modeSchema>;

export const credentialsSchema = z.object({ customerId: z.string().min(1), authToken: z.string().min(1) }).strict();
export type Credentials = z.infer<typeof credentialsSchema>;

export const settingsSchema = z.object({
  mode: modeSchema,
  /** A pending application issues on this handle_id ask after it; 0: only when the admin API issues it. */
  pendingAsks: z.number().int().min(0).max(1_000),
  /** `pem` (the document's example) or `base64der` (its table: "base64 格式"). */
  certificateFormat: z.enum(['pem', 'base64der']),
  /** What 101/102 check; changing them simulates a rotated credential. */
  credentials: credentialsSchema,
  /** Source addresses allowed to call (else 110). */
  allowedIps: z.array(z.string().min(1)).min(1),
  validityDays: z.number().int().min(1).max(3_650),
  /** One scheme's signfile fetch, redirects included (the CA's side). */
  fetchTimeoutMs: z.number().int().min(10).max(120_000),
});
export type Settings = z.infer<typeof settingsSchema>;

export const settingsPatchSchema = settingsSchema.extend({ credentials: credentialsSchema.partial() }).partial().strict();
export type SettingsPatch = z.infer<typeof settingsPatchSchema>;

export const LOOPBACK_IPS = ['127.0.0.1', '::1', '::ffff:127.0.0.1'];

export function applySettingsPatch(current: Settings, patch: SettingsPatch): Settings {
  const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
  return settingsSchema.parse({ ...current, ...defined, credentials: { ...current.credentials, ...patch.credentials } });
}

/** The settings as the admin API shows them: the auth token is not echoed. */
export function settingsView(s: Settings): Omit<Settings, 'credentials'> & { credentials: { customerId: string; authToken: string } } {
  return { ...s, credentials: { customerId: s.credentials.customerId, authToken: '(set)' } };
}

/** IPv4-mapped IPv6 (`::ffff:127.0.0.1`) is the IPv4 address. */
export function ipAllowed(allowed: readonly string[], ip: string | undefined): boolean {
  if (!ip) return false;
  const plain = (a: string): string => a.toLowerCase().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  return allowed.some((a) => plain(a) === plain(ip));
}

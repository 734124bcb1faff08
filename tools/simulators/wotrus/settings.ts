/** Runtime-adjustable behaviour: step delays, manual mode, push target and retry policy. */
import { z } from 'zod';

const ms = z.number().int().min(0).max(86_400_000);

export const delaysSchema = z.object({
  /** DV/SM2: pendingSubmitOrderToCA → pendingDCV (WoTrus auto-submits to the CA). */
  submitMs: ms,
  /** OV/EV/PDF: WoTrus legal review, pendingSubmitOrderToCA → pendingDCV (PDF: → pendingCAIssued). */
  reviewMs: ms,
  /** pendingDCV → pendingCAIssued. */
  dcvMs: ms,
  /** pendingCAIssued → issued (the CA issues; OV/EV: after the CA's phone call). */
  issueMs: ms,
  /** pendingRevoke → revoked. */
  revokeMs: ms,
});
export type Delays = z.infer<typeof delaysSchema>;

export const settingsSchema = z.object({
  delays: delaysSchema,
  /** Steps advance only through the admin API (POST /__admin/orders/:id/<action>). */
  manual: z.boolean(),
  pushUrl: z.url({ protocol: /^https?$/ }).nullable(),
  /**
   * `issue` (default): the order becomes `issued` as soon as the CA issues.
   * `retrieve`: the literal reading of §1.3, the order stays `pendingCAIssued` (certificate
   * available) until RetrievePem is called.
   */
  issuedOn: z.enum(['issue', 'retrieve']),
  /** Waits between push attempts; attempts = 1 + length (WoTrus: at most 3). */
  pushRetryDelaysMs: z.array(ms).max(9),
  pushTimeoutMs: z.number().int().min(50).max(120_000),
  /**
   * `document` (what the WoTrus document shows): the bare JSON body, unsigned. `signed`: our
   * own `x-wotrus-signature` HMAC (certflow's CA_PUSH_VERIFY=hmac); needs the push secret.
   */
  pushMode: z.enum(['document', 'signed']),
  /** The order id's spelling in the push: `orderId` (the main document, §8.1) or `orderID` (its OCR copy). */
  pushOrderIdField: z.enum(['orderId', 'orderID']),
});
export type Settings = z.infer<typeof settingsSchema>;

export const settingsPatchSchema = settingsSchema
  .extend({ delays: delaysSchema.partial() })
  .partial()
  .strict();
export type SettingsPatch = z.infer<typeof settingsPatchSchema>;

export const DEFAULT_DELAYS: Delays = { submitMs: 50, reviewMs: 1_000, dcvMs: 1_000, issueMs: 1_000, revokeMs: 1_000 };

export function defaultSettings(): Settings {
  return { delays: { ...DEFAULT_DELAYS }, manual: false, pushUrl: null, issuedOn: 'issue', pushRetryDelaysMs: [200, 1_000], pushTimeoutMs: 2_000, pushMode: 'document', pushOrderIdField: 'orderId' };
}

/** Keys present but undefined leave the current value alone (an options object spreads them freely). */
const defined = <T extends object>(o: T | undefined): Partial<T> =>
  Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;

export function applyPatch(current: Settings, patch: SettingsPatch): Settings {
  return settingsSchema.parse({ ...current, ...defined(patch), delays: { ...current.delays, ...defined(patch.delays) } });
}

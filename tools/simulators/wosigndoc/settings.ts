/** Runtime-adjustable behaviour of the WoSignDoc simulator (admin `PUT /settings`, in-process `admin.updateSettings`). */
import { z } from 'zod';

const ms = z.number().int().min(0).max(86_400_000);

export const templateSchema = z
  .object({
    /** The template's document subject (used when the create's `subject` is empty). */
    subject: z.string().max(256),
    /** Signers the template has places for; a create with another count is -48. Unset: any count. */
    signers: z.number().int().min(1).max(1_000).optional(),
    /** The template document's format; default `pdf`. */
    fileformat: z.string().min(1).default('pdf'),
    /** The template document, base64; default a small placeholder PDF naming the template. */
    documentBase64: z.string().optional(),
  })
  .strict();
export type Template = z.infer<typeof templateSchema>;

export const settingsSchema = z
  .object({
    /**
     * Where `PushSignedDoc` goes. The document has no callback field in the create: the
     * address is agreed with the platform out of band, so it is the simulator's (null: orders
     * are signed but not pushed until one is set and the admin re-pushes).
     */
    callbackUrl: z.string().url().nullable(),
    /** From the create to the signed document (and its first push). */
    signingDelayMs: ms,
    /**
     * "返回非1或未返回本平台会定时请求回调地址来推送数据": a push not answered `1` is repeated
     * after each of these delays in turn, then given up (1 + length attempts).
     */
    pushRetryDelaysMs: z.array(ms).max(1_000),
    /** One push attempt (connect, send, answer). */
    pushTimeoutMs: z.number().int().min(10).max(600_000),
    /** Charged to the token's balance per accepted create; -68 when the balance is below it. */
    pricePerSigning: z.number().min(0),
    /** More signers than this is -48. */
    maxSigners: z.number().int().min(1).max(1_000),
    /** `fileformat` values accepted (lower case, no dot; `.PDF` reads as `pdf`); others -79. */
    fileFormats: z.array(z.string().min(1)).min(1),
    /** Bytes (UTF-8) that make a document, picture or stamp "dangerous" (-61); null: none. */
    dangerousMarker: z.string().min(1).nullable(),
    /** The table marks `pic` and `otherpic` 必填 (required: -57 when empty); the example sends "". */
    requireMaterials: z.boolean(),
    /** Licence number → organisation name: a type 1 signer whose `orgNo` is here under another name is -50. */
    organizations: z.record(z.string(), z.string()),
    /** An `orgNo` missing from `organizations` is -50 too (default: accepted). */
    strictOrganizations: z.boolean(),
    /** `tempid` → template; another `tempid` is -43. */
    templates: z.record(z.string(), templateSchema),
    answerOrderNumberField: z.enum(['orderNumber', 'ordernumber', 'both']),
    pushOrderNumberField: z.enum(['ordernumber', 'orderNumber']),
    pushExtendData: z.enum(['object', 'string']),
  })
  .strict();
export type Settings = z.infer<typeof settingsSchema>;
export type SettingsInput = z.input<typeof settingsSchema>;

export const settingsPatchSchema = settingsSchema.partial().strict();
export type SettingsPatch = z.input<typeof settingsPatchSchema>;

/** The document's example organisation (its licence number without the example's stray space). */
export const EXAMPLE_ORGANIZATION = { orgNo: '440301103308619', orgName: '沃通电子认证服务有限公司' } as const;

/** What makes content "dangerous" by default ("例如:图片含有木马": a picture carrying a trojan). */
export const DEFAULT_DANGEROUS_MARKER = 'WOSIGNDOC-SIMULATED-TROJAN';

/** A two-party contract template, so template orders can be tried without configuring one. */
export const DEFAULT_TEMPLATE_ID = 'tpl-contract-2p';

export const DEFAULT_SETTINGS: Settings = {
  callbackUrl: null,
  signingDelayMs: 200,
  pushRetryDelaysMs: [1_000, 5_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 600_000, 600_000],
  pushTimeoutMs: 10_000,
  pricePerSigning: 1,
  maxSigners: 20,
  fileFormats: ['pdf', 'ofd', 'doc', 'docx'],
  dangerousMarker: DEFAULT_DANGEROUS_MARKER,
  requireMaterials: true,
  organizations: { [EXAMPLE_ORGANIZATION.orgNo]: EXAMPLE_ORGANIZATION.orgName },
  strictOrganizations: false,
  templates: { [DEFAULT_TEMPLATE_ID]: { subject: '两方合同 (two-party contract)', signers: 2, fileformat: 'pdf' } },
  answerOrderNumberField: 'orderNumber',
  pushOrderNumberField: 'ordernumber',
  pushExtendData: 'object',
};

export function applySettingsPatch(current: Settings, patch: SettingsPatch): Settings {
  const defined = Object.fromEntries(Object.entries(settingsPatchSchema.parse(patch)).filter(([, v]) => v !== undefined));
  return settingsSchema.parse({ ...current, ...defined });
}

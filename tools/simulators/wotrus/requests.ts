/**
 * Tolerant request parsing. WoTrus is an ASP.NET service: its model binding ignores the case
 * of property names, which is why the documents spell the same field `orderId`, `orderID`,
 * `OrgName`, `orgName` and `csR_RSA`. The simulator lower-cases keys before validating, so
 * every spelling a real client might send is accepted; values are trimmed.
 */
import { z } from 'zod';

/** Lower-cases object keys recursively (arrays of objects included). */
export function lowerKeys(value: unknown, depth = 4): unknown {
  if (depth < 0 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => lowerKeys(v, depth - 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k.toLowerCase()] = lowerKeys(v, depth - 1);
  return out;
}

/** A string-ish field: numbers become strings, blanks and nulls become undefined. */
const text = z
  .union([z.string(), z.number(), z.boolean(), z.null()])
  .optional()
  .transform((v) => {
    if (v === null || v === undefined) return undefined;
    const s = String(v).trim();
    return s === '' ? undefined : s;
  });

const hostsField = z
  .union([z.string(), z.array(z.string()), z.null()])
  .optional()
  .transform((v) => {
    if (v === null || v === undefined) return [] as string[];
    const list = Array.isArray(v) ? v : v.split(/[\s,;]+/);
    return list.map((h) => h.trim()).filter(Boolean);
  });

export const createBodySchema = z.object({
  orderinfopost: z
    .object({
      productid: text,
      commonname: text,
      csr_rsa: text,
      // V1.02 renamed Csr to Csr_Sign: the SM2 signing CSR (or an old client's only CSR).
      csr_sign: text,
      csr: text,
      csr_encrypt: text,
      // V1.02 renamed BindRSAProductType to BindRSAProductID: the RSA product bundled with an SM2 order.
      bindrsaproductid: text,
      bindrsaproducttype: text,
      ukeypassword: text,
      ukeyshipaddress: text,
      month: z.union([z.number(), z.string(), z.null()]).optional(),
      idempotenceid: text,
      hosts: hostsField,
    })
    .loose()
    .nullish(),
  organizationpost: z
    .object({
      orgname: text,
      businesscategory: text,
      orgphone: text,
      orgemail: text,
      userfirstname: text,
      userlastname: text,
      useremail: text,
      usermobile: text,
      idcardno: text,
      idcardnumber: text,
      countrycode: text,
      state: text,
      city: text,
      street: text,
      zip: text,
      businesslicense: text,
      othername: text,
    })
    .loose()
    .nullish(),
  documentspost: z
    .array(z.object({ documenttype: z.union([z.number(), z.string(), z.null()]).optional(), filetype: text, filecontent: text }).loose())
    .nullish(),
});
export type CreateBody = z.infer<typeof createBodySchema>;

export const cancelBodySchema = z.object({ orderid: text, reason: text }).loose();
export const revokeBodySchema = z.object({ orderid: text, reason: text, filetype: text, filecontent: text }).loose();
export const reissueBodySchema = z
  .object({ orderid: text, csr: text, csr_encrypt: text, reason: text, idempotenceid: text, filetype: text, filecontent: text })
  .loose();
export const emailBodySchema = z.object({ orderid: text, collecturl: text }).loose();

export type ParseResult<T> = { ok: true; value: T } | { ok: false; detail: string };

export function parseBody<T>(schema: z.ZodType<T>, body: unknown): ParseResult<T> {
  const r = schema.safeParse(lowerKeys(body ?? {}));
  if (r.success) return { ok: true, value: r.data };
  const first = r.error.issues[0];
  const where = first?.path.length ? first.path.join('.') : 'body';
  return { ok: false, detail: `${where}: ${first?.message ?? 'invalid'}` };
}

/** Query-string lookup ignoring the key's case (`orderID`, `orderId`, `OrderId`). */
export function queryParam(query: unknown, name: string): string | undefined {
  if (!query || typeof query !== 'object') return undefined;
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(query as Record<string, unknown>)) {
    if (k.toLowerCase() !== wanted) continue;
    const s = (Array.isArray(v) ? v[0] : v) as unknown;
    if (typeof s === 'string' && s.trim()) return s.trim();
  }
  return undefined;
}

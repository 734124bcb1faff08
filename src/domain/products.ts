import { z } from 'zod';
import { orderPolicySchema, productIdSchema } from './order';

/**
 * The products a deployment sells, as its products file lists them (PRODUCTS_FILE; the format
 * is in docs/products.md). Declared once here; the types are inferred. Reading the file is
 * src/products-file.ts's job: this module does no I/O and imports no CA adapter.
 */

export const productKinds = ['dv', 'ov', 'ev', 'sm2', 'pdf'] as const;

/** Policy fields a product may not set: they come from the entry itself or are engine-wide. */
const NOT_PER_PRODUCT = { caRevokesReplaced: true, expectDnsNames: true, maxHistoryEvents: true } as const;

/** orderPolicySchema's shape with each default removed, so an override names only what it changes. */
function withoutDefaults<S extends Record<string, z.ZodDefault<z.ZodType>>>(shape: S): { [K in keyof S]: z.ZodOptional<ReturnType<S[K]['unwrap']>> } {
  return Object.fromEntries(Object.entries(shape).map(([k, s]) => [k, s.unwrap().optional()])) as { [K in keyof S]: z.ZodOptional<ReturnType<S[K]['unwrap']>> };
}

/**
 * Per-product overrides of the order policy (domain/order.ts orderPolicySchema): poll schedule,
 * deadlines, renewal lead, attention retry, sendCaEmail, revokeReplacedCertificate. Unset
 * fields keep the policy's defaults.
 */
export const productPolicySchema = z.object(withoutDefaults(orderPolicySchema.omit(NOT_PER_PRODUCT).shape)).strict();

export const productEntrySchema = z
  .object({
    /** The CA's product GUID; compared upper-cased, as orders are. */
    id: productIdSchema,
    name: z.string().trim().min(1, 'must not be empty').max(200),
    /** dv/ov/ev/sm2: SSL (certificates carry DNS names); pdf: document signing (none). */
    kind: z.enum(productKinds),
    /** Which CA adapter serves the product, by id (checked against the issuers this build knows). */
    issuer: z.string().min(1, 'must not be empty'),
    /** The CA revokes the replaced certificate itself after a reissue (WoTrus: SM2 and Sectigo). */
    caRevokesReplaced: z.boolean(),
    policy: productPolicySchema.optional(),
  })
  .strict();

export type ProductEntry = z.output<typeof productEntrySchema>;
export type ProductEntryInput = z.input<typeof productEntrySchema>;
export type ProductKind = ProductEntry['kind'];
export type ProductPolicy = z.output<typeof productPolicySchema>;

/** The file: `{ "products": [ … ] }`, optionally with a `$comment`. */
export const productsFileSchema = z
  .object({
    $comment: z.string().optional(),
    products: z.array(productEntrySchema).min(1, 'must list at least one product'),
  })
  .strict();
export type ProductsFile = z.output<typeof productsFileSchema>;

/**
 * What one entry cannot know alone: ids are unique, and each issuer is one the caller can
 * serve. Read from the raw input and parsed on its own, so these issues are listed even when
 * entries have other problems (zod skips refinements after a type error).
 */
function crossEntrySchema(issuers: readonly string[], kindsByIssuer: Readonly<Record<string, readonly string[] | undefined>> = {}) {
  return z.unknown().superRefine((file, ctx) => {
    const entries = typeof file === 'object' && file !== null ? (file as { products?: unknown }).products : undefined;
    if (!Array.isArray(entries)) return;
    const firstIndex = new Map<string, number>();
    entries.forEach((entry: unknown, i) => {
      if (typeof entry !== 'object' || entry === null) return;
      const { issuer, id, kind } = entry as { issuer?: unknown; id?: unknown; kind?: unknown };
      if (typeof issuer === 'string' && issuer !== '' && !issuers.includes(issuer)) {
        ctx.addIssue({ code: 'custom', path: ['products', i, 'issuer'], message: `must be one of the issuers this build knows: ${issuers.join(', ')} (got "${issuer}")` });
      }
      const kinds = typeof issuer === 'string' ? kindsByIssuer[issuer] : undefined;
      if (kinds && typeof kind === 'string' && !kinds.includes(kind)) {
        ctx.addIssue({ code: 'custom', path: ['products', i, 'kind'], message: `must be ${kinds.join(' or ')} for issuer ${String(issuer)}, which issues no other kind (got "${kind}")` });
      }
      const guid = productIdSchema.safeParse(id);
      if (!guid.success) return;
      const first = firstIndex.get(guid.data);
      if (first === undefined) firstIndex.set(guid.data, i);
      else ctx.addIssue({ code: 'custom', path: ['products', i, 'id'], message: `duplicates products[${first}]; list each product once` });
    });
  });
}

const entryIndex = (issue: z.core.$ZodIssue): number => (issue.path[0] === 'products' && typeof issue.path[1] === 'number' ? issue.path[1] : Number.MAX_SAFE_INTEGER);

/**
 * Parses a products file's JSON. `issuers` are the issuer ids the caller can serve and
 * `kindsByIssuer` the product kinds of issuers limited to some (the domain imports no CA
 * adapter); every issue is returned, grouped by entry in file order.
 */
export function parseProductsFile(
  raw: unknown,
  opts: { issuers: readonly string[]; kindsByIssuer?: Readonly<Record<string, readonly string[] | undefined>>; error?: z.core.$ZodErrorMap },
): { success: true; data: ProductsFile } | { success: false; issues: z.core.$ZodIssue[] } {
  const structure = productsFileSchema.safeParse(raw, { error: opts.error });
  const cross = crossEntrySchema(opts.issuers, opts.kindsByIssuer).safeParse(raw);
  const issues = [...(structure.error?.issues ?? []), ...(cross.error?.issues ?? [])];
  if (structure.success && issues.length === 0) return { success: true, data: structure.data };
  // A stable sort: within an entry, the issues keep the order of its fields.
  return { success: false, issues: issues.sort((a, b) => entryIndex(a) - entryIndex(b)) };
}

/** The products a process serves, looked up by GUID in any case. */
export interface ProductCatalog {
  readonly products: readonly ProductEntry[];
  find(productId: string): ProductEntry | undefined;
}

export function createProductCatalog(products: readonly ProductEntry[]): ProductCatalog {
  const frozen = Object.freeze(products.map((p) => Object.freeze({ ...p, policy: p.policy && Object.freeze({ ...p.policy }) })));
  const byId = new Map(frozen.map((p) => [p.id, p]));
  return Object.freeze({ products: frozen, find: (productId: string) => byId.get(productId.trim().toUpperCase()) });
}

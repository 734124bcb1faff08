/**
 * Reads the products file (PRODUCTS_FILE) into a ProductCatalog at process start. Every
 * problem is a ConfigError naming the file, the entry and the field, all of them at once, so
 * the worker and the API stop with exit code 78 like any other configuration error.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { type Config, ConfigError, exitOnConfigError } from './config';
import { createProductCatalog, type ProductCatalog, parseProductsFile } from './domain/products';
import { ISSUER_IDS, ISSUER_PRODUCT_KINDS } from './ca/registry';


/** Where the simulator keeps certflow's entries for its products, from the package root. */
export const SIMULATOR_PRODUCTS_FILE = path.join('tools', 'simulators', 'wotrus', 'products.json');

export class ProductsFileError extends ConfigError {
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
    /** How the file was chosen, when PRODUCTS_FILE did not name it. */
    readonly origin?: string,
  ) {
    super(problems.map((rule) => ({ variable: 'PRODUCTS_FILE', rule, value: JSON.stringify(file) })));
    this.name = 'ProductsFileError';
    const where = `PRODUCTS_FILE ${origin ? `(${origin}) ` : ''}${file}`;
    this.message = `Invalid configuration:\n${problems.map((p) => `  - ${where}: ${p}`).join('\n')}`;
  }
}

/** Messages a deployer reads without knowing zod; issues with a message of their own keep it. */
const readable: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return issue.expected === 'int' ? 'must be an integer' : `must be ${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`;
    case 'too_small':
      return issue.origin === 'number' ? `must be ${issue.inclusive ? '≥' : '>'} ${String(issue.minimum)}` : undefined;
    case 'too_big':
      return issue.origin === 'number' ? `must be ${issue.inclusive ? '≤' : '<'} ${String(issue.maximum)}` : undefined;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return undefined;
  }
};

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `products[2] (id 2E80…, "RSA DV SSL")` from the raw entry, so the reader finds it in the file. */
function entryLabel(raw: unknown, index: number): string {
  const entry = isRecord(raw) && Array.isArray(raw.products) ? (raw.products[index] as unknown) : undefined;
  const facts = isRecord(entry)
    ? [typeof entry.id === 'string' ? `id ${entry.id}` : undefined, typeof entry.name === 'string' && entry.name !== '' ? JSON.stringify(entry.name) : undefined].filter(Boolean)
    : [];
  return `products[${index}]${facts.length ? ` (${facts.join(', ')})` : ''}`;
}

function dotted(segments: readonly PropertyKey[]): string {
  return segments.map((s, i) => (typeof s === 'number' ? `[${s}]` : `${i > 0 ? '.' : ''}${String(s)}`)).join('');
}

/** One line per problem: `<entry>: <field>: <rule>`; an unknown key names itself. */
export function describeIssues(raw: unknown, issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.flatMap((issue) => {
    const fields = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [...issue.path, k]) : [issue.path];
    const rule = issue.code === 'unrecognized_keys' ? 'is not a known field' : issue.message;
    return fields.map((p) => {
      if (p[0] === 'products' && typeof p[1] === 'number') {
        const field = dotted(p.slice(2));
        return `${entryLabel(raw, p[1])}: ${field ? `${field}: ` : ''}${rule}`;
      }
      return p.length ? `${dotted(p)}: ${rule}` : `the file ${rule}`;
    });
  });
}

/** Reads and validates a products file; throws ProductsFileError listing every problem. */
export function loadProductCatalog(file: string, opts: { issuers: readonly string[]; kindsByIssuer?: Readonly<Record<string, readonly string[] | undefined>>; origin?: string }): ProductCatalog {
  const fail = (problems: string[]): never => {
    throw new ProductsFileError(file, problems, opts.origin);
  };
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a file' : code === 'EACCES' ? 'not readable (permission denied)' : (err as Error).message;
    fail([`cannot read the products file: ${why}`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    fail([`not JSON: ${(err as Error).message}`]);
  }
  if (Array.isArray(raw)) fail(['the file must be an object { "products": [ … ] }, not a bare array']);
  const parsed = parseProductsFile(raw, { issuers: opts.issuers, kindsByIssuer: opts.kindsByIssuer, error: readable });
  if (!parsed.success) return fail(describeIssues(raw, parsed.issues));
  return createProductCatalog(parsed.data.products);
}

/** The directory holding certflow's package.json, from src/ under tsx or dist/src/ compiled. */
export function packageRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      try {
        if ((JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'certflow') return dir;
      } catch {
        // Not ours (or not JSON): keep walking up.
      }
    }
    if (path.dirname(dir) === dir) throw new Error(`no certflow package.json above ${from}`);
  }
}

/** PRODUCTS_FILE, or outside production (where it is required) the simulator's products. */
export function productsFileFor(config: Pick<Config, 'PRODUCTS_FILE' | 'CERTFLOW_ENV'>): { file: string; origin?: string } {
  if (config.PRODUCTS_FILE) return { file: path.resolve(config.PRODUCTS_FILE) };
  if (config.CERTFLOW_ENV === 'production') {
    throw new ConfigError([{ variable: 'PRODUCTS_FILE', rule: 'required in production', value: 'nothing' }]);
  }
  return { file: path.join(packageRoot(), SIMULATOR_PRODUCTS_FILE), origin: `unset: the ${config.CERTFLOW_ENV} default, the simulator's products` };
}

/** The catalog the configuration names, for the entry points (worker, API) and test stacks. */
export function loadProductCatalogFromConfig(config: Pick<Config, 'PRODUCTS_FILE' | 'CERTFLOW_ENV'>): ProductCatalog {
  const { file, origin } = productsFileFor(config);
  return loadProductCatalog(file, { issuers: ISSUER_IDS, kindsByIssuer: ISSUER_PRODUCT_KINDS, origin });
}

/** For entry points, beside loadConfigOrExit: the catalog, or every problem printed and exit 78. */
export function loadProductCatalogOrExit(config: Pick<Config, 'PRODUCTS_FILE' | 'CERTFLOW_ENV'>): ProductCatalog {
  try {
    return loadProductCatalogFromConfig(config);
  } catch (err) {
    throw exitOnConfigError(err);
  }
}

/**
 * The products file (PRODUCTS_FILE): its schema, its error messages (file, entry, field, every
 * issue), the policy it resolves, and the worker and the API refusing to start on a bad one.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, parseConfig } from '../../src/config';
import { ISSUER_IDS, ISSUER_PRODUCT_KINDS } from '../../src/ca/registry';
import { resolvePolicy } from '../../src/domain/policy';
import { SIM_PRODUCTS } from '../../tools/simulators/wotrus/catalog';
import { createProductCatalog, type ProductEntryInput, productEntrySchema } from '../../src/domain/products';
import { RESELLER_SIM_PRODUCTS } from '../../tools/simulators/reseller/products';
import { loadProductCatalog, loadProductCatalogFromConfig, packageRoot, ProductsFileError, productsFileFor, SIMULATOR_PRODUCTS_FILE } from '../../src/products-file';

const root = path.resolve(__dirname, '../..');
let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'certflow-products-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const RSA_DV = '2E80A645-CB80-4EC3-ACCD-729EBBBDCBBB';
const entry = (over: Partial<Record<keyof ProductEntryInput, unknown>> = {}) => ({ id: RSA_DV, name: 'RSA DV SSL', kind: 'dv', issuer: 'wotrus', caRevokesReplaced: false, ...over });

function write(name: string, content: unknown): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
  return file;
}

function loadError(file: string): ProductsFileError {
  try {
    loadProductCatalog(file, { issuers: ISSUER_IDS });
  } catch (err) {
    expect(err).toBeInstanceOf(ProductsFileError);
    expect(err).toBeInstanceOf(ConfigError); // so exitOnConfigError ends the process with 78
    return err as ProductsFileError;
  }
  throw new Error(`${file} loaded`);
}

describe('products file', () => {
  test('the shipped files load: the simulator products match the simulator catalogue, the WoTrus template is a subset', () => {
    const sim = loadProductCatalog(path.join(root, SIMULATOR_PRODUCTS_FILE), { issuers: ISSUER_IDS });
    expect(sim.products.filter((p) => p.issuer === 'wotrus').map((p) => p.id).sort()).toEqual(SIM_PRODUCTS.map((p) => p.id).sort());
    // ACMAPI issues free DV certificates only, and knows no product ids: one entry of certflow's own.
    expect(sim.products.filter((p) => p.issuer === 'acmapi')).toEqual([expect.objectContaining({ id: 'ACA91000-0002-4D5A-9C00-000000000002', kind: 'dv', caRevokesReplaced: false })]);
    // The reseller platform simulator sells exactly these, at the same validation level.
    expect(sim.products.filter((p) => p.issuer === 'reseller').map((p) => [p.id, p.kind.toUpperCase()])).toEqual(RESELLER_SIM_PRODUCTS.map((p) => [p.id, p.level]));
    for (const s of SIM_PRODUCTS) {
      const p = sim.find(s.id)!;
      expect(p.kind).toBe(s.kind);
      expect(p.caRevokesReplaced).toBe(s.reissueRevokesOld);
    }
    const example = loadProductCatalog(path.join(root, 'config/products.wotrus.example.json'), { issuers: ISSUER_IDS });
    expect(example.products.map((p) => p.id)).toEqual([
      '76ECE651-B59E-48F2-A47B-135614AADAD9', '2C17C336-A772-42F8-B3DD-4F2591A5B116', 'D4D30B75-68D5-471C-B66A-21299F1DFAA5', '30B3F256-9D2D-43C5-ABCB-017AA9D3CB6D',
    ]);
    for (const p of example.products) expect(sim.find(p.id)).toMatchObject({ kind: p.kind, caRevokesReplaced: p.caRevokesReplaced });
  });

  test('ids are upper-cased and looked up in any case; the catalogue is frozen', () => {
    const catalog = loadProductCatalog(write('lower.json', { products: [entry({ id: RSA_DV.toLowerCase() })] }), { issuers: ISSUER_IDS });
    expect(catalog.products[0]!.id).toBe(RSA_DV);
    expect(catalog.find(RSA_DV.toLowerCase())?.name).toBe('RSA DV SSL');
    expect(catalog.find('11111111-2222-3333-4444-555555555555')).toBeUndefined();
    expect(Object.isFrozen(catalog.products)).toBe(true);
    expect(Object.isFrozen(catalog.products[0])).toBe(true);
  });

  test('every issue at once, each naming the file, the entry and the field', () => {
    const file = write('bad.json', {
      extra: true,
      products: [
        entry(),
        entry({ id: RSA_DV.toLowerCase(), name: 'Copy', kind: 'xx', issuer: 'digicert', caRevokesReplaced: 'no', policy: { pollInitialMs: 0, pollFactor: 20, issuanceDeadlineMs: 1.5, expectDnsNames: false } }),
        { name: 'No id', kind: 'pdf', issuer: 'wotrus', caRevokesReplaced: false, colour: 'red' },
        'not an entry',
      ],
    });
    const err = loadError(file);
    const e1 = `PRODUCTS_FILE ${file}: products[1] (id ${RSA_DV.toLowerCase()}, "Copy")`;
    expect(err.message.split('\n')).toEqual([
      'Invalid configuration:',
      `  - ${e1}: kind: must be one of "dv", "ov", "ev", "sm2", "pdf"`,
      `  - ${e1}: caRevokesReplaced: must be a boolean`,
      `  - ${e1}: policy.pollInitialMs: must be ≥ 1`,
      `  - ${e1}: policy.pollFactor: must be ≤ 10`,
      `  - ${e1}: policy.issuanceDeadlineMs: must be an integer`,
      `  - ${e1}: policy.expectDnsNames: is not a known field`,
      `  - ${e1}: issuer: must be one of the issuers this build knows: wotrus, acmapi, reseller (got "digicert")`,
      `  - ${e1}: id: duplicates products[0]; list each product once`,
      `  - PRODUCTS_FILE ${file}: products[2] ("No id"): id: is required`,
      `  - PRODUCTS_FILE ${file}: products[2] ("No id"): colour: is not a known field`,
      `  - PRODUCTS_FILE ${file}: products[3]: must be an object`,
      `  - PRODUCTS_FILE ${file}: extra: is not a known field`,
    ]);
    expect(err.issues.every((i) => i.variable === 'PRODUCTS_FILE')).toBe(true);
  });

  test('an issuer limited to some product kinds refuses the others (ACMAPI: free DV only)', () => {
    const file = write('acmapi-ov.json', { products: [entry({ issuer: 'acmapi', kind: 'ov' }), entry({ id: '11111111-2222-3333-4444-555555555555', issuer: 'acmapi' })] });
    const err = (() => {
      try {
        loadProductCatalog(file, { issuers: ISSUER_IDS, kindsByIssuer: ISSUER_PRODUCT_KINDS });
      } catch (e) {
        return e as Error;
      }
      throw new Error('loaded');
    })();
    expect(err.message.split('\n')).toEqual([
      'Invalid configuration:',
      `  - PRODUCTS_FILE ${file}: products[0] (id ${RSA_DV}, "RSA DV SSL"): kind: must be dv for issuer acmapi, which issues no other kind (got "ov")`,
    ]);
  });

  test('a missing file, a file that is not JSON, a bare array and an empty list say so', () => {
    const missing = path.join(dir, 'nope.json');
    expect(loadError(missing).message).toBe(`Invalid configuration:\n  - PRODUCTS_FILE ${missing}: cannot read the products file: no such file`);
    expect(loadError(write('text.json', '{ products: [] }')).message).toMatch(/: not JSON: .*position 2/);
    expect(loadError(write('array.json', [entry()])).message).toMatch(/: the file must be an object \{ "products": \[ … \] \}, not a bare array$/);
    expect(loadError(write('empty.json', { products: [] })).message).toMatch(/: products: must list at least one product$/);
    expect(loadError(dir).message).toMatch(/: cannot read the products file: is a directory, not a file$/);
  });
});

describe('PRODUCTS_FILE in the configuration', () => {
  test('unset outside production: the simulator products from the package root, whatever the working directory', () => {
    expect(packageRoot()).toBe(root);
    expect(packageRoot(path.join(root, 'dist/src'))).toBe(root);
    const { file, origin } = productsFileFor(parseConfig({}));
    expect(file).toBe(path.join(root, 'tools/simulators/wotrus/products.json'));
    expect(origin).toMatch(/development default/);
    expect(loadProductCatalogFromConfig(parseConfig({ CERTFLOW_ENV: 'test' })).find(RSA_DV)?.kind).toBe('dv');
  });

  test('required in production; a relative path is resolved from the working directory', () => {
    expect(() => parseConfig({ CERTFLOW_ENV: 'production' })).toThrow(/PRODUCTS_FILE: required in production/);
    expect(productsFileFor({ CERTFLOW_ENV: 'production', PRODUCTS_FILE: 'config/products.json' }).file).toBe(path.resolve('config/products.json'));
  });
});

describe('resolvePolicy', () => {
  const catalog = createProductCatalog([
    productEntrySchema.parse(entry({ policy: { pollInitialMs: 5_000, sendCaEmail: false } })),
    productEntrySchema.parse(entry({ id: '76ECE651-B59E-48F2-A47B-135614AADAD9', name: 'PDF', kind: 'pdf' })),
    productEntrySchema.parse(entry({ id: '13CBA8EE-2D09-4953-871B-C90531BB64A5', name: 'SM2', kind: 'sm2', caRevokesReplaced: true })),
  ]);

  test('defaults, then the kind and the CA, then the product policy, then the caller overrides', () => {
    const dv = catalog.find(RSA_DV)!;
    expect(resolvePolicy(dv)).toMatchObject({ pollInitialMs: 5_000, sendCaEmail: false, pollMaxMs: 3_600_000, expectDnsNames: true, caRevokesReplaced: false });
    expect(resolvePolicy(dv, { pollInitialMs: 10 })).toMatchObject({ pollInitialMs: 10, sendCaEmail: false });
    expect(resolvePolicy(catalog.find('76ece651-b59e-48f2-a47b-135614aadad9')!)).toMatchObject({ expectDnsNames: false, pollInitialMs: 60_000, sendCaEmail: true });
    expect(resolvePolicy(catalog.find('13CBA8EE-2D09-4953-871B-C90531BB64A5')!).caRevokesReplaced).toBe(true);
  });

  test('a product policy names only what it changes (no defaults of its own)', () => {
    expect(productEntrySchema.parse(entry({ policy: { renewalLeadMs: 1 } })).policy).toEqual({ renewalLeadMs: 1 });
  });
});

describe('entry points', () => {
  /** Runs an entry point under tsx with a clean environment; Temporal at a port nothing listens on. */
  function run(entryPoint: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(path.join(root, 'node_modules/.bin/tsx'), [entryPoint], {
        cwd: root,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), TEMPORAL_ADDRESS: '127.0.0.1:1', LOG_LEVEL: 'silent', ...env },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stderr });
      });
    });
  }

  test.each([['worker', 'src/worker.ts'], ['API', 'src/api/main.ts']])('the %s stops with exit code 78 on a bad products file, before connecting to Temporal', async (_name, entryPoint) => {
    const file = write(`entry-${_name}.json`, { products: [entry(), entry({ id: 'F6E8DB8D-C5F7-4BE9-8750-B6537CCF1B96', name: 'RSA OV SSL', kind: 'ov', policy: { pollInitialMs: 0 } })] });
    const { code, stderr } = await run(entryPoint, { PRODUCTS_FILE: file });
    process.stdout.write(`${entryPoint}: exit ${code}\n${stderr}`);
    expect(code).toBe(78);
    expect(stderr).toBe(`certflow: Invalid configuration:\n  - PRODUCTS_FILE ${file}: products[1] (id F6E8DB8D-C5F7-4BE9-8750-B6537CCF1B96, "RSA OV SSL"): policy.pollInitialMs: must be ≥ 1\n`);
  });
});

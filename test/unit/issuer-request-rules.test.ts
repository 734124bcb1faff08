import { generateKeyPairSync } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { issuerDescriptor } from '../../src/ca/registry';
import {
  ORGANIZATION_FIELDS,
  ORGANIZATION_SOURCES,
  organizationFieldsOf,
  organizationPathOf,
  RESELLER,
  validationLevelOfKind,
} from '../../src/ca/reseller';
import type { Organization } from '../../src/domain/documents';
import type { OrderRequest } from '../../src/domain/order';
import type { ProductEntry } from '../../src/domain/products';
import { InvalidOrderError } from '../../src/orders/errors';
import { createOrderService } from '../../src/orders/order-service';
import { issuerIssues, productIssues, reissueIssues } from '../../src/orders/product-rules';
import { loadProductCatalogFromConfig } from '../../src/products-file';
import { testCsr } from '../support/csr';
import { DOCUMENT_ORGANIZATION, RESELLER_TEST_ORGANIZATION } from '../support/reseller-fixtures';

/**
 * The CA's own request rules at the door (issue 18: "every documented rule enforced before
 * the call … and refused with 400 naming the field"): the issuer descriptor's `requestIssues`,
 * called by `issuerIssues` (placing an order) and `reissueIssues`, each issue in certflow's
 * request words (`csr`, `organization.orgUnit`), not the platform's (`organization_unit`).
 */

const catalog = loadProductCatalogFromConfig({ CERTFLOW_ENV: 'test' });
const product = (id: string): ProductEntry => {
  const p = catalog.find(id);
  if (!p) throw new Error(`${id} is not in the test products file`);
  return p;
};
const RESELLER_DV = product('ACA91000-0004-4D5A-9C00-000000000001');
const RESELLER_OV = product('ACA91000-0004-4D5A-9C00-000000000002');
const WOTRUS_DV = product('2E80A645-CB80-4EC3-ACCD-729EBBBDCBBB');
const WOTRUS_OV = product('F6E8DB8D-C5F7-4BE9-8750-B6537CCF1B96');
const issuerOf = (p: ProductEntry) => {
  const d = issuerDescriptor(p.issuer);
  if (!d) throw new Error(`no issuer ${p.issuer}`);
  return d;
};

const CN = 'www.example.com';
const EC_P256 = testCsr({ commonName: CN, dnsNames: [CN] });
const RSA_2048 = testCsr({ commonName: CN, dnsNames: [CN], keyType: 'rsa' });
const RSA_3072 = testCsr({ commonName: CN, dnsNames: [CN], keyType: 'rsa', rsaBits: 3072 });

const order = (p: ProductEntry, overrides: Partial<OrderRequest> = {}): OrderRequest =>
  ({ billingOrderId: 'B-1', productId: p.id, commonName: CN, csr: EC_P256, month: 12, ...overrides }) as OrderRequest;
const placing = (p: ProductEntry, overrides: Partial<OrderRequest> = {}) => issuerIssues(order(p, overrides), issuerOf(p), p);
const joined = (issues: { path: (string | number)[]; rule: string }[]): string[] => issues.map((i) => `${i.path.join('.')}: ${i.rule}`);
const paths = (issues: { path: (string | number)[] }[]): string[] => issues.map((i) => i.path.join('.'));
const without = (...fields: (keyof Organization)[]): Organization =>
  Object.fromEntries(Object.entries(RESELLER_TEST_ORGANIZATION).filter(([k]) => !fields.includes(k as keyof Organization))) as Organization;

describe('the organisation mapping, both ways', () => {
  test('the test organisation maps onto the document example\'s fields', () => {
    expect(organizationFieldsOf(RESELLER_TEST_ORGANIZATION)).toEqual(DOCUMENT_ORGANIZATION);
  });

  test.each(ORGANIZATION_FIELDS.map((f) => [f]))('%s is made of its ORGANIZATION_SOURCES, each alone', (field) => {
    for (const source of ORGANIZATION_SOURCES[field]) {
      expect(Object.keys(organizationFieldsOf({ [source]: 'x' } as Organization))).toEqual([field]);
    }
    expect(organizationPathOf(field).path).toEqual(['organization', ORGANIZATION_SOURCES[field][0]]);
  });

  test('product kinds to the document\'s levels', () => {
    expect(['dv', 'ov', 'ev', 'sm2', 'pdf', 'constructor'].map(validationLevelOfKind)).toEqual(['DV', 'OV', 'EV', undefined, undefined, undefined]);
  });
});

describe('placing a reseller order (issuerIssues)', () => {
  test('a DV order with an RSA 3072 CSR: refused at csr, though the door\'s own check takes it', async () => {
    expect(await productIssues(order(RESELLER_DV, { csr: RSA_3072 }), RESELLER_DV, catalog)).toEqual([]);
    expect(joined(await placing(RESELLER_DV, { csr: RSA_3072 }))).toEqual([
      'csr: must have a key the platform accepts (RSA of 2048 or 4096 bits, or ECDSA on P-256 or P-384); this RSA key has 3072 bits',
    ]);
  });

  test('a DV order with RSA 2048 or EC P-256, no organisation: nothing', async () => {
    expect(await placing(RESELLER_DV, { csr: RSA_2048 })).toEqual([]);
    expect(await placing(RESELLER_DV)).toEqual([]);
  });

  test('a private key pasted as the CSR: refused at csr, never echoed', async () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const issues = await placing(RESELLER_DV, { csr: pem });
    expect(paths(issues)).toEqual(['csr']);
    expect(issues[0]?.rule).toMatch(/not a private key/);
    expect(JSON.stringify(issues)).not.toContain(pem.split('\n')[1]);
  });

  test('an OV order without orgUnit: refused at organization.orgUnit, naming the platform\'s field', async () => {
    expect(joined(await placing(RESELLER_OV, { organization: without('orgUnit') }))).toEqual([
      'organization.orgUnit: is required for OV certificates (the platform\'s organization_unit)',
    ]);
  });

  test('an OV order without the contact\'s names, date of incorporation and title: each at its certflow field', async () => {
    const issues = await placing(RESELLER_OV, { organization: without('userFirstName', 'userLastName', 'dateOfIncorporation', 'contactTitle') });
    expect(paths(issues)).toEqual(['organization.dateOfIncorporation', 'organization.userFirstName', 'organization.contactTitle']);
    expect(issues[1]?.rule).toBe('is required for OV certificates (the platform\'s contact_name, from organization.userFirstName and/or organization.userLastName)');
  });

  test('an OV order whose fields are blank counts them as missing', async () => {
    expect(paths(await placing(RESELLER_OV, { organization: { ...RESELLER_TEST_ORGANIZATION, street: '  ' } }))).toEqual(['organization.street']);
  });

  test('an OV order without any organisation: one issue at organization, listing the fields', async () => {
    const issues = await placing(RESELLER_OV);
    expect(paths(issues)).toEqual(['organization']);
    expect(issues[0]?.rule).toMatch(/^is required for OV certificates at the reseller platform, with every one of orgName, orgUnit, street, businessLicense, countryCode, state, city, zip, orgPhone, dateOfIncorporation, userFirstName\/userLastName, contactTitle, userMobile$/);
  });

  test('an OV order with the full organisation and an accepted key: nothing', async () => {
    expect(await placing(RESELLER_OV, { organization: RESELLER_TEST_ORGANIZATION })).toEqual([]);
    expect(await placing(RESELLER_OV, { organization: RESELLER_TEST_ORGANIZATION, csr: RSA_2048 })).toEqual([]);
  });

  test('the CSR and the organisation together, after the methods per name', async () => {
    const issues = await placing(RESELLER_OV, { csr: RSA_3072, organization: without('orgUnit'), hosts: ['*.example.com'], domainValidation: { '*.example.com': 'http' } });
    expect(paths(issues)).toEqual(['domainValidation.*.example.com', 'csr', 'organization.orgUnit']);
  });
});

describe('WoTrus products are unaffected', () => {
  test('no request rules of its own', () => {
    expect(issuerOf(WOTRUS_DV).requestIssues).toBeUndefined();
    expect(RESELLER.requestIssues).toBeDefined();
  });

  test('an RSA 3072 CSR, an OV order without organisation: no issuer issue', async () => {
    expect(await placing(WOTRUS_DV, { csr: RSA_3072 })).toEqual([]);
    expect(await placing(WOTRUS_OV, { csr: RSA_3072 })).toEqual([]);
    expect(await reissueIssues({ csr: RSA_3072 }, { commonName: CN }, WOTRUS_OV, issuerOf(WOTRUS_OV))).toEqual([]);
  });
});

describe('reissuing a reseller order (reissueIssues)', () => {
  const view = { commonName: CN };

  test('a new RSA 3072 CSR: refused at csr', async () => {
    expect(joined(await reissueIssues({ csr: RSA_3072 }, view, RESELLER_DV, RESELLER))).toEqual([
      'csr: must have a key the platform accepts (RSA of 2048 or 4096 bits, or ECDSA on P-256 or P-384); this RSA key has 3072 bits',
    ]);
    expect(await reissueIssues({ csr: RSA_2048 }, view, RESELLER_DV, RESELLER)).toEqual([]);
  });

  test('a CSR that does not parse is told once (the door and the platform say the same)', async () => {
    const garbled = '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n';
    expect(joined(await reissueIssues({ csr: garbled }, view, RESELLER_DV, RESELLER))).toEqual([
      'csr: must be a PKCS#10 certificate signing request; this one does not parse',
    ]);
  });

  test('the order\'s organisation, sent again: only "required" applies', async () => {
    const ov = (organization?: Organization) => reissueIssues({ domainValidation: { [CN]: 'dns' } }, { ...view, ...(organization ? { organization } : {}) }, RESELLER_OV, RESELLER);
    expect(await ov(RESELLER_TEST_ORGANIZATION)).toEqual([]);
    expect(paths(await ov(without('orgUnit')))).toEqual(['organization.orgUnit']);
    // The order view does not carry the organisation: unknown, it is not checked (it was when the order was placed).
    expect(await ov()).toEqual([]);
  });

  test('the hook itself: a reissue without the organisation or a CSR has nothing to check', async () => {
    expect(await RESELLER.requestIssues!({ productKind: 'ov', operation: 'reissue' })).toEqual([]);
    expect(paths(await RESELLER.requestIssues!({ productKind: 'ov', operation: 'create' }))).toEqual(['organization']);
    expect(await RESELLER.requestIssues!({ productKind: 'dv', operation: 'create', organization: {} as Organization })).toEqual([]);
  });
});

describe('the order service refuses before any workflow starts', () => {
  function service() {
    const start = jest.fn(async () => ({ firstExecutionRunId: 'run-1' }));
    const client = { options: { namespace: 'default' }, withDeadline: jest.fn((_d: number, fn: () => Promise<unknown>) => fn()), workflow: { start } };
    return { start, service: createOrderService({ client: client as unknown as Client, taskQueue: 'certflow-test', products: catalog, publicBaseUrl: 'https://certs.example.com/' }) };
  }

  test('a reseller OV order with an RSA 3072 CSR and no orgUnit: InvalidOrderError at csr and organization.orgUnit, nothing started', async () => {
    const { start, service: s } = service();
    const refused = s.placeOrder(order(RESELLER_OV, { csr: RSA_3072, organization: without('orgUnit') }));
    await expect(refused).rejects.toBeInstanceOf(InvalidOrderError);
    await expect(refused).rejects.toMatchObject({ issues: [{ path: ['csr'] }, { path: ['organization', 'orgUnit'] }] });
    expect(start).not.toHaveBeenCalled();
  });

  test('the same CSR for a WoTrus product starts its workflow', async () => {
    const { start, service: s } = service();
    await expect(s.placeOrder(order(WOTRUS_DV, { csr: RSA_3072 }))).resolves.toMatchObject({ created: true });
    expect(start).toHaveBeenCalledTimes(1);
  });
});

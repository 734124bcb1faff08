import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CaBusinessError, CaProtocolError } from '../../src/ca/errors';
import { type AnswerContext } from '../../src/ca/http-answer';
import {
  approverAddressRule,
  buildReissueBody,
  domainDcvIssues,
  readReissueAnswer,
  reissueBodySchema,
  reissueIssues,
  ORGANIZATION_FIELDS,
  type DomainValidation,
  type OrganizationFields,
  type ResellerReissueResult,
} from '../../src/ca/reseller';

/**
 * The seed 004 examples (test/fixtures/reseller/README.md): verbatim they are not JSON (`//`
 * comments); the repaired copies lose only the comments, and the client reads them as the
 * vendor-neutral result — each domain's method, state, and what to publish — and the cost.
 */
const dir = join(__dirname, '../fixtures/reseller');
const verbatim = (name: string): string => readFileSync(join(dir, `${name}.example.txt`), 'utf8');
const repaired = (name: string): unknown => JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as unknown;
const ctx: AnswerContext = { issuer: 'Reseller platform', operation: 'requestReissue', requestId: 'test/fixtures/1' };

const TOKEN = '_310dcbbf4cce62f762a2aaa148d556bd';
const CNAME_VALUE = '698d51a19d8a121ce581499d7b701668.bcbe3365e6ac95ea2c0343a2395834dd.20221122.comodoca.com';
const FILE = '310dcbbf4cce62f762a2aaa148d556bd.txt';
const FILE_CONTENT = '698d51a19d8a121ce581499d7b70166820221122\n20221122\ncomodoca.com';

/** The request example's fields, in its order (the document's field list). */
const REQUEST_FIELDS = ['unique_id', 'service_id', 'domain_dcv', 'csr', 'contact_email', 'renew', ...ORGANIZATION_FIELDS, 'notify_url'];

describe('the examples as printed', () => {
  test.each(['reissue.request', 'reissue.response'])('%s is not JSON as printed (// comments), and the repair removes only the comments', (name) => {
    const text = verbatim(name);
    expect(() => JSON.parse(text) as unknown).toThrow(SyntaxError);
    const withoutComments = text
      .split('\n')
      .map((line) => line.replace(/\s+\/\/.*$/, ''))
      .join('\n');
    expect(readFileSync(join(dir, `${name}.json`), 'utf8')).toBe(withoutComments);
  });
});

describe('the request example', () => {
  const example = repaired('reissue.request') as Record<string, unknown>;

  test('is exactly the strict request schema\'s fields, in the document\'s order', () => {
    expect(Object.keys(example)).toEqual(REQUEST_FIELDS);
    expect(reissueBodySchema.safeParse(example).success).toBe(true);
    expect(Object.keys(reissueBodySchema.shape).sort()).toEqual([...REQUEST_FIELDS].sort());
  });

  test('the builder writes the same body from certflow\'s fields', () => {
    const organization = Object.fromEntries(ORGANIZATION_FIELDS.map((f) => [f, example[f]])) as OrganizationFields;
    const built = buildReissueBody({
      uniqueId: 'azgZqJGX',
      serviceId: 'o91bZ',
      domainDcv: example.domain_dcv as Record<string, string>,
      csr: example.csr as string,
      contactEmail: 'subscriber@company.email',
      renew: false,
      organization,
      notifyUrl: 'https://system.com/order/6163/callback',
    });
    expect(built).toEqual(example);
    expect(JSON.stringify(built)).toBe(JSON.stringify(example));
  });

  test('its domain_dcv keeps every documented rule; its CSR is a placeholder the CSR rule refuses', () => {
    expect(domainDcvIssues(example.domain_dcv as Record<string, string>)).toEqual([]);
    const issues = reissueIssues(example as never, { validation: 'OV' });
    expect(issues).toEqual([{ path: ['csr'], rule: 'must be a certificate signing request; it holds a block labelled "RSA CERTIFICATE REQUEST"' }]);
  });
});

describe('the answer example → the vendor-neutral result', () => {
  let result: ResellerReissueResult;
  const domain = (name: string): DomainValidation | undefined => result.domains.find((d) => d.domain === name);

  beforeAll(() => {
    result = readReissueAnswer(repaired('reissue.response'), ctx);
  });

  test('the order: caid, service_id, cost (a JSON number), status pending, nothing issued', () => {
    expect(result).toMatchObject({ caOrderId: '358174513', serviceId: 'o91bZ', cost: 4208.01, status: 'pending', phase: 'validation' });
    expect(result.certificate).toBeUndefined();
    expect(result.notBefore).toBeUndefined();
    expect(result.notAfter).toBeUndefined();
    expect(result.domains.map((d) => d.domain)).toEqual(['*.example.com', 'example2.com', 'example3.com', 'sub.example4.com', '*.example5.com']);
  });

  test('*.example.com: dns, valid, the CNAME fullname → value', () => {
    expect(domain('*.example.com')).toEqual({
      domain: '*.example.com',
      method: 'dns',
      state: 'valid',
      dns: { name: `${TOKEN}.example.com`, type: 'CNAME', value: CNAME_VALUE },
    });
  });

  test('example2.com: http, pending, the file\'s url, absolute path and exact content', () => {
    expect(domain('example2.com')).toEqual({
      domain: 'example2.com',
      method: 'http',
      state: 'pending',
      file: { url: `http://example2.com/.well-known/pki-validation/${FILE}`, path: `/.well-known/pki-validation/${FILE}`, content: FILE_CONTENT },
    });
  });

  test('example3.com: requested https, answered type "http" with an https url → https', () => {
    expect(domain('example3.com')).toEqual({
      domain: 'example3.com',
      method: 'https',
      state: 'pending',
      file: { url: `https://example3.com/.well-known/pki-validation/${FILE}`, path: `/.well-known/pki-validation/${FILE}`, content: FILE_CONTENT },
    });
  });

  test('sub.example4.com: email, pending, the approver address and the CA\'s alternatives as given', () => {
    const v = domain('sub.example4.com');
    expect(v).toEqual({
      domain: 'sub.example4.com',
      method: 'email',
      state: 'pending',
      email: {
        address: 'admin@example4.com',
        alternatives: [
          'admin@example4.com',
          'administrator@example4.com',
          'webmaster@example4.com',
          'postmaster@example4.com',
          'hostmaster@example4.com',
          'admin@email.example4.com',
          'administrator@sub.example4.com',
          'webmaster@sub.example4.com',
          'postmaster@sub.example4.com',
          'hostmaster@sub.example4.com',
        ],
      },
    });
    // The example's list contradicts the document's rule once (README: "subdomain": "email"):
    const refused = v?.email?.alternatives.filter((a) => approverAddressRule('sub.example4.com', a) !== undefined);
    expect(refused).toEqual(['admin@email.example4.com']);
  });

  test('*.example5.com (not in the request): a copy of *.example.com\'s entry, read as given', () => {
    expect(domain('*.example5.com')).toEqual({
      domain: '*.example5.com',
      method: 'dns',
      state: 'valid',
      dns: { name: `${TOKEN}.example.com`, type: 'CNAME', value: CNAME_VALUE },
    });
  });

  test('what the customer must still do: three pending domains, one record each', () => {
    expect(result.domains.filter((d) => d.state === 'pending').map((d) => `${d.domain} ${d.method}`)).toEqual(['example2.com http', 'example3.com https', 'sub.example4.com email']);
  });
});

describe('variations of the example an answer may take', () => {
  const answer = repaired('reissue.response') as { success: boolean; message: string; data: Record<string, unknown> };
  const withData = (over: Record<string, unknown>): unknown => ({ ...answer, data: { ...answer.data, ...over } });

  test('cost as a string, caid as a number, status in capitals', () => {
    expect(readReissueAnswer(withData({ cost: '4208.01', caid: 358174513, status: ' PENDING ' }), ctx)).toMatchObject({ cost: 4208.01, caOrderId: '358174513', status: 'pending' });
  });

  test('issued: cert_pem and ca_pem become the certificate and its chain', () => {
    const leaf = '-----BEGIN CERTIFICATE-----\nLEAF\n-----END CERTIFICATE-----';
    const inter = '-----BEGIN CERTIFICATE-----\nINTER\n-----END CERTIFICATE-----';
    const root = '-----BEGIN CERTIFICATE-----\nROOT\n-----END CERTIFICATE-----';
    const r = readReissueAnswer(withData({ status: 'issued', cert_pem: `${leaf}\n`, ca_pem: `${inter}\r\n${root}\n${leaf}`, not_before: '2024-01-01 00:00:00', not_after: '2025-01-01 23:59:59' }), ctx);
    expect(r).toMatchObject({ phase: 'issued', certificate: { certificatePem: leaf, chainPems: [inter, root] }, notBefore: '2024-01-01 00:00:00', notAfter: '2025-01-01 23:59:59' });
  });

  test('every domain valid, still pending: the CA has yet to sign (issuance)', () => {
    const dcv = Object.fromEntries(Object.entries(answer.data.dcv as Record<string, Record<string, unknown>>).map(([d, e]) => [d, { ...e, status: 'valid' }]));
    expect(readReissueAnswer(withData({ dcv }), ctx).phase).toBe('issuance');
  });

  test('success false → CaBusinessError carrying the message', () => {
    expect(() => readReissueAnswer({ success: false, message: '证书不存在', data: null }, ctx)).toThrow(CaBusinessError);
    expect(() => readReissueAnswer({ success: false, message: '证书不存在', data: null }, ctx)).toThrow(/refused by the CA: 证书不存在/);
  });

  test.each([
    ['no caid', { caid: null }, /data\.caid/],
    ['a file url on the main domain', { dcv: { 'sub.example2.com': { type: 'http', status: 'pending', http: { filecontent: 'x', filefullpath: 'a.txt', url: 'http://example2.com/a.txt' } } } }, /data\.dcv\.sub\.example2\.com\.http\.url: must be on sub\.example2\.com itself/],
    ['a pending dns without its record', { dcv: { 'a.com': { type: 'dns', status: 'pending' } } }, /data\.dcv\.a\.com\.dns: is required/],
    ['a TXT record', { dcv: { 'a.com': { type: 'dns', status: 'pending', dns: { type: 'txt', fullname: '_x.a.com', value: 'v' } } } }, /dns\.type: is "txt"/],
    ['an unknown method', { dcv: { 'a.com': { type: 'whois', status: 'pending' } } }, /type: is "whois", not a method the document names/],
    ['a certificate that is not PEM', { cert_pem: 'MIIB...' }, /data\.cert_pem: holds no PEM certificate/],
  ])('%s → CaProtocolError naming the field', (_what, over, message) => {
    expect(() => readReissueAnswer(withData(over), ctx)).toThrow(CaProtocolError);
    expect(() => readReissueAnswer(withData(over), ctx)).toThrow(message);
  });

  test('a valid domain may come without details; an unknown domain status reads as pending, the CA\'s word kept', () => {
    const r = readReissueAnswer(withData({ dcv: { 'a.com': { type: 'dns', status: 'valid' }, 'b.com': { type: 'email', status: 'expired', email: { address: 'admin@b.com', available: null } } } }), ctx);
    expect(r.domains).toEqual([
      { domain: 'a.com', method: 'dns', state: 'valid' },
      { domain: 'b.com', method: 'email', state: 'pending', caStatus: 'expired', email: { address: 'admin@b.com', alternatives: [] } },
    ]);
  });
});

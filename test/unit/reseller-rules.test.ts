import { generateKeyPairSync } from 'node:crypto';
import {
  approverAddressRule,
  buildReissueBody,
  csrIssues,
  csrOrDomainDcvIssues,
  domainDcvIssues,
  fileHostRule,
  isDomainName,
  organizationIssues,
  reissueIssues,
  reissueIssuesWithSignature,
  shapeIssues,
  ORGANIZATION_FIELDS,
  type OrganizationFields,
  type ReissueBody,
} from '../../src/ca/reseller';
import { testCsr } from '../support/csr';
import { DOCUMENT_ORGANIZATION } from '../support/reseller-fixtures';

/**
 * Every rule of the reissue request (seed 004, ca-apis.md §4), each refusal naming its field
 * as the API will (`domain_dcv.*.example.com`, `csr`, `organization`).
 */

const joined = (issues: { path: (string | number)[]; rule: string }[]): string[] => issues.map((i) => `${i.path.join('.')}: ${i.rule}`);
const paths = (issues: { path: (string | number)[] }[]): string[] => issues.map((i) => i.path.join('.'));

const EC_P256 = testCsr({ commonName: 'www.example.com', dnsNames: ['www.example.com'] });
const BASE: ReissueBody = { unique_id: 'u-1', service_id: 'o91bZ', csr: EC_P256 };

const ORG: OrganizationFields = DOCUMENT_ORGANIZATION;

describe('csr or domain_dcv ("与`csr`必传1个")', () => {
  test('neither: refused, naming domain_dcv and csr', () => {
    expect(joined(csrOrDomainDcvIssues({}))).toEqual(['domain_dcv: or csr must be given: a reissue changes the CSR, the domains or their validation methods']);
    expect(paths(csrOrDomainDcvIssues({ csr: '  ', domain_dcv: {} }))).toEqual(['domain_dcv']);
  });

  test('either alone, or both (the document\'s own example sends both)', () => {
    expect(csrOrDomainDcvIssues({ csr: EC_P256 })).toEqual([]);
    expect(csrOrDomainDcvIssues({ domain_dcv: { 'example.com': 'dns' } })).toEqual([]);
    expect(csrOrDomainDcvIssues({ csr: EC_P256, domain_dcv: { 'example.com': 'dns' } })).toEqual([]);
  });
});

describe('domain_dcv', () => {
  test('the document\'s example map passes', () => {
    expect(domainDcvIssues({ '*.example.com': 'dns', 'example2.com': 'http', 'example3.com': 'https', 'sub.example4.com': 'admin@example4.com' })).toEqual([]);
  });

  test.each([
    ['*.example.com', 'http'],
    ['*.example.com', 'https'],
    ['*.example.com', 'HTTPS'],
  ])('a wildcard with %s → %s is refused: only dns or e-mail', (domain, method) => {
    const issues = domainDcvIssues({ [domain]: method });
    expect(paths(issues)).toEqual([`domain_dcv.${domain}`]);
    expect(issues[0]?.rule).toMatch(/a wildcard takes only dns or an approver e-mail address/);
  });

  test('a wildcard with dns or an approver address at its base or a parent passes', () => {
    expect(domainDcvIssues({ '*.example.com': 'dns', '*.shop.example.com': 'hostmaster@example.com', '*.a.example.org': 'admin@a.example.org' })).toEqual([]);
  });

  test.each(['admin', 'administrator', 'postmaster', 'webmaster', 'hostmaster'])('%s@ at the domain itself or its parent passes', (local) => {
    expect(domainDcvIssues({ 'sub.example4.com': `${local}@sub.example4.com`, 'a.b.example.net': `${local}@example.net`, 'c.b.example.net': `${local.toUpperCase()}@B.Example.NET` })).toEqual([]);
  });

  test.each([
    ['a WHOIS-style address', 'sub.example4.com', 'owner@example4.com', /must be one of admin@, administrator@, postmaster@, webmaster@, hostmaster@ at sub\.example4\.com or a parent domain of it \(WHOIS addresses are not accepted\); owner@ is not an approver mailbox/],
    ['another domain', 'sub.example4.com', 'admin@example5.com', /example5\.com is not sub\.example4\.com or a parent of it/],
    ['a sibling subdomain', 'sub.example4.com', 'admin@email.example4.com', /email\.example4\.com is not sub\.example4\.com or a parent of it/],
    ['a subdomain below the domain', 'example4.com', 'admin@sub.example4.com', /sub\.example4\.com is not example4\.com or a parent/],
    ['a look-alike suffix', 'example4.com', 'admin@xexample4.com', /xexample4\.com is not example4\.com/],
    ['a bare top-level domain', 'example4.com', 'admin@com', /com is not example4\.com or a parent/],
    ['neither a method nor an address', 'example.com', 'cname', /must be dns, http, https or an approver e-mail address .*"cname" is none of them/],
    ['an address without a mailbox', 'example.com', '@example.com', /is none of them/],
  ])('refuses %s, naming domain_dcv.<domain>', (_what, domain, value, rule) => {
    const issues = domainDcvIssues({ [domain]: value });
    expect(paths(issues)).toEqual([`domain_dcv.${domain}`]);
    expect(issues[0]?.rule).toMatch(rule);
  });

  test('one domain, one method: the same domain twice in another case is refused', () => {
    expect(joined(domainDcvIssues({ 'example.com': 'dns', 'EXAMPLE.com': 'http' }))).toEqual(['domain_dcv.EXAMPLE.com: names the same domain as example.com: one domain, one validation method']);
    // a wildcard and its base are two names
    expect(domainDcvIssues({ 'example.com': 'http', '*.example.com': 'dns' })).toEqual([]);
  });

  test.each(['example', 'exa mple.com', '-a.example.com', '*.*.example.com', 'http://example.com', '1.2.3.4', ''])('"%s" is not a domain name', (domain) => {
    expect(isDomainName(domain)).toBe(false);
    expect(paths(domainDcvIssues({ [domain]: 'dns' }))).toEqual([`domain_dcv.${domain}`]);
  });

  test('IDNs pass, in Unicode or punycode', () => {
    expect(domainDcvIssues({ '中文.example.cn': 'dns', 'xn--fiq228c.example.cn': 'http' })).toEqual([]);
  });

  test('every issue of a map at once, each naming its own domain', () => {
    expect(paths(domainDcvIssues({ '*.a.com': 'http', 'b.com': 'root@b.com', 'c.com': 'dns', 'd.com': 'admin@c.com' }))).toEqual(['domain_dcv.*.a.com', 'domain_dcv.b.com', 'domain_dcv.d.com']);
  });
});

describe('http/https only on the exact (sub)domain (fileHostRule: the answer\'s url, the pre-flight)', () => {
  test('a file on the domain itself passes, in any case, either scheme', () => {
    expect(fileHostRule('example2.com', 'http://example2.com/.well-known/pki-validation/x.txt')).toBeUndefined();
    expect(fileHostRule('Sub.Example2.com', 'https://sub.example2.com./.well-known/pki-validation/x.txt')).toBeUndefined();
  });

  test.each([
    ['the main domain for a subdomain', 'sub.example2.com', 'http://example2.com/.well-known/x.txt', /must be on sub\.example2\.com itself: .* not by example2\.com/],
    ['another domain', 'example2.com', 'http://cdn.example.net/x.txt', /not by cdn\.example\.net/],
    ['a subdomain for the main domain', 'example2.com', 'http://www.example2.com/x.txt', /not by www\.example2\.com/],
    ['a wildcard', '*.example2.com', 'http://example2.com/x.txt', /a wildcard .* cannot be validated by a file/],
    ['not a URL', 'example2.com', 'example2.com/x.txt', /must be a URL/],
    ['ftp', 'example2.com', 'ftp://example2.com/x.txt', /must be an http\(s\) URL/],
  ])('refuses %s', (_what, domain, url, rule) => {
    expect(fileHostRule(domain, url)).toMatch(rule);
  });

  test('approverAddressRule on its own', () => {
    expect(approverAddressRule('*.example.com', 'admin@example.com')).toBeUndefined();
    expect(approverAddressRule('*.example.com', 'admin@www.example.com')).toMatch(/www\.example\.com is not example\.com/);
  });
});

describe('csr: "是CSR而非私钥或公钥", RSA 2048/4096 or ECDSA P-256/P-384', () => {
  test.each([
    ['EC P-256', () => EC_P256],
    ['EC P-384', () => testCsr({ commonName: 'a.example.com', curve: 'secp384r1' })],
    ['RSA 2048', () => testCsr({ commonName: 'a.example.com', keyType: 'rsa', rsaBits: 2048 })],
    ['RSA 4096', () => testCsr({ commonName: 'a.example.com', keyType: 'rsa', rsaBits: 4096 })],
  ])('%s passes', (_what, csr) => {
    expect(csrIssues(csr())).toEqual([]);
  });

  test.each([
    ['RSA 3072 (not 2048 or 4096)', () => testCsr({ commonName: 'a.example.com', keyType: 'rsa', rsaBits: 3072 }), /this RSA key has 3072 bits/],
    ['RSA 1024', () => testCsr({ commonName: 'a.example.com', keyType: 'rsa', rsaBits: 1024 }), /this RSA key has 1024 bits/],
    ['EC P-521', () => testCsr({ commonName: 'a.example.com', curve: 'secp521r1' }), /this EC key is on P-521/],
    ['SM2', () => testCsr({ commonName: 'a.example.com', keyType: 'sm2' }), /this key is SM2/],
  ])('%s is refused', (_what, csr, rule) => {
    const issues = csrIssues(csr());
    expect(paths(issues)).toEqual(['csr']);
    expect(issues[0]?.rule).toMatch(/must have a key the platform accepts \(RSA of 2048 or 4096 bits, or ECDSA on P-256 or P-384\)/);
    expect(issues[0]?.rule).toMatch(rule);
  });

  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const rsaPrivatePem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();

  test.each([
    ['a private key (PKCS#8)', () => privatePem, /not a private key: never send the private key/],
    ['a private key (PKCS#1)', () => rsaPrivatePem, /not a private key/],
    ['a CSR with its private key pasted along', () => `${EC_P256}\n${privatePem}`, /not a private key/],
    ['a public key', () => publicPem, /not a public key/],
    ['a certificate', () => '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', /block labelled "CERTIFICATE"/],
    ['the document\'s placeholder', () => '---------BEGIN RSA CERTIFICATE REQUEST---------...', /block labelled "RSA CERTIFICATE REQUEST"/],
    ['text', () => 'my csr', /must be a PEM certificate signing request/],
    ['garbage in a CSR block', () => '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----', /does not parse/],
    ['two CSRs', () => `${EC_P256}\n${EC_P256}`, /several/],
  ])('%s is refused, naming csr and never echoing a key', (_what, csr, rule) => {
    const issues = csrIssues(csr());
    expect(paths(issues)).toEqual(['csr']);
    expect(issues[0]?.rule).toMatch(rule);
    expect(JSON.stringify(issues)).not.toMatch(/MII|BEGIN PRIVATE/);
  });

  test('the self-signature (orders/csr-check) is checked by the async rules', async () => {
    const forged = testCsr({ commonName: 'a.example.com', badSignature: true });
    expect(csrIssues(forged)).toEqual([]);
    expect(joined(await reissueIssuesWithSignature({ ...BASE, csr: forged }, { validation: 'DV' }))).toEqual(['csr: must be signed with its own key; its self-signature does not verify']);
    expect(await reissueIssuesWithSignature(BASE, { validation: 'DV' })).toEqual([]);
  });
});

describe('organisation fields: required for OV, EV, IV; unchangeable once issued', () => {
  test('DV: none needed', () => {
    expect(organizationIssues({}, { validation: 'DV' })).toEqual([]);
  });

  test.each(['OV', 'EV', 'IV'] as const)('%s: every missing or blank field named', (validation) => {
    expect(organizationIssues(ORG, { validation })).toEqual([]);
    const issues = organizationIssues({ ...ORG, serial_no: undefined, city: '  ' }, { validation });
    expect(joined(issues)).toEqual([`serial_no: is required for ${validation} certificates`, `city: is required for ${validation} certificates`]);
    expect(paths(organizationIssues({}, { validation }))).toEqual([...ORGANIZATION_FIELDS]);
  });

  test('once issued, a changed field is refused without echoing either value; the same values pass', () => {
    const ctx = { validation: 'OV' as const, issuedOrganization: ORG };
    expect(organizationIssues({ ...ORG, organization: ` ${ORG.organization} ` }, ctx)).toEqual([]);
    const issues = organizationIssues({ ...ORG, organization: 'Other Co', contact_phone: '13900000000' }, ctx);
    expect(joined(issues)).toEqual([
      'organization: cannot change once the OV certificate has been issued: send the issued value',
      'contact_phone: cannot change once the OV certificate has been issued: send the issued value',
    ]);
    expect(JSON.stringify(issues)).not.toMatch(/Other Co|13900000000|XX数字/);
  });
});

describe('the whole request', () => {
  test('shape first: unknown fields, wrong types, a bad e-mail or notify_url are named', () => {
    expect(joined(shapeIssues({ ...BASE, domain: 'x', renew: true, contact_email: 'nope', notify_url: 'ftp://x' }))).toEqual(
      expect.arrayContaining(['domain: is not a field of the reissue request', expect.stringMatching(/^renew: /), expect.stringMatching(/^contact_email: /), 'notify_url: must be an http(s) URL']),
    );
    expect(paths(shapeIssues({ service_id: 'o91bZ', csr: EC_P256 }))).toEqual(['unique_id']);
    expect(paths(shapeIssues({ ...BASE, a: 1, b: 2 }))).toEqual(['a', 'b']);
  });

  test('all documented rules together, each naming its field', () => {
    const body = buildReissueBody({
      uniqueId: 'u-1',
      serviceId: 'o91bZ',
      csr: testCsr({ commonName: 'a.example.com', keyType: 'rsa', rsaBits: 3072 }),
      domainDcv: { '*.example.com': 'http', 'sub.example4.com': 'info@example4.com' },
      organization: { ...ORG, country: undefined },
    });
    expect(paths(reissueIssues(body, { validation: 'EV' }))).toEqual(['domain_dcv.*.example.com', 'domain_dcv.sub.example4.com', 'csr', 'country']);
  });

  test('a CSR-only DV reissue passes', () => {
    expect(reissueIssues(BASE, { validation: 'DV' })).toEqual([]);
  });
});

/** WoSignDoc's configuration: the client exists only with WOSIGNDOC_URL, which then needs its credentials. */
import { isSecretKey, parseConfig, type ConfigError } from '../../src/config';

const complete = {
  WOSIGNDOC_URL: 'https://docapitest.wosign.com',
  WOSIGNDOC_TOKENID: 'token-id-0123456789',
  WOSIGNDOC_CLIENT_CERT_FILE: '/etc/certflow/wosigndoc-client.pem',
  WOSIGNDOC_CLIENT_KEY_FILE: '/etc/certflow/wosigndoc-client.key',
  WOSIGNDOC_CA_FILE: '/etc/certflow/wosigndoc-ca.pem',
};

function issues(env: Record<string, string>): { variable: string; rule: string; value: string }[] {
  try {
    parseConfig(env);
    return [];
  } catch (e) {
    return (e as ConfigError).issues;
  }
}

test('unset: no client, the defaults of the warning and the deadline', () => {
  const c = parseConfig({});
  expect(c.WOSIGNDOC_URL).toBeUndefined();
  expect(c.WOSIGNDOC_CERT_EXPIRY_WARN_DAYS).toBe(30);
  expect(c.WOSIGNDOC_SIGN_DEADLINE_MS).toBe(7 * 86_400_000);
});

test('WOSIGNDOC_URL needs the tokenid, the certificate, the key and the CA, each named', () => {
  expect(issues({ WOSIGNDOC_URL: complete.WOSIGNDOC_URL }).map((i) => `${i.variable}: ${i.rule}`).sort()).toEqual([
    'WOSIGNDOC_CA_FILE: required when WOSIGNDOC_URL is set',
    'WOSIGNDOC_CLIENT_CERT_FILE: required when WOSIGNDOC_URL is set',
    'WOSIGNDOC_CLIENT_KEY_FILE: required when WOSIGNDOC_URL is set',
    'WOSIGNDOC_TOKENID: required when WOSIGNDOC_URL is set',
  ]);
  const c = parseConfig({ ...complete, WOSIGNDOC_CERT_EXPIRY_WARN_DAYS: '45', WOSIGNDOC_SIGN_DEADLINE_MS: '3600000' });
  expect(c).toMatchObject({ ...complete, WOSIGNDOC_CERT_EXPIRY_WARN_DAYS: 45, WOSIGNDOC_SIGN_DEADLINE_MS: 3_600_000 });
});

test('https only; the tokenid is a secret, masked in every message', () => {
  expect(issues({ ...complete, WOSIGNDOC_URL: 'http://docapi.wosign.com' }).map((i) => i.variable)).toEqual(['WOSIGNDOC_URL']);
  expect(isSecretKey('WOSIGNDOC_TOKENID')).toBe(true);
  const short = issues({ ...complete, WOSIGNDOC_TOKENID: 'tok' });
  expect(short).toEqual([{ variable: 'WOSIGNDOC_TOKENID', rule: 'must be at least 8 characters', value: '***' }]);
});

test('the warning window and the deadline are bounded', () => {
  expect(issues({ WOSIGNDOC_CERT_EXPIRY_WARN_DAYS: '0' }).map((i) => i.variable)).toEqual(['WOSIGNDOC_CERT_EXPIRY_WARN_DAYS']);
  expect(issues({ WOSIGNDOC_SIGN_DEADLINE_MS: '1000' }).map((i) => i.variable)).toEqual(['WOSIGNDOC_SIGN_DEADLINE_MS']);
});

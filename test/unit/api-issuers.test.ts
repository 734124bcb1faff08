/** The signfile download: what a customer (or an integrator) must serve for an ACMAPI order. */
import { API_KEY, buildTestApi } from './api-support';

const AUTH = { authorization: `Bearer ${API_KEY}` };
const ACMAPI_ENV = {
  CA_PUSH_VERIFY: 'none',
  ACMAPI_URL: 'https://acmapi.wosign.test/',
  ACMAPI_CUSTOMER_ID: 'customer_01',
  ACMAPI_AUTH_TOKEN: 'authority-token-0123456789',
  ACMAPI_SIGNFILE: 'wosign-signfile-5f2b8c1d9e\n',
  ACMAPI_CHAIN_FILE: '/etc/certflow/acmapi-chain.pem',
};

test('the configured ACMAPI signfile downloads as served, with the path it goes to; only with the API key', async () => {
  const { app } = await buildTestApi({ pushEnv: ACMAPI_ENV });
  const r = await app.inject({ method: 'GET', url: '/v1/issuers/acmapi/domain-file', headers: AUTH });
  expect(r.statusCode).toBe(200);
  expect(r.body).toBe('wosign-signfile-5f2b8c1d9e\n');
  expect(r.headers['x-certflow-domain-file-path']).toBe('/.well-known/pki-validation/signfile');
  expect(r.headers['content-disposition']).toBe('attachment; filename="signfile"');
  expect((await app.inject({ method: 'GET', url: '/v1/issuers/acmapi/domain-file' })).statusCode).toBe(401);
  await app.close();
});

test('an issuer without a domain file, one not configured, and an unknown one are 404 saying which', async () => {
  const { app } = await buildTestApi({ pushEnv: ACMAPI_ENV });
  const wotrus = await app.inject({ method: 'GET', url: '/v1/issuers/wotrus/domain-file', headers: AUTH });
  expect(wotrus.statusCode).toBe(404);
  expect(wotrus.json().detail).toBe('The issuer wotrus is not configured here or asks for no domain file.');
  const unknown = await app.inject({ method: 'GET', url: '/v1/issuers/digicert/domain-file', headers: AUTH });
  expect(unknown.json().detail).toBe('No issuer digicert (known: wotrus, acmapi, reseller).');
  await app.close();
  const { app: bare } = await buildTestApi();
  expect((await bare.inject({ method: 'GET', url: '/v1/issuers/acmapi/domain-file', headers: AUTH })).statusCode).toBe(404);
  await bare.close();
});

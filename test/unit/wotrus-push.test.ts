import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  PUSH_SIGNATURE_HEADER,
  createHmacPushVerifier,
  createPushVerifier,
  parsePush,
  signPushBody,
} from '../../src/ca/wotrus/push';
import { buildOrderStatusPush } from '../../src/ca/wotrus/schemas';
import { pushBody as simPushBody } from '../../tools/simulators/wotrus/pushes';

const SECRET = 'push-secret-0123456789abcdef';
const body = Buffer.from(JSON.stringify(buildOrderStatusPush('30B3F256-9D2D-43C5-ABCB-017AA9D3CB6D', { isIssued: true, isRevoked: false })));
const verifier = createHmacPushVerifier(SECRET);
const signed = { [PUSH_SIGNATURE_HEADER]: signPushBody(SECRET, body) };

describe('signPushBody', () => {
  test('is sha256=<lowercase hex HMAC-SHA256> (the well-known HMAC example)', () => {
    expect(signPushBody('key', 'The quick brown fox jumps over the lazy dog')).toBe(
      'sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8',
    );
  });
  test('the header name is lower case, as Node delivers it', () => {
    expect(PUSH_SIGNATURE_HEADER).toBe('x-wotrus-signature');
  });
});

describe('HMAC push verifier', () => {
  test('a genuine signature verifies, body as Buffer or string', () => {
    expect(verifier.verify(body, signed)).toBe(true);
    expect(verifier.verify(body.toString('utf8'), signed)).toBe(true);
  });

  test('header names are case-insensitive; a one-element array is accepted', () => {
    expect(verifier.verify(body, { 'X-WoTrus-Signature': signed[PUSH_SIGNATURE_HEADER] })).toBe(true);
    expect(verifier.verify(body, { [PUSH_SIGNATURE_HEADER]: [signed[PUSH_SIGNATURE_HEADER]] })).toBe(true);
  });

  test('a modified body is rejected', () => {
    const tampered = Buffer.from(body.toString().replace('"isRevoked":false', '"isRevoked":true'));
    expect(tampered.equals(body)).toBe(false);
    expect(verifier.verify(tampered, signed)).toBe(false);
    // Re-serialising (whitespace) also changes the bytes that were signed.
    expect(verifier.verify(JSON.stringify(JSON.parse(body.toString()), null, 2), signed)).toBe(false);
  });

  test('a signature made with another secret is rejected', () => {
    expect(verifier.verify(body, { [PUSH_SIGNATURE_HEADER]: signPushBody('another-secret-0123456789', body) })).toBe(false);
  });

  test('a missing header is rejected', () => {
    expect(verifier.verify(body, {})).toBe(false);
    expect(verifier.verify(body, { [PUSH_SIGNATURE_HEADER]: undefined })).toBe(false);
    expect(verifier.verify(body, { 'x-other': signed[PUSH_SIGNATURE_HEADER] })).toBe(false);
  });

  test.each([
    ['empty', ''],
    ['no scheme prefix', signed[PUSH_SIGNATURE_HEADER].slice('sha256='.length)],
    ['another scheme', signed[PUSH_SIGNATURE_HEADER].replace('sha256=', 'sha1=')],
    ['upper-case hex', 'sha256=' + signed[PUSH_SIGNATURE_HEADER].slice(7).toUpperCase()],
    ['truncated', signed[PUSH_SIGNATURE_HEADER].slice(0, -2)],
    ['too long', signed[PUSH_SIGNATURE_HEADER] + '00'],
    ['not hex', 'sha256=' + 'z'.repeat(64)],
    ['base64 instead of hex', 'sha256=' + Buffer.from(signed[PUSH_SIGNATURE_HEADER].slice(7), 'hex').toString('base64')],
  ])('a malformed header (%s) is rejected', (_label, value) => {
    expect(verifier.verify(body, { [PUSH_SIGNATURE_HEADER]: value })).toBe(false);
  });

  test('two signature headers are ambiguous and rejected', () => {
    const v = signed[PUSH_SIGNATURE_HEADER];
    expect(verifier.verify(body, { [PUSH_SIGNATURE_HEADER]: [v, v] })).toBe(false);
  });

  test('an empty secret is refused at construction', () => {
    expect(() => createHmacPushVerifier('')).toThrow(/secret/);
  });
});

describe('parsePush', () => {
  test('an order push', () => {
    expect(parsePush(body)).toEqual({
      kind: 'order',
      push: { dataAction: 'order', orderId: '30B3F256-9D2D-43C5-ABCB-017AA9D3CB6D', isIssued: true, isRevoked: false },
    });
  });

  test('tolerant: orderID, stray whitespace, string booleans, missing flag', () => {
    expect(parsePush('{"dataAction":"Order","orderID":" O-1 ","isIssued":"false"}')).toEqual({
      kind: 'order',
      push: { dataAction: 'order', orderId: 'O-1', isIssued: false, isRevoked: false },
    });
  });

  test('a push we have no use for (organisation status) is ignored, not rejected', () => {
    expect(parsePush('{"dataAction":"organization","orgId":"x"}')).toEqual({ kind: 'ignored', dataAction: 'organization' });
  });

  test('unreadable pushes are invalid, with the reason', () => {
    expect(parsePush('not json')).toEqual({ kind: 'invalid', error: 'body is not JSON' });
    const noId = parsePush('{"dataAction":"order","isIssued":true}');
    expect(noId.kind).toBe('invalid');
    expect(noId.kind === 'invalid' && noId.error).toMatch(/^orderId:/);
    expect(parsePush('{"orderId":"x"}').kind).toBe('invalid');
  });
});

describe('createPushVerifier (CA_PUSH_VERIFY)', () => {
  // The document's own example (§8.1), byte for byte as stored in the fixtures: unsigned.
  const documentPush = readFileSync(path.join(__dirname, '../fixtures/wotrus/push.order-status.json'));

  test('none: the document\'s unsigned push is taken, with or without any header', () => {
    const v = createPushVerifier({ mode: 'none' });
    expect(v.verify(documentPush, {})).toBe(true);
    expect(v.verify(documentPush, { [PUSH_SIGNATURE_HEADER]: 'sha256=00' })).toBe(true);
    expect(parsePush(documentPush)).toMatchObject({ kind: 'order', push: { orderId: '30B3F256-9D2D-43C5-ABCB-017AA9D3CB6D', isIssued: true, isRevoked: false } });
  });

  test('hmac: our signature is required, and a secret is', () => {
    const v = createPushVerifier({ mode: 'hmac', secret: SECRET });
    expect(v.verify(documentPush, {})).toBe(false);
    expect(v.verify(documentPush, { [PUSH_SIGNATURE_HEADER]: signPushBody(SECRET, documentPush) })).toBe(true);
    expect(() => createPushVerifier({ mode: 'hmac' })).toThrow('CA_PUSH_SECRET: required when CA_PUSH_VERIFY=hmac');
  });

  test('the simulator\'s document mode sends either spelling of the id, and both read alike', () => {
    const event = { orderId: 'O-7', isIssued: true, isRevoked: false };
    expect(simPushBody(event)).toBe('{"dataAction":"order","orderId":"O-7","isIssued":true,"isRevoked":false}');
    expect(simPushBody(event, 'orderID')).toBe('{"dataAction":"order","orderID":"O-7","isIssued":true,"isRevoked":false}');
    expect(parsePush(simPushBody(event, 'orderID'))).toEqual(parsePush(simPushBody(event)));
  });
});

/**
 * The rules of the WoSignDoc document as certflow's input schema and the wire schemas apply
 * them, positions in either unit, the tolerant answer, and the push read every way a platform
 * may send it.
 */
import { createHash } from 'node:crypto';
import {
  buildCreateSignOrderBody,
  createSignOrderAnswerSchema,
  createSignOrderBodySchema,
  errorCodesSchema,
  formatPosition,
  readPosition,
  signOrderInputSchema,
  type SignOrderInput,
} from '../../src/signing/wosigndoc/schemas';
import { PUSH_ANSWER_PUSH_AGAIN, PUSH_ANSWER_RECEIVED, readSignedDocPush, WosignDocPushError } from '../../src/signing/wosigndoc/push';

const PICTURE = Buffer.from('picture bytes');
const DOCUMENT = Buffer.from('%PDF-1.7 document');

const person = { type: 'person' as const, name: '张三', idNumber: '212125668686868888', idPicture: PICTURE, otherPicture: PICTURE, positions: [{ page: 1, position: '0.1,0.1,0.3,0.2' }] };
const organization = { type: 'organization' as const, name: '沃通电子认证服务有限公司', licenceNumber: '440301103308619', idPicture: PICTURE, otherPicture: PICTURE, positions: [{ page: 1, position: '0.5,0.1,0.7,0.2' }] };
const order: SignOrderInput = { orderNumber: 'sign-B-1001', subject: 'Contract', document: { content: DOCUMENT, format: '.PDF' }, signers: [organization, person] };

function issuesOf(input: unknown): string[] {
  const r = signOrderInputSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('certflow\'s signing order', () => {
  test('a complete order passes; the format is sent lower-case without its dot, CN left out', () => {
    const parsed = signOrderInputSchema.parse({ ...order, signers: [{ ...person, country: 'cn' }, { ...organization, country: 'hk' }] });
    const body = buildCreateSignOrderBody('token-0123456789', parsed);
    expect(body.fileformat).toBe('pdf');
    expect(body.signerlist[0]).not.toHaveProperty('country');
    expect(body.signerlist[1]!.country).toBe('HK');
    expect(createSignOrderBodySchema.safeParse(body).success).toBe(true);
  });

  test('subject at most 256 characters', () => {
    expect(issuesOf({ ...order, subject: 'x'.repeat(256) })).toEqual([]);
    expect(issuesOf({ ...order, subject: 'x'.repeat(257) })).toEqual(['subject: must be at most 256 characters']);
  });

  test('without a template: the document and every signer\'s positions are required', () => {
    const { document: _document, ...noDocument } = order;
    expect(issuesOf(noDocument)).toEqual(['document: is required without templateId: there is no template document to sign']);
    expect(issuesOf({ ...order, signers: [{ ...person, positions: [] }] })).toEqual(['signers.0.positions: is required without templateId: where this signer signs']);
  });

  test('with a template: neither is required, and the body carries tempid and no signlist', () => {
    const { document: _document, ...noDocument } = order;
    const input = { ...noDocument, templateId: 'tpl-7', signers: [{ ...person, positions: undefined }] };
    expect(issuesOf(input)).toEqual([]);
    const body = buildCreateSignOrderBody('token-0123456789', signOrderInputSchema.parse(input));
    expect(body).toMatchObject({ tempid: 'tpl-7' });
    expect(body).not.toHaveProperty('filebase');
    expect(body.signerlist[0]).not.toHaveProperty('signlist');
    expect(createSignOrderBodySchema.safeParse(body).success).toBe(true);
  });

  test('the names a signer type requires, the pictures, the order number: named in certflow\'s words', () => {
    expect(issuesOf({ ...order, orderNumber: ' ', signers: [{ ...person, idNumber: '' }, { ...organization, licenceNumber: undefined, otherPicture: '' }] })).toEqual([
      'orderNumber: must not be empty',
      'signers.0.idNumber: must not be empty',
      'signers.1.licenceNumber: Invalid input: expected string, received undefined',
      'signers.1.otherPicture: must be base64 (and not empty)',
    ]);
    expect(issuesOf({ ...order, signers: [] })).toEqual(['signers: must name at least one signer']);
    expect(issuesOf({ ...order, signers: [{ ...person, type: 'robot' }] })[0]).toMatch(/^signers\.0\.type: /);
  });

  test('pictures as bytes or base64 text', () => {
    const parsed = signOrderInputSchema.parse({ ...order, signers: [{ ...person, idPicture: PICTURE.toString('base64'), stamp: PICTURE }] });
    expect(parsed.signers[0]).toMatchObject({ idPicture: PICTURE.toString('base64'), stamp: PICTURE.toString('base64') });
    expect(issuesOf({ ...order, signers: [{ ...person, idPicture: 'not base64!' }] })).toEqual(['signers.0.idPicture: must be base64 (and not empty)']);
  });

  test('the wire schema applies the same rules to a body as written', () => {
    const body = buildCreateSignOrderBody('token-0123456789', signOrderInputSchema.parse(order));
    const broken = { ...body, fileformat: undefined, signerlist: [{ ...body.signerlist[0]!, orgNo: undefined }, { ...body.signerlist[1]!, signlist: [] }] };
    const r = createSignOrderBodySchema.safeParse(broken);
    expect(r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
      'fileformat: is required with filebase (the document\'s format, e.g. pdf)',
      'signerlist.0.orgNo: is required with signType 1 (an organisation)',
      'signerlist.1.signlist: is required when tempid is empty (where to sign)',
    ]);
    expect(createSignOrderBodySchema.safeParse({ ...body, extra: 1 }).success).toBe(false);
  });
});

describe('positions', () => {
  test.each([
    ['0.30,0.57,0.46,0.69', { x1: 0.3, y1: 0.57, x2: 0.46, y2: 0.69 }, 'fraction'],
    ['0.65, 0.47, 0.82, 0.59', { x1: 0.65, y1: 0.47, x2: 0.82, y2: 0.59 }, 'fraction'],
    ['30,57,46,69', { x1: 0.3, y1: 0.57, x2: 0.46, y2: 0.69 }, 'percent'],
    ['30%, 57%, 46%, 69%', { x1: 0.3, y1: 0.57, x2: 0.46, y2: 0.69 }, 'percent'],
    ['0.5%,0.5%,1%,1%', { x1: 0.005, y1: 0.005, x2: 0.01, y2: 0.01 }, 'percent'],
    ['0.3，0.57，0.46，0.69', { x1: 0.3, y1: 0.57, x2: 0.46, y2: 0.69 }, 'fraction'],
  ])('%s', (text, rect, unit) => {
    const read = readPosition(text);
    expect(read).toEqual({ ok: true, rect: expect.objectContaining({}), unit });
    if (read.ok) for (const k of ['x1', 'y1', 'x2', 'y2'] as const) expect(read.rect[k]).toBeCloseTo(rect[k], 10);
  });

  test.each([
    ['0.3,0.57,0.46', 'must be four numbers'],
    ['0.46,0.57,0.30,0.69', 'lower-left'],
    ['30,57,46,169', 'at most 100'],
    ['a,b,c,d', 'non-negative numbers'],
    ['-0.1,0.2,0.3,0.4', 'non-negative numbers'],
  ])('%s is refused (%s)', (text, problem) => {
    const read = readPosition(text);
    expect(read.ok).toBe(false);
    if (!read.ok) expect(read.problem).toContain(problem);
  });

  test('written as fractions, four decimals at most', () => {
    expect(formatPosition({ x1: 0.3, y1: 0.57, x2: 0.46, y2: 0.69 })).toBe('0.3,0.57,0.46,0.69');
    expect(formatPosition({ x1: 1 / 3, y1: 0, x2: 0.5, y2: 1 })).toBe('0.3333,0,0.5,1');
  });
});

describe('the answer', () => {
  test.each([
    [{ status: 1, errorcode: 0, signid: 'S-1', orderNumber: 'B-1' }, { status: 'ok', signId: 'S-1', orderNumber: 'B-1' }],
    [{ status: '1', errorcode: '0', signid: 'S-1', ordernumber: 'B-1' }, { status: 'ok', signId: 'S-1', orderNumber: 'B-1' }],
    [{ Status: 1, SignId: 'S-1' }, { status: 'ok', signId: 'S-1', orderNumber: undefined }],
    [{ status: 0, errorcode: -47 }, { status: 'failed', errorCodes: [-47], signId: undefined, orderNumber: undefined }],
    [{ status: '0', errorcode: '-57' }, { status: 'failed', errorCodes: [-57], signId: undefined, orderNumber: undefined }],
    [{ status: 0, errorcode: '-61&-57' }, { status: 'failed', errorCodes: [-61, -57], signId: undefined, orderNumber: undefined }],
  ])('%j', (answer, read) => {
    expect(createSignOrderAnswerSchema.parse(answer)).toEqual(read);
  });

  test.each([[{ status: 0 }], [{ status: 0, errorcode: 0 }], [{ status: 2 }], [{ errorcode: -43 }], [{ status: 'yes' }], ['1']])('%j is not an answer we can act on', (answer) => {
    expect(createSignOrderAnswerSchema.safeParse(answer).success).toBe(false);
  });

  test('error codes: numbers, strings, &-joined, zero and blanks dropped, each once', () => {
    expect(errorCodesSchema.parse('-61 & -57&-61')).toEqual([-61, -57]);
    expect(errorCodesSchema.parse('0')).toEqual([]);
    expect(errorCodesSchema.parse('')).toEqual([]);
    expect(errorCodesSchema.parse(null)).toEqual([]);
    expect(errorCodesSchema.safeParse('-61&oops').success).toBe(false);
  });
});

describe('the push', () => {
  const signed = Buffer.from('%PDF-1.7 signed contract');
  const sha256 = createHash('sha256').update(signed).digest();
  const push = (extendData: unknown, more: Record<string, unknown> = {}): string =>
    JSON.stringify({ actiontype: 'PushSignedDoc', status: 1, errorcode: '0', extendData, ...more });
  const data = { signid: 'S-1', ordernumber: 'sign-B-1001', content: signed.toString('base64'), hash: sha256.toString('hex') };

  test('the answers: exactly 1 ends the pushes', () => {
    expect(PUSH_ANSWER_RECEIVED).toBe('1');
    expect(PUSH_ANSWER_PUSH_AGAIN).not.toBe('1');
  });

  test('a good push from a Buffer, the hash in hex', () => {
    const p = readSignedDocPush(Buffer.from(push(data)), 'application/json');
    expect(p).toMatchObject({ signId: 'S-1', orderNumber: 'sign-B-1001', status: 1, errorCodes: [], hashOk: true, hashAlgorithm: 'sha256', hashOver: 'decoded', problems: [] });
    expect(p.content.equals(signed)).toBe(true);
  });

  test('the hash as base64 of the 32 bytes is accepted too', () => {
    const p = readSignedDocPush(push({ ...data, hash: sha256.toString('base64') }));
    expect(p).toMatchObject({ hashOk: true, hashHex: sha256.toString('hex') });
  });

  test('a hash over the base64 text (the other reading of "将 content 转为字节") is accepted, and said', () => {
    const overText = createHash('sha256').update(data.content).digest('hex');
    expect(readSignedDocPush(push({ ...data, hash: overText }))).toMatchObject({ hashOk: true, hashOver: 'base64Text' });
  });

  test('SHA-512 ("sha2" is a family) is recognised by its length', () => {
    const sha512 = createHash('sha512').update(signed).digest('hex');
    expect(readSignedDocPush(push({ ...data, hash: sha512 }))).toMatchObject({ hashOk: true, hashAlgorithm: 'sha512' });
  });

  test('a wrong hash: read, hashOk false, the mismatch named', () => {
    const p = readSignedDocPush(push({ ...data, hash: createHash('sha256').update('other').digest('hex') }));
    expect(p.hashOk).toBe(false);
    expect(p.problems[0]).toMatch(/^hash mismatch: sent [0-9a-f]{64}, the content's sha256 is [0-9a-f]{64}$/);
  });

  test('content with MIME line breaks; the keys in other spellings; extendData as a JSON string', () => {
    const wrapped = signed.toString('base64').replace(/(.{8})/g, '$1\r\n');
    const body = JSON.stringify({ ActionType: 'pushsigneddoc', Status: '1', ErrorCode: 0, extenddata: JSON.stringify({ SignId: 'S-1', orderNumber: 'sign-B-1001', Content: wrapped, Hash: data.hash.toUpperCase() }) });
    expect(readSignedDocPush(`\uFEFF${body}`, 'text/plain')).toMatchObject({ signId: 'S-1', orderNumber: 'sign-B-1001', hashOk: true });
  });

  test('a form-encoded push, extendData a JSON string', () => {
    const form = new URLSearchParams({ actiontype: 'PushSignedDoc', status: '1', errorcode: '0', extendData: JSON.stringify(data) }).toString();
    expect(readSignedDocPush(form, 'application/x-www-form-urlencoded')).toMatchObject({ signId: 'S-1', hashOk: true });
  });

  test('a failed signing: status 0, the &-joined codes, no content', () => {
    const p = readSignedDocPush(push({ signid: 'S-1', ordernumber: 'sign-B-1001' }, { status: 0, errorcode: '-61&-57' }));
    expect(p).toMatchObject({ status: 0, errorCodes: [-61, -57], hashOk: false });
    expect(p.content.length).toBe(0);
    expect(p.problems).toContain('no content');
  });

  test('status 1 with error codes is a problem', () => {
    expect(readSignedDocPush(push(data, { errorcode: '-69' })).problems).toEqual(['status 1 with error codes -69']);
  });

  test.each([
    ['not JSON', '{"status":', 'application/json', /body is not JSON/],
    ['empty', '', 'application/json', /body is empty/],
    ['an XML body', '<push/>', 'application/xml', /not a JSON object \(content type application\/xml\)/],
    ['no order to find', push({ content: data.content, hash: data.hash }), 'application/json', /names neither signid nor ordernumber/],
    ['another action', push(data, { actiontype: 'CreateSignOrder' }), 'application/json', /actiontype: must be PushSignedDoc/],
    ['a status out of range', push(data, { status: 3 }), 'application/json', /status/],
  ])('unreadable: %s', (_name, body, type, message) => {
    let error: unknown;
    try {
      readSignedDocPush(body, type);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WosignDocPushError);
    expect((error as Error).message).toMatch(message);
  });
});

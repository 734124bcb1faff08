/**
 * The WoSignDoc document's own examples (test/fixtures/wosigndoc/, README there): the document
 * is the truth, not our simulator. The request builds and validates, the answer and the push
 * read, quirks included.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { readSignedDocPush, WosignDocPushError } from '../../src/signing/wosigndoc/push';
import {
  buildCreateSignOrderBody,
  createSignOrderAnswerSchema,
  createSignOrderBodySchema,
  createSignOrderReadSchema,
  signOrderInputSchema,
  type SignOrderInput,
} from '../../src/signing/wosigndoc/schemas';

const dir = path.join(__dirname, '../fixtures/wosigndoc');
const fixture = (name: string): string => fs.readFileSync(path.join(dir, name), 'utf8');
const json = (name: string): Record<string, unknown> => JSON.parse(fixture(name)) as Record<string, unknown>;

/** Stand-ins for what the example leaves as placeholders: a document and two pictures. */
const DOCUMENT = Buffer.from('%PDF-1.7\n% a contract to sign\n');
const PICTURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
const b64 = (b: Buffer): string => b.toString('base64');

describe('the CreateSignOrder example', () => {
  const example = json('create-sign-order.request.json');

  test('as printed, it is refused where its placeholders break the rules: filebase not base64, pic and otherpic empty (-57)', () => {
    const read = createSignOrderReadSchema.safeParse(example);
    expect(read.success).toBe(false);
    const issues = read.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).sort();
    expect(issues).toEqual([
      'filebase: must be base64',
      'signerlist.0.otherpic: is required (材料为空)',
      'signerlist.0.pic: is required (材料为空)',
      'signerlist.1.otherpic: is required (材料为空)',
      'signerlist.1.pic: is required (材料为空)',
    ]);
  });

  const filled = {
    ...example,
    filebase: b64(DOCUMENT),
    signerlist: (example.signerlist as Record<string, unknown>[]).map((s) => ({ ...s, pic: b64(PICTURE), otherpic: b64(PICTURE) })),
  };

  test('with the placeholders filled in, it validates: signType as a string, the padded orgNo, positions in fractions with spaces', () => {
    const read = createSignOrderReadSchema.parse(filled);
    expect(read).toMatchObject({
      tokenid: '申请的 TokenID',
      actiontype: 'CreateSignOrder',
      tempid: '模板 id',
      subject: '签署合同标签',
      password: undefined,
      fileformat: '签署文档格式',
      orderNumber: '订单号',
    });
    expect(read.signerlist).toEqual([
      {
        signType: 1,
        orgName: '沃通电子认证服务有限公司',
        orgNo: '440301103308619',
        userName: undefined,
        userNo: undefined,
        country: undefined,
        stampbase: undefined,
        pic: b64(PICTURE),
        otherpic: b64(PICTURE),
        signlist: [{ pagenumber: 1, rect: { x1: 0.3, y1: 0.57, x2: 0.46, y2: 0.69 }, unit: 'fraction' }],
      },
      {
        signType: 2,
        orgName: undefined,
        orgNo: undefined,
        userName: '张三',
        userNo: '212125668686868888',
        country: undefined,
        stampbase: undefined,
        pic: b64(PICTURE),
        otherpic: b64(PICTURE),
        signlist: [
          { pagenumber: 1, rect: { x1: 0.65, y1: 0.47, x2: 0.82, y2: 0.59 }, unit: 'fraction' },
          { pagenumber: 2, rect: { x1: 0.27, y1: 0.39, x2: 0.44, y2: 0.5 }, unit: 'fraction' },
        ],
      },
    ]);
  });

  /** The example in certflow's words. */
  const input: SignOrderInput = {
    orderNumber: '订单号',
    subject: '签署合同标签',
    templateId: '模板 id',
    // The example's fileformat is the placeholder 签署文档格式 ("the document's format"): a real suffix here.
    document: { content: DOCUMENT, format: 'pdf' },
    signers: [
      { type: 'organization', name: '沃通电子认证服务有限公司', licenceNumber: ' 440301103308619', idPicture: PICTURE, otherPicture: b64(PICTURE), positions: [{ page: 1, position: '0.30,0.57,0.46,0.69' }] },
      {
        type: 'person',
        name: '张三',
        idNumber: '212125668686868888',
        idPicture: PICTURE,
        otherPicture: PICTURE,
        positions: [
          { page: 1, position: '0.65, 0.47, 0.82, 0.59' },
          { page: 2, position: [0.27, 0.39, 0.44, 0.5] },
        ],
      },
    ],
  };

  test('the builder writes it as the table says: field names as spelled, signType numbers, positions without spaces, empty fields left out', () => {
    const body = buildCreateSignOrderBody('申请的 TokenID', signOrderInputSchema.parse(input));
    expect(createSignOrderBodySchema.safeParse(body).success).toBe(true);
    expect(body).toEqual({
      tokenid: '申请的 TokenID',
      actiontype: 'CreateSignOrder',
      tempid: '模板 id',
      subject: '签署合同标签',
      filebase: b64(DOCUMENT),
      fileformat: 'pdf',
      orderNumber: '订单号',
      signerlist: [
        { signType: 1, orgName: '沃通电子认证服务有限公司', orgNo: '440301103308619', pic: b64(PICTURE), otherpic: b64(PICTURE), signlist: [{ pagenumber: 1, position: '0.3,0.57,0.46,0.69' }] },
        {
          signType: 2,
          userName: '张三',
          userNo: '212125668686868888',
          pic: b64(PICTURE),
          otherpic: b64(PICTURE),
          signlist: [
            { pagenumber: 1, position: '0.65,0.47,0.82,0.59' },
            { pagenumber: 2, position: '0.27,0.39,0.44,0.5' },
          ],
        },
      ],
    });
    // The key order of the table (JSON.stringify keeps insertion order).
    expect(Object.keys(body)).toEqual(['tokenid', 'actiontype', 'tempid', 'subject', 'filebase', 'fileformat', 'orderNumber', 'signerlist']);
  });

  test('what we write reads back as the filled example reads (the platform sees the same order)', () => {
    const body = buildCreateSignOrderBody('申请的 TokenID', signOrderInputSchema.parse(input));
    const ours = createSignOrderReadSchema.parse(body);
    const theirs = createSignOrderReadSchema.parse({ ...filled, fileformat: 'pdf' });
    expect(ours).toEqual(theirs);
  });
});

describe('the CreateSignOrder answer example', () => {
  test('reads: status 1, errorcode 0, the signid, and ordernumber in the example\'s spelling', () => {
    expect(createSignOrderAnswerSchema.parse(json('create-sign-order.response.json'))).toEqual({
      status: 'ok',
      signId: '837e0f97-f742-4162-97da-6cfdf4d23c82',
      orderNumber: '调用方平台订单号',
    });
  });
});

describe('the PushSignedDoc example', () => {
  const example = json('push-signed-doc.json');

  test('reads: errorcode "0" as no codes, ordernumber empty, found by signid; the placeholder content and the truncated hash do not check out', () => {
    const push = readSignedDocPush(fixture('push-signed-doc.json'), 'application/json');
    expect(push).toMatchObject({
      signId: 'a367cded-6712-4f54-8991-b6e58ef86d30',
      orderNumber: undefined,
      status: 1,
      errorCodes: [],
      hashHex: '239865',
      hashOk: false,
    });
    expect(push.problems).toEqual(['content is not well-formed base64', 'hash is 3 bytes, not a SHA-2 digest (SHA-256: 32)']);
  });

  test('the same push with a real document and its SHA-256 (hex in upper case) checks out', () => {
    const signed = Buffer.from('%PDF-1.7\n% the signed contract\n');
    const extendData = { ...(example.extendData as object), ordernumber: 'sign-B-1001', content: b64(signed), hash: createHash('sha256').update(signed).digest('hex').toUpperCase() };
    const push = readSignedDocPush(JSON.stringify({ ...example, extendData }), 'application/json; charset=utf-8');
    expect(push).toMatchObject({ signId: 'a367cded-6712-4f54-8991-b6e58ef86d30', orderNumber: 'sign-B-1001', status: 1, hashOk: true, hashOver: 'decoded', problems: [] });
    expect(push.content.equals(signed)).toBe(true);
    expect(push.hashHex).toBe(createHash('sha256').update(signed).digest('hex'));
  });

  test('an unreadable push is an error, not a result', () => {
    expect(() => readSignedDocPush('1', 'text/plain')).toThrow(WosignDocPushError);
  });
});

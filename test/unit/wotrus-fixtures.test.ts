import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type z } from 'zod';
import { readAnswer, type AnswerContext } from '../../src/ca/wotrus/answer';
import { CaBusinessError, CaProtocolError } from '../../src/ca/errors';
import {
  toCancelResult,
  toCreateOrderResult,
  toEmailResult,
  toOrderStatusResult,
  toReissueResult,
  toRetrievedCertificate,
  toRevokeResult,
} from '../../src/ca/wotrus/mapping';
import { parsePush } from '../../src/ca/wotrus/push';
import {
  buildCancelBody,
  buildCreateOrderBody,
  buildEmailBody,
  buildReissueBody,
  buildRevokeBody,
  cancelAnswerSchema,
  cancelBodyReadSchema,
  cancelBodySchema,
  createOrderAnswerSchema,
  createOrderBodyReadSchema,
  createOrderBodySchema,
  emailAnswerSchema,
  emailBodyReadSchema,
  emailBodySchema,
  queryOrderAnswerSchema,
  reissueAnswerSchema,
  reissueBodySchema,
  retrievePemAnswerSchema,
  revokeAnswerSchema,
  revokeBodyReadSchema,
  revokeBodySchema,
} from '../../src/ca/wotrus/schemas';

/**
 * The fixtures are the seed 001 examples typed in as JSON, quirks included. Two edits were
 * unavoidable to make them JSON at all: the CSR and the pendingLink URL, broken across lines
 * (and a page break) in the seed, carry their line breaks as "\n"; and the query example's
 * fields after `org`, which the seed prints after a stray `},`, are inside `data` again.
 */
const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(join(__dirname, '../fixtures/wotrus', `${name}.json`), 'utf8')) as unknown;

const ctx: AnswerContext = { operation: 'getStatus', requestId: 'test/fixtures/1' };
const read = <S extends z.ZodType>(body: unknown, schema: S): z.output<S> => readAnswer(body, schema, ctx);
const answer = (data: unknown, extra: Record<string, unknown> = {}) => ({
  isSuccess: true,
  errorMsg: null,
  successMsg: null,
  data,
  page: null,
  ...extra,
});

describe('seed 001 answers map to Issuer results', () => {
  test('create order', () => {
    const a = read(fixture('create-order.response'), createOrderAnswerSchema);
    expect(toCreateOrderResult(a)).toEqual({
      caOrderId: '644A3E60-F1AA-4E25-821A-ACFBC462BC37',
      caOrderIdRsa: '89CB4BF6-3E53-4B49-9AB9-92D578144260',
    });
  });

  test('query order', () => {
    const a = read(fixture('query-order.response'), queryOrderAnswerSchema);
    expect(toOrderStatusResult(a, 'ignored-when-the-answer-has-an-id')).toEqual({
      caOrderId: 'a4a78326-0546-4602-9586-8ee3c05e8068',
      phase: 'autoIssuance',
      status: 'pendingAutoIssue',
      payment: 'paid',
      productId: '30B3F256-9D2D-43C5-ABCB-017AA9D3CB6D',
      commonName: 'fyt.amazingboy.cn',
      // The example's isSNVerified: false — pendingAutoIssue still waits for the customer's DCV.
      customerTasks: ['validateDomain'],
      pendingLink:
        'https://buy.wosign.com/ProductV4/OrderSuccess/4798ED51DBOE5M79BBAC5F86A7A122B18B59D8ECDF6E8F063C9245F413611759B4BE76CCEAF11390A10A43F.html',
    });
    expect(a.org?.orgName).toBe('xxxx 有限公司');
    expect(a.org?.status).toBe('pending');
    expect(a.createTime).toBe('2020-03-31T14:27:42.286+08:00');
  });

  test('retrieve PEM: all three certificates kept — SM2 signing leaf, encryption and RSA beside it, chains root first', () => {
    const a = read(fixture('retrieve-pem.response'), retrievePemAnswerSchema);
    expect(toRetrievedCertificate(a)).toEqual({
      certificatePem: '---begin xxxxxx ---end---',
      chainPems: ['root 公钥', 'cross 公钥', '中级根公钥'],
      encryptionCertificatePem: '---begin xxxxxx ---end---',
      encryptionChainPems: ['root 公钥', 'cross 公钥', '中级根公钥'],
      rsaCertificatePem: '---begin xxxxxx ---end---',
      rsaChainPems: ['root 公钥', 'cross 公钥', '中级根公钥'],
    });
  });

  test('cancel (no page in the answer)', () => {
    const a = read(fixture('cancel.response'), cancelAnswerSchema);
    expect(toCancelResult(a)).toEqual({ cancelled: false, failedReason: '证书已签发' });
  });

  test('revoke', () => {
    expect(toRevokeResult(read(fixture('revoke.response'), revokeAnswerSchema))).toEqual({
      revokeStatus: 'pendingAudit',
      revoked: false,
    });
  });

  test('reissue', () => {
    expect(toReissueResult(read(fixture('reissue.response'), reissueAnswerSchema))).toEqual({
      newCaOrderId: '644A3E60-F1AA-4E25-821A-ACFBC462BC37',
    });
  });

  test('e-mail notification', () => {
    expect(toEmailResult(read(fixture('email.response'), emailAnswerSchema))).toEqual({ sent: false });
  });

  test('status push', () => {
    expect(parsePush(JSON.stringify(fixture('push.order-status')))).toEqual({
      kind: 'order',
      push: { dataAction: 'order', orderId: '30B3F256-9D2D-43C5-ABCB-017AA9D3CB6D', isIssued: true, isRevoked: false },
    });
  });
});

describe('seed 001 requests: the examples are valid wire bodies, and the builders write them', () => {
  test('create order: the example parses strictly and tolerantly', () => {
    const body = fixture('create-order.request');
    expect(createOrderBodySchema.safeParse(body).success).toBe(true);
    const read = createOrderBodyReadSchema.parse(body);
    expect(read.orderinfoPost.csR_RSA).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----\n/);
    expect(read.organizationPost?.OrgName).toBe('刘大强');
    expect(read.organizationPost?.OtherName).toBeNull();
  });

  test('create order: the builder uses the example spelling', () => {
    const example = createOrderBodySchema.parse(fixture('create-order.request'));
    const built = buildCreateOrderBody({
      productId: '76ECE651-B59E-48F2-A47B-135614AADAD9',
      commonName: '沃通电子认证服务有限公司',
      csr: example.orderinfoPost.csR_RSA ?? '',
      month: 12,
      idempotenceId: 'billing-42',
      hosts: ['a.example.com', ' b.example.com '],
      organization: {
        orgName: '刘大强',
        countryCode: 'CN',
        businessCategory: 'Private Organization',
        orgPhone: '18610077459',
        orgEmail: 'ldq@wotrus.com',
        userFirstName: '大强',
        userLastName: '刘',
        userEmail: 'ldq@wotrus.com',
        userMobile: '18610077459',
        idCardNo: '110101199001011234',
        state: 'Beijing',
        city: 'Beijing',
        street: 'x',
        zip: '100000',
        businessLicense: '91110000',
        otherName: 'WoTrus',
      },
      documents: [{ documentType: 2, fileType: '.pdf', fileContent: 'JVBERi0=' }],
    });
    expect(createOrderBodySchema.safeParse(built).success).toBe(true);
    // Every key the builder writes is spelled as in the example (Hosts: V1.02 revision note).
    expect(Object.keys(built.orderinfoPost).sort()).toEqual(
      [...Object.keys(example.orderinfoPost), 'Hosts'].sort(),
    );
    expect(Object.keys(built.organizationPost ?? {}).sort()).toEqual(
      Object.keys(example.organizationPost ?? {}).sort(),
    );
    expect(built.orderinfoPost.Hosts).toBe('a.example.com,b.example.com');
    expect(built.orderinfoPost.idempotenceID).toBe('billing-42');
    expect(built.documentsPost).toEqual([{ documentType: 2, fileType: '.pdf', fileContent: 'JVBERi0=' }]);
  });

  test('create order: a minimal DV order sends no organisation and an empty documentsPost', () => {
    const built = buildCreateOrderBody({ productId: 'P', commonName: 'a.example', csr: 'CSR', month: 24, idempotenceId: 'b1' });
    expect(built).toEqual({
      orderinfoPost: { productID: 'P', commonName: 'a.example', csR_RSA: 'CSR', month: 24, idempotenceID: 'b1' },
      documentsPost: [],
    });
    expect(JSON.stringify(built)).not.toContain('undefined');
  });

  // The document's create example shows neither the uKey fields nor the V1.02 SM2 fields:
  // these two bodies are the example with them added, spelled as the field table (uKey) and
  // the V1.02 revision note (Csr_Sign, BindRSAProductID) spell them; the encryption CSR as the
  // reissue example spells it (csR_Encrypt), the only spelling the document gives.
  test('create order: a document-signing order carries uKeyPassword and uKeyShipAddress as the table spells them', () => {
    const example = createOrderBodySchema.parse(fixture('create-order-ukey.request'));
    const built = buildCreateOrderBody({
      productId: '2C17C336-A772-42F8-B3DD-4F2591A5B116',
      commonName: '沃通电子认证服务有限公司',
      csr: example.orderinfoPost.csR_RSA ?? '',
      month: 12,
      idempotenceId: 'billing-77',
      organization: { orgName: '沃通电子认证服务有限公司', countryCode: 'CN' },
      uKeyPassword: 'Uk3y-Pa55w0rd',
      uKeyShipAddress: '北京市朝阳区建国路 88 号 刘大强 18610077459',
    });
    expect(built).toEqual(example);
    expect(createOrderBodyReadSchema.parse(fixture('create-order-ukey.request')).orderinfoPost).toMatchObject({ uKeyPassword: 'Uk3y-Pa55w0rd' });
  });

  test('create order: an SM2 order sends Csr_Sign, csR_Encrypt, BindRSAProductID and the bound product\'s csR_RSA', () => {
    const example = createOrderBodySchema.parse(fixture('create-order-sm2.request'));
    const info = example.orderinfoPost;
    const built = buildCreateOrderBody({
      productId: '13CBA8EE-2D09-4953-871B-C90531BB64A5',
      commonName: 'gm.example.com',
      csr: info.Csr_Sign!,
      csrEncrypt: info.csR_Encrypt,
      bindRsaProductId: 'F6E8DB8D-C5F7-4BE9-8750-B6537CCF1B96',
      csrRsa: info.csR_RSA,
      month: 12,
      idempotenceId: 'billing-88',
    });
    expect(built).toEqual(example);
    // Read tolerantly in any casing, as the CA's model binding does.
    const lower = JSON.parse(JSON.stringify(example).replace('"Csr_Sign"', '"csr_sign"').replace('"BindRSAProductID"', '"bindRsaProductId"')) as unknown;
    expect(createOrderBodyReadSchema.parse(lower).orderinfoPost).toMatchObject({ Csr_Sign: info.Csr_Sign, BindRSAProductID: info.BindRSAProductID });
  });

  test('create order: "the parameter follows the CSR\'s type": an SM2 product with an RSA/ECC CSR sends it as csR_RSA', () => {
    const info = createOrderBodySchema.parse(fixture('create-order-sm2.request')).orderinfoPost;
    const built = buildCreateOrderBody({ productId: 'P', commonName: 'gm.example.com', csr: info.csR_RSA!, csrEncrypt: info.csR_Encrypt, month: 12, idempotenceId: 'b' });
    expect(built.orderinfoPost).toEqual({ productID: 'P', commonName: 'gm.example.com', csR_RSA: info.csR_RSA, csR_Encrypt: info.csR_Encrypt, month: 12, idempotenceID: 'b' });
    // Two RSA CSRs would have nowhere to go: the order service refuses that order, the builder too.
    expect(() => buildCreateOrderBody({ productId: 'P', commonName: 'c', csr: info.csR_RSA!, csrRsa: info.csR_RSA, month: 12, idempotenceId: 'b' })).toThrow(/csrRsa/);
  });

  test('cancel: the stray space is trimmed, the stray letter is kept', () => {
    const body = fixture('cancel.request');
    expect(cancelBodySchema.safeParse(body).success).toBe(true);
    expect(cancelBodyReadSchema.parse(body).orderID).toBe('A30B3F256-9D2D-43C5-ABCB-017AA9D3CB6D');
    expect(buildCancelBody(' X1 ', '域名填写错误')).toEqual({ orderID: 'X1', reason: '域名填写错误' });
  });

  test('revoke: example and builder agree (orderId, camelCase)', () => {
    const body = fixture('revoke.request');
    expect(revokeBodySchema.parse(body)).toEqual(body);
    expect(
      buildRevokeBody({
        caOrderId: '644A3E60-F1AA-4E25-821A-ACFBC462BC37',
        reason: '私钥泄露',
        proof: { fileType: '.jpg', fileContent: 'AZIDFSLDFDDFKKDF' },
      }),
    ).toEqual(body);
  });

  test('reissue: example and builder agree (orderID, csR_Encrypt)', () => {
    const body = fixture('reissue.request');
    expect(reissueBodySchema.parse(body)).toEqual(body);
    expect(
      buildReissueBody({
        caOrderId: '644A3E60-F1AA-4E25-821A-ACFBC462BC37',
        csr: '--- begin ---xxx xxx ---end---',
        csrEncrypt: '--- begin ---xxx xxx ---end---',
        reason: '私钥泄露',
        idempotenceId: 'billing-42',
        proof: { fileType: '.jpg', fileContent: 'AZIDFSLDFDDFKKDF' },
      }),
    ).toEqual({ ...(body as object), idempotenceID: 'billing-42' });
  });

  test('e-mail: the example parses; the builder trims', () => {
    const body = fixture('email.request');
    expect(emailBodySchema.safeParse(body).success).toBe(true);
    expect(emailBodyReadSchema.parse(body).orderID).toBe('A30B3F256-9D2D-43C5-ABCB-017AA9D3CB6D');
    expect(buildEmailBody(' X1 ', 'https://c/1')).toEqual({ orderID: 'X1', collectUrl: 'https://c/1' });
  });
});

describe('tolerant reading', () => {
  test('orderID / orderID_RSA (the OCR spelling) and stray whitespace', () => {
    const a = read(answer({ orderID: ' 644A3E60 ', orderID_RSA: '\t89CB4BF6\n' }), createOrderAnswerSchema);
    expect(toCreateOrderResult(a)).toEqual({ caOrderId: '644A3E60', caOrderIdRsa: '89CB4BF6' });
  });

  test('an RSA-only order: orderId_RSA null or empty', () => {
    expect(toCreateOrderResult(read(answer({ orderId: 'R1', orderId_RSA: null }), createOrderAnswerSchema))).toEqual({ caOrderId: 'R1' });
    expect(toCreateOrderResult(read(answer({ orderId: 'R1', orderId_RSA: '' }), createOrderAnswerSchema))).toEqual({ caOrderId: 'R1' });
    expect(toCreateOrderResult(read(answer({ orderId_RSA: 'R2' }), createOrderAnswerSchema))).toEqual({ caOrderId: 'R2' });
  });

  test('a create answer with no id at all fails at data.orderId', () => {
    expect(() => read(answer({ orderId: '  ' }), createOrderAnswerSchema)).toThrow(/data\.orderId/);
  });

  test('Status (the field table) and status (the example)', () => {
    expect(read(answer({ id: 'o', Status: 'issued' }), queryOrderAnswerSchema).status).toBe('issued');
    expect(read(answer({ id: 'o', status: 'pendingDCV' }), queryOrderAnswerSchema).status).toBe('pendingDCV');
    expect(read(answer({ id: 'o', STATUS: 'PendingCAIssued' }), queryOrderAnswerSchema).status).toBe('pendingCAIssued');
  });

  test('a status outside the list is unknown, not a failure', () => {
    expect(read(answer({ id: 'o', status: 'pendingSomethingNew' }), queryOrderAnswerSchema).status).toBe('unknown');
  });

  test('a query answer without status fails at data.status', () => {
    expect(() => read(answer({ id: 'o' }), queryOrderAnswerSchema)).toThrow(/data\.status/);
  });

  test('the query falls back to the requested id, trimmed', () => {
    const a = read(answer({ status: 'issued', isPay: '2', pendingLink: '' }), queryOrderAnswerSchema);
    expect(toOrderStatusResult(a, ' ORD-1 ')).toEqual({ caOrderId: 'ORD-1', phase: 'issued', status: 'issued', payment: 'payLater' });
  });

  test('null messages, null page, missing page', () => {
    expect(read({ isSuccess: true, errorMsg: null, successMsg: null, data: { sentResult: true }, page: null }, emailAnswerSchema)).toEqual({ sentResult: true });
    expect(read({ isSuccess: true, data: { sentResult: 'true' } }, emailAnswerSchema)).toEqual({ sentResult: true });
  });

  test('isSuccess:false is a business error carrying errorMsg, whatever data holds', () => {
    const fail = { isSuccess: false, errorMsg: '订单不存在', successMsg: null, data: null, page: null };
    expect(() => read(fail, queryOrderAnswerSchema)).toThrow(CaBusinessError);
    expect(() => read(fail, queryOrderAnswerSchema)).toThrow(/订单不存在/);
  });

  test('isSuccess:true with data:null is a protocol error at data', () => {
    let caught: unknown;
    try {
      read(answer(null), cancelAnswerSchema);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(CaProtocolError);
    expect((caught as CaProtocolError).issues[0]?.path).toBe('data');
  });

  test('an envelope without isSuccess is a protocol error naming isSuccess', () => {
    expect(() => read({ data: {} }, emailAnswerSchema)).toThrow(/isSuccess/);
  });

  test('organisation keys in camelCase (the table) read as the example PascalCase', () => {
    const read = createOrderBodyReadSchema.parse({
      orderinfoPost: { productID: 'P', commonName: 'CN', csr_RSA: 'CSR', month: 13, IdempotenceId: 'b' },
      organizationPost: {
        orgName: 'ACME',
        businessCategory: 'Government Entity',
        idCardNO: '1',
        countryCode: 'US',
        otherName: null,
        userEmail: 'x@y',
      },
      documentsPost: null,
    });
    expect(read.orderinfoPost).toEqual({ productID: 'P', commonName: 'CN', csR_RSA: 'CSR', month: 13, idempotenceID: 'b' });
    expect(read.organizationPost).toEqual({
      OrgName: 'ACME',
      BusinessCategory: 'Government Entity',
      IDCardNO: '1',
      countryCode: 'US',
      OtherName: null,
      UserEmail: 'x@y',
    });
  });

  test('the exact spelling wins when both spellings are present', () => {
    expect(read(answer({ orderId: 'exact', orderID: 'variant' }), createOrderAnswerSchema).orderId).toBe('exact');
  });

  test('revoke body with the OCR spelling orderID', () => {
    expect(revokeBodyReadSchema.parse({ orderID: ' R ', reason: 'r', fileType: '.pdf', fileContent: 'x' }).orderId).toBe('R');
  });

  test('reissue answer: newOrderId spelling and whitespace', () => {
    expect(toReissueResult(read(answer({ newOrderId: ' N1 ' }), reissueAnswerSchema))).toEqual({ newCaOrderId: 'N1' });
  });

  test('SM2 order: pem_RSA empty, the signing certificate is the leaf', () => {
    const a = read(
      answer({ pem_RSA: '', chains_RSA: null, pem_Sign: 'SIGN', chains_Sign: ['root', 'mid'], pem_Encrypt: 'ENC', chains_Encrypt: ['root', 'mid'], result: true }),
      retrievePemAnswerSchema,
    );
    expect(toRetrievedCertificate(a)).toEqual({
      certificatePem: 'SIGN',
      chainPems: ['root', 'mid'],
      encryptionCertificatePem: 'ENC',
      encryptionChainPems: ['root', 'mid'],
    });
  });

  test('all three present (the example, with telling values): each certificate keeps its own chain, none dropped', () => {
    const a = read(
      answer({ pem_RSA: 'RSA', chains_RSA: ['rsa-root', 'rsa-mid'], pem_Sign: 'SIGN', chains_Sign: ['sm2-root', 'sm2-mid'], pem_Encrypt: 'ENC', chains_Encrypt: ['enc-root', 'enc-mid'], result: true }),
      retrievePemAnswerSchema,
    );
    expect(toRetrievedCertificate(a)).toEqual({
      certificatePem: 'SIGN',
      chainPems: ['sm2-root', 'sm2-mid'],
      encryptionCertificatePem: 'ENC',
      encryptionChainPems: ['enc-root', 'enc-mid'],
      rsaCertificatePem: 'RSA',
      rsaChainPems: ['rsa-root', 'rsa-mid'],
    });
  });

  test('an encryption certificate without a signing (or RSA) one is no certificate yet', () => {
    expect(toRetrievedCertificate(read(answer({ pem_Encrypt: 'ENC', chains_Encrypt: ['r'], result: true }), retrievePemAnswerSchema))).toBeUndefined();
  });

  test('RSA order: no SM2 fields, chain null reads as []', () => {
    const a = read(answer({ pem_RSA: 'LEAF', chains_RSA: null, pem_Sign: null, pem_Encrypt: null }), retrievePemAnswerSchema);
    expect(toRetrievedCertificate(a)).toEqual({ certificatePem: 'LEAF', chainPems: [] });
  });

  test('not issued yet: result false, or no PEM at all', () => {
    expect(toRetrievedCertificate(read(answer({ pem_RSA: 'LEAF', result: false }), retrievePemAnswerSchema))).toBeUndefined();
    expect(toRetrievedCertificate(read(answer({ pem_RSA: '', pem_Sign: null, result: true }), retrievePemAnswerSchema))).toBeUndefined();
    expect(toRetrievedCertificate(read(answer({}), retrievePemAnswerSchema))).toBeUndefined();
  });

  test('cancel succeeded', () => {
    expect(toCancelResult(read(answer({ cancelResult: true, cancelFailedReason: null }), cancelAnswerSchema))).toEqual({ cancelled: true });
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readAnswer } from '../../src/ca/acmapi/answer';
import { toCreateOrderResult, toOrderStatusResult } from '../../src/ca/acmapi/mapping';
import {
  applyBodySchema,
  askBodySchema,
  buildApplyBody,
  buildAskBody,
  requestBodySchema,
  requestReadSchema,
} from '../../src/ca/acmapi/schemas';
import { CaErrorType, CaValidationError } from '../../src/ca/errors';
import { type AnswerContext } from '../../src/ca/http-answer';

/**
 * The seed 002 examples (test/fixtures/acmapi/README.md): verbatim, they are not JSON; the
 * minimally repaired copies keep every quirk but the syntax (padded keys and values, string
 * status), and the client reads them as what they mean.
 */
const dir = join(__dirname, '../fixtures/acmapi');
const verbatim = (name: string): string => readFileSync(join(dir, `${name}.example.txt`), 'utf8');
const repaired = (name: string): unknown => JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as unknown;

const ctx = (operation: AnswerContext['operation']): AnswerContext => ({ issuer: 'WoSign ACMAPI', operation, requestId: 'test/fixtures/1' });
const CHAIN = ['-----BEGIN CERTIFICATE-----\nCHAIN\n-----END CERTIFICATE-----'];
const EXAMPLES = ['apply.request', 'ask.request', 'success.response', 'pending.response', 'error.response'];

/** The field table of §3.2.1, in its order. */
const TABLE_FIELDS = ['customer_id', 'auth_token', 'req_type', 'handle_id', 'domain_name', 'csr'];
const trimmedKeys = (o: unknown): string[] => Object.keys(o as Record<string, unknown>).map((k) => k.trim());

describe('the examples as printed', () => {
  test.each(EXAMPLES.filter((n) => n !== 'ask.request'))('%s is not JSON as the document prints it', (name) => {
    expect(() => JSON.parse(verbatim(name)) as unknown).toThrow(SyntaxError);
  });

  test('the ask example is the one that is valid JSON', () => {
    expect(JSON.parse(verbatim('ask.request'))).toEqual(repaired('ask.request'));
  });

  test('the error example prints other_msg outside the object, in typographic quotes', () => {
    expect(verbatim('error.response')).toContain('“other_msg”: “test.ims.cn”');
  });
});

describe('seed 002 answers map to Issuer results', () => {
  test('Success Return: issued at once, padded handle_id, string status, PEM certificate', () => {
    const a = readAnswer(repaired('success.response'), ctx('createOrder'));
    expect(toCreateOrderResult(a, CHAIN)).toEqual({
      caOrderId: 'handle_XXXXXX01',
      certificate: {
        certificatePem: '-----BEGIN CERTIFICATE-----.....-----END CERTIFICATE-----',
        chainPems: CHAIN,
      },
    });
    expect(toOrderStatusResult(a, ' handle_XXXXXX01 ', CHAIN)).toEqual({
      caOrderId: 'handle_XXXXXX01',
      phase: 'issued',
      status: 'success',
      certificate: { certificatePem: '-----BEGIN CERTIFICATE-----.....-----END CERTIFICATE-----', chainPems: CHAIN },
    });
  });

  test('Pending Return: result " pending", status "1": waits for a person at WoSign', () => {
    const a = readAnswer(repaired('pending.response'), ctx('createOrder'));
    expect(toCreateOrderResult(a, CHAIN)).toEqual({ caOrderId: 'handle_XXXXXX01' });
    expect(toOrderStatusResult(a, 'handle_XXXXXX01', CHAIN)).toEqual({ caOrderId: 'handle_XXXXXX01', phase: 'manualReview', status: 'pending' });
  });

  test('Error Return: 107 with other_msg "test.ims.cn" is a CaValidationError naming the domain', () => {
    let thrown: unknown;
    try {
      readAnswer(repaired('error.response'), ctx('createOrder'));
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(CaValidationError);
    const e = thrown as CaValidationError;
    expect(e.name).toBe(CaErrorType.Validation);
    expect(e.domain).toBe('test.ims.cn');
    expect(e.retryable).toBe(false);
    expect(e.caMessage).toContain('107');
    expect(e.message).toContain('test.ims.cn');
    expect(e.toJSON()).toMatchObject({ name: 'CaValidationError', domain: 'test.ims.cn', operation: 'createOrder' });
  });
});

describe('seed 002 requests: what the CA may receive, and what we send', () => {
  test('the apply example (padded keys and values) reads as the request it means', () => {
    expect(requestReadSchema.parse(repaired('apply.request'))).toEqual({
      customer_id: 'customer_XXXXX01',
      auth_token: 'authority_XXXXXX01',
      req_type: 'cert_apply',
      handle_id: undefined,
      // The example's own "www. example.com" keeps its inner space: the CA would answer 105.
      domain_name: ['www.test.ims.com', 'test.ims.com', 'www. example.com', 'example.com'],
      csr: '-----BEGIN CERTIFICATE REQUEST-----.....-----END CERTIFICATE REQUEST-----',
    });
    // As printed, the keys are not the field names: they carry a trailing space.
    expect(Object.keys(repaired('apply.request') as object)).toContain('customer_id ');
    expect(applyBodySchema.safeParse(repaired('apply.request')).success).toBe(false);
  });

  test('the ask example reads without req_type, domain_name and csr', () => {
    expect(requestReadSchema.parse(repaired('ask.request'))).toEqual({
      customer_id: 'customer_XXXXX01',
      auth_token: 'authority_XXXXXX01',
      req_type: undefined,
      handle_id: 'handle_XXXXXX01',
      domain_name: [],
      csr: undefined,
    });
  });

  test('the apply builder writes exactly the table\'s field names, unpadded: the example\'s plus the empty handle_id', () => {
    const example = requestReadSchema.parse(repaired('apply.request'));
    const built = buildApplyBody(
      { customerId: example.customer_id, authToken: example.auth_token },
      { commonName: 'www.test.ims.com', hosts: ['test.ims.com', 'www.example.com', 'example.com', 'TEST.ims.com'], csr: example.csr ?? '' },
    );
    expect(Object.keys(built)).toEqual(TABLE_FIELDS);
    expect(Object.keys(built).sort()).toEqual([...trimmedKeys(repaired('apply.request')), 'handle_id'].sort());
    expect(built).toEqual({
      customer_id: 'customer_XXXXX01',
      auth_token: 'authority_XXXXXX01',
      req_type: 'cert_apply',
      handle_id: '',
      domain_name: ['www.test.ims.com', 'test.ims.com', 'www.example.com', 'example.com'],
      csr: '-----BEGIN CERTIFICATE REQUEST-----.....-----END CERTIFICATE REQUEST-----',
    });
    expect(applyBodySchema.safeParse(built).success).toBe(true);
    expect(requestBodySchema.safeParse(built).success).toBe(true);
  });

  test('the ask builder adds what the table requires to the example: req_type, empty domain_name and csr', () => {
    const built = buildAskBody({ customerId: 'customer_XXXXX01', authToken: 'authority_XXXXXX01' }, ' handle_XXXXXX01 ');
    expect(Object.keys(built)).toEqual(TABLE_FIELDS);
    expect(Object.keys(built).sort()).toEqual([...trimmedKeys(repaired('ask.request')), 'req_type', 'domain_name', 'csr'].sort());
    expect(built).toEqual({
      customer_id: 'customer_XXXXX01',
      auth_token: 'authority_XXXXXX01',
      req_type: 'cert_apply',
      handle_id: 'handle_XXXXXX01',
      domain_name: [],
      csr: '',
    });
    expect(askBodySchema.safeParse(built).success).toBe(true);
    expect(applyBodySchema.safeParse(built).success).toBe(false);
  });
});

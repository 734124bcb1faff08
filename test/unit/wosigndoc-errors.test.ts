/**
 * Every error code of the WoSignDoc document in certflow's taxonomy (issue 19): caller
 * mistakes fail naming the field, credentials and the client certificate need attention, a
 * low balance has its own resumable type, -69 is retried, and -46/-47 are no failure at all.
 */
import {
  CaAuthError,
  CaBusinessError,
  CaErrorType,
  CaInsufficientBalanceError,
  CaUnavailableError,
  NON_RETRYABLE_CA_ERRORS,
  caMayHaveActed,
  isCaError,
  type CaError,
} from '../../src/ca/errors';
import type { AnswerContext } from '../../src/ca/http-answer';
import { describeErrorCode, outcomeOfErrorCodes, WOSIGNDOC_ERROR_CODES, type AlreadyAccepted } from '../../src/signing/wosigndoc/mapping';

const ctx: AnswerContext = { issuer: 'WoSignDoc', operation: 'createSignOrder', requestId: 'sign-B-1/createSignOrder/1', httpStatus: 200 };

/** The document's two tables, code by code: what certflow makes of each, and what the message must name. */
const EXPECTED: [code: number, outcome: string, names: string[]][] = [
  [-43, CaErrorType.Business, ['tempid', 'templateId']],
  [-46, 'alreadyAccepted', []],
  [-47, 'alreadyAccepted', []],
  [-48, CaErrorType.Business, ['signerlist', 'signers']],
  [-49, CaErrorType.Business, ['signerlist[].signType', 'signers[].type']],
  [-50, CaErrorType.Business, ['signerlist[].orgName', 'signerlist[].orgNo', 'signers[].licenceNumber']],
  [-51, CaErrorType.Business, ['signerlist[].orgName', 'signers[].name']],
  [-52, CaErrorType.Business, ['signerlist[].orgNo', 'signers[].licenceNumber']],
  [-53, CaErrorType.Business, ['signerlist[].userName', 'signers[].name']],
  [-54, CaErrorType.Business, ['signerlist[].userNo', 'signers[].idNumber']],
  [-55, CaErrorType.Business, ['orderNumber']],
  [-56, CaErrorType.Business, ['fileformat', 'document.format']],
  [-57, CaErrorType.Business, ['signerlist[].pic', 'signerlist[].otherpic', 'signers[].idPicture']],
  [-61, CaErrorType.Business, ['dangerous', 'filebase', 'signerlist[].stampbase']],
  [-63, CaErrorType.Business, ['JSON']],
  [-64, CaErrorType.Business, ['actiontype']],
  [-65, CaErrorType.Auth, ['WOSIGNDOC_TOKENID']],
  [-67, CaErrorType.Auth, ['WOSIGNDOC_TOKENID']],
  [-68, CaErrorType.InsufficientBalance, ['balance', 'top it up']],
  [-69, CaErrorType.Unavailable, ['internal server error']],
  [-79, CaErrorType.Business, ['parameter']],
  [-80, CaErrorType.Auth, ['client certificate', 'WOSIGNDOC_CLIENT_CERT_FILE']],
  [-100, CaErrorType.Business, ['required parameter']],
];

test('the table holds every documented code and no other', () => {
  expect(Object.keys(WOSIGNDOC_ERROR_CODES).map(Number).sort((a, b) => b - a)).toEqual(EXPECTED.map(([c]) => c));
});

describe.each(EXPECTED)('%i', (code, outcome, names) => {
  const result = outcomeOfErrorCodes([code], ctx);

  test(`→ ${outcome}`, () => {
    if (outcome === 'alreadyAccepted') {
      expect(isCaError(result)).toBe(false);
      expect(result).toMatchObject({ kind: 'alreadyAccepted', code, state: code === -46 ? 'signed' : 'signing' });
      return;
    }
    expect(isCaError(result)).toBe(true);
    expect((result as CaError).name).toBe(outcome);
  });

  test('the message carries the code, the document\'s words and the field or setting', () => {
    const message = isCaError(result) ? result.message : (result as AlreadyAccepted).message;
    expect(message).toContain(String(code));
    expect(message).toContain(WOSIGNDOC_ERROR_CODES[code]!.original);
    for (const name of names) expect(message).toContain(name);
  });
});

test('caller mistakes and dangerous content are final: not retried, the platform did nothing', () => {
  for (const code of [-43, -48, -49, -50, -51, -52, -53, -54, -55, -56, -57, -61, -63, -64, -79, -100]) {
    const e = outcomeOfErrorCodes([code], ctx) as CaError;
    expect(e).toBeInstanceOf(CaBusinessError);
    expect(e.retryable).toBe(false);
    expect(NON_RETRYABLE_CA_ERRORS).toContain(e.name);
    expect(caMayHaveActed(e)).toBe(false);
  }
});

test('credentials and the client certificate: CaAuthError with a summary saying which', () => {
  expect((outcomeOfErrorCodes([-65], ctx) as CaError).message).toMatch(/^WoSignDoc createSignOrder refused the TokenID \(HTTP 200\): -65 系统不存在此 TokenID/);
  expect((outcomeOfErrorCodes([-67], ctx) as CaError).message).toMatch(/refused the TokenID/);
  const cert = outcomeOfErrorCodes([-80], ctx) as CaError;
  expect(cert).toBeInstanceOf(CaAuthError);
  expect(cert.message).toMatch(/^WoSignDoc createSignOrder refused our client certificate \(HTTP 200\): -80 请求证书不正确/);
  expect(cert.message).toContain('[requestId sign-B-1/createSignOrder/1]');
});

test('-68: its own type, not retried by the activity, recognisable by the workflow, the platform did nothing', () => {
  const e = outcomeOfErrorCodes([-68], ctx) as CaError;
  expect(e).toBeInstanceOf(CaInsufficientBalanceError);
  expect(e.name).toBe('CaInsufficientBalanceError');
  expect(e.retryable).toBe(false);
  expect(NON_RETRYABLE_CA_ERRORS).toContain(CaErrorType.InsufficientBalance);
  expect(caMayHaveActed(e)).toBe(false);
  expect(e.message).toMatch(/was refused: the account balance is too low \(top it up, then retry\).*-68 当前请求的 TokenID 所属账号余额不足,请充值/);
});

test('-69: retried', () => {
  const e = outcomeOfErrorCodes([-69], ctx) as CaError;
  expect(e).toBeInstanceOf(CaUnavailableError);
  expect(e.retryable).toBe(true);
});

test('a code the document does not list is a business refusal that says so', () => {
  const e = outcomeOfErrorCodes([-66], ctx) as CaError;
  expect(e).toBeInstanceOf(CaBusinessError);
  expect(e.message).toContain('-66: an error code the document does not list');
  expect(describeErrorCode(-1)).toBe('-1: an error code the document does not list');
});

test('several codes: the most blocking decides, every code is in the message; -46 with -47 is still accepted', () => {
  const e = outcomeOfErrorCodes([-57, -65, -69], ctx) as CaError;
  expect(e).toBeInstanceOf(CaAuthError);
  expect(e.message).toContain('-57 材料为空');
  expect(e.message).toContain('-69 内部服务器错误');
  expect(outcomeOfErrorCodes([-69, -68], ctx)).toBeInstanceOf(CaInsufficientBalanceError);
  expect(outcomeOfErrorCodes([-69, -51], ctx)).toBeInstanceOf(CaBusinessError);
  expect(outcomeOfErrorCodes([-47, -46], ctx)).toMatchObject({ kind: 'alreadyAccepted', code: -46, state: 'signed' });
  // Accepted and refused at once is contradictory: the refusal wins (nothing is assumed signed).
  expect(outcomeOfErrorCodes([-46, -57], ctx)).toBeInstanceOf(CaBusinessError);
});

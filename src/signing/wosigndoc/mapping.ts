import {
  CaAuthError,
  CaBusinessError,
  CaInsufficientBalanceError,
  CaUnavailableError,
  type CaError,
  type CaErrorDetails,
} from '../../ca/errors';
import type { AnswerContext } from '../../ca/http-answer';
import type { FieldIssue } from '../../lib/field-issue';

/**
 * WoSignDoc's numeric error codes (seed 003: the create's 错误列表, §4 公共错误码) in certflow's
 * taxonomy (src/ca/errors.ts), with what an operator or a caller needs: the field at fault in
 * the wire's words and in certflow's (`signOrderInputSchema`), or the configuration variable.
 *
 * - `caller`: the request is wrong; sending it again cannot help: CaBusinessError naming the field.
 * - `alreadyAccepted` (-46 合同已签署, -47 合同正在签署): not a failure. The orderNumber is known
 *   to the platform: a previous attempt got through (its answer was lost), and the document
 *   is signed or being signed. The create returns `{ kind: 'alreadyAccepted', code }`.
 * - `auth` (-65, -67 the TokenID; -80 the client certificate): CaAuthError, needsAttention.
 * - `insufficientBalance` (-68): CaInsufficientBalanceError, needsAttention until topped up.
 * - `dangerousContent` (-61 "例如:图片含有木马"): the platform refuses what we sent as dangerous:
 *   a business failure (CaBusinessError) naming the uploads.
 * - `unavailable` (-69 内部服务器错误): CaUnavailableError, retried.
 */
export type WosignDocErrorKind = 'caller' | 'alreadyAccepted' | 'auth' | 'insufficientBalance' | 'dangerousContent' | 'unavailable';

export interface WosignDocErrorCode {
  kind: WosignDocErrorKind;
  /** The document's text, verbatim. */
  original: string;
  /** What it means, in English, for messages. */
  meaning: string;
  /** The wire fields at fault (`signerlist[].orgName`), when the code names them. */
  wireFields?: readonly string[];
  /** The same in certflow's words (`signers[].name`), for a refusal a caller can act on. */
  inputFields?: readonly string[];
  /** The configuration variable an operator must look at. */
  configKey?: string;
}

const code = (kind: WosignDocErrorKind, original: string, meaning: string, more: Partial<WosignDocErrorCode> = {}): WosignDocErrorCode =>
  Object.freeze({ kind, original, meaning, ...more });

/** Every code the document lists, and nothing else (-58…-60, -62, -66, -70…-78 are not in it). */
export const WOSIGNDOC_ERROR_CODES: Readonly<Record<number, WosignDocErrorCode>> = Object.freeze({
  [-43]: code('caller', 'tempid 不存在,请登录签名平台设置模板', 'the template does not exist: set it up on the signing platform', { wireFields: ['tempid'], inputFields: ['templateId'] }),
  [-46]: code('alreadyAccepted', '合同已签署', 'the document is already signed'),
  [-47]: code('alreadyAccepted', '合同正在签署', 'the document is being signed'),
  [-48]: code('caller', '签署人数量错误', 'wrong number of signers', { wireFields: ['signerlist'], inputFields: ['signers'] }),
  [-49]: code('caller', '签署人类型错误', 'wrong signer type', { wireFields: ['signerlist[].signType'], inputFields: ['signers[].type'] }),
  [-50]: code('caller', '公司名称和营业执照号匹配失败', 'the organisation name does not match the business licence number', {
    wireFields: ['signerlist[].orgName', 'signerlist[].orgNo'],
    inputFields: ['signers[].name', 'signers[].licenceNumber'],
  }),
  [-51]: code('caller', '公司名称为空', 'the organisation name is empty', { wireFields: ['signerlist[].orgName'], inputFields: ['signers[].name'] }),
  [-52]: code('caller', '营业执照号为空', 'the business licence number is empty', { wireFields: ['signerlist[].orgNo'], inputFields: ['signers[].licenceNumber'] }),
  [-53]: code('caller', '用户姓名为空', 'the person\'s name is empty', { wireFields: ['signerlist[].userName'], inputFields: ['signers[].name'] }),
  [-54]: code('caller', '身份证号码为空', 'the ID card number is empty', { wireFields: ['signerlist[].userNo'], inputFields: ['signers[].idNumber'] }),
  [-55]: code('caller', 'orderNumber 为空', 'orderNumber is empty', { wireFields: ['orderNumber'], inputFields: ['orderNumber'] }),
  [-56]: code('caller', '文档后缀为空', 'the document suffix (format) is empty', { wireFields: ['fileformat'], inputFields: ['document.format'] }),
  [-57]: code('caller', '材料为空', 'the material (ID picture or other material) is empty', {
    wireFields: ['signerlist[].pic', 'signerlist[].otherpic'],
    inputFields: ['signers[].idPicture', 'signers[].otherPicture'],
  }),
  [-61]: code('dangerousContent', '传入的信息存在危险性,例如:图片含有木马', 'the platform found the uploaded content dangerous (e.g. a picture carrying a trojan)', {
    wireFields: ['filebase', 'signerlist[].pic', 'signerlist[].otherpic', 'signerlist[].stampbase'],
    inputFields: ['document.content', 'signers[].idPicture', 'signers[].otherPicture', 'signers[].stamp'],
  }),
  [-63]: code('caller', 'json 格式错误', 'the request is not well-formed JSON (certflow\'s fault: report it)'),
  [-64]: code('caller', '不支持该 actionType', 'the actiontype is not supported', { wireFields: ['actiontype'] }),
  [-65]: code('auth', '系统不存在此 TokenID', 'the platform does not know the TokenID', { configKey: 'WOSIGNDOC_TOKENID' }),
  [-67]: code('auth', '系统已禁止此 TokenID 使用 API 或请求的 TokenID 不存在', 'the TokenID is barred from the API, or does not exist', { configKey: 'WOSIGNDOC_TOKENID' }),
  [-68]: code('insufficientBalance', '当前请求的 TokenID 所属账号余额不足,请充值', 'the balance of the account the TokenID belongs to is too low: top it up'),
  [-69]: code('unavailable', '内部服务器错误', 'internal server error at the platform'),
  [-79]: code('caller', '参数错误', 'a parameter is wrong (the platform does not say which)'),
  [-80]: code('auth', '请求证书不正确', 'the client certificate of the request is not accepted', { configKey: 'WOSIGNDOC_CLIENT_CERT_FILE' }),
  [-100]: code('caller', '请求信息不完整,缺少必传参数值', 'the request is incomplete: a required parameter is missing'),
});

/** The codes that mean "a previous attempt got through". */
export const ALREADY_ACCEPTED_CODES = Object.freeze([-46, -47] as const);
export type AlreadyAcceptedCode = (typeof ALREADY_ACCEPTED_CODES)[number];

/** A create the platform already knows by its orderNumber: signed (-46) or being signed (-47). Not a failure. */
export interface AlreadyAccepted {
  kind: 'alreadyAccepted';
  code: AlreadyAcceptedCode;
  /** -46: `signed`; -47: `signing`. */
  state: 'signed' | 'signing';
  message: string;
}

const isAlreadyAccepted = (c: number): c is AlreadyAcceptedCode => (ALREADY_ACCEPTED_CODES as readonly number[]).includes(c);

/** One code for a message: `-51 公司名称为空: the organisation name is empty (signerlist[].orgName; certflow: signers[].name)`. */
export function describeErrorCode(errorCode: number): string {
  const c = WOSIGNDOC_ERROR_CODES[errorCode];
  if (!c) return `${errorCode}: an error code the document does not list`;
  const fields = c.wireFields ? ` (${c.wireFields.join(', ')}${c.inputFields ? `; certflow: ${c.inputFields.join(', ')}` : ''})` : '';
  const config = c.configKey ? ` (${c.configKey})` : '';
  return `${errorCode} ${c.original}: ${c.meaning}${fields}${config}`;
}

/** The order in which one of several codes decides the error: what blocks every order first. */
const PRECEDENCE: readonly WosignDocErrorKind[] = ['auth', 'insufficientBalance', 'dangerousContent', 'caller', 'unavailable'];

/**
 * What a failed answer (`status: 0`) stands for. Every code -46/-47: the previous attempt
 * got through (`AlreadyAccepted`). Otherwise the error of the most blocking code (credentials
 * over balance over the request over the platform's own trouble), with every code in the
 * message; codes the document does not list are business refusals, as for ACMAPI.
 */
export function outcomeOfErrorCodes(codes: readonly number[], ctx: AnswerContext): CaError | AlreadyAccepted {
  const first = codes[0];
  if (first !== undefined && codes.every(isAlreadyAccepted)) {
    const accepted = codes.find((c) => c === -46) ?? first;
    return {
      kind: 'alreadyAccepted',
      code: accepted as AlreadyAcceptedCode,
      state: accepted === -46 ? 'signed' : 'signing',
      message: `the platform already has this orderNumber: ${describeErrorCode(accepted)}`,
    };
  }
  const failing = codes.filter((c) => !isAlreadyAccepted(c));
  const kindOf = (c: number): WosignDocErrorKind => WOSIGNDOC_ERROR_CODES[c]?.kind ?? 'caller';
  const decisive = PRECEDENCE.find((k) => failing.some((c) => kindOf(c) === k)) ?? 'caller';
  const caMessage = failing.map(describeErrorCode).join('; ');
  const details: CaErrorDetails = { ...ctx, caMessage };
  switch (decisive) {
    case 'auth':
      return failing.some((c) => c === -80) && !failing.some((c) => c === -65 || c === -67)
        ? new CaAuthError({ ...details, summary: 'refused our client certificate' })
        : new CaAuthError({ ...details, summary: 'refused the TokenID' });
    case 'insufficientBalance':
      return new CaInsufficientBalanceError(details);
    case 'unavailable':
      // The platform answered; whether it kept anything before failing is unknown. Harmless:
      // a create asked again with the same orderNumber answers -46/-47 if it did.
      return new CaUnavailableError(details);
    case 'dangerousContent':
    case 'caller':
    case 'alreadyAccepted':
      return new CaBusinessError(details);
  }
}

/**
 * A request certflow refuses before any call: it breaks a rule of the document. The issues
 * name certflow's fields (`signers.0.idPicture`); nothing was sent.
 */
export class WosignDocRequestRefusedError extends CaBusinessError {
  readonly issues: readonly FieldIssue[];
  constructor(details: Omit<CaErrorDetails, 'caMessage' | 'notActedOn'> & { issues: readonly FieldIssue[] }) {
    super({ ...details, notActedOn: true, caMessage: `refused before the call: ${details.issues.map((i) => `${i.path.join('.')} ${i.rule}`).join('; ')}` });
    this.issues = details.issues;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), issues: this.issues };
  }
}

/**
 * WoSignDoc's wire format as its document (seed 003, ../shared/docs/ca-apis.md §3) shows it:
 * HTTPS POST of one JSON object to the platform's address (`https://docapi.wosign.com`, no
 * path: the function is named by `actiontype` in the body), one JSON answer, numeric error
 * codes; and the platform's own `PushSignedDoc` to the caller's callback address.
 *
 * Written from the document alone: nothing here comes from certflow's client (src/signing),
 * which plays the other side.
 */

/** The two functions of the document's §2 table. */
export const ACTION_CREATE = 'CreateSignOrder';
export const ACTION_PUSH = 'PushSignedDoc';

/** The document's codes (§3.1 "错误列表" and §4 "公共错误码"), by meaning. */
export const WOSIGNDOC_ERRORS = {
  templateMissing: -43,
  alreadySigned: -46,
  beingSigned: -47,
  signerCount: -48,
  signerType: -49,
  organizationMismatch: -50,
  orgNameEmpty: -51,
  orgNoEmpty: -52,
  userNameEmpty: -53,
  userNoEmpty: -54,
  orderNumberEmpty: -55,
  fileFormatEmpty: -56,
  materialsEmpty: -57,
  dangerousContent: -61,
  badJson: -63,
  unsupportedAction: -64,
  tokenUnknown: -65,
  tokenDisabled: -67,
  balanceTooLow: -68,
  internal: -69,
  badParameter: -79,
  badCertificate: -80,
  missingParameter: -100,
} as const;
export type WosignDocErrorCode = (typeof WOSIGNDOC_ERRORS)[keyof typeof WOSIGNDOC_ERRORS];

/** The document's own messages (Chinese, verbatim) with an English gloss, for logs and the admin view. */
export const ERROR_DESCRIPTIONS: Readonly<Record<number, string>> = {
  [-43]: 'tempid 不存在,请登录签名平台设置模板 (template does not exist)',
  [-46]: '合同已签署 (already signed)',
  [-47]: '合同正在签署 (being signed)',
  [-48]: '签署人数量错误 (wrong number of signers)',
  [-49]: '签署人类型错误 (wrong signer type)',
  [-50]: '公司名称和营业执照号匹配失败 (organisation name and licence number do not match)',
  [-51]: '公司名称为空 (organisation name empty)',
  [-52]: '营业执照号为空 (licence number empty)',
  [-53]: '用户姓名为空 (person name empty)',
  [-54]: '身份证号码为空 (ID number empty)',
  [-55]: 'orderNumber 为空 (orderNumber empty)',
  [-56]: '文档后缀为空 (document format empty)',
  [-57]: '材料为空 (materials empty)',
  [-61]: '传入的信息存在危险性 (dangerous content)',
  [-63]: 'json 格式错误 (bad JSON)',
  [-64]: '不支持该 actionType (unsupported actiontype)',
  [-65]: '系统不存在此 TokenID (unknown TokenID)',
  [-67]: '系统已禁止此 TokenID 使用 API (TokenID disabled)',
  [-68]: '当前请求的 TokenID 所属账号余额不足,请充值 (balance too low)',
  [-69]: '内部服务器错误 (internal error)',
  [-79]: '参数错误 (bad parameter)',
  [-80]: '请求证书不正确 (bad client certificate)',
  [-100]: '请求信息不完整,缺少必传参数值 (missing required parameter)',
};

/**
 * How the create answer spells the caller's order number: the table says `orderNumber`, the
 * example `ordernumber`; `both` sends both keys.
 */
export type AnswerOrderNumberField = 'orderNumber' | 'ordernumber' | 'both';

/**
 * The create answer: `{status, errorcode, signid, orderNumber}`, `status` and `errorcode` as
 * ints (the table and the example agree). An error answer carries `signid: ""` (the document
 * shows no error example; nothing of a previous attempt is revealed, even on -46/-47) and
 * echoes the request's order number when it had one.
 */
export interface CreateAnswer {
  status: 0 | 1;
  errorcode: number;
  signid: string;
  orderNumber?: string;
  ordernumber?: string;
}

export function createAnswer(status: 0 | 1, errorcode: number, signid: string, orderNumber: string, field: AnswerOrderNumberField): CreateAnswer {
  const answer: CreateAnswer = { status, errorcode, signid };
  if (field !== 'ordernumber') answer.orderNumber = orderNumber;
  if (field !== 'orderNumber') answer.ordernumber = orderNumber;
  return answer;
}

/** `ordernumber` as the push example spells it (default), or `orderNumber` as the create does. */
export type PushOrderNumberField = 'ordernumber' | 'orderNumber';
/** The push table types `extendData` as `string`; its example sends an object (default). */
export type PushExtendData = 'object' | 'string';

export interface PushFields {
  status: 0 | 1;
  /** A string, several codes joined by `&` ("0" on success, e.g. "-57&-61" on failure). */
  errorcode: string;
  signid: string;
  orderNumber: string;
  /** Hex SHA-256 of the content's bytes ("" when nothing was signed). */
  hash: string;
}

/**
 * The push body as byte parts around the content (base64, ASCII), so a 20 MB document is
 * never copied into one JSON string per attempt: `[before, content, after]`, with the
 * document's field order (actiontype, status, errorcode, extendData {signid, ordernumber,
 * content, hash}).
 */
export function pushBodyParts(f: PushFields, o: { orderNumberField: PushOrderNumberField; extendData: PushExtendData }): { before: Buffer; after: Buffer } {
  // A placeholder of letters and digits only: JSON escapes nothing in it, however often it is
  // encoded, so it can be found and split on in both `extendData` forms.
  const marker = 'WOSIGNDOCCONTENTPLACEHOLDER7f3a9c';
  const extend = { signid: f.signid, [o.orderNumberField]: f.orderNumber, content: marker, hash: f.hash };
  const text = JSON.stringify({
    actiontype: ACTION_PUSH,
    status: f.status,
    errorcode: f.errorcode,
    extendData: o.extendData === 'string' ? JSON.stringify(extend) : extend,
  });
  const at = text.indexOf(marker);
  return { before: Buffer.from(text.slice(0, at), 'utf8'), after: Buffer.from(text.slice(at + marker.length), 'utf8') };
}

/** A body the caller sent that is not JSON (answered -63). */
export const NOT_JSON: unique symbol = Symbol('not JSON');

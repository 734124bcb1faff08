import { z } from 'zod';

/**
 * The WoSignDoc wire format (seed 003 §3, ca-apis.md §3): one call, `CreateSignOrder`, and
 * the platform's `PushSignedDoc` callback. docs/wosigndoc.md lists every ambiguity of the
 * document and how it is read here.
 *
 * - We WRITE strictly: the field names as the document spells them (`tokenid`, `actiontype`,
 *   `tempid`, `orderNumber`, `signerlist`, `signType`, `orgName`, `signlist`, `pagenumber`…),
 *   the types of its tables (`signType` and `pagenumber` as numbers, where the example quotes
 *   `signType`), absent optional fields left out (`createSignOrderBodySchema` is strict; the
 *   builder produces exactly that).
 * - We READ tolerantly, as the examples are written: keys in any case (`ordernumber` for
 *   `orderNumber`, `Signlist` for `signlist`), numbers as strings, padded strings, blank
 *   strings as absent, positions with spaces, in fractions or in percent.
 * - certflow's own words for a signing order (`signOrderInputSchema`) are a separate schema:
 *   what the API and the workflow hand the client; `buildCreateSignOrderBody` maps them.
 */

export const WOSIGNDOC_DISPLAY_NAME = 'WoSignDoc';
/** The document's endpoints (§1.5): production, and the platform's test system. */
export const WOSIGNDOC_PRODUCTION_URL = 'https://docapi.wosign.com';
export const WOSIGNDOC_TEST_URL = 'https://docapitest.wosign.com';

export const ACTION_CREATE_SIGN_ORDER = 'CreateSignOrder';
export const ACTION_PUSH_SIGNED_DOC = 'PushSignedDoc';
/** `signType`: 1 单位签署 (an organisation signs), 2 个人签署 (a person signs). */
export const SIGN_TYPE = Object.freeze({ organization: 1, person: 2 } as const);
/** `subject`: "最长 256 字符" (longer is cut by the platform; certflow refuses it instead). */
export const SUBJECT_MAX_CHARS = 256;
/** `country`: "默认值:CN, 中国用户可不传" — left out for Chinese signers. */
export const DEFAULT_COUNTRY = 'CN';
/** The answer's and the push's `status`. */
export const STATUS_OK = 1;
export const STATUS_FAILED = 0;

// ---------------------------------------------------------------- keys, texts, numbers, base64

/**
 * Maps every key of an object onto the documented spelling, case-insensitively and trimmed
 * (`ordernumber` → `orderNumber`, `Signlist` → `signlist`); other keys stay as they are. A key
 * spelled exactly wins over a variant of it.
 */
export function canonicalKeys(input: unknown, names: readonly string[]): unknown {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return input;
  const byLower = new Map(names.map((n) => [n.toLowerCase(), n]));
  const source = input as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    const trimmed = key.trim();
    const target = byLower.get(trimmed.toLowerCase()) ?? trimmed;
    if (target === '__proto__' || (target !== key && Object.hasOwn(source, target))) continue;
    out[target] = value;
  }
  return out;
}

/** Null, missing and blank all read as undefined; anything else trimmed. */
const optionalText = z
  .union([z.string(), z.number()])
  .nullish()
  .transform((v) => (v === null || v === undefined ? undefined : String(v).trim() || undefined));

/** An integer written as a number or as a string (`"1"`, `" -47 "`). */
const intLike = z.union([
  z.number().int(),
  z
    .string()
    .trim()
    .regex(/^[-+]?\d+$/, 'must be an integer')
    .transform(Number),
]);

/** `status`: 1 or 0, as a number, a string or (tolerated) a boolean. */
const statusLike = z.union([intLike, z.boolean().transform((b) => (b ? 1 : 0))]).pipe(z.union([z.literal(STATUS_OK), z.literal(STATUS_FAILED)]));

/**
 * `errorcode`: a number (the answer's table), a string (the push's table and both examples),
 * several joined by `&` in a push ("多个以&符号分隔"). 0, blank and absent mean no error. Read
 * into a list of the non-zero codes, in order, each once.
 */
export const errorCodesSchema = z
  .union([z.number(), z.string()])
  .nullish()
  .transform((v, ctx) => {
    if (v === null || v === undefined) return [];
    const parts = (typeof v === 'number' ? [String(v)] : v.split(/[&,;|]/)).map((p) => p.trim()).filter(Boolean);
    const codes: number[] = [];
    for (const part of parts) {
      if (!/^[-+]?\d+$/.test(part)) {
        ctx.addIssue({ code: 'custom', message: `"${part.slice(0, 20)}" is not an error code` });
        return z.NEVER;
      }
      const code = Number(part);
      if (code !== 0 && !codes.includes(code)) codes.push(code);
    }
    return codes;
  });

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Standard base64 (RFC 4648 §4; line breaks and spaces allowed, as MIME writers put them;
 * padding optional). Not base64url: the document names plain "base64".
 */
export function isBase64(text: string): boolean {
  const compact = text.replace(/\s+/g, '');
  return compact.length > 0 && BASE64.test(compact) && compact.replace(/=+$/, '').length % 4 !== 1;
}

/** Bytes or base64 text, as canonical padded base64 without line breaks. */
export function toBase64(value: Uint8Array | string): string {
  return typeof value === 'string' ? Buffer.from(value.replace(/\s+/g, ''), 'base64').toString('base64') : Buffer.from(value).toString('base64');
}

const wireBase64 = z.string().refine(isBase64, 'must be base64');

// ---------------------------------------------------------------- positions

/**
 * Where a signature goes on a page: lower-left (x1, y1) and upper-right (x2, y2), each as a
 * fraction of the page's width or height (0 … 1), the origin at the lower-left corner.
 */
export interface SignRect {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/** How a position was written: fractions (the example, `0.30,0.57,0.46,0.69`) or percent (the table's "百分比"). */
export type PositionUnit = 'fraction' | 'percent';

export type PositionRead = { ok: true; rect: SignRect; unit: PositionUnit } | { ok: false; problem: string };

/**
 * Reads a position as the document writes it, "x1,y1,x2,y2" (commas, full-width commas,
 * spaces; a `%` after a value allowed) or as four numbers. The table says percent, the
 * example gives fractions: four values all ≤ 1 (and no `%`) are fractions, otherwise percent
 * (≤ 100). A rectangle inside the lower-left 1 % of a page would be read as fractions — no
 * signature fits there, so that reading cannot be meant. Lower-left must be below and left
 * of upper-right.
 */
export function readPosition(value: string | readonly number[]): PositionRead {
  let numbers: number[];
  let percentSign = false;
  if (typeof value === 'string') {
    const parts = value.split(/[,，]/).map((p) => p.trim());
    if (parts.length !== 4) return { ok: false, problem: `must be four numbers "x1,y1,x2,y2", got ${parts.length} part(s)` };
    percentSign = parts.some((p) => p.endsWith('%'));
    const texts = parts.map((p) => p.replace(/%$/, '').trim());
    if (texts.some((t) => !/^\d+(\.\d+)?$|^\.\d+$/.test(t))) return { ok: false, problem: 'must be four non-negative numbers "x1,y1,x2,y2"' };
    numbers = texts.map(Number);
  } else {
    if (value.length !== 4 || value.some((n) => !Number.isFinite(n) || n < 0)) return { ok: false, problem: 'must be four non-negative numbers [x1, y1, x2, y2]' };
    numbers = [...value];
  }
  const unit: PositionUnit = !percentSign && numbers.every((n) => n <= 1) ? 'fraction' : 'percent';
  if (unit === 'percent' && numbers.some((n) => n > 100)) return { ok: false, problem: 'percentages must be at most 100' };
  const [x1, y1, x2, y2] = unit === 'percent' ? numbers.map((n) => n / 100) : numbers;
  if (!(x1! < x2! && y1! < y2!)) return { ok: false, problem: 'lower-left (x1, y1) must be left of and below upper-right (x2, y2)' };
  return { ok: true, rect: { x1: x1!, y1: y1!, x2: x2!, y2: y2! }, unit };
}

/** A fraction as the example writes it: at most four decimals, no trailing zeros (`0.3`, `0.57`). */
const fraction = (n: number): string => String(Number(n.toFixed(4)));

/** The wire form we send: fractions, as in the document's example, without spaces: `0.3,0.57,0.46,0.69`. */
export function formatPosition(rect: SignRect): string {
  return [rect.x1, rect.y1, rect.x2, rect.y2].map(fraction).join(',');
}

const positionText = z.string().superRefine((v, ctx) => {
  const read = readPosition(v);
  if (!read.ok) ctx.addIssue({ code: 'custom', message: read.problem });
});

// ---------------------------------------------------------------- the request, as written

export const signPositionBodySchema = z.strictObject({
  /** 文档页码: the page, from 1 (the example's first page is 1). */
  pagenumber: z.number().int().min(1),
  /** 坐标: "x1,y1,x2,y2", lower-left then upper-right. */
  position: positionText,
});

export const signerBodySchema = z.strictObject({
  signType: z.union([z.literal(SIGN_TYPE.organization), z.literal(SIGN_TYPE.person)]),
  /** 单位名称, required with signType 1. */
  orgName: z.string().min(1).optional(),
  /** 营业执照号 (business licence / unified social credit code), required with signType 1. */
  orgNo: z.string().min(1).optional(),
  /** 个人姓名, required with signType 2. */
  userName: z.string().min(1).optional(),
  /** 身份证号码, required with signType 2. */
  userNo: z.string().min(1).optional(),
  /** 两位国家代码; CN when absent. */
  country: z.string().regex(/^[A-Z]{2}$/, 'must be a two-letter country code').optional(),
  /** 签章 base64 (the stamp image), optional. */
  stampbase: wireBase64.optional(),
  /** 营业执照/身份证: the licence or ID card picture, base64, required. */
  pic: wireBase64,
  /** 其它材料: other material, base64, required. */
  otherpic: wireBase64,
  /** 签署坐标, required when `tempid` is empty. */
  signlist: z.array(signPositionBodySchema).optional(),
});

/**
 * The rules of the tables that span fields, for a body as written or as read: the names
 * signType requires, the positions and the document required without a template, the format
 * with a document. Paths in the wire's words.
 */
function bodyRuleIssues(
  b: {
    tempid?: string;
    filebase?: string;
    fileformat?: string;
    signerlist: readonly { signType: number; orgName?: string; orgNo?: string; userName?: string; userNo?: string; signlist?: readonly unknown[] }[];
  },
  ctx: z.RefinementCtx,
): void {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const template = b.tempid !== undefined && b.tempid !== '';
  if (!template && !b.filebase) issue(['filebase'], 'is required without tempid: there is no template document to sign');
  if (b.filebase && !b.fileformat) issue(['fileformat'], 'is required with filebase (the document\'s format, e.g. pdf)');
  b.signerlist.forEach((s, i) => {
    if (s.signType === SIGN_TYPE.organization) {
      if (!s.orgName) issue(['signerlist', i, 'orgName'], 'is required with signType 1 (an organisation)');
      if (!s.orgNo) issue(['signerlist', i, 'orgNo'], 'is required with signType 1 (an organisation)');
    } else {
      if (!s.userName) issue(['signerlist', i, 'userName'], 'is required with signType 2 (a person)');
      if (!s.userNo) issue(['signerlist', i, 'userNo'], 'is required with signType 2 (a person)');
    }
    if (!template && !s.signlist?.length) issue(['signerlist', i, 'signlist'], 'is required when tempid is empty (where to sign)');
  });
}

/** `CreateSignOrder` as certflow sends it. Field order as in the document's table. */
export const createSignOrderBodySchema = z
  .strictObject({
    tokenid: z.string().min(1),
    actiontype: z.literal(ACTION_CREATE_SIGN_ORDER),
    /** 模板 ID, set up on the platform. */
    tempid: z.string().min(1).optional(),
    /** 签署文档主题, at most 256 characters; absent: the template's subject. */
    subject: z.string().max(SUBJECT_MAX_CHARS).optional(),
    /** 签署文档密码; absent: the signed document is not encrypted. */
    password: z.string().min(1).optional(),
    /** 签署文档 base64; absent: the template's document. */
    filebase: wireBase64.optional(),
    /** 签署文档格式 (its suffix, error -56). */
    fileformat: z.string().min(1).optional(),
    /** 订单号: our unique id of the document (the billing signing order). */
    orderNumber: z.string().min(1),
    /** 签署人信息列表, in signing order. */
    signerlist: z.array(signerBodySchema).min(1),
  })
  .superRefine(bodyRuleIssues);
export type CreateSignOrderBody = z.input<typeof createSignOrderBodySchema>;
export type SignerBody = z.input<typeof signerBodySchema>;

// ---------------------------------------------------------------- the request, as the platform may receive it

const SIGNER_KEYS = ['signType', 'orgName', 'orgNo', 'userName', 'userNo', 'country', 'stampbase', 'pic', 'otherpic', 'signlist'] as const;
const BODY_KEYS = ['tokenid', 'actiontype', 'tempid', 'subject', 'password', 'filebase', 'fileformat', 'orderNumber', 'signerlist'] as const;

const optionalBase64 = optionalText.pipe(z.string().refine(isBase64, 'must be base64').optional());
const requiredBase64 = optionalText.pipe(z.string({ error: 'is required (材料为空)' }).refine(isBase64, 'must be base64'));

/** A position as read: the page, the rectangle in fractions, and the unit it was written in. */
const signPositionReadSchema = z.preprocess(
  (v) => canonicalKeys(v, ['pagenumber', 'position']),
  z
    .object({
      pagenumber: intLike.pipe(z.number().min(1)),
      position: z.union([z.string(), z.array(z.number())]).transform((v, ctx) => {
        const read = readPosition(v);
        if (!read.ok) {
          ctx.addIssue({ code: 'custom', message: read.problem });
          return z.NEVER;
        }
        return { rect: read.rect, unit: read.unit };
      }),
    })
    .transform(({ pagenumber, position }) => ({ pagenumber, ...position })),
);

const signerReadSchema = z.preprocess(
  (v) => canonicalKeys(v, SIGNER_KEYS),
  z.object({
    signType: intLike.pipe(z.union([z.literal(SIGN_TYPE.organization), z.literal(SIGN_TYPE.person)], { error: 'must be 1 (organisation) or 2 (person)' })),
    orgName: optionalText,
    orgNo: optionalText,
    userName: optionalText,
    userNo: optionalText,
    country: optionalText.pipe(z.string().toUpperCase().regex(/^[A-Z]{2}$/, 'must be a two-letter country code').optional()),
    stampbase: optionalBase64,
    pic: requiredBase64,
    otherpic: requiredBase64,
    signlist: z.array(signPositionReadSchema).nullish().transform((v) => v ?? undefined),
  }),
);

/**
 * A `CreateSignOrder` as the platform (or the simulator) may receive it from someone who
 * copies the example: `signType: "1"`, keys in other cases, padded values (`" 440301103308619"`),
 * blank strings for absent fields, positions with spaces in either unit. The same rules as
 * the written body; positions come out as fractions with the unit they were written in.
 */
export const createSignOrderReadSchema = z.preprocess(
  (v) => canonicalKeys(v, BODY_KEYS),
  z
    .object({
      tokenid: optionalText.pipe(z.string({ error: 'is required' })),
      actiontype: optionalText.pipe(z.string({ error: 'is required' })),
      tempid: optionalText,
      subject: z.string().nullish().transform((v) => v ?? undefined).pipe(z.string().max(SUBJECT_MAX_CHARS).optional()),
      password: optionalText,
      filebase: optionalBase64,
      fileformat: optionalText,
      orderNumber: optionalText.pipe(z.string({ error: 'is required (orderNumber 为空)' })),
      signerlist: z.array(signerReadSchema).min(1),
    })
    .superRefine(bodyRuleIssues),
);
export type CreateSignOrderRead = z.output<typeof createSignOrderReadSchema>;

// ---------------------------------------------------------------- certflow's signing order

/** Bytes (a Buffer from the document store) or base64 text: sent as base64. */
const binaryInput = z.union([z.instanceof(Uint8Array), z.string()]).transform((v, ctx) => {
  if (typeof v === 'string' ? !isBase64(v) : v.byteLength === 0) {
    ctx.addIssue({ code: 'custom', message: typeof v === 'string' ? 'must be base64 (and not empty)' : 'must not be empty' });
    return z.NEVER;
  }
  return toBase64(v);
});

const text = z.string().trim().min(1, 'must not be empty');

const signPositionInput = z.object({
  /** The page, from 1. */
  page: z.number().int().min(1),
  /** "x1,y1,x2,y2" or [x1, y1, x2, y2], lower-left then upper-right, fractions of the page (0…1) or percent. */
  position: z.union([z.string(), z.array(z.number())]).transform((v, ctx) => {
    const read = readPosition(v);
    if (!read.ok) {
      ctx.addIssue({ code: 'custom', message: read.problem });
      return z.NEVER;
    }
    return read.rect;
  }),
});

const signerCommon = {
  /** Two-letter country code; absent: CN (the platform's default). */
  country: z.string().trim().toUpperCase().regex(/^[A-Z]{2}$/, 'must be a two-letter country code').optional(),
  /** The stamp (签章) image. */
  stamp: binaryInput.optional(),
  /** The business licence (organisation) or ID card (person) picture: `pic`. */
  idPicture: binaryInput,
  /** Other material: `otherpic`, required by the document. */
  otherPicture: binaryInput,
  /** Where this signer signs: required without a template. */
  positions: z.array(signPositionInput).optional(),
};

export const organizationSignerSchema = z.object({
  type: z.literal('organization'),
  /** `orgName`. */
  name: text,
  /** `orgNo`: the business licence number (营业执照号) or unified social credit code. */
  licenceNumber: text,
  ...signerCommon,
});

export const personSignerSchema = z.object({
  type: z.literal('person'),
  /** `userName`. */
  name: text,
  /** `userNo`: the ID card number (身份证号码). Personal data: never logged. */
  idNumber: text,
  ...signerCommon,
});

/**
 * A signing order in certflow's words: what the API will accept and the workflow hands the
 * client (with the bytes loaded from the document store). The rules of the document apply
 * here already, so a refusal names certflow's field (`signers.1.idNumber`), not the wire's.
 */
export const signOrderInputSchema = z
  .object({
    /** `orderNumber`: our unique id for this document on the platform (the billing signing order id). */
    orderNumber: text,
    /** `subject`: at most 256 characters (UTF-16 units: no more than the platform counts). Absent: the template's. */
    subject: z.string().trim().max(SUBJECT_MAX_CHARS, `must be at most ${SUBJECT_MAX_CHARS} characters`).optional(),
    /** `password`: the signed document is encrypted with it. A secret: redacted from errors. */
    password: z.string().min(1).optional(),
    /** `tempid`: a template set up on the platform. */
    templateId: text.optional(),
    /** `filebase` + `fileformat`: the document to sign; absent: the template's. */
    document: z
      .object({
        content: binaryInput,
        /** The suffix, `pdf`, `.PDF`…: sent lower-case without the dot. */
        format: z
          .string()
          .trim()
          .transform((f) => f.replace(/^\./, '').toLowerCase())
          .pipe(z.string().regex(/^[a-z0-9]{1,10}$/, 'must be a file suffix such as pdf')),
      })
      .optional(),
    /** `signerlist`, in signing order. */
    signers: z.array(z.discriminatedUnion('type', [organizationSignerSchema, personSignerSchema])).min(1, 'must name at least one signer'),
  })
  .superRefine((o, ctx) => {
    if (o.templateId !== undefined) return;
    if (o.document === undefined) ctx.addIssue({ code: 'custom', path: ['document'], message: 'is required without templateId: there is no template document to sign' });
    o.signers.forEach((s, i) => {
      if (!s.positions?.length) ctx.addIssue({ code: 'custom', path: ['signers', i, 'positions'], message: 'is required without templateId: where this signer signs' });
    });
  });
/** What a caller writes (bytes or base64, positions in either form). */
export type SignOrderInput = z.input<typeof signOrderInputSchema>;
/** The same, checked and normalised (base64, fractions). */
export type SignOrder = z.output<typeof signOrderInputSchema>;
export type SignOrderSigner = SignOrder['signers'][number];

/** The wire body of a checked signing order. Optional fields are left out when absent. */
export function buildCreateSignOrderBody(tokenid: string, order: SignOrder): CreateSignOrderBody {
  const body: CreateSignOrderBody = {
    tokenid,
    actiontype: ACTION_CREATE_SIGN_ORDER,
    ...(order.templateId === undefined ? {} : { tempid: order.templateId }),
    ...(order.subject ? { subject: order.subject } : {}),
    ...(order.password === undefined ? {} : { password: order.password }),
    ...(order.document === undefined ? {} : { filebase: order.document.content, fileformat: order.document.format }),
    orderNumber: order.orderNumber,
    signerlist: order.signers.map(signerBody),
  };
  return body;
}

function signerBody(s: SignOrderSigner): SignerBody {
  const names =
    s.type === 'organization'
      ? { signType: SIGN_TYPE.organization, orgName: s.name, orgNo: s.licenceNumber }
      : { signType: SIGN_TYPE.person, userName: s.name, userNo: s.idNumber };
  return {
    ...names,
    ...(s.country === undefined || s.country === DEFAULT_COUNTRY ? {} : { country: s.country }),
    ...(s.stamp === undefined ? {} : { stampbase: s.stamp }),
    pic: s.idPicture,
    otherpic: s.otherPicture,
    ...(s.positions?.length ? { signlist: s.positions.map((p) => ({ pagenumber: p.page, position: formatPosition(p.position) })) } : {}),
  };
}

// ---------------------------------------------------------------- the answer

/**
 * The `CreateSignOrder` answer, read tolerantly: `status` 1 or 0 as a number or a string,
 * `errorcode` as a number or a string (several joined by `&` accepted, as in the push),
 * `orderNumber` in the table's spelling or the example's `ordernumber`. A failure must carry
 * a code: one without is not an answer we can act on.
 */
export const createSignOrderAnswerSchema = z.preprocess(
  (v) => canonicalKeys(v, ['status', 'errorcode', 'signid', 'orderNumber']),
  z
    .object({
      status: statusLike,
      errorcode: errorCodesSchema,
      signid: optionalText,
      orderNumber: optionalText,
    })
    .transform((a, ctx) => {
      if (a.status === STATUS_OK) return { status: 'ok' as const, signId: a.signid, orderNumber: a.orderNumber };
      if (a.errorcode.length === 0) {
        ctx.addIssue({ code: 'custom', path: ['errorcode'], message: 'is required with status 0 (a failure without an error code)' });
        return z.NEVER;
      }
      return { status: 'failed' as const, errorCodes: a.errorcode, signId: a.signid, orderNumber: a.orderNumber };
    }),
);
export type CreateSignOrderAnswer = z.output<typeof createSignOrderAnswerSchema>;

// ---------------------------------------------------------------- the push

/**
 * `extendData`: the table types it `string`, the example nests an object: both are read
 * (a string is parsed as JSON). `ordernumber` as the example spells it, or `orderNumber`.
 */
const extendDataSchema = z.preprocess(
  (v) => {
    if (typeof v !== 'string') return canonicalKeys(v, ['signid', 'orderNumber', 'content', 'hash']);
    try {
      return canonicalKeys(JSON.parse(v) as unknown, ['signid', 'orderNumber', 'content', 'hash']);
    } catch {
      return v;
    }
  },
  z.object(
    {
      signid: optionalText,
      orderNumber: optionalText,
      content: z
        .string()
        .nullish()
        .transform((v) => v ?? undefined),
      hash: optionalText,
    },
    { error: 'must be an object (or a JSON string of one)' },
  ),
);

/** The `PushSignedDoc` body as JSON, before the content is decoded and the hash checked (push.ts). */
export const signedDocPushSchema = z.preprocess(
  (v) => canonicalKeys(v, ['actiontype', 'status', 'errorcode', 'extendData']),
  z.object({
    actiontype: optionalText.pipe(
      z
        .string()
        .refine((a) => a.toLowerCase() === ACTION_PUSH_SIGNED_DOC.toLowerCase(), `must be ${ACTION_PUSH_SIGNED_DOC}`)
        .optional(),
    ),
    status: statusLike,
    errorcode: errorCodesSchema,
    extendData: extendDataSchema
      .nullish()
      .transform((v) => v ?? { signid: undefined, orderNumber: undefined, content: undefined, hash: undefined }),
  }),
);
export type SignedDocPushBody = z.output<typeof signedDocPushSchema>;

/**
 * The platform's own reading of a `CreateSignOrder` body, from the document (§3.1) alone:
 * the fields after authentication (token, actiontype, orderNumber: operations.ts), in this
 * order — template (-43), document and format (-100, -56, -79), signers (-100, -48, -49,
 * -51…-54, -57, -79), dangerous content (-61), organisation register (-50).
 *
 * Where the document is loose, the reading is tolerant and says so:
 * - `signType` is typed int but the example sends "1": both are read;
 * - the table names the positions `Signlist`, the example `signlist`: both are read;
 * - positions are "左下,右上(百分比)" (lower-left, upper-right, percent) but the example gives
 *   fractions (`0.30,0.57,0.46,0.69`): four numbers all ≤ 1 are fractions, else percent
 *   (≤ 100, a `%` sign allowed); lower-left must be below and left of upper-right, else -79;
 * - string values are trimmed (the example's `orgNo` is " 440301103308619"); numbers are
 *   read as their decimal text;
 * - base64 is the standard alphabet, padding optional, line breaks tolerated; anything else
 *   (URL-safe alphabet, a `data:` prefix) is -79.
 */
import { WOSIGNDOC_ERRORS as E } from './protocol';
import type { Settings, Template } from './settings';

export type SignType = 1 | 2;

export interface AcceptedCreate {
  tempid?: string;
  /** At most 256 characters ("超出部分使用""代替": the excess is cut). */
  subject: string;
  /** A non-empty `password`: the signed document "is encrypted" (simulated: only recorded). */
  encrypted: boolean;
  fileformat: string;
  /** The document to sign: the decoded `filebase`, or the template's. */
  document: Buffer;
  /** In signing order. */
  signerTypes: SignType[];
  /** Signature positions given (all signers). */
  positions: number;
}

export type CreateCheck = { ok: true; value: AcceptedCreate } | { ok: false; code: number; field: string };

const fail = (code: number, field: string): CreateCheck => ({ ok: false, code, field });

/** '' when absent, null or blank; undefined when not a string or number (a bad parameter). */
export function text(v: unknown): string | undefined {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

const BASE64_FOREIGN = /[^A-Za-z0-9+/=\r\n]/;

/**
 * Standard base64 → bytes; undefined when malformed. One pass to check (no copy unless the
 * text has line breaks), one to decode: a 20 MB document costs its decoded bytes only.
 */
export function decodeBase64(s: string): Buffer | undefined {
  if (BASE64_FOREIGN.test(s)) return undefined;
  let data = s;
  if (data.includes('\n') || data.includes('\r')) data = data.replace(/[\r\n]/g, '');
  const eq = data.indexOf('=');
  if (eq >= 0) {
    // Padding: one or two `=`, at the end only, on a whole quantum.
    const pad = data.length - eq;
    if (pad > 2 || (pad === 2 && data.charCodeAt(eq + 1) !== 61) || data.length % 4 !== 0) return undefined;
  }
  if (data.length % 4 === 1) return undefined;
  return Buffer.from(data, 'base64');
}

function signType(v: unknown): SignType | undefined {
  if (v === 1 || v === '1') return 1;
  if (v === 2 || v === '2') return 2;
  if (typeof v === 'string' && (v.trim() === '1' || v.trim() === '2')) return Number(v.trim()) as SignType;
  return undefined;
}

function pageNumber(v: unknown): boolean {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 1;
  return typeof v === 'string' && /^\s*[1-9]\d{0,5}\s*$/.test(v);
}

/** "x1,y1,x2,y2": lower-left then upper-right, fractions (all ≤ 1) or percent. */
export function positionValid(v: unknown): boolean {
  if (typeof v !== 'string') return false;
  const parts = v.split(',').map((p) => p.trim());
  if (parts.length !== 4 || parts.some((p) => !/^\d+(\.\d+)?%?$/.test(p))) return false;
  const n = parts.map((p) => Number(p.replace('%', '')));
  const percent = parts.some((p) => p.endsWith('%')) || n.some((x) => x > 1);
  if (n.some((x) => x > (percent ? 100 : 1))) return false;
  return n[0]! < n[2]! && n[1]! < n[3]!;
}

/** A small, valid one-page PDF naming the template: a template's document when none is configured. */
export function placeholderPdf(title: string): Buffer {
  const safe = title.replace(/[^\x20-\x7e]/g, '?').replace(/[()\\]/g, '');
  const stream = `BT /F1 14 Tf 72 720 Td (${safe}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(out.length);
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

export function templateDocument(id: string, t: Template): Buffer {
  if (t.documentBase64) return Buffer.from(t.documentBase64, 'base64');
  return placeholderPdf(`WoSignDoc template ${id}`);
}

/** Cut to 256 characters (code points, not UTF-16 units). */
function cutSubject(s: string): string {
  if (s.length <= 256) return s;
  return Array.from(s).slice(0, 256).join('');
}

/**
 * Checks a create body (a JSON object) past authentication. `body.filebase` is released once
 * decoded, so the 20 MB document's base64 text can be collected while the order is signed.
 */
export function checkCreate(body: Record<string, unknown>, s: Settings): CreateCheck {
  // Template (-43) first: it decides what else is required.
  const tempid = text(body.tempid);
  if (tempid === undefined) return fail(E.badParameter, 'tempid');
  let template: Template | undefined;
  if (tempid !== '') {
    template = Object.hasOwn(s.templates, tempid) ? s.templates[tempid] : undefined;
    if (!template) return fail(E.templateMissing, 'tempid');
  }

  const subjectText = text(body.subject);
  if (subjectText === undefined) return fail(E.badParameter, 'subject');
  const password = text(body.password);
  if (password === undefined) return fail(E.badParameter, 'password');

  // The document: `filebase` ("不传则使用模板文档": without it, the template's), then its format.
  let document: Buffer;
  let fileformat: string;
  const filebase = body.filebase;
  if (filebase !== undefined && filebase !== null && typeof filebase !== 'string') return fail(E.badParameter, 'filebase');
  if (typeof filebase === 'string' && filebase.trim() !== '') {
    const format = text(body.fileformat);
    if (format === undefined) return fail(E.badParameter, 'fileformat');
    if (format === '') return fail(E.fileFormatEmpty, 'fileformat');
    fileformat = format.replace(/^\./, '').toLowerCase();
    if (!s.fileFormats.includes(fileformat)) return fail(E.badParameter, 'fileformat');
    const decoded = decodeBase64(filebase);
    if (!decoded || decoded.length === 0) return fail(E.badParameter, 'filebase');
    document = decoded;
    delete body.filebase;
  } else if (template && tempid) {
    document = templateDocument(tempid, template);
    const format = text(body.fileformat);
    fileformat = format ? format.replace(/^\./, '').toLowerCase() : template.fileformat;
  } else {
    return fail(E.missingParameter, 'filebase');
  }

  // Signers, in signing order.
  const list = body.signerlist;
  if (list === undefined || list === null) return fail(E.missingParameter, 'signerlist');
  if (!Array.isArray(list)) return fail(E.badParameter, 'signerlist');
  if (list.length === 0 || list.length > s.maxSigners) return fail(E.signerCount, 'signerlist');
  if (template?.signers !== undefined && list.length !== template.signers) return fail(E.signerCount, 'signerlist');

  const signerTypes: SignType[] = [];
  const binaries: Buffer[] = [document];
  const organizations: { orgName: string; orgNo: string; index: number }[] = [];
  let positions = 0;
  for (const [i, raw] of list.entries()) {
    const at = (f: string): string => `signerlist[${i}].${f}`;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return fail(E.badParameter, `signerlist[${i}]`);
    const signer = raw as Record<string, unknown>;
    const type = signType(signer.signType);
    if (!type) return fail(E.signerType, at('signType'));
    signerTypes.push(type);
    if (type === 1) {
      const orgName = text(signer.orgName);
      const orgNo = text(signer.orgNo);
      if (orgName === undefined) return fail(E.badParameter, at('orgName'));
      if (orgName === '') return fail(E.orgNameEmpty, at('orgName'));
      if (orgNo === undefined) return fail(E.badParameter, at('orgNo'));
      if (orgNo === '') return fail(E.orgNoEmpty, at('orgNo'));
      organizations.push({ orgName, orgNo, index: i });
    } else {
      const userName = text(signer.userName);
      const userNo = text(signer.userNo);
      if (userName === undefined) return fail(E.badParameter, at('userName'));
      if (userName === '') return fail(E.userNameEmpty, at('userName'));
      if (userNo === undefined) return fail(E.badParameter, at('userNo'));
      if (userNo === '') return fail(E.userNoEmpty, at('userNo'));
    }
    const country = text(signer.country);
    if (country === undefined || (country !== '' && !/^[A-Za-z]{2}$/.test(country))) return fail(E.badParameter, at('country'));

    for (const field of ['pic', 'otherpic', 'stampbase'] as const) {
      const value = signer[field];
      if (value !== undefined && value !== null && typeof value !== 'string') return fail(E.badParameter, at(field));
      const given = typeof value === 'string' && value.trim() !== '';
      if (!given) {
        if (field !== 'stampbase' && s.requireMaterials) return fail(E.materialsEmpty, at(field));
        continue;
      }
      const bytes = decodeBase64(value.trim());
      if (!bytes || bytes.length === 0) return fail(E.badParameter, at(field));
      binaries.push(bytes);
    }

    // Positions: required when no template ("当 tempid 为空时必填"), checked whenever given.
    const key = signer.signlist !== undefined ? 'signlist' : 'Signlist';
    const places = signer[key];
    if (places === undefined || places === null || (Array.isArray(places) && places.length === 0)) {
      if (!template) return fail(E.missingParameter, at('signlist'));
      continue;
    }
    if (!Array.isArray(places)) return fail(E.badParameter, at(key));
    for (const [j, p] of places.entries()) {
      if (!p || typeof p !== 'object' || Array.isArray(p)) return fail(E.badParameter, `${at(key)}[${j}]`);
      const place = p as Record<string, unknown>;
      if (place.pagenumber === undefined || place.position === undefined) return fail(E.missingParameter, `${at(key)}[${j}]`);
      if (!pageNumber(place.pagenumber)) return fail(E.badParameter, `${at(key)}[${j}].pagenumber`);
      if (!positionValid(place.position)) return fail(E.badParameter, `${at(key)}[${j}].position`);
      positions++;
    }
  }

  if (s.dangerousMarker !== null) {
    const marker = Buffer.from(s.dangerousMarker, 'utf8');
    const hit = binaries.findIndex((b) => b.indexOf(marker) >= 0);
    if (hit >= 0) return fail(E.dangerousContent, hit === 0 ? 'filebase' : 'signerlist');
  }

  for (const o of organizations) {
    const registered = Object.hasOwn(s.organizations, o.orgNo) ? s.organizations[o.orgNo] : undefined;
    if (registered === undefined ? s.strictOrganizations : registered.trim() !== o.orgName) return fail(E.organizationMismatch, `signerlist[${o.index}].orgName`);
  }

  return {
    ok: true,
    value: {
      ...(tempid ? { tempid } : {}),
      subject: cutSubject(subjectText || template?.subject || ''),
      encrypted: password !== '',
      fileformat,
      document,
      signerTypes,
      positions,
    },
  };
}

import { CaBusinessError, CaProtocolError, type CaErrorDetails, type ProtocolIssue } from '../errors';
import { toProtocolIssues, type AnswerContext } from '../http-answer';
import type { CaPhase, DomainValidation, RetrievedCertificate } from '../issuer';
import type { FieldIssue } from '../../lib/field-issue';
import { RESELLER_STATUS_WORDS } from './inferred';
import { fileHostRule } from './rules';
import { envelopeSchema, reissueDataSchema, type ReissueData } from './schemas';

/**
 * Reseller answers (seed 004) to certflow's results and errors.
 *
 * `DomainValidation` is vendor-neutral on purpose: what one domain of an order needs before
 * the CA will issue, and exactly what the customer must publish. It lives here until the
 * port (`ca/issuer.ts`) grows per-domain validation (issue 18, "visible everywhere"); it
 * should move there then, unchanged, with `ResellerReissueResult.domains` becoming a field
 * of the port's status and reissue results.
 */
export type { DomainValidation };

/** A reissue as the platform answered it. */
export interface ResellerReissueResult {
  /** `caid`: the CA's order id (the platform's `service_id` stays the certificate's number). */
  caOrderId: string;
  serviceId: string;
  /** What this reissue was charged ("本次重签名扣取的费用"; changing domains may cost more). Absent: not said. */
  cost?: number;
  /** The platform's own word (`pending`). */
  status?: string;
  phase: CaPhase;
  /** Once issued: `cert_pem`, with `ca_pem` as the chain. */
  certificate?: RetrievedCertificate;
  notBefore?: string;
  notAfter?: string;
  /** Every domain's validation, in the answer's order. */
  domains: DomainValidation[];
}

// ---------------------------------------------------------------- errors

/**
 * A reissue request that breaks the document's rules, refused before any call. A
 * CaBusinessError (never retried, the platform did nothing: `notActedOn`) that also carries
 * the field issues, so the API can answer 400 naming each field.
 */
export class ResellerRequestRefusedError extends CaBusinessError {
  readonly issues: readonly FieldIssue[];
  constructor(details: Omit<CaErrorDetails, 'caMessage' | 'notActedOn'> & { issues: readonly FieldIssue[] }) {
    super({ ...details, notActedOn: true, caMessage: `refused before the call: ${details.issues.map((i) => `${i.path.join('.')} ${i.rule}`).join('; ')}` });
    this.issues = details.issues;
  }
  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), issues: this.issues };
  }
}

// ---------------------------------------------------------------- answer

/**
 * Reads a reissue answer (already JSON): `success: false` is the platform refusing the
 * request — a CaBusinessError with its `message` (the document lists no codes, so there is
 * nothing finer to tell) — and `data` that does not read is a CaProtocolError.
 */
export function readReissueAnswer(body: unknown, ctx: AnswerContext): ResellerReissueResult {
  const redact = ctx.redact ?? ((s: string) => s);
  const protocol = (issues: ProtocolIssue[]) => new CaProtocolError({ ...ctx, issues: issues.map((i) => ({ path: i.path, message: redact(i.message) })) });
  const envelope = envelopeSchema.safeParse(body);
  if (!envelope.success) throw protocol(toProtocolIssues(envelope.error));
  if (!envelope.data.success) {
    throw new CaBusinessError({ ...ctx, caMessage: redact(envelope.data.message ?? 'success is false (no message)') });
  }
  const data = reissueDataSchema.safeParse(envelope.data.data);
  if (!data.success) throw protocol(toProtocolIssues(data.error, ['data']));
  const issues: ProtocolIssue[] = [];
  const result = toReissueResult(data.data, issues);
  if (issues.length > 0) throw protocol(issues);
  return result;
}

/** `data` as the result; what it says against the document's rules goes into `issues`. */
export function toReissueResult(d: ReissueData, issues: ProtocolIssue[] = []): ResellerReissueResult {
  for (const v of d.domains) {
    if (v.file === undefined) continue;
    const wrong = fileHostRule(v.domain, v.file.url);
    if (wrong !== undefined) issues.push({ path: `data.dcv.${v.domain}.http.url`, message: wrong });
  }
  const certificate = certificateOf(d, issues);
  return {
    caOrderId: d.caid,
    serviceId: d.serviceId,
    ...(d.cost === undefined ? {} : { cost: d.cost }),
    ...(d.status === undefined ? {} : { status: d.status }),
    phase: phaseOf(d.status, certificate !== undefined, d.domains),
    ...(certificate === undefined ? {} : { certificate }),
    ...(d.notBefore === undefined ? {} : { notBefore: d.notBefore }),
    ...(d.notAfter === undefined ? {} : { notAfter: d.notAfter }),
    domains: d.domains,
  };
}

/**
 * Where the order stands. A certificate in the answer is issued whatever the word says. The
 * document shows only `pending` (validation; every domain valid: the CA has yet to sign);
 * other words are inferred (`RESELLER_STATUS_WORDS`), an unknown one is `unknown`.
 */
export function phaseOf(status: string | undefined, hasCertificate: boolean, domains: readonly DomainValidation[]): CaPhase {
  if (hasCertificate) return 'issued';
  const phase: CaPhase = status === undefined ? 'unknown' : ((RESELLER_STATUS_WORDS as Record<string, CaPhase>)[status] ?? 'unknown');
  if (phase === 'validation' && domains.length > 0 && domains.every((v) => v.state === 'valid')) return 'issuance';
  return phase;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

function certificatePems(text: string): string[] {
  return [...text.replace(/\r\n?/g, '\n').matchAll(PEM_BLOCK)].filter((m) => m[1] === 'CERTIFICATE').map((m) => m[0]);
}

/** `cert_pem` (the leaf first; anything sent along kept) and `ca_pem` as the chain, nothing twice. */
function certificateOf(d: ReissueData, issues: ProtocolIssue[]): RetrievedCertificate | undefined {
  if (d.certPem === undefined) return undefined;
  const [leaf, ...more] = certificatePems(d.certPem);
  if (leaf === undefined) {
    issues.push({ path: 'data.cert_pem', message: 'holds no PEM certificate' });
    return undefined;
  }
  const chain = d.caPem === undefined ? [] : certificatePems(d.caPem);
  if (d.caPem !== undefined && chain.length === 0) issues.push({ path: 'data.ca_pem', message: 'holds no PEM certificate' });
  const seen = new Set([leaf.replace(/\s+/g, '')]);
  const chainPems = [...more, ...chain].filter((pem) => {
    const key = pem.replace(/\s+/g, '');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { certificatePem: leaf, chainPems };
}

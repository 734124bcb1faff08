/**
 * The platform's `notify_url` callback as certflow reads it. Its body is INFERRED (inferred.ts
 * `InferredCallbackBody`: `{ service_id, caid?, status? }`, the callback's own page is not at
 * hand), so it is read tolerantly: a JSON object or a form (`a=1&b=2`), whatever the
 * content type says; the fields at the top or under `data` (the reissue answer's envelope);
 * `service_id`, `serviceId` or `ServiceID` alike; numbers as strings. Only `service_id` is
 * needed: the callback is a hint that makes the orders following that service read its
 * status, never a state change, so nothing else in it is trusted.
 */
import type { CaPhase } from '../issuer';
import type { FieldIssue } from '../../lib/field-issue';
import { RESELLER_STATUS_WORDS } from './inferred';

/** What certflow takes from a callback. */
export interface ResellerCallback {
  /** `service_id`: certflow's caOrderId for the platform's orders. */
  serviceId: string;
  caid?: string;
  /** The platform's word, as sent (at most 40 characters kept). */
  status?: string;
  /** The word read as a phase, when it is one `RESELLER_STATUS_WORDS` knows. */
  phase?: CaPhase;
}

export type ParsedResellerCallback = { ok: true; callback: ResellerCallback } | { ok: false; issues: FieldIssue[] };

/** A service id longer than this is not one; it is kept out of caches and logs. */
export const MAX_SERVICE_ID_LENGTH = 128;

const keyOf = (k: string): string => k.toLowerCase().replace(/[_-]/g, '');

function readObject(text: string): Record<string, unknown> | undefined {
  if (text.startsWith('{')) {
    try {
      const parsed = JSON.parse(text) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    } catch {
      // Not JSON after all: read as a form below.
    }
  }
  if (text.startsWith('{') || text.startsWith('[')) return undefined;
  const form = new URLSearchParams(text);
  return Object.fromEntries(form.entries());
}

/** A field by its normalised name (`service_id` = `serviceId` = `SERVICEID`), at the top or under `data`. */
function field(body: Record<string, unknown>, name: string): unknown {
  const want = keyOf(name);
  const at = (o: Record<string, unknown>): unknown => Object.entries(o).find(([k]) => keyOf(k) === want)?.[1];
  const top = at(body);
  if (top !== undefined) return top;
  const data = Object.entries(body).find(([k]) => keyOf(k) === 'data')?.[1];
  return data && typeof data === 'object' && !Array.isArray(data) ? at(data as Record<string, unknown>) : undefined;
}

function text(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  return t === '' ? undefined : t;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Reads a callback body (raw bytes or text); an issue names `service_id` when it is absent or not an id. */
export function parseResellerCallback(raw: string | Buffer | undefined): ParsedResellerCallback {
  const body = readObject((Buffer.isBuffer(raw) ? raw.toString('utf8') : (raw ?? '')).trim());
  const serviceId = body ? text(field(body, 'service_id')) : undefined;
  if (serviceId === undefined) {
    return { ok: false, issues: [{ path: ['service_id'], rule: 'is required: the callback names the platform\'s order by its service_id (a JSON object or a form field, at the top or under data)' }] };
  }
  if (serviceId.length > MAX_SERVICE_ID_LENGTH || CONTROL.test(serviceId)) {
    return { ok: false, issues: [{ path: ['service_id'], rule: `must be a service id: at most ${MAX_SERVICE_ID_LENGTH} characters, no control characters` }] };
  }
  const caid = body ? text(field(body, 'caid')) : undefined;
  const status = body ? text(field(body, 'status'))?.slice(0, 40) : undefined;
  const word = status?.toLowerCase();
  const phase = word !== undefined && Object.hasOwn(RESELLER_STATUS_WORDS, word) ? (RESELLER_STATUS_WORDS as Record<string, CaPhase>)[word] : undefined;
  return {
    ok: true,
    callback: {
      serviceId,
      ...(caid === undefined || caid.length > MAX_SERVICE_ID_LENGTH ? {} : { caid }),
      ...(status === undefined ? {} : { status }),
      ...(phase === undefined ? {} : { phase }),
    },
  };
}

/** What a scenario measured, the checks it made, and the shared "nothing lost or duplicated" invariants. */
import { type EmailOutcome, emailOutcomes } from './email-outcomes';
import type { FaultStack } from './fault-stack';
import { totalCalls } from './orders';

export type Size = 'full' | 'smoke';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface ScenarioResult {
  id: string;
  title: string;
  fault: string;
  orders: number;
  finalStates: Record<string, number>;
  caCalls?: number;
  baselineCalls?: number;
  /** CA calls divided by the fault-free run's, same N. */
  ratio?: number;
  /** "one CA order per idempotenceID" summary, e.g. "0 (200 CA orders for 200 ids)". */
  duplicates: string;
  emails?: { sent: number; duplicated: number; unconfirmed: number };
  maxPushLatencyMs?: number;
  durationMs: number;
  /** Scenario specific figures, printed under the table. */
  figures: Record<string, string | number>;
  checks: Check[];
}

export class Recorder {
  /** The scenario's start: a Recorder is made first thing in `run`. */
  readonly startedAt = Date.now();
  readonly checks: Check[] = [];
  readonly figures: Record<string, string | number> = {};
  check(name: string, ok: boolean, detail: string): boolean {
    this.checks.push({ name, ok, detail });
    return ok;
  }
  figure(name: string, value: string | number): void {
    this.figures[name] = value;
  }
}

export interface Uniqueness {
  ordersCreated: number;
  idsWithOrder: number;
  /** Ids with more than one CA order. */
  duplicateOrders: string[];
  /** Ids the CA never saw. */
  missing: string[];
  /** Create calls per id beyond the first (retries answered from the idempotence map). */
  retriedCreates: number;
  emailsSent: number;
  /** Certificates e-mailed more than once, with the count. */
  duplicateEmails: Record<string, number>;
  /** Issued certificates of these orders never e-mailed. */
  notEmailed: string[];
  caCalls: number;
  /** certflow's own conclusion per e-mail (sendCaEmail results in the histories), by order. */
  emailOutcomes: Map<string, EmailOutcome[]>;
  /** Orders whose e-mail certflow reports unconfirmed: the answer was lost, never repeated. */
  unconfirmed: string[];
  /** Of those, the ones the CA did send (the answer was lost after processing). */
  unconfirmedButSent: string[];
  /** Issued certificates neither e-mailed nor reported unconfirmed or failed: lost silently. */
  lostSilently: string[];
}

/** One CA order per billing order, and one CA e-mail per issued certificate. */
export async function uniqueness(stack: FaultStack, ids: readonly string[]): Promise<Uniqueness> {
  const c = stack.sim.state.counters();
  const idSet = new Set(ids);
  const caToBilling = new Map<string, string>();
  for (const o of stack.sim.state.orders()) if (o.idempotenceId && idSet.has(o.idempotenceId)) caToBilling.set(o.id, o.idempotenceId);
  const emailsByOrder = new Map<string, number>();
  let emailsSent = 0;
  for (const e of stack.sim.state.emails()) {
    const billing = caToBilling.get(e.orderId);
    if (!billing) continue;
    emailsSent++;
    emailsByOrder.set(billing, (emailsByOrder.get(billing) ?? 0) + 1);
  }
  const issued = [...caToBilling.entries()].filter(([ca]) => stack.sim.state.order(ca)?.cert).map(([, b]) => b);
  const outcomes = await emailOutcomes(stack, ids);
  const last = (id: string): EmailOutcome | undefined => outcomes.get(id)?.at(-1);
  const unconfirmed = ids.filter((id) => last(id) === 'unconfirmed');
  const notEmailed = issued.filter((b) => !emailsByOrder.has(b));
  return {
    ordersCreated: ids.reduce((a, id) => a + (c.ordersByIdempotenceId[id] ?? 0), 0),
    idsWithOrder: ids.filter((id) => (c.ordersByIdempotenceId[id] ?? 0) > 0).length,
    duplicateOrders: ids.filter((id) => (c.ordersByIdempotenceId[id] ?? 0) > 1),
    missing: ids.filter((id) => !c.ordersByIdempotenceId[id]),
    retriedCreates: ids.reduce((a, id) => a + Math.max(0, (c.createsByIdempotenceId[id] ?? 0) - 1), 0),
    emailsSent,
    duplicateEmails: Object.fromEntries([...emailsByOrder].filter(([, n]) => n > 1)),
    notEmailed,
    caCalls: totalCalls(c),
    emailOutcomes: outcomes,
    unconfirmed,
    unconfirmedButSent: unconfirmed.filter((id) => emailsByOrder.has(id)),
    lostSilently: notEmailed.filter((id) => last(id) !== 'unconfirmed' && last(id) !== 'failed'),
  };
}

/**
 * Reads the invariants for `ids` and records their checks. The customer e-mail is at most
 * once everywhere (the CA's e-mail API has no idempotency key, so certflow never repeats a
 * call whose answer it lost): no certificate is e-mailed twice. `emailsExact` also wants
 * every certificate e-mailed; otherwise a certificate may lack its e-mail only when certflow
 * reports it unconfirmed or failed, never silently.
 */
export async function checkUniqueness(r: Recorder, stack: FaultStack, ids: readonly string[], opts: { emailsExact: boolean }): Promise<Uniqueness> {
  const u = await uniqueness(stack, ids);
  const n = ids.length;
  r.check('one CA order per idempotenceID', u.duplicateOrders.length === 0 && u.missing.length === 0 && u.ordersCreated === n,
    `ordersCreated ${u.ordersCreated} for ${n} ids; duplicates ${u.duplicateOrders.length}${u.duplicateOrders.length ? ` (${u.duplicateOrders.slice(0, 5).join(', ')})` : ''}; missing ${u.missing.length}; retried Create calls answered from the idempotence map ${u.retriedCreates}`);
  const dup = Object.keys(u.duplicateEmails).length;
  const detail = `${u.emailsSent} e-mails for ${n} certificates; certificates e-mailed twice or more: ${dup}${dup ? ` (${Object.entries(u.duplicateEmails).slice(0, 5).map(([k, v]) => `${k}×${v}`).join(', ')})` : ''}; not e-mailed ${u.notEmailed.length}; reported unconfirmed ${u.unconfirmed.length} (of which the CA sent ${u.unconfirmedButSent.length})`;
  if (opts.emailsExact) {
    r.check('one CA e-mail per issued certificate', dup === 0 && u.notEmailed.length === 0, detail);
  } else {
    r.check('at most one CA e-mail per certificate (duplicate customer e-mails: 0)', dup === 0, detail);
    r.check('every issued certificate e-mailed, or its e-mail reported unconfirmed or failed', u.lostSilently.length === 0,
      `${u.lostSilently.length} lost silently${u.lostSilently.length ? ` (${u.lostSilently.slice(0, 5).join(', ')})` : ''}; outcomes read for ${u.emailOutcomes.size}/${n} orders`);
  }
  return u;
}

/** E-mails sent beyond the first for their certificate. */
export function extraEmails(u: Uniqueness): number {
  return Object.values(u.duplicateEmails).reduce((a, v) => a + v - 1, 0);
}

/** Unconfirmed e-mails, and how many of them the CA had in fact sent (the simulator knows). */
export function unconfirmedText(u: Uniqueness): string {
  return `${u.unconfirmed.length} (the CA had sent ${u.unconfirmedButSent.length}, ${u.unconfirmed.length - u.unconfirmedButSent.length} not: those need an operator's resend)`;
}

export function duplicatesText(u: Uniqueness): string {
  return `orders ${u.duplicateOrders.length}, e-mails ${extraEmails(u)}`;
}

/** What a scenario measured for its row, beside its Recorder's checks and figures. */
export interface Measured extends Partial<Pick<ScenarioResult, 'caCalls' | 'baselineCalls' | 'ratio' | 'maxPushLatencyMs'>> {
  fault: string;
  orders: number;
  finalStates: Record<string, number>;
  /** Gives the duplicates summary, the e-mail counts and, unless `caCalls` is given, the CA calls. */
  invariants: Uniqueness;
  /** The row carries the e-mail counts unless false. */
  emails?: boolean;
}

/** The scenario's row: its checks and figures, what it measured, and its duration so far. */
export function scenarioResult(scenario: { id: string; title: string }, r: Recorder, m: Measured): ScenarioResult {
  const { invariants: u, emails = true, ...measured } = m;
  return {
    id: scenario.id,
    title: scenario.title,
    caCalls: u.caCalls,
    ...measured,
    duplicates: duplicatesText(u),
    ...(emails ? { emails: { sent: u.emailsSent, duplicated: Object.keys(u.duplicateEmails).length, unconfirmed: u.unconfirmed.length } } : {}),
    durationMs: Date.now() - r.startedAt,
    figures: r.figures,
    checks: r.checks,
  };
}

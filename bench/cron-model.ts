/**
 * Phase D: CA calls per order of what users would otherwise build — a cron job that polls every
 * pending order every 5 minutes — next to certflow's schedule (awaitIssuance: a read at once,
 * then on a growing interval, and at once on each push), for given CA delays. Both include the
 * create, the retrieve and the customer e-mail, so the comparison is like for like.
 */
import type { OrderPolicy } from '../src/domain/order';
import { nextInterval } from '../src/workflows/poll-interval';

export interface Scenario {
  name: string;
  /** Create → pendingDCV (WoTrus auto-submit). */
  submitMs: number;
  /** pendingDCV → pendingCAIssued (the customer completes domain validation). */
  dcvMs: number;
  /** pendingCAIssued → issued. */
  issueMs: number;
}

export const CRON_PERIOD_MS = 5 * 60_000;
/** create + retrieve + e-mail: the calls every approach makes once. */
const FIXED_CALLS = 3;

/** Expected calls of a 5-minute cron poller: its first tick falls uniformly within a period of the create. */
export function cronCalls(s: Scenario, periodMs = CRON_PERIOD_MS): number {
  const pending = s.submitMs + s.dcvMs + s.issueMs;
  // Ticks at u, u+P, … (u uniform in (0, P]): on average pending/P ticks find the order still
  // pending, then one finds it issued.
  return FIXED_CALLS + pending / periodMs + 1;
}

export interface CertflowModelOptions {
  policy: Pick<OrderPolicy, 'pollInitialMs' | 'pollMaxMs' | 'pollFactor'>;
  pushes: boolean;
  /** Push delivery delay after a status change. */
  pushLatencyMs?: number;
  /** The API's push dedupe window (src/api/push-dedupe.ts, 30 s): a second push with the same key within it signals nothing. */
  dedupeTtlMs?: number;
}

/** certflow's status reads for a scenario, replaying awaitIssuance's schedule on a virtual clock. */
export function certflowReads(s: Scenario, o: CertflowModelOptions): number {
  const changes = [s.submitMs, s.submitMs + s.dcvMs, s.submitMs + s.dcvMs + s.issueMs];
  const status = (t: number): number => changes.filter((c) => t >= c).length; // 3 = issued
  const lat = o.pushLatencyMs ?? 5;
  const ttl = o.dedupeTtlMs ?? 30_000;
  // Pushes: one per status change; the first two share a dedupe key (not issued, not revoked).
  const pushes: number[] = [];
  if (o.pushes) {
    pushes.push(changes[0]! + lat);
    if (changes[1]! - changes[0]! >= ttl) pushes.push(changes[1]! + lat);
    pushes.push(changes[2]! + lat);
  }
  let t = 0;
  let interval = o.policy.pollInitialMs;
  let last = -1;
  let reads = 0;
  for (let guard = 0; guard < 100_000; guard++) {
    reads++;
    const st = status(t);
    if (st !== last) interval = o.policy.pollInitialMs;
    last = st;
    if (st >= 3) return reads;
    const push = pushes.find((p) => p > t);
    if (push !== undefined && push <= t + interval) {
      t = push;
      interval = o.policy.pollInitialMs;
    } else {
      t += interval;
      interval = nextInterval(interval, o.policy);
    }
  }
  return reads;
}

export function certflowCalls(s: Scenario, o: CertflowModelOptions): number {
  return FIXED_CALLS + certflowReads(s, o);
}

/** Scales a scenario and a policy by the same factor (the benchmark's compressed clock). */
export function scaleScenario(s: Scenario, factor: number): Scenario {
  return { name: s.name, submitMs: Math.round(s.submitMs / factor), dcvMs: Math.round(s.dcvMs / factor), issueMs: Math.round(s.issueMs / factor) };
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;

/** DCV durations the report tabulates; issuance takes 10 minutes and auto-submit 1 minute in each. */
export const SCENARIOS: Scenario[] = [
  { name: 'DCV 10 min', submitMs: MINUTE, dcvMs: 10 * MINUTE, issueMs: 10 * MINUTE },
  { name: 'DCV 1 h', submitMs: MINUTE, dcvMs: HOUR, issueMs: 10 * MINUTE },
  { name: 'DCV 4 h', submitMs: MINUTE, dcvMs: 4 * HOUR, issueMs: 10 * MINUTE },
  { name: 'DCV 24 h', submitMs: MINUTE, dcvMs: 24 * HOUR, issueMs: 10 * MINUTE },
  { name: 'DCV 3 days', submitMs: MINUTE, dcvMs: 72 * HOUR, issueMs: 10 * MINUTE },
];

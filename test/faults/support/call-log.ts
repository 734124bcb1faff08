/**
 * The simulator logs one line per WoTrus call with the caller's RequestID
 * (`<workflowId>/<activityType>/<attempt>`) and one line per injected fault. Its counters have
 * no timestamps, so the fault suite gives the in-process simulator a pino logger writing into
 * this recorder: per call, when it arrived (first line of that RequestID), what it was and
 * which fault it met. That is how "no request earlier than Retry-After" is checked.
 */
import pino, { type Logger } from 'pino';

export interface CallRecord {
  /** Epoch ms of the call's first log line (faults are logged on arrival, answers after processing). */
  at: number;
  op: string;
  requestId: string;
  workflowId: string;
  activityType: string;
  attempt: number;
  fault?: { kind: string; retryAfterSeconds?: number; status?: number };
}

export class CallLog {
  readonly calls: CallRecord[] = [];
  private readonly seen = new Set<string>();

  /** A pino logger (level info) whose lines land here. */
  logger(): Logger {
    return pino({ level: 'info' }, { write: (line: string) => this.ingest(line) });
  }

  private ingest(line: string): void {
    let o: { time?: number; op?: string; requestId?: string; msg?: string; fault?: unknown };
    try {
      o = JSON.parse(line) as typeof o;
    } catch {
      return;
    }
    if (!o.op || !o.requestId || typeof o.time !== 'number') return;
    const fault = typeof o.fault === 'object' && o.fault !== null ? (o.fault as CallRecord['fault']) : undefined;
    const key = o.requestId;
    if (this.seen.has(key)) {
      // A later line of the same call (e.g. the hang after processing): keep the arrival time.
      return;
    }
    this.seen.add(key);
    const parts = key.split('/');
    const attempt = Number(parts[parts.length - 1]);
    this.calls.push({
      at: o.time,
      op: o.op,
      requestId: key,
      workflowId: parts.slice(0, -2).join('/'),
      activityType: parts[parts.length - 2] ?? '',
      attempt: Number.isFinite(attempt) ? attempt : 0,
      fault,
    });
  }

  clear(): void {
    this.calls.length = 0;
    this.seen.clear();
  }
}

export interface RetryAfterCheck {
  rateLimited: number;
  /** 429s followed by another call of the same workflow (the rest were the workflow's last call or still waiting). */
  followed: number;
  /** Calls that came earlier than Retry-After after a 429. */
  early: { requestId: string; gapMs: number; retryAfterMs: number }[];
  /** Smallest gap between a 429 and the workflow's next call, and its Retry-After. */
  minGapMs?: number;
  retryAfterMs?: number;
}

/**
 * For each 429, the next CA call of the same workflow must come at least Retry-After later.
 * Workflows call the CA one activity at a time, so the next call of the workflow is the retry.
 */
export function checkRetryAfter(calls: readonly CallRecord[]): RetryAfterCheck {
  const byWorkflow = new Map<string, CallRecord[]>();
  for (const c of calls) {
    const list = byWorkflow.get(c.workflowId) ?? [];
    list.push(c);
    byWorkflow.set(c.workflowId, list);
  }
  const result: RetryAfterCheck = { rateLimited: 0, followed: 0, early: [] };
  for (const list of byWorkflow.values()) {
    list.sort((a, b) => a.at - b.at);
    list.forEach((c, i) => {
      if (c.fault?.kind !== 'rate-limit') return;
      result.rateLimited++;
      const next = list[i + 1];
      if (!next) return;
      result.followed++;
      const gapMs = next.at - c.at;
      const retryAfterMs = (c.fault.retryAfterSeconds ?? 0) * 1000;
      if (result.minGapMs === undefined || gapMs < result.minGapMs) {
        result.minGapMs = gapMs;
        result.retryAfterMs = retryAfterMs;
      }
      if (gapMs < retryAfterMs) result.early.push({ requestId: next.requestId, gapMs, retryAfterMs });
    });
  }
  return result;
}

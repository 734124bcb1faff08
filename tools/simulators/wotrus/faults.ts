/**
 * Fault injection for the WoTrus API (never the admin API): the failures a real CA and the
 * network in front of it produce, at configurable rates, so the client's retries, timeouts,
 * idempotency and parsing are tested against something that actually misbehaves.
 */
import { z } from 'zod';
import { API_OPS, type ApiOp, type Counters } from './counters';

const rate = z.number().min(0).max(1);

export const faultsSchema = z
  .object({
    /** Share of calls answered HTTP 500/502/503 without being processed. */
    errorRate: rate.optional(),
    /** Pin the status of `errorRate` faults (default: 500, 502 or 503 at random). */
    errorStatus: z.union([z.literal(500), z.literal(502), z.literal(503)]).optional(),
    /** Added to every call before it is processed. */
    latencyMs: z.number().int().min(0).max(600_000).optional(),
    /** Share of calls that hang for `hangMs` (set it longer than the client's timeout). */
    hangRate: rate.optional(),
    hangMs: z.number().int().min(0).max(600_000).optional(),
    /** After the hang: `drop` the connection without an answer (default) or `answer` normally. */
    hangThen: z.enum(['drop', 'answer']).optional(),
    /**
     * Default false: the call is processed first (the order exists, the client never hears);
     * true: the CA never sees it.
     */
    hangBeforeProcessing: z.boolean().optional(),
    /** Share of calls whose (processed) answer is replaced by an invalid or schema-breaking body on HTTP 200. */
    malformedRate: rate.optional(),
    malformedKind: z.enum(['truncated', 'html', 'schema', 'random']).optional(),
    /** Share of calls answered HTTP 429 with Retry-After. */
    rateLimitRate: rate.optional(),
    retryAfterSeconds: z.number().int().min(0).max(3_600).optional(),
    /** Every API call answers 503 for this long from the moment the faults are set. */
    outage: z.object({ durationMs: z.number().int().min(0).max(86_400_000) }).optional(),
    /** Share of pushes never sent. */
    dropPushRate: rate.optional(),
    /** Answer 401 to every API call, as if the partner token had been revoked. */
    authFailure: z.boolean().optional(),
    /** Limit the faults to these operations (default: all). */
    ops: z.array(z.enum(API_OPS)).optional(),
  })
  .strict();
export type Faults = z.infer<typeof faultsSchema>;

export type MalformedKind = 'truncated' | 'html' | 'schema';

/** What to do with one API call, decided once when it arrives. */
export interface FaultDecision {
  reject?: { kind: 'auth' } | { kind: 'outage' } | { kind: 'rate-limit'; retryAfterSeconds: number } | { kind: 'error'; status: 500 | 502 | 503 };
  latencyMs: number;
  hang?: { ms: number; then: 'drop' | 'answer'; beforeProcessing: boolean };
  malformed?: MalformedKind;
}

const NONE: FaultDecision = { latencyMs: 0 };

export class FaultInjector {
  private faults: Faults = {};
  private outageUntil = 0;

  constructor(
    private readonly counters: Counters,
    private readonly random: () => number = Math.random,
  ) {}

  set(faults: Faults): void {
    this.faults = faults;
    this.outageUntil = faults.outage ? Date.now() + faults.outage.durationMs : 0;
  }

  clear(): void {
    this.set({});
  }

  view(): Faults & { outageRemainingMs: number } {
    return { ...this.faults, outageRemainingMs: Math.max(0, this.outageUntil - Date.now()) };
  }

  private hit(r: number | undefined): boolean {
    // Rate 1 must always fire and rate 0 never, whatever the random source returns.
    return r !== undefined && r > 0 && (r >= 1 || this.random() < r);
  }

  decide(op: ApiOp): FaultDecision {
    const f = this.faults;
    if (f.ops && !f.ops.includes(op)) return NONE;
    const injected = (d: FaultDecision): FaultDecision => {
      this.counters.faultsInjected++;
      return d;
    };
    if (f.authFailure) return injected({ latencyMs: 0, reject: { kind: 'auth' } });
    if (this.outageUntil > Date.now()) return injected({ latencyMs: 0, reject: { kind: 'outage' } });
    if (this.hit(f.rateLimitRate)) {
      this.counters.rateLimited++;
      return injected({ latencyMs: 0, reject: { kind: 'rate-limit', retryAfterSeconds: f.retryAfterSeconds ?? 1 } });
    }
    if (this.hit(f.errorRate)) {
      const statuses = [500, 502, 503] as const;
      const status = f.errorStatus ?? statuses[Math.floor(this.random() * 3) % 3]!;
      return injected({ latencyMs: f.latencyMs ?? 0, reject: { kind: 'error', status } });
    }
    const decision: FaultDecision = { latencyMs: f.latencyMs ?? 0 };
    if (this.hit(f.hangRate)) {
      this.counters.faultsInjected++;
      decision.hang = { ms: f.hangMs ?? 30_000, then: f.hangThen ?? 'drop', beforeProcessing: f.hangBeforeProcessing ?? false };
    }
    if (this.hit(f.malformedRate)) {
      this.counters.faultsInjected++;
      const kinds: MalformedKind[] = ['truncated', 'html', 'schema'];
      const kind = f.malformedKind ?? 'random';
      decision.malformed = kind === 'random' ? kinds[Math.floor(this.random() * 3) % 3]! : kind;
    }
    return decision;
  }

  shouldDropPush(): boolean {
    if (!this.hit(this.faults.dropPushRate)) return false;
    this.counters.faultsInjected++;
    return true;
  }
}

/** Bodies a broken proxy or a half-deployed CA might send with HTTP 200. */
export function malformedBody(kind: MalformedKind): { contentType: string; body: string } {
  switch (kind) {
    case 'truncated':
      return { contentType: 'application/json; charset=utf-8', body: '{"isSuccess":true,"errorMsg":null,"successMsg":"","data":{"orderId":"' };
    case 'html':
      return { contentType: 'text/html; charset=utf-8', body: '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>' };
    case 'schema':
      return { contentType: 'application/json; charset=utf-8', body: '{"isSuccess":"maybe","errorMsg":42,"data":[["unexpected"]],"page":"none"}' };
  }
}

/**
 * Fault injection on the ACMAPI endpoint (never the admin API or /metrics). Counted faults
 * (not rates) so a test or the fault suite knows exactly which requests they hit: each
 * request the endpoint receives uses up one of a pending count.
 */
import { z } from 'zod';

const count = z.number().int().min(0).max(1_000_000);

export const faultsSchema = z
  .object({
    /**
     * The next N requests are handled completely (an apply validates and may issue), then
     * their connection is destroyed without an answer: "the CA issued, the answer was lost".
     */
    dropAfterHandling: count.optional(),
    /** The next `count` requests get this HTTP status and an HTML body, without being handled. */
    failBeforeHandling: z.object({ status: z.union([z.literal(500), z.literal(502), z.literal(503)]), count: count.min(1) }).strict().optional(),
    /** Added to every request. */
    delayMs: z.number().int().min(0).max(600_000).optional(),
    /** `after` (default): handled, then the answer waits (a client giving up has lost a handled request); `before`: waits, then handles. */
    delayPhase: z.enum(['before', 'after']).optional(),
    /** Domains the CA cannot fetch the signfile of (its network view), even when the file is served: 107. */
    unreachableDomains: z.array(z.string().min(1)).optional(),
    /** The next request (one-shot) is answered `{"result":"error","status":"<code>"}` without being handled. */
    errorCode: z.number().int().min(100).max(999).optional(),
  })
  .strict();
export type Faults = z.infer<typeof faultsSchema>;

/** What to do with one request, decided when it arrives. */
export interface FaultDecision {
  failStatus?: 500 | 502 | 503;
  forcedError?: number;
  delayMs: number;
  delayPhase: 'before' | 'after';
  drop: boolean;
}

export class FaultInjector {
  private faults: Faults = {};

  set(faults: Faults): void {
    this.faults = structuredClone(faults);
  }

  clear(): void {
    this.faults = {};
  }

  /** What is still armed (counts go down as requests use them). */
  view(): Faults {
    return structuredClone(this.faults);
  }

  unreachable(domain: string): boolean {
    return (this.faults.unreachableDomains ?? []).some((d) => d.toLowerCase() === domain);
  }

  decide(): FaultDecision {
    const f = this.faults;
    const decision: FaultDecision = { delayMs: f.delayMs ?? 0, delayPhase: f.delayPhase ?? 'after', drop: false };
    if (f.failBeforeHandling) {
      decision.failStatus = f.failBeforeHandling.status;
      f.failBeforeHandling = f.failBeforeHandling.count > 1 ? { ...f.failBeforeHandling, count: f.failBeforeHandling.count - 1 } : undefined;
      return decision;
    }
    if (f.errorCode !== undefined) {
      decision.forcedError = f.errorCode;
      f.errorCode = undefined;
    }
    if (f.dropAfterHandling) {
      decision.drop = true;
      f.dropAfterHandling--;
    }
    return decision;
  }
}

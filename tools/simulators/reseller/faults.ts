/**
 * Faults on the reseller endpoints (never the admin API): the acmapi simulator's injector for
 * failing before handling, dropping after handling and delays, plus a forced refusal
 * `{ success: false, message }` this platform answers instead of an error code.
 */
import { z } from 'zod';
import { FaultInjector, faultsSchema as acmapiFaults } from '../acmapi/faults';

export const resellerFaultsSchema = acmapiFaults
  .pick({ dropAfterHandling: true, failBeforeHandling: true, delayMs: true, delayPhase: true })
  .extend({
    /** The next `count` requests are answered `{ success: false, message }` without being handled. */
    forceFailure: z.object({ message: z.string().min(1), count: z.number().int().min(1).max(1_000_000) }).strict().optional(),
  })
  .strict();
export type ResellerFaults = z.infer<typeof resellerFaultsSchema>;

export interface ResellerFaultDecision {
  failStatus?: 500 | 502 | 503;
  forcedMessage?: string;
  delayMs: number;
  delayPhase: 'before' | 'after';
  drop: boolean;
}

export class ResellerFaultInjector {
  private readonly base = new FaultInjector();
  private forced: ResellerFaults['forceFailure'];

  set(faults: ResellerFaults): void {
    const { forceFailure, ...rest } = faults;
    this.base.set(rest);
    this.forced = forceFailure && { ...forceFailure };
  }

  clear(): void {
    this.base.clear();
    this.forced = undefined;
  }

  view(): ResellerFaults {
    return { ...this.base.view(), ...(this.forced ? { forceFailure: { ...this.forced } } : {}) };
  }

  decide(): ResellerFaultDecision {
    const d: ResellerFaultDecision = this.base.decide();
    if (d.failStatus === undefined && this.forced) {
      d.forcedMessage = this.forced.message;
      this.forced = this.forced.count > 1 ? { ...this.forced, count: this.forced.count - 1 } : undefined;
    }
    return d;
  }
}

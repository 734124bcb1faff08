/**
 * Fault injection: on the create endpoint (never the admin API), on signing and on pushes.
 * Counted faults, not rates, so a test knows exactly which requests or pushes they hit: each
 * create, signing or push attempt uses up one of a pending count, in order.
 */
import { z } from 'zod';

const count = z.number().int().min(0).max(1_000_000);

export const faultsSchema = z
  .object({
    /** The next N creates are handled completely (an order is accepted and will be signed), then their connection is destroyed without an answer. */
    dropCreateAnswer: count.optional(),
    /** The next `count` creates get this HTTP status and a proxy's HTML page, without being handled. */
    failBeforeHandling: z.object({ status: z.union([z.literal(500), z.literal(502), z.literal(503)]), count: count.min(1) }).strict().optional(),
    /** Added to every create. */
    delayMs: z.number().int().min(0).max(600_000).optional(),
    /** `after` (default): handled, then the answer waits; `before`: waits, then handles. */
    delayPhase: z.enum(['before', 'after']).optional(),
    /** The next create (one-shot) is answered `{status:0, errorcode:<code>}` without being handled (e.g. -69). */
    errorCode: z.number().int().min(-1_000).max(-1).optional(),
    /** The next N push attempts are not sent (the platform believes it pushed; the next scheduled attempt goes out). */
    lostPushes: count.optional(),
    /** The next N push attempts carry a wrong `hash` (the content is right); later attempts are correct. */
    wrongHashPushes: count.optional(),
    /** Each push attempt is sent `copies` times at once; for the next `count` attempts, or while armed when `count` is unset. */
    duplicatePushes: z.object({ copies: z.number().int().min(2).max(100), count: count.min(1).optional() }).strict().optional(),
    /** The next `count` signings fail: the push says `status: 0` with this `errorcode` (`&`-joined, e.g. "-57&-61") and no content. */
    failSignings: z
      .object({ count: count.min(1), errorcode: z.string().regex(/^-\d+(&-\d+)*$/, 'codes such as "-61" or "-57&-61"') })
      .strict()
      .optional(),
  })
  .strict();
export type Faults = z.infer<typeof faultsSchema>;

/** What to do with one create, decided when it arrives. */
export interface CreateFaultDecision {
  failStatus?: 500 | 502 | 503;
  forcedError?: number;
  delayMs: number;
  delayPhase: 'before' | 'after';
  drop: boolean;
}

/** What to do with one push attempt. */
export interface PushFaultDecision {
  lost: boolean;
  wrongHash: boolean;
  copies: number;
}

export class FaultInjector {
  private faults: Faults = {};

  set(faults: Faults): void {
    this.faults = structuredClone(faults);
  }

  clear(): void {
    this.faults = {};
  }

  /** What is still armed (counts go down as they are used). */
  view(): Faults {
    return structuredClone(this.faults);
  }

  decideCreate(): CreateFaultDecision {
    const f = this.faults;
    const decision: CreateFaultDecision = { delayMs: f.delayMs ?? 0, delayPhase: f.delayPhase ?? 'after', drop: false };
    if (f.failBeforeHandling) {
      decision.failStatus = f.failBeforeHandling.status;
      f.failBeforeHandling = f.failBeforeHandling.count > 1 ? { ...f.failBeforeHandling, count: f.failBeforeHandling.count - 1 } : undefined;
      return decision;
    }
    if (f.errorCode !== undefined) {
      decision.forcedError = f.errorCode;
      f.errorCode = undefined;
    }
    if (f.dropCreateAnswer) {
      decision.drop = true;
      f.dropCreateAnswer--;
    }
    return decision;
  }

  /** A lost attempt uses nothing else: the wrong hash and the copies go to the next one sent. */
  decidePush(): PushFaultDecision {
    const f = this.faults;
    if (f.lostPushes) {
      f.lostPushes--;
      return { lost: true, wrongHash: false, copies: 0 };
    }
    const decision: PushFaultDecision = { lost: false, wrongHash: false, copies: 1 };
    if (f.wrongHashPushes) {
      decision.wrongHash = true;
      f.wrongHashPushes--;
    }
    if (f.duplicatePushes) {
      decision.copies = f.duplicatePushes.copies;
      if (f.duplicatePushes.count !== undefined) f.duplicatePushes = f.duplicatePushes.count > 1 ? { ...f.duplicatePushes, count: f.duplicatePushes.count - 1 } : undefined;
    }
    return decision;
  }

  /** The errorcode a signing fails with, or undefined. */
  decideSigning(): string | undefined {
    const f = this.faults.failSignings;
    if (!f) return undefined;
    this.faults.failSignings = f.count > 1 ? { ...f, count: f.count - 1 } : undefined;
    return f.errorcode;
  }
}

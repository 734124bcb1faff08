/**
 * A token bucket: `burst` tokens at most, refilled at `ratePerSec`. The push receiver's global
 * budget: every push-triggered delivery (its look-up and its signals) takes one token, so a
 * flood of pushes — forged or not — costs at most `burst + ratePerSec × T` look-ups and
 * signals over T seconds, whatever the ids it names.
 */
export interface TokenBucket {
  /** Takes a token when one is left; false means over budget. */
  take(): boolean;
  /** Tokens left now (fractional while refilling). */
  readonly available: number;
}

export interface TokenBucketOptions {
  ratePerSec: number;
  burst: number;
  now?: () => number;
}

export function createTokenBucket({ ratePerSec, burst, now = Date.now }: TokenBucketOptions): TokenBucket {
  if (!(ratePerSec > 0) || !(burst >= 1)) throw new Error('token bucket: ratePerSec must be > 0 and burst ≥ 1');
  let tokens = burst;
  let at = now();

  function refill(): void {
    const t = now();
    if (t > at) tokens = Math.min(burst, tokens + ((t - at) * ratePerSec) / 1000);
    at = t;
  }

  return {
    take() {
      refill();
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
    get available() {
      refill();
      return tokens;
    },
  };
}

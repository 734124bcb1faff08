/**
 * Remembers recently handled pushes so the CA's retries of one event signal once. Per
 * process and in memory on purpose: a push is only a hint (the workflow confirms by reading
 * the CA's status), so a duplicate that slips through on another API instance costs one
 * status read, and nothing needs to survive a restart.
 */
export interface PushDedupe {
  /** True when the key was free and is now claimed; false for a duplicate. */
  claim(key: string): boolean;
  /** Frees a claim whose handling failed, so the CA's retry is not taken for a duplicate. */
  release(key: string): void;
  readonly size: number;
}

export interface PushDedupeOptions {
  ttlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

export function createPushDedupe({ ttlMs = 30_000, maxEntries = 10_000, now = Date.now }: PushDedupeOptions = {}): PushDedupe {
  // A Map iterates in insertion order, so its first entries are the oldest.
  const seen = new Map<string, number>();

  function evict(at: number): void {
    for (const [key, expires] of seen) {
      if (expires > at && seen.size < maxEntries) break;
      seen.delete(key);
    }
  }

  return {
    claim(key) {
      const at = now();
      evict(at);
      const expires = seen.get(key);
      if (expires !== undefined && expires > at) return false;
      seen.delete(key);
      seen.set(key, at + ttlMs);
      return true;
    },
    release(key) {
      seen.delete(key);
    },
    get size() {
      return seen.size;
    },
  };
}

export const pushKey = (p: { orderId: string; isIssued: boolean; isRevoked: boolean }): string =>
  `${p.orderId}|${p.isIssued ? 1 : 0}|${p.isRevoked ? 1 : 0}`;

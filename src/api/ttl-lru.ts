/**
 * A small map whose entries expire after a TTL and whose size is bounded, the least recently
 * set entry going first. For the push receiver's routing caches; per process, in memory: a
 * miss costs one visibility look-up, nothing worse.
 */
export interface TtlLru<V> {
  get(key: string): V | undefined;
  set(key: string, value: V): void;
  delete(key: string): boolean;
  readonly size: number;
}

export function createTtlLru<V>({ ttlMs, maxEntries, now = Date.now }: { ttlMs: number; maxEntries: number; now?: () => number }): TtlLru<V> {
  // A Map iterates in insertion order: re-inserting on set keeps the oldest first.
  const entries = new Map<string, { value: V; expires: number }>();
  return {
    get(key) {
      const e = entries.get(key);
      if (!e) return undefined;
      if (e.expires <= now()) {
        entries.delete(key);
        return undefined;
      }
      return e.value;
    },
    set(key, value) {
      entries.delete(key);
      entries.set(key, { value, expires: now() + ttlMs });
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value as string);
    },
    delete(key) {
      return entries.delete(key);
    },
    get size() {
      return entries.size;
    },
  };
}

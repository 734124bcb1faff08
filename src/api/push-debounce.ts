/**
 * At most one push-triggered delivery per CA order per window, without losing the last word.
 *
 * The first push for a CA order is delivered at once and opens a window of `windowMs`. Pushes
 * arriving inside the window are not delivered then: the latest of them is kept and delivered
 * once, at the window's end (a "trailing" delivery), which opens the next window. So a status
 * change right after another still reaches the order (within a window), and a flood of N
 * pushes for one order over T seconds costs at most ceil(T / windowMs) + 1 deliveries,
 * whatever N is. Per process and in memory, like everything about pushes: they are hints.
 */
import type { CaPushSignal } from '../workflows/messages';

export interface PushDebounce {
  /**
   * True when no window is open for this CA order: one is opened and the caller delivers now.
   * False when a window is open: the push is kept for the window's trailing delivery.
   */
  offer(push: CaPushSignal): boolean;
  /** The caller's delivery did not happen (over budget, failure): close the window unless a trailing delivery is due. */
  release(caOrderId: string): void;
  /** Closes the window even with a trailing delivery due, and hands back its push (an unknown order: the follow-up takes it). */
  drop(caOrderId: string): CaPushSignal | undefined;
  readonly open: number;
  readonly stats: { trailingScheduled: number; trailingDelivered: number; evicted: number };
  close(): void;
}

export interface PushDebounceOptions {
  windowMs: number;
  /** The trailing delivery; resolves true when it reached an order (the next window opens). */
  deliver(push: CaPushSignal): Promise<boolean>;
  /** Windows kept at most; beyond it the oldest goes (its trailing push, if any, is left to the poll). */
  maxOpen?: number;
  now?: () => number;
}

interface Window {
  openedAt: number;
  pending?: CaPushSignal;
  timer?: NodeJS.Timeout;
  delivering: boolean;
}

export function createPushDebounce({ windowMs, deliver, maxOpen = 10_000, now = Date.now }: PushDebounceOptions): PushDebounce {
  const windows = new Map<string, Window>();
  const stats = { trailingScheduled: 0, trailingDelivered: 0, evicted: 0 };

  const idle = (w: Window, at: number): boolean => !w.pending && !w.timer && !w.delivering && at - w.openedAt >= windowMs;

  function openWindow(id: string, w: Window): void {
    windows.delete(id);
    // Oldest first: closed windows at the front are forgotten as new ones open.
    for (const [oldId, old] of windows) {
      if (!idle(old, w.openedAt)) break;
      windows.delete(oldId);
    }
    windows.set(id, w);
    while (windows.size > maxOpen) {
      const [oldId, old] = windows.entries().next().value as [string, Window];
      if (old.timer) clearTimeout(old.timer);
      windows.delete(oldId);
      stats.evicted++;
    }
  }

  function schedule(id: string, w: Window): void {
    if (w.timer || w.delivering || !w.pending) return;
    stats.trailingScheduled++;
    const timer = setTimeout(() => void trail(id, w), Math.max(0, w.openedAt + windowMs - now()));
    timer.unref();
    w.timer = timer;
  }

  async function trail(id: string, w: Window): Promise<void> {
    w.timer = undefined;
    const push = w.pending;
    w.pending = undefined;
    if (!push || windows.get(id) !== w) return;
    w.delivering = true;
    let delivered = false;
    try {
      delivered = await deliver(push);
    } catch {
      // The deliverer logs and counts; the order's poll covers a lost hint.
    }
    w.delivering = false;
    if (windows.get(id) !== w) return;
    if (delivered) {
      stats.trailingDelivered++;
      w.openedAt = now();
    }
    if (w.pending) schedule(id, w);
    else if (!delivered || windowMs === 0) windows.delete(id);
  }

  return {
    offer(push) {
      const id = push.caOrderId;
      const w = windows.get(id);
      if (w && (w.delivering || w.timer || now() - w.openedAt < windowMs)) {
        w.pending = push;
        schedule(id, w);
        return false;
      }
      openWindow(id, { openedAt: now(), delivering: false });
      return true;
    },
    release(caOrderId) {
      const w = windows.get(caOrderId);
      if (w && !w.pending && !w.timer) windows.delete(caOrderId);
    },
    drop(caOrderId) {
      const w = windows.get(caOrderId);
      if (!w) return undefined;
      if (w.timer) clearTimeout(w.timer);
      windows.delete(caOrderId);
      return w.pending;
    },
    get open() {
      return windows.size;
    },
    stats,
    close() {
      for (const w of windows.values()) if (w.timer) clearTimeout(w.timer);
      windows.clear();
    },
  };
}

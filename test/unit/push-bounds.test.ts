/**
 * The push receiver's bounds, each on its own clock: the per-order window with its trailing
 * delivery (and the ceil(T/W)+1 bound docs/pushes.md quotes), the global token bucket, the
 * source allow-list, the TTL/LRU map, the dispatcher's positive and negative routing caches
 * and their invalidation, and the push settings' configuration errors.
 */
import { createPushDebounce } from '../../src/api/push-debounce';
import { createPushDispatcher } from '../../src/api/push-dispatch';
import { createSourceAllowList } from '../../src/api/push-source';
import { createTokenBucket } from '../../src/api/token-bucket';
import { createTtlLru } from '../../src/api/ttl-lru';
import { apiListenOptions } from '../../src/api/server';
import { parseConfig } from '../../src/config';
import { configIssues } from '../support/config-issues';
import { OrderNotFoundError } from '../../src/orders/errors';
import type { CaPushSignal } from '../../src/workflows/messages';

const push = (caOrderId: string, isIssued = false): CaPushSignal => ({ caOrderId, isIssued, isRevoked: false, receivedAt: '2026-01-01T00:00:00.000Z' });

afterEach(() => jest.useRealTimers());

describe('per-order window (push-debounce)', () => {
  function debounce(windowMs: number, deliverOk = true) {
    jest.useFakeTimers({ now: 0 });
    const trailing: CaPushSignal[] = [];
    const d = createPushDebounce({ windowMs, deliver: async (p) => (trailing.push(p), deliverOk) });
    return { d, trailing };
  }

  test('the first push is delivered now; pushes inside the window become one trailing delivery of the latest, at the window\'s end', async () => {
    const { d, trailing } = debounce(5_000);
    expect(d.offer(push('A'))).toBe(true);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(d.offer(push('A', false))).toBe(false);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(d.offer(push('A', true))).toBe(false); // a change right after another: not lost
    await jest.advanceTimersByTimeAsync(2_999);
    expect(trailing).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(trailing).toEqual([push('A', true)]);
    expect(d.stats).toMatchObject({ trailingScheduled: 1, trailingDelivered: 1 });
  });

  test('windows are per CA order', () => {
    const { d } = debounce(5_000);
    expect(d.offer(push('A'))).toBe(true);
    expect(d.offer(push('B'))).toBe(true);
    expect(d.offer(push('A'))).toBe(false);
  });

  test('a flood of pushes for one order over T seconds costs at most ceil(T/W)+1 deliveries', async () => {
    const W = 5_000;
    const T = 60_000;
    const { d, trailing } = debounce(W);
    for (let i = 0; i < 1_000; i++) {
      d.offer(push('A', i % 2 === 0));
      await jest.advanceTimersByTimeAsync(T / 1_000);
    }
    await jest.advanceTimersByTimeAsync(W); // the last trailing delivery
    const leading = 1;
    const deliveries = leading + trailing.length;
    expect(deliveries).toBeLessThanOrEqual(Math.ceil(T / W) + 1);
    // And the flood was not starved either: a delivery in every window.
    expect(deliveries).toBeGreaterThanOrEqual(Math.floor(T / W));
  });

  test('after a quiet window the next push is delivered at once again', async () => {
    const { d, trailing } = debounce(1_000);
    expect(d.offer(push('A'))).toBe(true);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(d.offer(push('A'))).toBe(true);
    expect(trailing).toEqual([]);
  });

  test('release: a leading delivery that did nothing frees the window, unless a trailing one is due', async () => {
    const { d, trailing } = debounce(1_000);
    expect(d.offer(push('A'))).toBe(true);
    d.release('A');
    expect(d.offer(push('A'))).toBe(true);
    expect(d.offer(push('A', true))).toBe(false);
    d.release('A'); // the trailing push stays due
    await jest.advanceTimersByTimeAsync(1_000);
    expect(trailing).toEqual([push('A', true)]);
  });

  test('drop: the window closes with its trailing push handed back, and nothing is delivered at its end', async () => {
    const { d, trailing } = debounce(1_000);
    d.offer(push('A'));
    d.offer(push('A', true));
    expect(d.drop('A')).toEqual(push('A', true));
    await jest.advanceTimersByTimeAsync(1_000);
    expect(trailing).toEqual([]);
    expect(d.offer(push('A'))).toBe(true);
  });

  test('a trailing delivery that reached nothing closes the window', async () => {
    const { d, trailing } = debounce(1_000, false);
    d.offer(push('A'));
    d.offer(push('A', true));
    await jest.advanceTimersByTimeAsync(1_000);
    expect(trailing).toHaveLength(1);
    expect(d.offer(push('A'))).toBe(true);
  });

  test('bounded: beyond maxOpen the oldest window goes, its trailing push cancelled', async () => {
    jest.useFakeTimers({ now: 0 });
    const trailing: string[] = [];
    const d = createPushDebounce({ windowMs: 1_000, maxOpen: 2, deliver: async (p) => (trailing.push(p.caOrderId), true) });
    d.offer(push('A'));
    d.offer(push('A'));
    d.offer(push('B'));
    d.offer(push('C'));
    expect(d.open).toBe(2);
    expect(d.stats.evicted).toBe(1);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(trailing).toEqual([]);
  });
});

describe('global budget (token bucket)', () => {
  test('burst at once, then the rate; never more than the burst saved up', () => {
    let now = 0;
    const b = createTokenBucket({ ratePerSec: 20, burst: 5, now: () => now });
    const takeAll = () => {
      let n = 0;
      while (b.take()) n++;
      return n;
    };
    expect(takeAll()).toBe(5);
    now += 1_000;
    expect(takeAll()).toBe(5); // 20 earned, 5 kept
    now += 100;
    expect(takeAll()).toBe(2);
    // Over T seconds of flood: at most burst + rate × T.
    let taken = 0;
    for (let t = 0; t < 10_000; t += 10) {
      now += 10;
      taken += takeAll();
    }
    expect(taken).toBeLessThanOrEqual(5 + 20 * 10);
    expect(taken).toBeGreaterThanOrEqual(20 * 10 - 1);
  });
});

describe('source allow-list', () => {
  const nets = (csv: string) => parseConfig({ CA_PUSH_ALLOW_FROM: csv }).CA_PUSH_ALLOW_FROM!;
  test('IPv4 and IPv6 networks and single addresses; IPv4-mapped IPv6 peers; nothing else', () => {
    const allowed = createSourceAllowList(nets('203.0.113.0/24,198.51.100.7, 2001:db8::/32'));
    expect(allowed('203.0.113.255')).toBe(true);
    expect(allowed('203.0.114.0')).toBe(false);
    expect(allowed('198.51.100.7')).toBe(true);
    expect(allowed('198.51.100.8')).toBe(false);
    expect(allowed('2001:db8:ffff::1')).toBe(true);
    expect(allowed('2001:db9::1')).toBe(false);
    expect(allowed('::ffff:203.0.113.1')).toBe(true);
    expect(allowed('::ffff:192.0.2.1')).toBe(false);
    expect(allowed(undefined)).toBe(false);
    expect(allowed('not-an-ip')).toBe(false);
  });
});

describe('TTL/LRU map', () => {
  test('expires after the TTL and drops the least recently set beyond its size', () => {
    let now = 0;
    const m = createTtlLru<number>({ ttlMs: 100, maxEntries: 2, now: () => now });
    m.set('a', 1);
    m.set('b', 2);
    m.set('a', 3); // refreshed: b is now the oldest
    m.set('c', 4);
    expect([m.get('a'), m.get('b'), m.get('c')]).toEqual([3, undefined, 4]);
    now = 100;
    expect(m.get('a')).toBeUndefined();
  });
});

describe('routing caches (push-dispatch)', () => {
  function dispatcher(o: { negativeTtlMs?: number; ratePerSec?: number; burst?: number } = {}) {
    let now = 0;
    const workflows = new Map<string, string[]>();
    const ended = new Set<string>();
    const lookUps: string[] = [];
    const signals: string[] = [];
    const d = createPushDispatcher({
      find: async (id) => (lookUps.push(id), workflows.get(id) ?? []),
      signal: async (wf) => {
        if (ended.has(wf)) throw new OrderNotFoundError(wf);
        signals.push(wf);
      },
      log: { info: () => undefined, warn: () => undefined, debug: () => undefined },
      windowMs: 0,
      ratePerSec: o.ratePerSec ?? 1_000,
      burst: o.burst ?? 1_000,
      negativeTtlMs: o.negativeTtlMs,
      followUpDelaysMs: [],
      settings: { verify: 'none', allowFrom: 0 },
      now: () => now,
    });
    return { d, workflows, ended, lookUps, signals, advance: (ms: number) => void (now += ms) };
  }

  test('positive: 1,000 pushes for one order cost one look-up', async () => {
    const h = dispatcher();
    h.workflows.set('A', ['order-A']);
    for (let i = 0; i < 1_000; i++) expect(await h.d.dispatch(push('A'))).toEqual({ action: 'signalled', workflows: 1 });
    expect(h.lookUps).toEqual(['A']);
    expect(h.d.stats().cache).toMatchObject({ hits: 999, entries: 1 });
  });

  test('negative: 1,000 pushes for one unknown id cost one look-up within the negative TTL (default 1 s), then one more', async () => {
    const h = dispatcher();
    for (let i = 0; i < 1_000; i++) expect(await h.d.dispatch(push('NOPE'))).toEqual({ action: 'unknown' });
    expect(h.lookUps).toEqual(['NOPE']);
    h.advance(999);
    await h.d.dispatch(push('NOPE'));
    expect(h.lookUps).toEqual(['NOPE']);
    h.advance(1);
    await h.d.dispatch(push('NOPE'));
    expect(h.lookUps).toEqual(['NOPE', 'NOPE']);
    expect(h.d.stats().refused['unknown-order']).toBe(1_002);
  });

  test('distinct forged ids cost at most the budget\'s look-ups, and signal nothing', async () => {
    const h = dispatcher({ ratePerSec: 20, burst: 40 });
    const answers: string[] = [];
    for (let i = 0; i < 1_000; i++) answers.push((await h.d.dispatch(push(`FORGED-${i}`))).action);
    expect(h.lookUps).toHaveLength(40);
    expect(answers.filter((a) => a === 'throttled')).toHaveLength(960);
    expect(h.signals).toEqual([]);
  });

  test('invalidation: a cached workflow that has ended is dropped and the id looked up again', async () => {
    const h = dispatcher();
    h.workflows.set('A', ['order-A']);
    await h.d.dispatch(push('A'));
    h.ended.add('order-A');
    h.workflows.set('A', ['order-A-revoke']);
    expect(await h.d.dispatch(push('A'))).toEqual({ action: 'signalled', workflows: 1 });
    expect(h.lookUps).toEqual(['A', 'A']);
    expect(h.signals).toEqual(['order-A', 'order-A-revoke']);
    expect(h.d.stats().cache.invalidated).toBe(1);
    // Cached again: no third look-up.
    await h.d.dispatch(push('A'));
    expect(h.lookUps).toHaveLength(2);
  });

  test('a revocation is a new event: looked up afresh, so a revocation child started since on the same CA order is signalled too; issuance is not', async () => {
    const h = dispatcher();
    h.workflows.set('A', ['order-A']);
    await h.d.dispatch(push('A', false));
    await h.d.dispatch(push('A', true));
    await h.d.dispatch(push('A', true));
    expect(h.lookUps).toEqual(['A']);
    expect(h.d.stats().cache.hits).toBe(2);
    h.workflows.set('A', ['order-A', 'order-A-revoke']);
    expect(await h.d.dispatch({ ...push('A', true), isRevoked: true })).toEqual({ action: 'signalled', workflows: 2 });
    expect(h.lookUps).toEqual(['A', 'A']);
    expect(h.signals.slice(-2)).toEqual(['order-A', 'order-A-revoke']);
  });

  test('every workflow of a fresh look-up gone: a not-found answer, and nothing stays cached', async () => {
    const h = dispatcher();
    h.workflows.set('A', ['order-A']);
    h.ended.add('order-A');
    await expect(h.d.dispatch(push('A'))).rejects.toBeInstanceOf(OrderNotFoundError);
    expect(h.d.stats().cache.entries).toBe(0);
  });
});

describe('push settings', () => {
  const issues = configIssues;

  test('defaults: the document\'s unsigned pushes, any source, 5 s window, 20/s with a burst of 40', () => {
    expect(parseConfig({})).toMatchObject({ CA_PUSH_VERIFY: 'none', CA_PUSH_WINDOW_MS: 5_000, CA_PUSH_RATE_PER_SEC: 20, CA_PUSH_BURST: 40 });
    expect(parseConfig({}).CA_PUSH_ALLOW_FROM).toBeUndefined();
  });

  test('the API listens with a backlog above Node\'s 511, so a burst of connections is queued, not SYN-dropped', () => {
    expect(apiListenOptions(parseConfig({}))).toEqual({ host: '127.0.0.1', port: 8080, backlog: 4_096 });
    expect(apiListenOptions(parseConfig({ API_LISTEN_BACKLOG: '1024' }), { port: 0 })).toEqual({ host: '127.0.0.1', port: 0, backlog: 1_024 });
    expect(issues({ API_LISTEN_BACKLOG: '0' })[0]).toMatch(/^API_LISTEN_BACKLOG: /);
  });

  test('errors name the variable and the rule', () => {
    expect(issues({ CA_PUSH_VERIFY: 'hmac' })).toEqual(['CA_PUSH_SECRET: required when CA_PUSH_VERIFY=hmac']);
    expect(issues({ CA_PUSH_VERIFY: 'signed' })).toEqual(['CA_PUSH_VERIFY: must be none or hmac']);
    expect(issues({ CA_PUSH_ALLOW_FROM: '10.0.0.0/33' })[0]).toMatch(/^CA_PUSH_ALLOW_FROM: each entry must be an IPv4 or IPv6 address or network .*"10.0.0.0\/33" is not/);
    expect(issues({ CA_PUSH_ALLOW_FROM: 'example.com' })[0]).toMatch(/^CA_PUSH_ALLOW_FROM: each entry must be/);
    expect(issues({ CA_PUSH_ALLOW_FROM: ',' })).toEqual(['CA_PUSH_ALLOW_FROM: must list at least one address or network']);
    expect(issues({ CA_PUSH_WINDOW_MS: '-1' })[0]).toMatch(/^CA_PUSH_WINDOW_MS: /);
    expect(issues({ CA_PUSH_BURST: '0' })[0]).toMatch(/^CA_PUSH_BURST: /);
    expect(issues({ API_TRUST_PROXY: 'everyone' })).toEqual(['API_TRUST_PROXY: must be a hop count (e.g. 1) or proxy addresses/networks']);
  });

  test('production no longer needs a push secret (pushes are unsigned by default)', () => {
    expect(issues({ CERTFLOW_ENV: 'production' })).not.toContain('CA_PUSH_SECRET: required in production');
  });

  test('allow-list and trusted proxies parse into networks', () => {
    const c = parseConfig({ CA_PUSH_ALLOW_FROM: '203.0.113.0/24, 2001:db8::1', API_TRUST_PROXY: '10.0.0.0/8' });
    expect(c.CA_PUSH_ALLOW_FROM).toEqual([{ address: '203.0.113.0', prefix: 24, family: 'ipv4' }, { address: '2001:db8::1', prefix: 128, family: 'ipv6' }]);
    expect(parseConfig({ API_TRUST_PROXY: '1' }).API_TRUST_PROXY).toBe(1);
  });
});

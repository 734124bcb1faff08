/**
 * Pushes for orders not yet searchable (src/api/push-follow-up.ts): looked up again on a
 * short schedule, delivered once when the order appears, never twice when the CA's own retry
 * got through first, dropped after the last look-up, and bounded in number.
 */
import { createPushDedupe, pushKey } from '../../src/api/push-dedupe';
import { createPushFollowUp } from '../../src/api/push-follow-up';
import type { CaPushSignal } from '../../src/workflows/messages';

const DELAYS = [20, 40, 80];
const push = (caOrderId: string): CaPushSignal => ({ caOrderId, isIssued: true, isRevoked: false, receivedAt: new Date().toISOString() });
const keyOf = (p: CaPushSignal): string => pushKey({ orderId: p.caOrderId, isIssued: p.isIssued, isRevoked: p.isRevoked });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function harness(searchableAfterLookUps: Record<string, number>) {
  const lookUps: string[] = [];
  const signals: [string, string][] = [];
  const dedupe = createPushDedupe();
  const followUp = createPushFollowUp({
    dedupe,
    delaysMs: DELAYS,
    maxHeld: 3,
    find: async (caOrderId) => {
      lookUps.push(caOrderId);
      const after = searchableAfterLookUps[caOrderId];
      return after !== undefined && lookUps.filter((x) => x === caOrderId).length >= after ? [`order-${caOrderId}`] : [];
    },
    signal: async (workflowId, p) => {
      signals.push([workflowId, p.caOrderId]);
    },
  });
  return { lookUps, signals, dedupe, followUp };
}

afterEach(() => jest.useRealTimers());

describe('push follow-up', () => {
  test('a push whose order becomes searchable at the second look-up is delivered once, then forgotten', async () => {
    const h = harness({ A: 2 });
    const p = push('A');
    h.followUp.hold(keyOf(p), p);
    h.followUp.hold(keyOf(p), p); // the CA's retry of the same event: held once
    await sleep(DELAYS[0]! + DELAYS[1]! + 30);
    expect(h.signals).toEqual([['order-A', 'A']]);
    expect(h.lookUps).toEqual(['A', 'A']);
    expect(h.followUp.held).toBe(0);
    expect(h.followUp.stats).toMatchObject({ held: 1, delivered: 1 });
    // Claimed in the shared dedupe: a later CA retry of this event is a duplicate.
    expect(h.dedupe.claim(keyOf(p))).toBe(false);
  });

  test('not delivered again when the CA retry got through first', async () => {
    const h = harness({ B: 1 });
    const p = push('B');
    h.followUp.hold(keyOf(p), p);
    expect(h.dedupe.claim(keyOf(p))).toBe(true); // the CA's retry, answered by the route
    await sleep(DELAYS[0]! + 30);
    expect(h.lookUps).toEqual(['B']);
    expect(h.signals).toEqual([]);
  });

  test('an order that never appears: one look-up per step, then dropped', async () => {
    const h = harness({});
    const p = push('C');
    h.followUp.hold(keyOf(p), p);
    await sleep(DELAYS.reduce((a, b) => a + b, 0) + 60);
    expect(h.lookUps).toEqual(['C', 'C', 'C']);
    expect(h.signals).toEqual([]);
    expect(h.followUp.held).toBe(0);
    expect(h.followUp.stats).toMatchObject({ held: 1, expired: 1, delivered: 0 });
  });

  test('bounded: beyond maxHeld new pushes are not kept; close() cancels the rest', async () => {
    const h = harness({});
    for (const id of ['D1', 'D2', 'D3', 'D4', 'D5']) h.followUp.hold(keyOf(push(id)), push(id));
    expect(h.followUp.held).toBe(3);
    expect(h.followUp.stats).toMatchObject({ held: 3, refused: 2 });
    h.followUp.close();
    await sleep(DELAYS[0]! + 30);
    expect(h.lookUps).toEqual([]);
  });
});

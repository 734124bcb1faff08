/**
 * Pushes for orders not yet searchable (src/api/push-follow-up.ts): looked up again on a
 * short schedule, delivered once when the order appears, skipped steps when over budget,
 * dropped after the last look-up, and bounded in number.
 */
import { createPushFollowUp } from '../../src/api/push-follow-up';
import type { CaPushSignal } from '../../src/workflows/messages';

const DELAYS = [20, 40, 80];
const push = (caOrderId: string, isIssued = true): CaPushSignal => ({ caOrderId, isIssued, isRevoked: false, receivedAt: new Date().toISOString() });

function harness(searchableAfterLookUps: Record<string, number>, o: { budget?: () => boolean } = {}) {
  const lookUps: string[] = [];
  const delivered: [string, string[], boolean][] = [];
  const followUp = createPushFollowUp({
    delaysMs: DELAYS,
    maxHeld: 3,
    find: async (caOrderId) => {
      if (o.budget && !o.budget()) return undefined;
      lookUps.push(caOrderId);
      const after = searchableAfterLookUps[caOrderId];
      return after !== undefined && lookUps.filter((x) => x === caOrderId).length >= after ? [`order-${caOrderId}`] : [];
    },
    deliver: async (p, workflowIds) => {
      delivered.push([p.caOrderId, workflowIds, p.isIssued]);
      return true;
    },
  });
  return { lookUps, delivered, followUp };
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('push follow-up', () => {
  test('a push whose order becomes searchable at the second look-up is delivered once (the latest push of the order), then forgotten', async () => {
    const h = harness({ A: 2 });
    h.followUp.hold(push('A', false));
    h.followUp.hold(push('A', true)); // a later push of the same order: held once, its content kept
    expect(h.followUp.held).toBe(1);
    await jest.advanceTimersByTimeAsync(DELAYS[0]! + DELAYS[1]!);
    expect(h.delivered).toEqual([['A', ['order-A'], true]]);
    expect(h.lookUps).toEqual(['A', 'A']);
    expect(h.followUp.held).toBe(0);
    expect(h.followUp.stats).toMatchObject({ held: 1, delivered: 1 });
  });

  test('an order that never appears: one look-up per step, then dropped', async () => {
    const h = harness({});
    h.followUp.hold(push('C'));
    await jest.advanceTimersByTimeAsync(DELAYS.reduce((a, b) => a + b, 0));
    expect(h.lookUps).toEqual(['C', 'C', 'C']);
    expect(h.delivered).toEqual([]);
    expect(h.followUp.held).toBe(0);
    expect(h.followUp.stats).toMatchObject({ held: 1, expired: 1, delivered: 0 });
  });

  test('over budget a step is skipped (no look-up), and the next step looks again', async () => {
    let tokens = 0;
    const h = harness({ E: 1 }, { budget: () => tokens-- > 0 });
    h.followUp.hold(push('E'));
    await jest.advanceTimersByTimeAsync(DELAYS[0]!);
    expect(h.lookUps).toEqual([]);
    expect(h.followUp.stats.skipped).toBe(1);
    tokens = 1;
    await jest.advanceTimersByTimeAsync(DELAYS[1]!);
    expect(h.lookUps).toEqual(['E']);
    expect(h.delivered).toEqual([['E', ['order-E'], true]]);
  });

  test('bounded: beyond maxHeld new pushes are not kept; close() cancels the rest', async () => {
    const h = harness({});
    for (const id of ['D1', 'D2', 'D3', 'D4', 'D5']) h.followUp.hold(push(id));
    expect(h.followUp.held).toBe(3);
    expect(h.followUp.stats).toMatchObject({ held: 3, refused: 2 });
    h.followUp.close();
    await jest.advanceTimersByTimeAsync(DELAYS[0]!);
    expect(h.lookUps).toEqual([]);
  });
});

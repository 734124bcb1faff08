/**
 * Phase C: the engine's own limit. A workflow with the shape of a certflow order — the same
 * number of activities, signals and timers, with no-op activities and no payload codec — so
 * its rate on the same server is what Temporal itself allows for that shape.
 */
import { condition, proxyActivities, proxyLocalActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { BareActivities } from './bare-activities';
import { type BareShape, bareSignal } from './bare-shared';

export type { BareShape } from './bare-shared';

const { step, reachedActive } = proxyActivities<BareActivities>({ startToCloseTimeout: '1m', retry: { maximumAttempts: 3 } });
const inline = proxyLocalActivities<BareActivities>({ startToCloseTimeout: '10s', retry: { maximumAttempts: 1 } });

export async function bareWorkflow(shape: BareShape): Promise<void> {
  let received = 0;
  setHandler(bareSignal, () => void (received += 1));
  const activities = Math.max(1, shape.activities);
  await step(0);
  // Poll timers cut short by pushes, as in awaitIssuance.
  const shortTimers = Math.max(0, shape.timers - 1);
  for (let t = 0; t < shortTimers; t++) await condition(() => received > t, '1 minute');
  // An order's inline status reads, collection and verification.
  for (let l = 0; l < (shape.localActivities ?? 0); l++) await inline.step(l);
  for (let i = 1; i < activities - 1; i++) await step(i);
  await reachedActive(workflowInfo().workflowId);
  // The order's lifecycle: open until expiry, the rest of the pushes arriving meanwhile.
  if (shape.timers > 0) await condition(() => false, '30 days');
}

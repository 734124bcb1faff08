/**
 * 7. Two workers on one task queue, one SIGKILLed mid-run and not restarted: the other
 *    finishes every order.
 */
import { startFaultStack } from '../support/fault-stack';
import { allActive, countStates, finalStates, orderIds, placeOrders, waitForStates } from '../support/orders';
import { Recorder, type ScenarioResult, checkUniqueness, scenarioResult } from '../support/result';
import { type Scenario, type ScenarioEnv, sleep } from './types';

export const twoWorkers: Scenario = {
  id: 'two-workers',
  title: 'Two workers, one killed',
  async run(env: ScenarioEnv): Promise<ScenarioResult> {
    const n = env.size === 'full' ? 200 : 12;
    const r = new Recorder();
    const stack = await startFaultStack({ name: 'two-workers', log: env.log, temporalAddress: env.temporalAddress, workers: 2 });
    try {
      const ids = orderIds('TW', n);
      const placing = placeOrders(stack, ids);
      // Mid-run: once a quarter of the orders are active.
      let killedAt: Record<string, number> = {};
      for (let i = 0; i < 600; i++) {
        const states = await stack.states().catch(() => new Map<string, string>());
        const c = countStates(states.values());
        if ((c.active ?? 0) >= n / 4) {
          killedAt = c;
          break;
        }
        await sleep(250);
      }
      const victim = stack.workers[0]!;
      await victim.kill();
      env.log(`[two-workers] worker pid ${victim.pid} SIGKILLed at ${JSON.stringify(killedAt)}; pid ${stack.workers[1]!.pid} carries on alone`);
      await placing;
      const waited = await waitForStates(stack, ids, { label: 'two-workers', log: env.log, done: allActive(n), timeoutMs: env.size === 'full' ? 12 * 60_000 : 6 * 60_000, intervalMs: 2_000 });
      const final = await finalStates(stack, ids, { state: 'active', label: 'two-workers', log: env.log });
      r.check('the surviving worker finished every order', waited.ok && final.reached && stack.workers[1]!.alive, `final states: ${JSON.stringify(final.counts)}`);
      const u = await checkUniqueness(r, stack, ids, { emailsExact: false });
      r.figure('states when the worker was killed', JSON.stringify(killedAt));
      return scenarioResult(this, r, {
        fault: 'one of two workers SIGKILLed with a quarter of the orders active',
        orders: n,
        finalStates: final.counts,
        invariants: u,
      });
    } finally {
      await stack.close();
    }
  },
};

/**
 * 7. Two workers on one task queue, one SIGKILLed mid-run and not restarted: the other
 *    finishes every order.
 */
import { startFaultStack } from '../support/fault-stack';
import { allActive, countStates, orderIds, placeOrders, queryViews, waitForStates } from '../support/orders';
import { Recorder, type ScenarioResult, checkUniqueness, duplicatesText, uniqueness } from '../support/result';
import { type Scenario, type ScenarioEnv, sleep } from './types';

export const twoWorkers: Scenario = {
  id: 'two-workers',
  title: 'Two workers, one killed',
  async run(env: ScenarioEnv): Promise<ScenarioResult> {
    const n = env.size === 'full' ? 200 : 12;
    const r = new Recorder();
    const started = Date.now();
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
      const views = await queryViews(stack, ids);
      const finalStates = countStates([...views.values()].map((v) => (v instanceof Error ? 'queryFailed' : v.condition.state)));
      r.check('the surviving worker finished every order', waited.ok && finalStates.active === n && stack.workers[1]!.alive, `final states: ${JSON.stringify(finalStates)}`);
      const u = uniqueness(stack, ids);
      checkUniqueness(r, u, n, { emailsExact: false });
      r.figure('states when the worker was killed', JSON.stringify(killedAt));
      return {
        id: this.id,
        title: this.title,
        fault: 'one of two workers SIGKILLed with a quarter of the orders active',
        orders: n,
        finalStates,
        caCalls: u.caCalls,
        duplicates: duplicatesText(u),
        emails: { sent: u.emailsSent, duplicated: Object.keys(u.duplicateEmails).length },
        durationMs: Date.now() - started,
        figures: r.figures,
        checks: r.checks,
      };
    } finally {
      await stack.close();
    }
  },
};

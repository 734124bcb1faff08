/**
 * 4. The CA answers 401 (a revoked token): orders park in needsAttention with reason
 *    CaAuthenticationFailed, call the CA at most hourly, and resume on retryNow once fixed.
 */
import { startFaultStack } from '../support/fault-stack';
import { allActive, countStates, finalStates, orderIds, placeOrders, pool, queryViews, totalCalls, waitForStates } from '../support/orders';
import { Recorder, type ScenarioResult, checkUniqueness, scenarioResult } from '../support/result';
import { type Scenario, type ScenarioEnv, sleep } from './types';

export const authFailure: Scenario = {
  id: 'auth-failure',
  title: 'CA refuses the token (401)',
  async run(env: ScenarioEnv): Promise<ScenarioResult> {
    const n = env.size === 'full' ? 50 : 5;
    const windowMs = env.size === 'full' ? 60_000 : 10_000;
    const r = new Recorder();
    const stack = await startFaultStack({ name: 'auth-failure', log: env.log, temporalAddress: env.temporalAddress });
    try {
      const ids = orderIds('AF', n);
      stack.sim.state.setFaults({ authFailure: true });
      env.log('[auth-failure] the CA answers 401 to every call');
      await placeOrders(stack, ids);
      const parked = await waitForStates(stack, ids, { label: 'auth-failure', log: env.log, done: (c) => (c.needsAttention ?? 0) === n, timeoutMs: 3 * 60_000 });
      const views = await queryViews(stack, ids);
      const reasons = countStates([...views.values()].map((v) => (v instanceof Error ? 'queryFailed' : `${v.condition.state}/${v.condition.reason}`)));
      r.check('orders move to needsAttention with reason CaAuthenticationFailed', parked.ok && reasons['needsAttention/CaAuthenticationFailed'] === n, JSON.stringify(reasons));
      const nextChecks = [...views.values()].map((v) => (v instanceof Error || !v.ca.nextCheckAt ? Number.NaN : Date.parse(v.ca.nextCheckAt) - Date.now()));
      const minNext = Math.min(...nextChecks);
      r.check('next automatic retry about an hour away (policy attentionRetryMs)', minNext > 55 * 60_000, `soonest next check in ${Number.isNaN(minNext) ? '—' : `${(minNext / 60_000).toFixed(1)} min`}`);

      // Observe the parked orders: they must not keep calling the CA.
      const before = totalCalls(stack.sim.state.counters());
      env.log(`[auth-failure] ${n}/${n} needsAttention; watching CA calls for ${windowMs / 1000} s`);
      await sleep(windowMs);
      const during = totalCalls(stack.sim.state.counters()) - before;
      const total = totalCalls(stack.sim.state.counters());
      r.check('at most a few CA calls per order per hour while parked', during === 0 && total / n <= 3,
        `${during} CA calls in the ${windowMs / 1000} s window; ${total} calls since the fault (${(total / n).toFixed(1)} per order, all before parking); 401s answered ${stack.sim.state.counters().faultsInjected}`);

      // The token is fixed: clear the fault and ask each order to retry now.
      stack.sim.state.clearFaults();
      const retried = await pool(ids, 8, async (id) => (await stack.api(`/v1/orders/${id}/retry`, { method: 'POST', body: {} })).status);
      r.check('POST /v1/orders/:id/retry accepted (202)', retried.every((s) => s === 202), JSON.stringify(countStates(retried.map(String))));
      const resumed = await waitForStates(stack, ids, { label: 'auth-failure', log: env.log, done: allActive(n), timeoutMs: 4 * 60_000, extra: () => 'token fixed, retryNow sent' });
      const final = await finalStates(stack, ids, { state: 'active', label: 'auth-failure', log: env.log });
      r.check('every order resumed to active', resumed.ok && final.reached, JSON.stringify(final.counts));
      const u = await checkUniqueness(r, stack, ids, { emailsExact: true });
      r.figure('CA calls per order while the token was refused', (total / n).toFixed(1));
      r.figure('observation window', `${windowMs / 1000} s`);
      return scenarioResult(this, r, {
        fault: `every CA call answered 401; watched ${windowMs / 1000} s, then token fixed + retryNow`,
        orders: n,
        finalStates: final.counts,
        invariants: u,
      });
    } finally {
      stack.sim.state.clearFaults();
      await stack.close();
    }
  },
};

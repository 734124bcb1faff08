/**
 * 1. The worker process SIGKILLed every 2–4 s of its life (and restarted each time) while
 *    N orders run: every order reaches active, one CA order per idempotenceID, at most one
 *    e-mail per certificate (an e-mail attempt lost with the worker is reported unconfirmed).
 */
import { startFaultStack } from '../support/fault-stack';
import { allActive, finalStates, orderIds, placeOrders, waitForStates } from '../support/orders';
import { Recorder, type ScenarioResult, checkUniqueness, extraEmails, scenarioResult, unconfirmedText } from '../support/result';
import { type Scenario, type ScenarioEnv, between, sleep } from './types';

export const killWorker: Scenario = {
  id: 'kill-worker',
  title: 'Worker SIGKILLed repeatedly',
  async run(env: ScenarioEnv): Promise<ScenarioResult> {
    const n = env.size === 'full' ? 200 : 12;
    const maxKills = env.size === 'full' ? 10 : 2;
    const r = new Recorder();
    const stack = await startFaultStack({ name: 'kill-worker', log: env.log, temporalAddress: env.temporalAddress });
    try {
      const ids = orderIds('KW', n);
      let kills = 0;
      let placedDone = false;
      const placing = placeOrders(stack, ids).finally(() => (placedDone = true));
      let stopKilling = false;
      const readyTimes: number[] = [];
      const killer = (async () => {
        while (!stopKilling && kills < maxKills) {
          const current = stack.workers[stack.workers.length - 1]!;
          await sleep(between(2_000, 4_000));
          if (stopKilling) return;
          await current.kill();
          kills++;
          const w = await stack.startWorker();
          readyTimes.push(w.readyAt! - w.startedAt);
          env.log(`[kill-worker] kill #${kills}: pid ${current.pid} SIGKILLed; pid ${w.pid} polling after ${w.readyAt! - w.startedAt} ms${placedDone ? '' : ' (orders still being placed)'}`);
        }
      })();
      const placed = await placing;
      r.check('every POST /v1/orders answered 202', placed.every((p) => p.status === 202), `${placed.filter((p) => p.status === 202).length}/${n} answered 202`);
      const waited = await waitForStates(stack, ids, {
        label: 'kill-worker',
        log: env.log,
        done: (c) => allActive(n)(c) && kills >= Math.min(maxKills, 3),
        timeoutMs: env.size === 'full' ? 15 * 60_000 : 6 * 60_000,
        extra: () => `kill #${kills}`,
        intervalMs: 2_000,
      });
      stopKilling = true;
      await killer;
      const final = await finalStates(stack, ids, { state: 'active', label: 'kill-worker', log: env.log });
      r.check('every order reached active', waited.ok && final.reached, `final states: ${JSON.stringify(final.counts)} after ${kills} kills`);
      const u = await checkUniqueness(r, stack, ids, { emailsExact: false });
      r.figure('kills', kills);
      r.figure('worker start to first poll (ms, median)', readyTimes.length ? [...readyTimes].sort((a, b) => a - b)[Math.floor(readyTimes.length / 2)]! : 0);
      r.figure('retried Create calls (idempotent)', u.retriedCreates);
      r.figure('duplicate customer e-mails', extraEmails(u));
      r.figure('e-mails not confirmed', unconfirmedText(u));
      return scenarioResult(this, r, {
        fault: `worker SIGKILLed ${kills}× (every 2–4 s of uptime), restarted each time`,
        orders: n,
        finalStates: final.counts,
        invariants: u,
      });
    } finally {
      await stack.close();
    }
  },
};

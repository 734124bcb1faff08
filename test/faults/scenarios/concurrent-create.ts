/**
 * 5. 50 identical POST /v1/orders at once: all 202, created:true exactly once, one workflow,
 *    one CA order.
 */
import { startFaultStack } from '../support/fault-stack';
import { allActive, countStates, finalStates, orderBody, orderIds, waitForStates } from '../support/orders';
import { Recorder, type ScenarioResult, checkUniqueness, scenarioResult } from '../support/result';
import type { Scenario, ScenarioEnv } from './types';

export const concurrentCreate: Scenario = {
  id: 'concurrent-create',
  title: '50 identical creates at once',
  async run(env: ScenarioEnv): Promise<ScenarioResult> {
    const copies = 50;
    const r = new Recorder();
    const stack = await startFaultStack({ name: 'concurrent-create', log: env.log, temporalAddress: env.temporalAddress });
    try {
      const [id] = orderIds('CC', 1) as [string];
      const body = await orderBody(id);
      const answers = await Promise.all(
        Array.from({ length: copies }, async () => {
          const res = await stack.api('/v1/orders', { body });
          return { status: res.status, created: ((await res.json()) as { created?: boolean }).created };
        }),
      );
      env.log(`[concurrent-create] ${copies} POSTs answered ${JSON.stringify(countStates(answers.map((a) => String(a.status))))}`);
      r.check(`all ${copies} answered 202`, answers.every((a) => a.status === 202), JSON.stringify(countStates(answers.map((a) => String(a.status)))));
      const createdTrue = answers.filter((a) => a.created === true).length;
      r.check('created:true exactly once', createdTrue === 1, `created:true ${createdTrue}, created:false ${answers.filter((a) => a.created === false).length}`);
      const waited = await waitForStates(stack, [id], { label: 'concurrent-create', log: env.log, done: allActive(1), timeoutMs: 3 * 60_000 });
      const runs = await stack.client.workflowService.listWorkflowExecutions({ namespace: stack.client.options.namespace, query: `WorkflowId = 'order-${id}'`, pageSize: 100 });
      r.check('one workflow execution', runs.executions.length === 1, `${runs.executions.length} execution(s) with id order-${id}`);
      const final = await finalStates(stack, [id], { state: 'active', label: 'concurrent-create', log: env.log });
      r.check('the order reached active', waited.ok && final.reached, JSON.stringify(final.counts));
      const creates = stack.sim.state.counters().createsByIdempotenceId[id] ?? 0;
      r.check('one Create call reached the CA', creates === 1, `createsByIdempotenceId ${creates}`);
      const u = await checkUniqueness(r, stack, [id], { emailsExact: true });
      return scenarioResult(this, r, {
        fault: `${copies} identical POST /v1/orders at once`,
        orders: 1,
        finalStates: final.counts,
        invariants: u,
        emails: false,
      });
    } finally {
      await stack.close();
    }
  },
};

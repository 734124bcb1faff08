/**
 * 9. The reseller platform charges per `unique_id`: a create or reissue whose answer is lost
 *    is asked again with the same `unique_id`, and must never be charged twice. N orders for
 *    the reseller DV product, placed in waves of 5; in each wave the simulator handles one
 *    create and drops its answer, and in every other wave answers one request 500 before
 *    handling it. A stand-in customer publishes every CNAME as soon as the platform names it,
 *    so certflow's own look passes and the order is issued at its next status read. Then every
 *    order is reissued with a new CSR, again with lost answers. Every order must end active
 *    on its second certificate, with one service, one create charge and one reissue charge.
 */
import { RESELLER_DV_PRODUCT_ID } from '../../../tools/stack/reseller';
import { generateCsr } from '../../../tools/simulators/wotrus/csr';
import { type FaultStack, startFaultStack } from '../support/fault-stack';
import { finalStates, orderDomain, orderIds, placeOrders, pool, queryViews, until, waitForStates } from '../support/orders';
import { Recorder, type ScenarioResult } from '../support/result';
import type { Scenario, ScenarioEnv } from './types';

const WAVE = 5;

/** Runs `step` over `ids` in waves, arming one lost answer (and every other wave one 500) per wave. */
async function inWaves(stack: FaultStack, ids: readonly string[], counted: 'creates' | 'reissues', step: (wave: string[]) => Promise<number[]>): Promise<{ dropped: number; failed: number; statuses: number[] }> {
  const admin = stack.reseller.sim.admin;
  let dropped = 0;
  let failed = 0;
  const statuses: number[] = [];
  for (let w = 0; w * WAVE < ids.length; w++) {
    const wave = ids.slice(w * WAVE, (w + 1) * WAVE);
    const fail = w % 2 === 0;
    await admin.setFaults({ dropAfterHandling: 1, ...(fail ? { failBeforeHandling: { status: 500, count: 1 } } : {}) });
    const before = await admin.counters();
    statuses.push(...(await step(wave)));
    // The wave is over once the platform has handled (and charged) one request per order.
    await until(`the ${counted} of wave ${w + 1}`, async () => (await admin.counters())[counted] >= before[counted] + wave.length, 120_000);
    const after = await admin.counters();
    dropped += after.answersDropped - before.answersDropped;
    failed += after.failedBeforeHandling - before.failedBeforeHandling;
  }
  await admin.clearFaults();
  return { dropped, failed, statuses };
}

export const resellerLostAnswers: Scenario = {
  id: 'reseller-lost-answers',
  title: 'Reseller create and reissue answers lost: charged once per unique_id',
  async run(env: ScenarioEnv): Promise<ScenarioResult> {
    const n = env.size === 'full' ? 50 : 10;
    const r = new Recorder();
    const stack = await startStack(env);
    const admin = stack.reseller.sim.admin;
    try {
      const ids = orderIds('RL', n);
      const created = await inWaves(stack, ids, 'creates', async (wave) => (await placeOrders(stack, wave, { productId: RESELLER_DV_PRODUCT_ID, concurrency: WAVE })).map((a) => a.status));
      env.log(`[reseller-lost-answers] ${n} orders placed in waves of ${WAVE}: ${created.dropped} answers dropped after handling, ${created.failed} requests answered 500 before handling`);
      r.check('every POST /v1/orders answered 202', created.statuses.every((s) => s === 202), `${created.statuses.filter((s) => s === 202).length}/${n}`);
      const issued = await waitForStates(stack, ids, { label: 'reseller-lost-answers', log: env.log, done: (c) => (c.active ?? 0) === n, timeoutMs: 4 * 60_000 });
      r.check('every order active after its create answers were lost (asked again with the same unique_id)', issued.ok, `states ${JSON.stringify(issued.counts)}`);

      const first = await queryViews(stack, ids);
      const reissued = await inWaves(stack, ids, 'reissues', (wave) =>
        pool(wave, WAVE, async (id) => {
          const { csrPem } = await generateCsr({ commonName: orderDomain(id), keyType: 'ec' });
          return (await stack.api(`/v1/orders/${id}/reissue`, { body: { csr: csrPem, reason: 'key rotation under faults', requestId: 'rotate-1' } })).status;
        }),
      );
      env.log(`[reseller-lost-answers] ${n} reissues requested: ${reissued.dropped} answers dropped after handling, ${reissued.failed} answered 500 before handling`);
      r.check('every reissue request accepted (202)', reissued.statuses.every((s) => s === 202), JSON.stringify(reissued.statuses.reduce<Record<string, number>>((a, s) => ({ ...a, [s]: (a[s] ?? 0) + 1 }), {})));
      await waitForStates(stack, ids, {
        label: 'reseller-lost-answers',
        log: env.log,
        done: (c) => (c.active ?? 0) === n,
        timeoutMs: 4 * 60_000,
      });
      await until('every reissue completed', async () => {
        const views = await queryViews(stack, ids);
        return ids.every((id) => {
          const v = views.get(id);
          return v !== undefined && !(v instanceof Error) && v.lineage.reissues[0]?.status === 'completed';
        });
      }, 4 * 60_000).catch(() => undefined);
      const final = await finalStates(stack, ids, { state: 'active', label: 'reseller-lost-answers', log: env.log });
      const switched = ids.filter((id) => {
        const before = first.get(id);
        const after = final.views.get(id);
        return before && after && !(before instanceof Error) && !(after instanceof Error) && after.certificate?.serialNumber !== before.certificate?.serialNumber && after.lineage.reissues[0]?.status === 'completed';
      });
      r.check('every order active on its reissued certificate, none lost', final.reached && switched.length === n, `final ${JSON.stringify(final.counts)}; reissued ${switched.length}/${n}`);

      const c = await admin.counters();
      const charges = Object.values(c.charges);
      const twice = charges.filter((k) => k > 1).length;
      r.check('one create and one reissue charged per order, none twice (the simulator counts charges by unique_id)', c.creates === n && c.reissues === n && charges.length === 2 * n && twice === 0,
        `creates ${c.creates}, reissues ${c.reissues}, unique_ids charged ${charges.length} (${twice} more than once) for ${n} orders`);
      r.check('two certificates issued per order, none more', c.certificatesIssued === 2 * n, `${c.certificatesIssued} certificates for ${n} orders`);
      r.figure('answers lost after handling', c.answersDropped);
      r.figure('requests answered 500 before handling', c.failedBeforeHandling);
      r.figure('reseller requests', `${c.requests} (creates ${c.creates}, reissues ${c.reissues}, status reads ${c.statusReads})`);
      return {
        id: this.id,
        title: this.title,
        fault: `reseller create and reissue answers dropped after handling (${created.dropped + reissued.dropped}) and answered 500 before handling (${created.failed + reissued.failed}), waves of ${WAVE}`,
        orders: n,
        finalStates: final.counts,
        caCalls: c.requests,
        duplicates: `charges ${charges.reduce((a, k) => a + Math.max(0, k - 1), 0)}`,
        durationMs: Date.now() - r.startedAt,
        figures: r.figures,
        checks: r.checks,
      };
    } finally {
      await admin.clearFaults();
      await stack.close();
    }
  },
};

function startStack(env: ScenarioEnv): Promise<FaultStack> {
  // A stand-in customer publishes every record as soon as the platform names it: the scenario is about the answers.
  return startFaultStack({ name: 'reseller-lost-answers', log: env.log, temporalAddress: env.temporalAddress, reseller: { customerPublishes: true } });
}

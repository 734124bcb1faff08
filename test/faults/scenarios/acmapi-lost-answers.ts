/**
 * 8. WoSign ACMAPI has no idempotency key: an apply whose answer is lost may have issued, and
 *    applying again may issue a second certificate. N orders for the ACMAPI product, placed in
 *    waves of 5; in each wave the simulator issues one apply and drops its answer
 *    (`dropAfterHandling`), and in every other wave it answers one apply 500 before handling it
 *    (the CA did nothing, but certflow cannot know). Those orders must park in needsAttention
 *    (CaCreateOutcomeUnknown), refuse retryNow and call the CA no more by themselves. The
 *    scenario then plays the operator: it looks each order's domain up at the CA (the
 *    simulator's admin `applications({ domain })`) and calls resolve-create with the handle_id
 *    found, or createAgain when the CA has nothing. Every order must end active holding the one
 *    certificate the CA issued for it: never two.
 */
import type { ApplicationView, IssuedCertificate } from '../../../tools/simulators/acmapi';
import { ACMAPI_DEV_PRODUCT_ID } from '../../../tools/stack/acmapi';
import type { OrderView } from '../../../src/domain/order-view';
import { type FaultStack, startFaultStack } from '../support/fault-stack';
import { allActive, countStates, finalStates, orderDomain, orderIds, placeOrders, pool, queryViews, until, waitForStates } from '../support/orders';
import { Recorder, type ScenarioResult } from '../support/result';
import { type Scenario, type ScenarioEnv, sleep } from './types';

const WAVE = 5;

/** Serial numbers compare as hex without separators or leading zeros. */
const serial = (s: string | undefined): string => (s ?? '').toLowerCase().replace(/[^0-9a-f]/g, '').replace(/^0+/, '');

/** Places the orders in waves, arming one lost answer (and every other wave one 500) per wave; returns the faults armed. */
async function placeInWaves(stack: FaultStack, ids: readonly string[], log: (l: string) => void): Promise<{ dropped: number; failed: number; placed: number[] }> {
  const admin = stack.acmapi.sim.admin;
  let dropped = 0;
  let failed = 0;
  const placed: number[] = [];
  for (let w = 0; w * WAVE < ids.length; w++) {
    const wave = ids.slice(w * WAVE, (w + 1) * WAVE);
    const fail = w % 2 === 0;
    // Counted faults, used up by the wave's applies in their order of arrival: the first is
    // answered 500 without being handled (every other wave), the next is handled and its answer dropped.
    await admin.setFaults({ dropAfterHandling: 1, ...(fail ? { failBeforeHandling: { status: 500, count: 1 } } : {}) });
    dropped += 1;
    if (fail) failed += 1;
    const before = (await admin.counters()).requests;
    const answers = await placeOrders(stack, wave, { productId: ACMAPI_DEV_PRODUCT_ID, concurrency: WAVE });
    placed.push(...answers.map((a) => a.status));
    // Each order applies once (success at once, or an outcome nobody may repeat): the wave is over at WAVE requests.
    await until(`the applies of wave ${w + 1}`, async () => (await admin.counters()).requests >= before + wave.length, 120_000);
  }
  await admin.clearFaults();
  log(`[acmapi-lost-answers] ${ids.length} orders placed in waves of ${WAVE}: ${dropped} answers dropped after issuing, ${failed} applies answered 500 before handling`);
  return { dropped, failed, placed };
}

export const acmapiLostAnswers: Scenario = {
  id: 'acmapi-lost-answers',
  title: 'ACMAPI apply answers lost, settled by the operator',
  async run(env: ScenarioEnv): Promise<ScenarioResult> {
    const n = env.size === 'full' ? 50 : 10;
    const watchMs = env.size === 'full' ? 10_000 : 3_000;
    const r = new Recorder();
    // Every domain serves the signfile: the scenario is about the CA's answers, not the files.
    const stack = await startFaultStack({ name: 'acmapi-lost-answers', log: env.log, temporalAddress: env.temporalAddress, acmapi: { serveEverywhere: true } });
    const admin = stack.acmapi.sim.admin;
    try {
      const ids = orderIds('AL', n);
      const { dropped, failed, placed } = await placeInWaves(stack, ids, env.log);
      const ambiguous = dropped + failed;
      r.check('every POST /v1/orders answered 202', placed.every((s) => s === 202), `${placed.filter((s) => s === 202).length}/${n}`);

      // The orders whose answer was lost park; the others are active.
      const parkedAt = Date.now();
      const parked = await waitForStates(stack, ids, {
        label: 'acmapi-lost-answers',
        log: env.log,
        done: (c) => (c.active ?? 0) === n - ambiguous && (c.needsAttention ?? 0) === ambiguous,
        timeoutMs: 3 * 60_000,
      });
      const parkedMs = Date.now() - parkedAt;
      const views = await queryViews(stack, ids);
      const stuck = ids.filter((id) => {
        const v = views.get(id);
        return v !== undefined && !(v instanceof Error) && v.condition.state === 'needsAttention';
      });
      const reasons = countStates(stuck.map((id) => (views.get(id) as OrderView).condition.reason ?? '—'));
      r.check(`the ${ambiguous} orders whose apply answer was lost park in needsAttention (CaCreateOutcomeUnknown), the others are active`,
        parked.ok && stuck.length === ambiguous && reasons.CaCreateOutcomeUnknown === ambiguous,
        `states ${JSON.stringify(parked.counts)}; reasons ${JSON.stringify(reasons)}; faults ${dropped} dropped after issuing + ${failed} × 500 before handling`);

      // Nothing happens by itself, and retryNow is refused: it could issue a second certificate.
      const requestsParked = (await admin.counters()).requests;
      const retried = await pool(stuck, 4, async (id) => (await stack.api(`/v1/orders/${id}/retry`, { method: 'POST', body: {} })).status);
      await sleep(watchMs);
      const requestsAfterWatch = (await admin.counters()).requests;
      r.check('retryNow refused for every parked order, and no CA call while parked', retried.every((s) => s === 409) && requestsAfterWatch === requestsParked,
        `POST /retry answered ${JSON.stringify(countStates(retried.map(String)))}; CA requests during the ${watchMs / 1000} s watch: ${requestsAfterWatch - requestsParked}`);

      // The operator: looks each parked order's domain up at the CA, then settles it.
      const resolvedFrom = Date.now();
      const looked = await pool(stuck, 4, async (id) => {
        const found: ApplicationView[] = await admin.applications({ domain: orderDomain(id) });
        const body = found.length === 1 ? { caOrderId: found[0]!.handleId, reason: `found at WoSign: ${found[0]!.handleId} (${found[0]!.state})` } : { createAgain: true as const, reason: 'nothing at WoSign for this domain' };
        const res = await stack.api(`/v1/orders/${id}/resolve-create`, { body });
        return { id, found: found.length, status: res.status };
      });
      const byHandle = looked.filter((l) => l.found === 1).length;
      const again = looked.filter((l) => l.found === 0).length;
      r.check('the operator found at the CA exactly the applies it had handled: resolve-create by handle_id for those, createAgain for the others, each accepted (202)',
        looked.every((l) => l.status === 202 && l.found <= 1) && byHandle === dropped && again === failed,
        `by handle_id ${byHandle} (answers dropped ${dropped}), createAgain ${again} (500s before handling ${failed}); answers ${JSON.stringify(countStates(looked.map((l) => String(l.status))))}`);

      const resumed = await waitForStates(stack, ids, { label: 'acmapi-lost-answers', log: env.log, done: allActive(n), timeoutMs: 3 * 60_000, extra: () => 'resolve-create sent' });
      const resolvedMs = Date.now() - resolvedFrom;
      const final = await finalStates(stack, ids, { state: 'active', label: 'acmapi-lost-answers', log: env.log });
      r.check('every order reached active, none lost', resumed.ok && final.reached && resumed.states.size === n && !resumed.states.has('notStarted'),
        `final states: ${JSON.stringify(final.counts)}${final.elsewhere.length ? `; not active: ${final.elsewhere.slice(0, 5).join('; ')}` : ''}`);

      // One certificate per order at the CA, and it is the one the order holds.
      const certificates: IssuedCertificate[] = await admin.certificates();
      const perDomain = new Map<string, IssuedCertificate[]>();
      for (const c of certificates) for (const d of c.domains) perDomain.set(d, [...(perDomain.get(d) ?? []), c]);
      const counts = ids.map((id) => perDomain.get(orderDomain(id))?.length ?? 0);
      const twice = ids.filter((_, i) => counts[i]! > 1);
      const none = ids.filter((_, i) => counts[i] === 0);
      const extra = counts.reduce((a, k) => a + Math.max(0, k - 1), 0);
      r.check('exactly one certificate issued per order (none twice, none missing)', twice.length === 0 && none.length === 0 && certificates.length === n,
        `${certificates.length} certificates issued for ${n} orders; orders with 2 or more: ${twice.length}${twice.length ? ` (${twice.slice(0, 5).join(', ')})` : ''}; with none: ${none.length}`);
      const mismatched = ids.filter((id) => {
        const v = final.views.get(id);
        const issued = perDomain.get(orderDomain(id))?.[0];
        return v === undefined || v instanceof Error || !issued || !v.certificate?.serialNumber || v.ca.orderId !== issued.handleId || serial(v.certificate?.serialNumber) !== serial(issued.serialHex);
      });
      r.check('every order holds the certificate the CA issued for it (handle_id and serial number)', mismatched.length === 0,
        `${n - mismatched.length}/${n} match${mismatched.length ? `; differing: ${mismatched.slice(0, 5).join(', ')}` : ''}`);

      const c = await admin.counters();
      r.figure('answers lost after issuing (dropAfterHandling)', c.answersDropped);
      r.figure('applies answered 500 before handling', c.failedBeforeHandling);
      r.figure('operator resolutions', `${byHandle} by handle_id, ${again} create again`);
      r.figure('ACMAPI requests', `${c.requests} (applies handled ${c.applications}, asks by handle_id ${c.handleAsks})`);
      r.figure('last wave placed to every lost answer parked', `${(parkedMs / 1000).toFixed(1)} s`);
      r.figure('resolve-create to every order active', `${(resolvedMs / 1000).toFixed(1)} s`);
      return {
        id: this.id,
        title: this.title,
        fault: `ACMAPI apply answers dropped after issuing (${dropped}) and answered 500 before handling (${failed}), waves of ${WAVE}; operator resolve-create`,
        orders: n,
        finalStates: final.counts,
        caCalls: c.requests,
        duplicates: `certificates ${extra}`,
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

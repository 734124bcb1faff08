/**
 * A small run of the fault suite (test/faults, full size: `npm run test:faults`): the worker
 * SIGKILLed mid-run, the CA's fault mix with a short outage, the CA refusing the token, 50
 * identical creates, misbehaving pushes, WoSign ACMAPI applies whose answers are lost
 * (settled by the operator), and reseller creates and reissues whose answers are lost (charged once) — each asserting the same invariants as the full
 * suite (every order active, one CA order per idempotenceID, ...). Nothing here is timed except
 * nothing: the 1 s answer bound of a 1,000-push burst and the 2.5× CA-call bound are checked
 * at full size by `npm run test:faults` (see docs/reliability.md), not in `npm test`. Scenario 2 (restarting Temporal)
 * needs its own server and runs only in the full suite.
 *
 * The kill-worker and CA-fault scenarios start first and run alongside the others: most of
 * their time is spent waiting on Temporal's timers (the startToCloseTimeout of activities lost
 * with a killed worker, retry backoff after the outage). Pushes run last, alone.
 */
import { acmapiLostAnswers } from '../faults/scenarios/acmapi-lost-answers';
import { authFailure } from '../faults/scenarios/auth-failure';
import { caFaults } from '../faults/scenarios/ca-faults';
import { concurrentCreate } from '../faults/scenarios/concurrent-create';
import { killWorker } from '../faults/scenarios/kill-worker';
import { pushes } from '../faults/scenarios/pushes';
import { resellerLostAnswers } from '../faults/scenarios/reseller-lost-answers';
import type { Scenario, ScenarioEnv } from '../faults/scenarios/types';
import type { ScenarioResult } from '../faults/support/result';

const lines: string[] = [];
const env = (): ScenarioEnv => ({
  size: 'smoke',
  temporalAddress: process.env.CERTFLOW_TEST_TEMPORAL_ADDRESS,
  log: (line) => {
    lines.push(line);
    if (process.env.CERTFLOW_FAULTS_VERBOSE) process.stderr.write(`${line}\n`);
  },
});

/** Every failed check with its measured detail, so a failure reads as the suite's table would. */
function failures(result: ScenarioResult): string[] {
  return result.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`);
}

async function run(s: Scenario): Promise<ScenarioResult> {
  const result = await s.run(env());
  if (failures(result).length > 0) process.stderr.write(`[${s.id}] progress:\n${lines.filter((l) => l.includes(`[${s.id}`)).join('\n')}\n`);
  return result;
}

/** Started at once, awaited by their tests: most of their time is waiting on Temporal's retry timers. */
const background: Partial<Record<'kill' | 'ca', Promise<ScenarioResult>>> = {};
beforeAll(() => {
  background.kill = run(killWorker);
  background.ca = run(caFaults);
  // Reported by their own tests below; never an unhandled rejection meanwhile.
  for (const p of Object.values(background)) p.catch(() => undefined);
});

describe('fault suite, small', () => {
  it('50 identical creates at once: one workflow, one CA order, created:true once', async () => {
    const result = await run(concurrentCreate);
    expect(failures(result)).toEqual([]);
  }, 240_000);

  it('CA answers 401: needsAttention (CaAuthenticationFailed), no hot loop, active after the token is fixed and retryNow', async () => {
    const result = await run(authFailure);
    expect(failures(result)).toEqual([]);
  }, 300_000);

  it('ACMAPI answers lost (dropped after issuing, 500 before handling): needsAttention, settled by resolve-create, one certificate per order', async () => {
    const result = await run(acmapiLostAnswers);
    expect(failures(result)).toEqual([]);
    expect(result.finalStates.active).toBe(result.orders);
  }, 300_000);

  it('reseller create and reissue answers lost: asked again with the same unique_id, charged once each, every order reissued and active', async () => {
    const result = await run(resellerLostAnswers);
    expect(failures(result)).toEqual([]);
    expect(result.finalStates.active).toBe(result.orders);
    expect(result.duplicates).toBe('charges 0');
  }, 300_000);

  it('CA fault mix and a short outage: every order active, one CA order each, Retry-After respected', async () => {
    const result = await background.ca!;
    expect(failures(result)).toEqual([]);
    expect(result.finalStates.active).toBe(result.orders);
  }, 1_200_000);

  it('worker SIGKILLed repeatedly: every order active, one CA order per idempotenceID, every certificate e-mailed', async () => {
    const result = await background.kill!;
    expect(failures(result)).toEqual([]);
    expect(result.finalStates.active).toBe(result.orders);
  }, 1_200_000);

  it('pushes: forged (unsigned) harmless, replay ×100 one signal now and one at the window end, stale harmless, unknown 404, a burst all answered', async () => {
    const result = await run(pushes);
    expect(failures(result)).toEqual([]);
  }, 300_000);
});

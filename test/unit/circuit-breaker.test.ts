/**
 * The worker-wide circuit breaker in front of the real WoTrus client, against the simulator:
 * an outage opens it (calls stop reaching the CA), one probe at a time finds the CA back,
 * and the faults that prove the CA is up (refusals, 429, garbled answers, a 30 % error mix)
 * never open it.
 */
import { CIRCUIT_OPEN_CODE, type CircuitEvent, type GuardedIssuer, withCircuitBreaker } from '../../src/ca/circuit-breaker';
import { createWotrusClient, type WotrusClient } from '../../src/ca/wotrus/client';
import { CaErrorType, CaUnavailableError } from '../../src/ca/errors';
import { spread } from '../../src/activities/ca';
import { type RunningSimulator, startSimulator } from '../../tools/simulators/wotrus/server';

const TOKEN = 'breaker-test-token';
const OPTIONS = { threshold: 0.7, windowCalls: 20, minimumCalls: 4, initialOpenMs: 400, maxOpenMs: 1_600 };

let sim: RunningSimulator;
let client: WotrusClient;
let seed = 1;
/** A fixed pseudo-random sequence, so the fault mix is the same on every run. */
const random = (): number => {
  seed = (seed * 16807) % 2147483647;
  return (seed - 1) / 2147483646;
};

beforeAll(async () => {
  sim = await startSimulator({ token: TOKEN, manual: true, random });
  client = createWotrusClient({ baseUrl: sim.url, token: TOKEN, timeoutMs: 1_000, connectTimeoutMs: 1_000, connections: 8 });
});

afterAll(async () => {
  await client.close();
  await sim.close();
});

beforeEach(() => {
  seed = 1;
  sim.state.clearFaults();
  sim.state.resetCounters();
});

const ctx = (n: number) => ({ requestId: `breaker/${n}` });
const calls = (): number => Object.values(sim.state.counters().calls).reduce((a, b) => a + b, 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function settle<T>(p: Promise<T>): Promise<T | Error> {
  try {
    return await p;
  } catch (err) {
    return err as Error;
  }
}

function guarded(): { issuer: GuardedIssuer; events: CircuitEvent['state'][] } {
  const events: CircuitEvent['state'][] = [];
  return { issuer: withCircuitBreaker(client, OPTIONS, (e) => events.push(e.state)), events };
}

describe('circuit breaker', () => {
  test('an outage opens the circuit: later calls fail at once as CIRCUIT_OPEN without reaching the CA', async () => {
    const { issuer, events } = guarded();
    sim.state.setFaults({ outage: { durationMs: 60_000 } });
    for (let i = 0; i < 6; i++) await settle(issuer.getStatus('nope', ctx(i)));
    expect(issuer.circuit()).toBe('open');
    expect(events).toEqual(['open']);
    const before = calls();
    const err = await settle(issuer.getStatus('nope', ctx(99)));
    expect(err).toBeInstanceOf(CaUnavailableError);
    expect((err as CaUnavailableError).code).toBe(CIRCUIT_OPEN_CODE);
    expect((err as CaUnavailableError).name).toBe(CaErrorType.Unavailable);
    expect((err as CaUnavailableError).operation).toBe('getStatus');
    expect((err as CaUnavailableError).requestId).toBe('breaker/99');
    expect((err as CaUnavailableError).retryAfterMs).toBeGreaterThanOrEqual(0);
    expect((err as CaUnavailableError).retryAfterMs).toBeLessThanOrEqual(OPTIONS.maxOpenMs);
    expect(calls()).toBe(before);
  });

  test('after the open period one probe reaches the CA; concurrent calls wait for it and the circuit closes when the CA is back', async () => {
    const { issuer, events } = guarded();
    sim.state.setFaults({ outage: { durationMs: 60_000 } });
    for (let i = 0; i < 6; i++) await settle(issuer.getStatus('nope', ctx(i)));
    expect(issuer.circuit()).toBe('open');
    sim.state.clearFaults();
    await sleep(OPTIONS.maxOpenMs + 100);
    const before = calls();
    sim.state.setFaults({ latencyMs: 300 });
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => settle(issuer.getStatus('nope', ctx(10 + i)))));
    // The probe answers (an unknown order is a business refusal: the CA is up), then the four others go through.
    for (const r of results) expect(r).toBeInstanceOf(Error);
    for (const r of results) expect((r as Error).name).toBe(CaErrorType.Business);
    expect(calls() - before).toBe(5);
    expect(issuer.circuit()).toBe('closed');
    expect(events).toEqual(['open', 'halfOpen', 'closed']);
  });

  test('a failed probe opens the circuit again, for longer', async () => {
    const { issuer, events } = guarded();
    sim.state.setFaults({ outage: { durationMs: 60_000 } });
    for (let i = 0; i < 6; i++) await settle(issuer.getStatus('nope', ctx(i)));
    await sleep(OPTIONS.maxOpenMs + 100);
    const before = calls();
    const probe = await settle(issuer.getStatus('nope', ctx(20)));
    expect((probe as CaUnavailableError).code).toBeUndefined();
    expect((probe as CaUnavailableError).httpStatus).toBe(503);
    expect(calls() - before).toBe(1);
    expect(issuer.circuit()).toBe('open');
    expect(events).toEqual(['open', 'halfOpen', 'open']);
  });

  test('refusals, 429, garbled answers and a 30 % 5xx mix never open it', async () => {
    const { issuer, events } = guarded();
    sim.state.setFaults({ rateLimitRate: 0.3, malformedRate: 0.3, errorRate: 0.3 });
    const results = [];
    for (let i = 0; i < 60; i++) results.push(await settle(issuer.getStatus('nope', ctx(i))));
    const names = new Set(results.map((r) => (r as Error).name));
    expect(names).toEqual(new Set([CaErrorType.RateLimit, CaErrorType.Protocol, CaErrorType.Unavailable, CaErrorType.Business]));
    expect(results.some((r) => (r as CaUnavailableError).code === CIRCUIT_OPEN_CODE)).toBe(false);
    expect(issuer.circuit()).toBe('closed');
    expect(events).toEqual([]);
    expect(calls()).toBe(60);
  });

  test('spread: never earlier than asked, at most a fifth (≤ 5 s) later', () => {
    expect(spread(3_000, () => 0)).toBe(3_000);
    expect(spread(3_000, () => 0.999)).toBeLessThanOrEqual(3_000 + 0.2 * 3_000 + 500);
    expect(spread(600_000, () => 0.999)).toBeLessThanOrEqual(605_000);
    expect(spread(0, () => 0)).toBe(50);
  });
});

/**
 * How a CA activity attempt's failure becomes Temporal's retry decision (src/activities/ca.ts),
 * run in the SDK's activity test environment with a CA that fails as told: the backoff counts
 * the failed calls that reached the CA (carried from attempt to attempt in the heartbeat
 * details), not the attempts the open circuit turned away; Retry-After and the circuit's next
 * probe set the delay; the third garbled answer ends the retries.
 */
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { CA_BACKOFF, backoffMs, createCaActivities } from '../../src/activities/ca';
import { CIRCUIT_OPEN_CODE } from '../../src/ca/circuit-breaker';
import { issuerDirectory } from '../../src/activities/ca';
import type { Issuer } from '../../src/ca/issuer';
import { WOTRUS } from '../../src/ca/wotrus/descriptor';
import { CaBusinessError, CaProtocolError, CaRateLimitError, CaUnavailableError } from '../../src/ca/errors';

const at = { operation: 'getStatus' as const, requestId: 'wf/getCaOrderStatus/1' };

/** A CA whose status read fails with the given error. */
function failingIssuer(err: Error): Issuer {
  const fail = async (): Promise<never> => {
    throw err;
  };
  return { descriptor: WOTRUS, createOrder: fail, getStatus: fail, retrieveCertificate: fail, cancelOrder: fail, requestRevoke: fail, requestReissue: fail, sendIssuedEmail: fail };
}

async function attempt(err: Error, info: { attempt?: number; heartbeatDetails?: unknown; isLocal?: boolean }): Promise<{ failure: ApplicationFailure; heartbeats: unknown[] }> {
  const env = new MockActivityEnvironment({ attempt: info.attempt ?? 1, heartbeatDetails: info.heartbeatDetails, isLocal: info.isLocal ?? false });
  const heartbeats: unknown[] = [];
  env.on('heartbeat', (d: unknown) => heartbeats.push(d));
  const { getCaOrderStatus } = createCaActivities({ issuers: issuerDirectory([failingIssuer(err)]) });
  try {
    await env.run(getCaOrderStatus, 'CA-1');
  } catch (failure) {
    expect(failure).toBeInstanceOf(ApplicationFailure);
    return { failure: failure as ApplicationFailure, heartbeats };
  }
  throw new Error('the activity did not fail');
}

/** The activity always sets milliseconds; anything else (absent, a duration string) is NaN and fails the comparisons. */
const delayMs = (f: ApplicationFailure): number => (typeof f.nextRetryDelay === 'number' ? f.nextRetryDelay : Number.NaN);
const within = (value: number, centre: number): void => {
  expect(value).toBeGreaterThanOrEqual(Math.floor(centre * (1 - CA_BACKOFF.jitter)));
  expect(value).toBeLessThanOrEqual(Math.ceil(centre * (1 + CA_BACKOFF.jitter)));
};

describe('CA activity retries', () => {
  test('backoffMs: 2 s doubling to 1 min, ±20 %', () => {
    expect(backoffMs(1, () => 0.5)).toBe(2_000);
    expect(backoffMs(3, () => 0.5)).toBe(8_000);
    expect(backoffMs(10, () => 0.5)).toBe(60_000);
    expect(backoffMs(1, () => 0)).toBe(1_600);
    expect(backoffMs(10, () => 0.999_999)).toBe(72_000);
  });

  test('a first 5xx: retried after ~2 s, the failure recorded for the next attempt', async () => {
    const { failure, heartbeats } = await attempt(new CaUnavailableError({ ...at, httpStatus: 502 }), {});
    expect(failure.type).toBe('CaUnavailableError');
    expect(failure.nonRetryable).toBe(false);
    within(delayMs(failure), 2_000);
    expect(heartbeats).toEqual([{ protocolErrors: 0, transient: 1 }]);
  });

  test('an inline read (local activity) fails the same way but records nothing: it has no heartbeats and no retries', async () => {
    const { failure, heartbeats } = await attempt(new CaUnavailableError({ ...at, httpStatus: 502 }), { isLocal: true });
    expect(failure.type).toBe('CaUnavailableError');
    expect(failure.nonRetryable).toBe(false);
    expect(heartbeats).toEqual([]);
  });

  test('the third failed call in a row waits ~8 s, whatever the attempt number', async () => {
    const { failure, heartbeats } = await attempt(new CaUnavailableError({ ...at, code: 'UND_ERR_HEADERS_TIMEOUT' }), { attempt: 12, heartbeatDetails: { transient: 2 } });
    within(delayMs(failure), 8_000);
    expect(heartbeats).toEqual([{ protocolErrors: 0, transient: 3 }]);
  });

  test('an attempt turned away by the open circuit comes back at its next probe and does not grow the backoff', async () => {
    const { failure, heartbeats } = await attempt(new CaUnavailableError({ ...at, code: CIRCUIT_OPEN_CODE, retryAfterMs: 4_000 }), { attempt: 9, heartbeatDetails: { transient: 2 } });
    expect(delayMs(failure)).toBeGreaterThanOrEqual(4_000);
    expect(delayMs(failure)).toBeLessThanOrEqual(4_000 + 0.2 * 4_000 + 500);
    expect(heartbeats).toEqual([{ protocolErrors: 0, transient: 2 }]);
  });

  test('a 429 waits for Retry-After, never less', async () => {
    const { failure } = await attempt(new CaRateLimitError({ ...at, httpStatus: 429, retryAfterMs: 3_000 }), {});
    expect(failure.type).toBe('CaRateLimitError');
    expect(delayMs(failure)).toBeGreaterThanOrEqual(3_000);
    // The same wait in the details, where a workflow (an inline read's fallback) can read it.
    expect((failure.details?.[0] as { retryAfterMs?: number }).retryAfterMs).toBe(delayMs(failure));
  });

  test('without heartbeat details (a server that drops them) the attempt number stands in', async () => {
    const { failure } = await attempt(new CaUnavailableError({ ...at, httpStatus: 500 }), { attempt: 5 });
    within(delayMs(failure), 32_000);
  });

  test('the third garbled answer ends the retries; refusals never retry', async () => {
    const garbled = new CaProtocolError({ ...at, httpStatus: 200, issues: [{ path: '', message: 'body is not JSON' }] });
    expect((await attempt(garbled, { heartbeatDetails: { protocolErrors: 1, transient: 4 } })).failure.nonRetryable).toBe(false);
    const third = await attempt(garbled, { heartbeatDetails: { protocolErrors: 2, transient: 4 } });
    expect(third.failure.nonRetryable).toBe(true);
    expect(third.failure.nextRetryDelay).toBeUndefined();
    const refused = await attempt(new CaBusinessError({ ...at, caMessage: 'unknown order' }), {});
    expect(refused.failure.nonRetryable).toBe(true);
    expect(refused.heartbeats).toEqual([]);
  });

  describe('heartbeats of a call in flight', () => {
    /** A CA whose status read answers after `ms`. */
    const slowIssuer = (ms: number): Issuer => {
      const issuer = failingIssuer(new Error('unused'));
      return { ...issuer, getStatus: () => new Promise((resolve) => setTimeout(() => resolve({ status: 'pendingDCV' } as never), ms)) };
    };
    const run = async (o: { callMs: number; isLocal?: boolean; heartbeatDetails?: unknown }): Promise<unknown[]> => {
      const env = new MockActivityEnvironment({ attempt: 1, heartbeatDetails: o.heartbeatDetails, isLocal: o.isLocal ?? false });
      const heartbeats: unknown[] = [];
      env.on('heartbeat', (d: unknown) => heartbeats.push(d));
      const { getCaOrderStatus } = createCaActivities({ issuers: issuerDirectory([slowIssuer(o.callMs)]), heartbeatEveryMs: 20 });
      await env.run(getCaOrderStatus, 'CA-1');
      return heartbeats;
    };

    test('a slow call heartbeats while in flight, carrying the previous attempt\'s memo, and stops when it answers', async () => {
      const memo = { protocolErrors: 1, transient: 2 };
      const heartbeats = await run({ callMs: 150, heartbeatDetails: memo });
      expect(heartbeats.length).toBeGreaterThanOrEqual(3);
      expect(heartbeats.every((d) => JSON.stringify(d) === JSON.stringify(memo))).toBe(true);
      const after = heartbeats.length;
      await new Promise((r) => setTimeout(r, 80));
      expect(heartbeats).toHaveLength(after);
    });

    test('a call shorter than the interval never heartbeats (no extra server round trip)', async () => {
      expect(await run({ callMs: 5 })).toEqual([]);
    });

    test('an inline read (local activity) never heartbeats, however slow', async () => {
      expect(await run({ callMs: 110, isLocal: true })).toEqual([]);
    });
  });
});

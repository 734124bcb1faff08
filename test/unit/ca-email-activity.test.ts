/**
 * The customer e-mail at most once (src/activities/ca.ts `sendCaEmail`), in the SDK's activity
 * test environment with a CA that answers as told: an attempt is repeated only after a failure
 * proving the CA did not act; a lost answer ends the activity as `unconfirmed` (a result, so
 * Temporal does not retry it); an attempt whose predecessor left no proof does not call.
 */
import { ApplicationFailure, type Logger } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { type CaEmailResult, type IssuerDirectory, createCaActivities, issuerDirectory } from '../../src/activities/ca';
import { CIRCUIT_OPEN_CODE } from '../../src/ca/circuit-breaker';
import { CaAuthError, CaProtocolError, CaRateLimitError, CaUnavailableError } from '../../src/ca/errors';
import type { Issuer } from '../../src/ca/issuer';
import { WOTRUS } from '../../src/ca/wotrus/descriptor';

const at = { operation: 'sendIssuedEmail' as const, requestId: 'order-B1/sendCaEmail/1' };

/** A CA whose e-mail call answers `outcome` (an Error is thrown), counting the calls. */
function emailIssuer(outcome: { sent: boolean } | Error): Issuer & { calls: number } {
  const unused = async (): Promise<never> => {
    throw new Error('not under test');
  };
  const issuer = {
    descriptor: WOTRUS,
    calls: 0,
    createOrder: unused,
    getStatus: unused,
    retrieveCertificate: unused,
    sendIssuedEmail: async () => {
      issuer.calls++;
      if (outcome instanceof Error) throw outcome;
      return outcome;
    },
  };
  return issuer;
}

interface Outcome {
  result?: CaEmailResult;
  failure?: ApplicationFailure;
  heartbeats: unknown[];
  calls: number;
  warnings: { message: string; meta?: Record<string, unknown> }[];
}

/** Keeps the warnings (what an operator reads in the worker log); drops the rest. */
function quietLogger(warnings: Outcome['warnings']): Logger {
  const drop = (): void => undefined;
  return { log: drop, trace: drop, debug: drop, info: drop, error: drop, warn: (message, meta) => void warnings.push({ message, meta }) };
}

async function attempt(outcome: { sent: boolean } | Error, info: { attempt?: number; heartbeatDetails?: unknown } = {}, issuers?: IssuerDirectory): Promise<Outcome> {
  const ca = emailIssuer(outcome);
  const warnings: Outcome['warnings'] = [];
  const env = new MockActivityEnvironment(
    { attempt: info.attempt ?? 1, heartbeatDetails: info.heartbeatDetails, workflowExecution: { workflowId: 'order-B1', runId: 'r' }, activityType: 'sendCaEmail' },
    { logger: quietLogger(warnings) },
  );
  const heartbeats: unknown[] = [];
  env.on('heartbeat', (d: unknown) => heartbeats.push(d));
  const { sendCaEmail } = createCaActivities({ issuers: issuers ?? issuerDirectory([ca]) });
  try {
    const result: CaEmailResult = await env.run(sendCaEmail, 'CA-1', 'https://collect.example.com/1');
    return { result, heartbeats, calls: ca.calls, warnings };
  } catch (failure) {
    expect(failure).toBeInstanceOf(ApplicationFailure);
    return { failure: failure as ApplicationFailure, heartbeats, calls: ca.calls, warnings };
  }
}

describe('CA e-mail, at most once', () => {
  test('the CA confirms: sent, one call; the CA says it sent nothing: sent false, not retried', async () => {
    expect(await attempt({ sent: true })).toMatchObject({ result: { sent: true }, calls: 1 });
    expect(await attempt({ sent: false })).toMatchObject({ result: { sent: false }, calls: 1 });
  });

  test.each([
    ['a timeout after the request left', new CaUnavailableError({ ...at, code: 'UND_ERR_HEADERS_TIMEOUT' })],
    ['a reset connection', new CaUnavailableError({ ...at, code: 'ECONNRESET' })],
    ['HTTP 500', new CaUnavailableError({ ...at, httpStatus: 500 })],
    ['a garbled 200', new CaProtocolError({ ...at, httpStatus: 200, issues: [{ path: 'data.sentResult', message: 'expected boolean' }] })],
    ['an error the client did not classify', new Error('socket hang up')],
  ])('%s: unconfirmed, returned (no retry), carrying the reason and the RequestID', async (_what, err) => {
    const o = await attempt(err);
    expect(o.failure).toBeUndefined();
    expect(o.result).toEqual({ sent: 'unconfirmed', reason: err.message, requestId: 'order-B1/sendCaEmail/1' });
    expect(o.calls).toBe(1);
    expect(o.warnings).toEqual([expect.objectContaining({ message: expect.stringContaining('unconfirmed'), meta: expect.objectContaining({ caOrderId: 'CA-1', requestId: 'order-B1/sendCaEmail/1' }) })]);
  });

  test.each([
    ['connection refused', new CaUnavailableError({ ...at, code: 'ECONNREFUSED', notActedOn: true })],
    ['HTTP 503', new CaUnavailableError({ ...at, httpStatus: 503, notActedOn: true })],
    ['the open circuit', new CaUnavailableError({ ...at, code: CIRCUIT_OPEN_CODE, retryAfterMs: 3_000 })],
    ['HTTP 429', new CaRateLimitError({ ...at, httpStatus: 429, retryAfterMs: 3_000 })],
  ])('%s proves the CA did nothing: retried, the proof recorded for the next attempt', async (_what, err) => {
    const o = await attempt(err);
    expect(o.failure?.type).toBe(err.name);
    expect(o.failure?.nonRetryable).toBe(false);
    expect(o.heartbeats.at(-1)).toMatchObject({ emailNotSentBy: 1 });
    expect(o.warnings.filter((w) => w.message.includes('unconfirmed'))).toEqual([]);
  });

  test('credentials refused: fails without retries (recorded as failed by the workflow)', async () => {
    const o = await attempt(new CaAuthError({ ...at, httpStatus: 401 }));
    expect(o.failure?.type).toBe('CaAuthError');
    expect(o.failure?.nonRetryable).toBe(true);
  });

  test('a retry after a proven-unsent attempt calls the CA', async () => {
    const o = await attempt({ sent: true }, { attempt: 2, heartbeatDetails: { transient: 1, emailNotSentBy: 1 } });
    expect(o).toMatchObject({ result: { sent: true }, calls: 1 });
  });

  test('a retry whose predecessor left no proof (worker lost, timed out) does not call: unconfirmed', async () => {
    const silent = await attempt({ sent: true }, { attempt: 2 });
    expect(silent.calls).toBe(0);
    expect(silent.result).toMatchObject({ sent: 'unconfirmed', requestId: 'order-B1/sendCaEmail/1', reason: expect.stringContaining('attempt 1 ended without an answer') });
    // Proof from an older attempt does not cover the last one.
    const stale = await attempt({ sent: true }, { attempt: 3, heartbeatDetails: { transient: 1, emailNotSentBy: 1 } });
    expect(stale.calls).toBe(0);
    expect(stale.result).toMatchObject({ sent: 'unconfirmed', requestId: 'order-B1/sendCaEmail/2' });
  });

  test('an issuer missing from this worker: no call made, retried, and the next attempt may call', async () => {
    const o = await attempt({ sent: true }, {}, issuerDirectory([]));
    expect(o.failure?.type).toBe('IssuerNotConfigured');
    expect(o.failure?.nonRetryable).toBe(false);
    expect(o.heartbeats.at(-1)).toMatchObject({ emailNotSentBy: 1 });
  });
});

/**
 * The races of orderWorkflow's updates (cancel, reissue, revoke, retryNow) and its children,
 * with mocked activities (test/support/fake-ca.ts): no simulator, no HTTP, no webhook.
 * Deferred promises inside the activities hold the workflow at the exact step a race needs.
 *
 * All tests run on the run's shared dev server (real time), not the time-skipping server:
 * the workflow's timers then never fire during a test, so every step the workflow takes is
 * caused by the message or the activity the test released — a time-skipping server would
 * skip to those timers whenever the workflow waits, which is exactly the wall-clock control
 * these tests give up.
 */
import { ApplicationFailure } from '@temporalio/common';
import { CaErrorType } from '../../src/ca/errors';
import { revokeWorkflowId } from '../../src/domain/workflow-ids';
import { ISSUED_BEFORE_CANCEL } from '../../src/workflows/order/issuance';
import { UPDATE_REJECTED, cancelUpdate, reissueUpdate, retryNowUpdate, revokeUpdate } from '../../src/workflows/messages';
import { CSR, type FakeCa, PROOF, authError, fakeCaHarness, outcome, refusal } from '../support/fake-ca';
import { installTestRuntime } from '../support/runtime';
import { outcomes } from '../support/billing-events';

installTestRuntime();
jest.setTimeout(30_000);

const h = fakeCaHarness();
const { run, start, view, until, stateIs, activeOrder } = h;
let fake: FakeCa;
beforeEach(() => {
  fake = h.fake;
});

// ---- Races ---------------------------------------------------------------------------------------

describe('orderWorkflow races (mocked activities)', () => {
  it('cancel while createCaOrder is in flight: the update waits for the CA order, then cancels exactly that one', async () => {
    const create = fake.hold('createCaOrder');
    await run(async () => {
      const handle = await start();
      await create.entered;
      const cancel = await handle.startUpdate(cancelUpdate, { args: [{ reason: 'customer changed their mind' }], waitForStage: 'ACCEPTED' });
      let answered = false;
      const answer = cancel.result().finally(() => (answered = true));
      // Accepted, but no answer can exist yet: the CA order is still being created.
      expect((await view(handle)).condition.state).toBe('creating');
      expect(answered).toBe(false);

      create.release();
      expect(await answer).toMatchObject({ accepted: true, state: 'cancelled', caOrderId: 'CA-1', message: 'The CA order was cancelled.' });
      const final = await handle.result();
      expect(final.condition).toMatchObject({ state: 'cancelled', reason: 'CancelledByRequest' });
      expect(final.ca.orderId).toBe('CA-1');
    });
    // One CA order, cancelled without a status read first; billing hears once.
    expect(fake.names()).toEqual(['createCaOrder', 'cancelCaOrder', 'notifyBilling']);
    expect(fake.argsOf('cancelCaOrder')).toEqual([['CA-1', 'customer changed their mind']]);
    expect(outcomes(fake.billingTypes())).toEqual(['order.cancelled']);
  });

  it('cancel while creation waits in needsAttention (CA auth failure): cancelled before any CA order exists, nothing to cancel at the CA', async () => {
    fake.failNext('createCaOrder', authError);
    await run(async () => {
      const handle = await start();
      const attention = await stateIs(handle, 'needsAttention');
      expect(attention.condition.reason).toBe('CaAuthenticationFailed');
      const answer = await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'duplicate order' }] });
      expect(answer).toEqual({ accepted: true, state: 'cancelled', message: 'Cancelled before the CA order was created.' });
      const final = await handle.result();
      expect(final.condition).toMatchObject({ state: 'cancelled', reason: 'CancelledByRequest' });
      expect(final.lineage.caOrderIds).toEqual([]);
    });
    // Billing heard that an operator was needed, then the cancellation; the CA only the one create.
    expect(fake.names()).toEqual(['createCaOrder', 'notifyBilling', 'notifyBilling']);
    expect(fake.billingTypes()).toEqual(['order.needs_attention', 'order.cancelled']);
  });

  it('two cancels at once: one is accepted, the other refused by the validator as already in progress', async () => {
    const create = fake.hold('createCaOrder');
    await run(async () => {
      const handle = await start();
      await create.entered;
      // Sent together: they may land in one workflow task; the first handler marks the cancel
      // before the second validator runs.
      const both = [handle.executeUpdate(cancelUpdate, { args: [{ reason: 'first' }] }), handle.executeUpdate(cancelUpdate, { args: [{ reason: 'second' }] })].map(outcome);
      // The accepted one cannot finish while createCaOrder is held, so the first to settle is the refusal.
      const refused = await Promise.race(both);
      expect(refused).toBeInstanceOf(ApplicationFailure);
      expect((refused as ApplicationFailure).type).toBe(UPDATE_REJECTED);
      expect((refused as ApplicationFailure).message).toMatch(/already in progress/);

      create.release();
      const results = await Promise.all(both);
      expect(results.filter((r) => r === 'ok')).toHaveLength(1);
      expect((await handle.result()).condition.state).toBe('cancelled');
    });
    expect(fake.argsOf('cancelCaOrder')).toHaveLength(1);
    expect(outcomes(fake.billingTypes())).toEqual(['order.cancelled']);
  });

  it('the CA refuses a cancel: the update fails with its reason, the order keeps waiting, a later cancel is accepted', async () => {
    fake.cancelAnswers.push({ cancelled: false, failedReason: 'DCV already submitted' });
    await run(async () => {
      const handle = await start();
      await stateIs(handle, 'awaitingValidation');
      const failure = await refusal(handle.executeUpdate(cancelUpdate, { args: [{ reason: 'too slow' }] }));
      expect(failure.type).toBe(UPDATE_REJECTED);
      expect(failure.message).toBe('The CA refused to cancel: DCV already submitted');

      // Back to waiting: the status is read again, and the order is still cancellable.
      const waiting = await until(handle, 'a status read after the refusal', (v) => v.ca.checks >= 2);
      expect(waiting.condition.state).toBe('awaitingValidation');
      const answer = await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'asked again' }] });
      expect(answer).toMatchObject({ accepted: true, state: 'cancelled', caOrderId: 'CA-1' });
      expect((await handle.result()).condition.state).toBe('cancelled');
    });
    expect(fake.argsOf('cancelCaOrder')).toEqual([
      ['CA-1', 'too slow'],
      ['CA-1', 'asked again'],
    ]);
    expect(outcomes(fake.billingTypes())).toEqual(['order.cancelled']);
  });

  it('reissue and revoke sent together on an active order: exactly one is accepted and runs, the other is refused', async () => {
    const reissueCall = fake.hold('requestReissue');
    const revokeCall = fake.hold('requestRevoke');
    await run(async () => {
      const { handle } = await activeOrder();
      const [reissue, revoke] = await Promise.all(
        [
          handle.executeUpdate(reissueUpdate, { args: [{ csr: CSR, reason: 'new key', requestId: 'r1' }] }),
          handle.executeUpdate(revokeUpdate, { args: [{ reason: 'decommissioned', proof: PROOF }] }),
        ].map(outcome),
      );
      const winner = reissue === 'ok' ? 'reissue' : 'revoke';
      const loser = winner === 'reissue' ? revoke : reissue;
      expect([reissue, revoke].filter((r) => r === 'ok')).toHaveLength(1);
      expect(loser).toBeInstanceOf(ApplicationFailure);
      expect((loser as ApplicationFailure).type).toBe(UPDATE_REJECTED);

      // Only the winner's child reaches the CA.
      await (winner === 'reissue' ? reissueCall : revokeCall).entered;
      const v = await view(handle);
      expect(v.condition.state).toBe(winner === 'reissue' ? 'reissuing' : 'revoking');
      expect(v.lineage.reissues).toHaveLength(winner === 'reissue' ? 1 : 0);
      expect(v.lineage.revocations).toHaveLength(winner === 'revoke' ? 1 : 0);
      expect(fake.names()).not.toContain(winner === 'reissue' ? 'requestRevoke' : 'requestReissue');

      // The winner runs to its end; the refused request left no trace.
      reissueCall.release();
      revokeCall.release();
      const done = await until(handle, `the ${winner} done`, (x) => (winner === 'reissue' ? x.lineage.reissues[0]?.status === 'completed' : x.lineage.revocations[0]?.status === 'revoked'));
      expect(done.lineage.reissues).toHaveLength(winner === 'reissue' ? 1 : 0);
      expect(done.lineage.revocations.filter((r) => r.scope === 'order')).toHaveLength(winner === 'revoke' ? 1 : 0);
    });
  });

  it('the same reissue requestId twice, while the child is still starting and after it completed, is one reissue', async () => {
    const reissueCall = fake.hold('requestReissue');
    await run(async () => {
      const { handle, v: first } = await activeOrder({ revokeReplacedCertificate: false });
      const req = { csr: CSR, reason: 'key compromise', requestId: 'r1' };
      // Sent together: the duplicate is answered without a second child.
      const [a, b] = await Promise.all([handle.executeUpdate(reissueUpdate, { args: [req] }), handle.executeUpdate(reissueUpdate, { args: [req] })]);
      expect([a, b].every((x) => x.accepted)).toBe(true);
      expect([a.message, b.message].sort()).toEqual(['Reissue r1 started.', 'Reissue r1 was already requested (running).']);
      await reissueCall.entered;
      // Another request id while r1 runs is refused.
      const other = await refusal(handle.executeUpdate(reissueUpdate, { args: [{ ...req, requestId: 'r2' }] }));
      expect(other.type).toBe(UPDATE_REJECTED);

      reissueCall.release();
      const switched = await until(handle, 'the reissued certificate', (v) => v.condition.state === 'active' && v.certificate?.caOrderId === 'CA-2');
      expect(switched.lineage.caOrderIds).toEqual(['CA-1', 'CA-2']);
      expect(switched.lineage.reissues).toMatchObject([{ id: 'r1', status: 'completed', caOrderId: 'CA-2' }]);
      expect(switched.lineage.replacedCertificates.map((c) => c.caOrderId)).toEqual([first.certificate!.caOrderId]);

      // After completion the same id still answers, with the reissue's outcome, and starts nothing.
      const again = await handle.executeUpdate(reissueUpdate, { args: [req] });
      expect(again).toMatchObject({ accepted: true, caOrderId: 'CA-2', message: 'Reissue r1 was already requested (completed).' });
      expect((await view(handle)).lineage.reissues).toHaveLength(1);
    });
    expect(fake.argsOf('requestReissue')).toHaveLength(1);
    expect(outcomes(fake.billingTypes())).toEqual(['order.issued', 'order.reissued']);
  });

  it("revoke right after a reissue: the replaced certificate's revocation and the order's own are two children, and the order ends only after both", async () => {
    // The replaced certificate (CA-1) is revoked by certflow, as the reissue request asks; hold that call.
    const replacedRevoke = fake.hold('requestRevoke', (c) => (c.args[0] as { caOrderId: string }).caOrderId === 'CA-1');
    await run(async () => {
      const { handle } = await activeOrder();
      await handle.executeUpdate(reissueUpdate, { args: [{ csr: CSR, reason: 'new key', requestId: 'r1', revokeReplaced: true, proof: PROOF }] });
      await replacedRevoke.entered;
      const switched = await until(handle, 'the reissued certificate', (v) => v.condition.state === 'active' && v.certificate?.caOrderId === 'CA-2');
      expect(switched.lineage.revocations).toMatchObject([{ scope: 'replaced', caOrderId: 'CA-1', status: 'running' }]);

      const answer = await handle.executeUpdate(revokeUpdate, { args: [{ reason: 'decommissioned', proof: PROOF }] });
      expect(answer).toMatchObject({ accepted: true, caOrderId: 'CA-2' });
      // The order's revoke child (current certificate) completes while the replaced one is held …
      const own = await h.client.workflow.getHandle(revokeWorkflowId(handle.workflowId, 'CA-2')).result();
      expect(own).toMatchObject({ caOrderId: 'CA-2' });
      // … and the order waits for the replaced certificate's revocation before it ends.
      const waiting = await until(handle, 'the order revocation recorded', (v) => v.lineage.revocations.some((r) => r.scope === 'order' && r.status === 'revoked'));
      expect(waiting.condition.state).toBe('revoking');
      expect((await handle.describe()).status.name).toBe('RUNNING');

      replacedRevoke.release();
      const final = await handle.result();
      expect(final.condition).toMatchObject({ state: 'revoked', reason: 'Revoked' });
      expect(final.lineage.revocations).toMatchObject([
        { scope: 'replaced', caOrderId: 'CA-1', status: 'revoked' },
        { scope: 'order', caOrderId: 'CA-2', status: 'revoked' },
      ]);
      expect((await h.client.workflow.getHandle(revokeWorkflowId(handle.workflowId, 'CA-1')).describe()).status.name).toBe('COMPLETED');
    });
    expect(fake.argsOf('requestRevoke').map(([r]) => (r as { caOrderId: string }).caOrderId).sort()).toEqual(['CA-1', 'CA-2']);
    expect(outcomes(fake.billingTypes())).toEqual(['order.issued', 'order.reissued', 'order.revoked']);
  });

  it('retryNow is refused outside needsAttention; inside it resumes at once (auth failure on create, then on an inline status read)', async () => {
    fake.failNext('createCaOrder', authError);
    fake.failNext('getCaOrderStatus', authError, (c) => c.local);
    await run(async () => {
      const handle = await start();
      await stateIs(handle, 'needsAttention');
      // On the dev server the hourly attention retry cannot fire during the test: only retryNow moves it.
      expect(await handle.executeUpdate(retryNowUpdate, { args: [] })).toMatchObject({ accepted: true, state: 'needsAttention' });
      // The retried create succeeds; the first status read (inline, a local activity) fails the same way.
      const second = await until(handle, 'needsAttention on the status read', (v) => v.condition.state === 'needsAttention' && v.ca.orderId === 'CA-1');
      expect(second.condition.message).toMatch(/^Reading the CA order status failed/);
      await handle.executeUpdate(retryNowUpdate, { args: [] });
      const waiting = await stateIs(handle, 'awaitingValidation');
      expect(waiting.ca.checks).toBe(1);

      const refused = await refusal(handle.executeUpdate(retryNowUpdate, { args: [] }));
      expect(refused.type).toBe(UPDATE_REJECTED);
      expect(refused.message).toBe('Nothing to retry: the order is awaitingValidation.');
    });
    expect(fake.argsOf('createCaOrder')).toHaveLength(2);
    // Both status reads ran inline: the auth failure is an answer, not a fault to fall back on.
    expect(fake.calls.filter((c) => c.name === 'getCaOrderStatus').map((c) => c.local)).toEqual([true, true]);
  });

  it('a cancel accepted while the last status read is in flight, which finds the certificate issued, is refused, and the order can still end', async () => {
    // The inline read faults (502), so the durable activity reads the status: hold that one.
    fake.failNext('getCaOrderStatus', () => ApplicationFailure.create({ type: CaErrorType.Unavailable, message: 'bad gateway (502)', nonRetryable: false }), (c) => c.local);
    const read = fake.hold('getCaOrderStatus', (c) => !c.local);
    await run(async () => {
      const handle = await start();
      await read.entered;
      const cancel = await handle.startUpdate(cancelUpdate, { args: [{ reason: 'changed mind' }], waitForStage: 'ACCEPTED' });
      const answer = refusal(cancel.result());
      fake.status.set('CA-1', 'issued'); // the CA issued meanwhile
      read.release();
      const refused = await answer;
      expect(refused.type).toBe(UPDATE_REJECTED);
      expect(refused.message).toBe(ISSUED_BEFORE_CANCEL);
      await stateIs(handle, 'active');
      // Once issued, a new cancel is refused by the validator.
      expect((await refusal(handle.executeUpdate(cancelUpdate, { args: [{ reason: 'again' }] }))).message).toMatch(/cannot be cancelled/);
      // No update is left hanging: the order can end.
      await handle.executeUpdate(revokeUpdate, { args: [{ reason: 'decommissioned', proof: PROOF }] });
      expect((await handle.result()).condition).toMatchObject({ state: 'revoked', reason: 'Revoked' });
      // The patched path (answer-cancel-once-issued) replays.
      await h.replay(handle);
    });
    expect(fake.names()).not.toContain('cancelCaOrder');
    expect(outcomes(fake.billingTypes())).toEqual(['order.issued', 'order.revoked']);
  });
});

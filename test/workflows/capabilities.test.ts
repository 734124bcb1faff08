/**
 * What an order does with an issuer that lacks a capability: updates it cannot serve are
 * refused by their validators (naming the capability), steps it cannot take are skipped.
 * Mocked activities (test/support/fake-ca.ts) on the run's shared dev server.
 */
import { CAPABILITIES, type Capability, type IssuerRef } from '../../src/ca/issuer';
import { reissueWorkflowId } from '../../src/domain/workflow-ids';
import { UPDATE_REJECTED, cancelUpdate, getReissueQuery, reissueUpdate, revokeUpdate } from '../../src/workflows/messages';
import { CSR, type FakeCa, PROOF, fakeCaHarness, refusal } from '../support/fake-ca';
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

const without = (...missing: Capability[]): IssuerRef => ({ id: 'limited-ca', capabilities: CAPABILITIES.filter((c) => !missing.includes(c)) });

describe('issuer capabilities', () => {
  it('refuses reissue and revoke when the issuer lacks them, naming the capability, and skips the customer e-mail', async () => {
    await run(async () => {
      const { handle } = await activeOrder({}, without('reissue', 'revoke', 'customerEmail'));
      const reissue = await refusal(handle.executeUpdate(reissueUpdate, { args: [{ csr: CSR, reason: 'new key', requestId: 'r1' }] }));
      expect(reissue.type).toBe(UPDATE_REJECTED);
      expect(reissue.message).toBe('The order\'s issuer (limited-ca) cannot reissue a certificate: it lacks the capability "reissue".');
      const revoke = await refusal(handle.executeUpdate(revokeUpdate, { args: [{ reason: 'decommissioned', proof: PROOF }] }));
      expect(revoke.type).toBe(UPDATE_REJECTED);
      expect(revoke.message).toContain('lacks the capability "revoke"');
      // Refused in the validator: nothing changed.
      const v = await view(handle);
      expect(v.condition.state).toBe('active');
      expect(v.lineage.reissues).toEqual([]);
      expect(v.lineage.revocations).toEqual([]);
      expect(v.ca.issuer).toBe('limited-ca');
    });
    expect(fake.names()).not.toContain('sendCaEmail');
    expect(fake.names()).not.toContain('requestReissue');
    expect(fake.names()).not.toContain('requestRevoke');
    // Every CA call named the order's issuer.
    expect(fake.calls.filter((c) => c.name !== 'notifyBilling' && c.name !== 'verifyCertificate').every((c) => c.issuer === 'limited-ca')).toBe(true);
  });

  it('the same order with every capability: the reissue is accepted and the customer e-mailed', async () => {
    await run(async () => {
      const { handle } = await activeOrder({}, without());
      await expect(handle.executeUpdate(reissueUpdate, { args: [{ csr: CSR, reason: 'new key', requestId: 'r1' }] })).resolves.toMatchObject({ accepted: true });
      await until(handle, 'the reissued certificate', (v) => v.certificate?.caOrderId === 'CA-2');
      // The reissue child shows its own progress, not an order view.
      const child = await h.client.workflow.getHandle(reissueWorkflowId(handle.workflowId, 'r1')).query(getReissueQuery);
      expect(child).toMatchObject({ replacesCaOrderId: 'CA-1', ca: { orderId: 'CA-2', issuer: 'limited-ca' }, lineage: { caOrderIds: ['CA-1', 'CA-2'] } });
    });
    expect(fake.names()).toContain('sendCaEmail');
    expect(fake.names()).toContain('requestReissue');
  });

  it('refuses to cancel an accepted CA order without "cancel"; a cancel before the CA order exists needs no CA', async () => {
    await run(async () => {
      const handle = await start({}, without('cancel'));
      await stateIs(handle, 'awaitingValidation');
      const cancel = await refusal(handle.executeUpdate(cancelUpdate, { args: [{ reason: 'changed mind' }] }));
      expect(cancel.type).toBe(UPDATE_REJECTED);
      expect(cancel.message).toBe('The order\'s issuer (limited-ca) cannot cancel an order it has accepted: it lacks the capability "cancel".');
      expect((await view(handle)).condition.state).toBe('awaitingValidation');
    });
    expect(fake.names()).not.toContain('cancelCaOrder');
  });

  it('compensation is a no-op where the issuer cannot cancel: the deadline fails the order without a cancel call', async () => {
    await run(async () => {
      const handle = await start({ validationDeadlineMs: 1_500, pollInitialMs: 500 }, without('cancel'));
      const final = await handle.result();
      expect(final.condition).toMatchObject({ state: 'failed', reason: 'ValidationDeadlineExceeded' });
      expect(final.timeline.map((t) => t.reason)).toContain('CompensationUnavailable');
    });
    expect(fake.names()).not.toContain('cancelCaOrder');
    expect(outcomes(fake.billingTypes())).toEqual(['order.failed']);
  });

  it('an issuer that returns the certificate with its status is never asked to retrieve it', async () => {
    fake.inlineCertificate = true;
    await run(async () => {
      const { v } = await activeOrder({}, without());
      expect(v.certificate?.caOrderId).toBe('CA-1');
    });
    expect(fake.names()).not.toContain('retrieveCertificate');
    expect(fake.argsOf('verifyCertificate')).toHaveLength(1);
  });
});

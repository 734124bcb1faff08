import { ApplicationFailure, condition, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { ISSUER_BEFORE_PORT } from '../ca/issuer';
import { caActivities } from './activity-stubs';
import { nextInterval } from './poll-interval';
import { progressOf } from './ca-progress';
import type { RevokeWorkflowInput, RevokeWorkflowResult } from './inputs';
import { caPushedSignal, describe } from './messages';
import { askPatchesUpFront } from './patches';
import { CaOrderIdKey } from './search-attributes';

/**
 * Revocation as a child of the order: the request with its proof document, then through
 * the CA's audit (pendingAudit → pendingRevoke) to revoked, learnt by push or by poll.
 */
export async function revokeWorkflow(input: RevokeWorkflowInput): Promise<RevokeWorkflowResult> {
  askPatchesUpFront();
  const { policy } = input;
  const issuer = (input.issuer ?? ISSUER_BEFORE_PORT).id;
  let pushed = false;
  setHandler(caPushedSignal, (p) => {
    if (p.caOrderId === input.caOrderId) pushed = true;
  }, describe(caPushedSignal));
  upsertSearchAttributes([{ key: CaOrderIdKey, value: [input.caOrderId] }]);

  const answer = await caActivities.requestRevoke.executeWithOptions({ summary: `Request revocation of CA order ${input.caOrderId}` }, [{ caOrderId: input.caOrderId, reason: input.reason, proof: input.proof }, issuer]);
  if (answer.revoked) return { caOrderId: input.caOrderId, revokedAt: new Date().toISOString() };

  const deadline = Date.now() + policy.revocationDeadlineMs;
  let interval = policy.pollInitialMs;
  for (;;) {
    pushed = false;
    const status = progressOf(await caActivities.getCaOrderStatus.executeWithOptions({ summary: `Read the revocation status of CA order ${input.caOrderId}` }, [input.caOrderId, issuer]));
    if (status.phase === 'revoked') return { caOrderId: input.caOrderId, revokedAt: new Date().toISOString() };
    if (status.phase !== 'issued' && status.phase !== 'revocationPending') {
      throw ApplicationFailure.create({ type: 'RevocationNotCompleted', message: `The CA order moved to ${status.status} instead of revoked.`, nonRetryable: true });
    }
    if (Date.now() >= deadline) {
      throw ApplicationFailure.create({ type: 'RevocationDeadlineExceeded', message: `Still ${status.status} when the revocation deadline passed.`, nonRetryable: true });
    }
    const woke = await condition(() => pushed, Math.min(interval, deadline - Date.now()), { summary: `Revocation of CA order ${input.caOrderId} is ${status.status}: read again, or at once on a push (deadline ${new Date(deadline).toISOString()})` });
    interval = woke ? policy.pollInitialMs : nextInterval(interval, policy);
  }
}

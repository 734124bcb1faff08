import { randomUUID } from 'node:crypto';
import type { CancelInput, ReissueInput, ResendCustomerEmailInput, ResolveCreateInput, RevokeInput, UpdateAnswer } from '../../workflows/messages';
import type { CommandContext } from '../context';
import { ExitCode } from '../exit-codes';
import { readProofFile, readTextFile } from '../files';
import { orderPath } from './read';

async function act(ctx: CommandContext, id: string, action: string, body?: CancelInput | ReissueInput | RevokeInput | ResendCustomerEmailInput | ResolveCreateInput): Promise<ExitCode> {
  const answer = await ctx.api.json<UpdateAnswer>('POST', `${orderPath(id)}/${action}`, body);
  ctx.out(ctx.json ? JSON.stringify(answer) : `${id}: ${answer.message} (state ${answer.state})`);
  return ExitCode.Ok;
}

export function cancelOrder(ctx: CommandContext, id: string, opts: { reason: string }): Promise<ExitCode> {
  return act(ctx, id, 'cancel', { reason: opts.reason });
}

export async function reissueOrder(
  ctx: CommandContext,
  id: string,
  opts: { csrFile: string; reason: string; requestId?: string; proofFile?: string },
): Promise<ExitCode> {
  // The request id makes a retried reissue one reissue; print it so a retry can reuse it.
  const requestId = opts.requestId ?? `cli-${randomUUID()}`;
  if (!opts.requestId && !ctx.json) ctx.err(`certflow: reissue request id ${requestId} (pass --request-id ${requestId} to retry safely)`);
  const body: ReissueInput = {
    csr: await readTextFile(ctx, opts.csrFile, 'CSR file'),
    reason: opts.reason,
    requestId,
    proof: opts.proofFile ? await readProofFile(ctx, opts.proofFile) : undefined,
  };
  return act(ctx, id, 'reissue', body);
}

export async function revokeOrder(ctx: CommandContext, id: string, opts: { reason: string; proofFile: string }): Promise<ExitCode> {
  return act(ctx, id, 'revoke', { reason: opts.reason, proof: await readProofFile(ctx, opts.proofFile) });
}

export function retryOrder(ctx: CommandContext, id: string): Promise<ExitCode> {
  return act(ctx, id, 'retry');
}

/**
 * Asks the CA to e-mail the customer again. The CA's e-mail has no idempotency key: the
 * request id makes a retried command (after a timeout, say) one e-mail, as for reissue.
 */
export function notifyCustomer(ctx: CommandContext, id: string, opts: { reason?: string; requestId?: string }): Promise<ExitCode> {
  const requestId = opts.requestId ?? `cli-${randomUUID()}`;
  if (!opts.requestId && !ctx.json) ctx.err(`certflow: notify request id ${requestId} (pass --request-id ${requestId} to retry without a second e-mail)`);
  return act(ctx, id, 'notify', { requestId, ...(opts.reason === undefined ? {} : { reason: opts.reason }) });
}

/**
 * After a lost create answer at a CA without idempotency key: the CA order the operator found
 * at the CA, or their word that it made none. The API checks that exactly one is given.
 */
export function resolveCreate(ctx: CommandContext, id: string, opts: { caOrderId?: string; createAgain?: boolean; reason: string }): Promise<ExitCode> {
  return act(ctx, id, 'resolve-create', { reason: opts.reason, ...(opts.caOrderId === undefined ? {} : { caOrderId: opts.caOrderId }), ...(opts.createAgain ? { createAgain: true as const } : {}) });
}

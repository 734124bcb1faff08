import { randomUUID } from 'node:crypto';
import type { CancelInput, ReissueInput, ResendCustomerEmailInput, ResolveCreateInput, RevokeInput, UpdateAnswer } from '../../workflows/messages';
import type { SwitchDomainValidationInput } from '../../orders/schemas';
import type { CommandContext } from '../context';
import { ExitCode } from '../exit-codes';
import { CliError } from '../http';
import { readProofFile, readTextFile } from '../files';
import { orderPath } from './read';

type ActionBody = CancelInput | ReissueInput | RevokeInput | ResendCustomerEmailInput | ResolveCreateInput | SwitchDomainValidationInput;

async function act(ctx: CommandContext, id: string, action: string, body?: ActionBody): Promise<ExitCode> {
  const answer = await ctx.api.json<UpdateAnswer>('POST', `${orderPath(id)}/${action}`, body);
  ctx.out(ctx.json ? JSON.stringify(answer) : `${id}: ${answer.message} (state ${answer.state})`);
  return ExitCode.Ok;
}

export function cancelOrder(ctx: CommandContext, id: string, opts: { reason: string }): Promise<ExitCode> {
  return act(ctx, id, 'cancel', { reason: opts.reason });
}

/** `--domain-validation` / `--set`: name → dns, http, https or an approver address, as the API takes it. */
export type NameMethods = Record<string, string>;

/** The request id given, or a new one printed so that a retry can reuse it (the same id twice is one reissue). */
function reissueRequestId(ctx: CommandContext, given: string | undefined, what: string): string {
  const requestId = given ?? `cli-${randomUUID()}`;
  if (!given && !ctx.json) ctx.err(`certflow: ${what} request id ${requestId} (pass --request-id ${requestId} to retry safely)`);
  return requestId;
}

export interface ReissueOptions {
  csrFile?: string;
  reason: string;
  requestId?: string;
  proofFile?: string;
  domainValidation?: NameMethods;
  confirmDropped?: string[];
  renew?: boolean;
}

export async function reissueOrder(ctx: CommandContext, id: string, opts: ReissueOptions): Promise<ExitCode> {
  if (opts.csrFile === undefined && opts.domainValidation === undefined) {
    throw new CliError('reissue needs --csr-file (a new key), or --domain-validation name=method for every name the new certificate covers (CAs that validate per name), or both', ExitCode.Usage);
  }
  const requestId = reissueRequestId(ctx, opts.requestId, 'reissue');
  const body: ReissueInput = {
    ...(opts.csrFile === undefined ? {} : { csr: await readTextFile(ctx, opts.csrFile, 'CSR file') }),
    reason: opts.reason,
    requestId,
    proof: opts.proofFile ? await readProofFile(ctx, opts.proofFile) : undefined,
    ...(opts.domainValidation === undefined ? {} : { domainValidation: opts.domainValidation }),
    ...(opts.confirmDropped === undefined ? {} : { confirmDroppedDomains: opts.confirmDropped }),
    ...(opts.renew ? { renew: true } : {}),
  };
  return act(ctx, id, 'reissue', body);
}

export interface SwitchMethodOptions {
  set: NameMethods;
  reason?: string;
  requestId?: string;
  confirmDropped?: string[];
  renew?: boolean;
}

/**
 * CAs that validate per name: switches the given names' methods. The API adds every other
 * name with its current method and reissues (same key, same names).
 */
export function switchMethod(ctx: CommandContext, id: string, opts: SwitchMethodOptions): Promise<ExitCode> {
  const body: SwitchDomainValidationInput = {
    requestId: reissueRequestId(ctx, opts.requestId, 'switch-method'),
    methods: opts.set,
    ...(opts.reason === undefined ? {} : { reason: opts.reason }),
    ...(opts.confirmDropped === undefined ? {} : { confirmDroppedDomains: opts.confirmDropped }),
    ...(opts.renew ? { renew: true } : {}),
  };
  return act(ctx, id, 'domain-validation', body);
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

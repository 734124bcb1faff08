import type { z } from 'zod';
import type { placeOrderAnswerSchema } from '../../api/schemas';
import type { OrderRequestInput } from '../../domain/order';
import type { CommandContext } from '../context';
import { ExitCode } from '../exit-codes';
import { readTextFile } from '../files';
import { CliError } from '../http';

export interface CreateOptions {
  file?: string;
  billingOrderId?: string;
  product?: string;
  commonName?: string;
  hosts?: string;
  month?: string;
  csrFile?: string;
  csrEncryptFile?: string;
  bindRsaProduct?: string;
  csrRsaFile?: string;
  renews?: string;
}

type PlaceOrderAnswer = z.output<typeof placeOrderAnswerSchema>;

/**
 * The order from --file (a JSON order) overlaid with the flags. It is not validated here:
 * the API's answer lists every problem, and a CLI older than the API cannot disagree.
 */
export async function buildOrderRequest(ctx: CommandContext, opts: CreateOptions): Promise<Partial<OrderRequestInput> & Record<string, unknown>> {
  let order: Record<string, unknown> = {};
  if (opts.file) {
    const text = await readTextFile(ctx, opts.file, 'order file');
    try {
      const parsed = JSON.parse(text) as unknown;
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
      order = parsed as Record<string, unknown>;
    } catch (err) {
      throw new CliError(`order file ${opts.file} is not a JSON object: ${err instanceof Error ? err.message : String(err)}`, ExitCode.Usage);
    }
  }
  const set = (key: string, value: unknown): void => {
    if (value !== undefined) order[key] = value;
  };
  set('billingOrderId', opts.billingOrderId);
  set('productId', opts.product);
  set('commonName', opts.commonName);
  set('hosts', opts.hosts?.split(',').map((h) => h.trim()).filter(Boolean));
  set('month', opts.month === undefined ? undefined : /^\d+$/.test(opts.month) ? Number(opts.month) : opts.month);
  set('renewsBillingOrderId', opts.renews);
  set('bindRsaProductId', opts.bindRsaProduct);
  if (opts.csrFile) set('csr', await readTextFile(ctx, opts.csrFile, 'CSR file'));
  if (opts.csrEncryptFile) set('csrEncrypt', await readTextFile(ctx, opts.csrEncryptFile, 'encryption CSR file'));
  if (opts.csrRsaFile) set('csrRsa', await readTextFile(ctx, opts.csrRsaFile, 'RSA CSR file'));
  return order;
}

export async function createOrder(ctx: CommandContext, opts: CreateOptions): Promise<ExitCode> {
  const order = await buildOrderRequest(ctx, opts);
  const answer = await ctx.api.json<PlaceOrderAnswer>('POST', '/v1/orders', order);
  if (ctx.json) {
    ctx.out(JSON.stringify(answer));
  } else {
    ctx.out(`Order ${answer.billingOrderId} ${answer.created ? 'placed' : 'was already placed (same body)'}: workflow ${answer.workflowId}`);
    ctx.out(`  follow it with: certflow orders watch ${answer.billingOrderId}`);
  }
  return ExitCode.Ok;
}

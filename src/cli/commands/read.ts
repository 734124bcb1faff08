import type { OrderPage } from '../../orders/schemas';
import type { CertificateBundle, CertificatePart } from '../../domain/certificate';
import type { OrderView } from '../../domain/order-view';
import type { CommandContext } from '../context';
import { ExitCode } from '../exit-codes';
import { describeOrder, ordersTable } from '../format';

export const orderPath = (id: string): string => `/v1/orders/${encodeURIComponent(id)}`;

export async function getOrder(ctx: CommandContext, id: string): Promise<ExitCode> {
  const view = await ctx.api.json<OrderView>('GET', orderPath(id));
  ctx.out(ctx.json ? JSON.stringify(view) : describeOrder(view));
  return ExitCode.Ok;
}

export interface ListOptions {
  status?: string;
  commonName?: string;
  pageSize?: string;
  pageToken?: string;
}

export async function listOrders(ctx: CommandContext, opts: ListOptions): Promise<ExitCode> {
  const query = new URLSearchParams();
  if (opts.status) query.set('status', opts.status);
  if (opts.commonName) query.set('commonName', opts.commonName);
  if (opts.pageSize) query.set('pageSize', opts.pageSize);
  if (opts.pageToken) query.set('pageToken', opts.pageToken);
  const qs = query.toString();
  const page = await ctx.api.json<OrderPage>('GET', `/v1/orders${qs ? `?${qs}` : ''}`);
  if (ctx.json) {
    ctx.out(JSON.stringify(page));
  } else {
    ctx.out(page.orders.length ? ordersTable(page.orders) : 'No orders.');
    if (page.nextPageToken) ctx.out(`More: certflow orders list --page-token ${page.nextPageToken}`);
  }
  return ExitCode.Ok;
}

/** PEM (leaf, then chain) by default, the JSON bundle with --json. */
export async function getCertificate(ctx: CommandContext, id: string, part: CertificatePart = 'signing'): Promise<ExitCode> {
  if (ctx.json) {
    ctx.out(JSON.stringify(await ctx.api.json<CertificateBundle>('GET', `${orderPath(id)}/certificate`)));
  } else {
    ctx.stdout.write(await ctx.api.text(`${orderPath(id)}/certificate${part === 'signing' ? '' : `?part=${part}`}`, 'application/x-pem-file'));
  }
  return ExitCode.Ok;
}

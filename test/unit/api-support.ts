/**
 * Shared by the api-* and cli-* tests: a fake OrderService that records its calls, an API
 * built around it, and order fixtures. The fake keeps the service's contract (errors by
 * class, idempotency by request hash) so routes see what they would see from Temporal.
 */
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { type ApiDeps, buildApi } from '../../src/api/server';
import { parseConfig } from '../../src/config';
import { type OrderRequest, type OrderRequestInput } from '../../src/domain/order';
import { orderWorkflowId } from '../../src/domain/workflow-ids';
import { OrderConflictError, OrderNotFoundError, OrderRejectedError } from '../../src/orders/errors';
import type { OrderService } from '../../src/orders/order-service';
import { requestHash } from '../../src/orders/request-hash';
import type { ListOrdersQuery, OrderPage } from '../../src/orders/schemas';
import type { CaPushSignal, UpdateAnswer } from '../../src/workflows/messages';
import type { CertificateBundle } from '../../src/domain/certificate';
import type { OrderState } from '../../src/domain/order-states';
import type { OrderView } from '../../src/domain/order-view';
import { testCsr } from '../support/csr';

// Two ESM-only packages sit under CommonJS requires: content-disposition 3 (required by
// @fastify/static, which @fastify/swagger-ui loads) and cookie 2 (required by
// light-my-request, behind fastify.inject). Node 20.19+ loads them natively; Jest's own
// CommonJS loader cannot, so tests get these shims of the one function each caller uses.
jest.mock('content-disposition', () => ({
  create: (filename?: string) => (filename ? `attachment; filename="${filename}"` : 'attachment'),
}));
jest.mock('cookie', () => ({
  stringifySetCookie: ({ name, value }: { name: string; value: string }) => `${name}=${encodeURIComponent(value)}`,
}));

export const API_KEY = 'billing-key-9f8e7d6c5b4a3210';
export const OTHER_KEY = 'operator-key-0123456789abcdef';
export const PUSH_SECRET = 'push-secret-0123456789abcdef';
export const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
export const API_KEYS_ENV = `billing:${sha256(API_KEY)},operator:${sha256(OTHER_KEY)}`;
export const AUTH = { authorization: `Bearer ${API_KEY}` };

/** A real CSR covering validOrder()'s hosts: the order service checks it at the door. */
export const CSR = testCsr({ commonName: 'shop.example.com', dnsNames: ['shop.example.com', 'www.shop.example.com'] });
export const PRODUCT_ID = '30B3F256-9D2D-43C5-ABCB-017AA9D3CB6D';

export function validOrder(overrides: Partial<OrderRequestInput> = {}): OrderRequestInput {
  return {
    billingOrderId: 'B-1001',
    productId: PRODUCT_ID.toLowerCase(),
    commonName: 'shop.example.com',
    hosts: ['shop.example.com', 'www.shop.example.com'],
    csr: CSR,
    month: 12,
    organization: { orgName: 'Example Ltd', countryCode: 'CN' },
    contact: { email: 'ops@example.com' },
    ...overrides,
  };
}

export function makeView(billingOrderId: string, state: OrderState, overrides: Partial<OrderView> = {}): OrderView {
  const condition = { state, reason: `R-${state}`, message: `The order is ${state}.`, at: '2025-01-01T00:00:00.000Z' };
  return {
    workflowId: orderWorkflowId(billingOrderId),
    billingOrderId,
    productId: PRODUCT_ID,
    commonName: 'shop.example.com',
    condition,
    ca: { orderId: 'CA-1', status: 'pendingValidation', checks: 2, nextCheckAt: '2025-01-01T00:05:00.000Z' },
    lineage: { caOrderIds: ['CA-1'], reissues: [], revocations: [], replacedCertificates: [] },
    timeline: [condition],
    notifications: { caEmailFor: [], renewalReminderFor: [] },
    continuedAsNew: 0,
    ...overrides,
  };
}

export const LEAF = '-----BEGIN CERTIFICATE-----\nLEAF\n-----END CERTIFICATE-----';
export const INTERMEDIATE = '-----BEGIN CERTIFICATE-----\nINTERMEDIATE\n-----END CERTIFICATE-----\n';
export const ROOT = '-----BEGIN CERTIFICATE-----\nROOT\n-----END CERTIFICATE-----\n';

export interface Call {
  method: keyof OrderService;
  args: unknown[];
}

/** An in-memory OrderService: state is public so tests arrange it directly. */
export class FakeOrderService implements OrderService {
  readonly calls: Call[] = [];
  readonly placed = new Map<string, string>();
  /** A view, or a script of views served one per call (the last one repeats). */
  readonly views = new Map<string, OrderView | OrderView[]>();
  readonly bundles = new Map<string, CertificateBundle | null>();
  /** billingOrderId → the workflow's reason for refusing updates. */
  readonly rejections = new Map<string, string>();
  readonly caOrders = new Map<string, string[]>();
  readonly signals: { workflowId: string; push: CaPushSignal }[] = [];
  /** Workflows that have ended: signalling them is a not-found, as Temporal answers. */
  readonly ended = new Set<string>();
  page: OrderPage = { orders: [] };
  failWith?: Error;

  private record(method: keyof OrderService, ...args: unknown[]): void {
    this.calls.push({ method, args });
    if (this.failWith) throw this.failWith;
  }

  callsOf(method: keyof OrderService): Call[] {
    return this.calls.filter((c) => c.method === method);
  }

  async placeOrder(request: OrderRequest) {
    this.record('placeOrder', request);
    const workflowId = orderWorkflowId(request.billingOrderId);
    const hash = requestHash(request);
    const existing = this.placed.get(request.billingOrderId);
    if (existing !== undefined && existing !== hash) throw new OrderConflictError(request.billingOrderId, workflowId);
    this.placed.set(request.billingOrderId, hash);
    if (!this.views.has(request.billingOrderId)) this.views.set(request.billingOrderId, makeView(request.billingOrderId, 'creating'));
    return { workflowId, runId: 'run-1', created: existing === undefined };
  }

  async getOrder(billingOrderId: string) {
    this.record('getOrder', billingOrderId);
    const entry = this.views.get(billingOrderId);
    if (!entry) throw new OrderNotFoundError(billingOrderId);
    if (!Array.isArray(entry)) return entry;
    return entry.length > 1 ? entry.shift()! : entry[0]!;
  }

  async listOrders(query: ListOrdersQuery) {
    this.record('listOrders', query);
    return this.page;
  }

  async getCertificate(billingOrderId: string) {
    this.record('getCertificate', billingOrderId);
    if (!this.views.has(billingOrderId)) throw new OrderNotFoundError(billingOrderId);
    return this.bundles.get(billingOrderId) ?? null;
  }

  private async update(method: 'cancel' | 'reissue' | 'switchDomainValidation' | 'revoke' | 'retryNow' | 'resendCustomerEmail' | 'resolveCreate', billingOrderId: string, input?: unknown): Promise<UpdateAnswer> {
    this.record(method, billingOrderId, ...(input === undefined ? [] : [input]));
    if (!this.views.has(billingOrderId)) throw new OrderNotFoundError(billingOrderId);
    const reason = this.rejections.get(billingOrderId);
    if (reason) throw new OrderRejectedError(reason, billingOrderId, 'UpdateRejected');
    return { accepted: true, state: method === 'cancel' ? 'cancelled' : 'active', message: `${method} accepted` };
  }

  cancel(id: string, input: unknown) {
    return this.update('cancel', id, input);
  }
  reissue(id: string, input: unknown) {
    return this.update('reissue', id, input);
  }
  switchDomainValidation(id: string, input: unknown) {
    return this.update('switchDomainValidation', id, input);
  }
  revoke(id: string, input: unknown) {
    return this.update('revoke', id, input);
  }
  retryNow(id: string) {
    return this.update('retryNow', id);
  }
  resendCustomerEmail(id: string, input: unknown) {
    return this.update('resendCustomerEmail', id, input);
  }

  resolveCreate(id: string, input: unknown) {
    return this.update('resolveCreate', id, input);
  }

  /** What countOpenOrders answers; an Error is thrown instead. */
  openOrders: Record<string, number> | Error = {};

  async countOpenOrders() {
    this.record('countOpenOrders');
    if (this.openOrders instanceof Error) throw this.openOrders;
    return this.openOrders as Record<OrderState, number>;
  }

  async findByCaOrderId(caOrderId: string) {
    this.record('findByCaOrderId', caOrderId);
    return this.caOrders.get(caOrderId) ?? [];
  }

  async signalPush(workflowId: string, push: CaPushSignal) {
    this.record('signalPush', workflowId, push);
    if (this.ended.has(workflowId)) throw new OrderNotFoundError(workflowId);
    this.signals.push({ workflowId, push });
  }
}

/** Log lines captured as text, to assert what is (and is never) logged. */
export function captureLogs(options: pino.LoggerOptions = {}): { logger: pino.Logger; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { logger: pino({ level: 'debug', ...options }, stream), text: () => chunks.join('') };
}

export async function buildTestApi(
  opts: {
    orders?: FakeOrderService;
    apiKeys?: string | null;
    logger?: pino.Logger;
    ready?: () => Promise<boolean>;
    publicBaseUrl?: string;
    /** Push settings (CA_PUSH_*); default: our HMAC with PUSH_SECRET, as most push tests sign. */
    pushEnv?: Record<string, string>;
    push?: ApiDeps['push'];
  } = {},
): Promise<{ app: FastifyInstance; orders: FakeOrderService }> {
  const orders = opts.orders ?? new FakeOrderService();
  const config = parseConfig({
    API_KEYS: opts.apiKeys === null ? undefined : (opts.apiKeys ?? API_KEYS_ENV),
    PUBLIC_BASE_URL: opts.publicBaseUrl,
    ...(opts.pushEnv ?? { CA_PUSH_VERIFY: 'hmac', CA_PUSH_SECRET: PUSH_SECRET }),
  });
  const app = await buildApi({ config, orders, logger: opts.logger, ready: opts.ready, push: opts.push });
  return { app, orders };
}

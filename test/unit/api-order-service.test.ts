/**
 * The order service against a scripted stand-in for the Temporal client: what it asks of
 * Temporal, and how Temporal's answers and errors become the service's. (The e2e tests run
 * it against a real dev server.)
 */
import type { Client } from '@temporalio/client';
import { ServiceError, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { encodeUnifiedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes';
import { orderRequestSchema, type OrderRequest } from '../../src/domain/order';
import { InvalidPageTokenError, OrderConflictError, OrderNotFoundError, OrderRejectedError, TemporalUnavailableError, UnknownProductError } from '../../src/orders/errors';
import { createOrderService } from '../../src/orders/order-service';
import { createProductCatalog } from '../../src/domain/products';
import { canonicalJson, requestHash } from '../../src/orders/request-hash';
import { caOrderQuery, decodePageToken, encodePageToken, ordersQuery, quoteValue } from '../../src/orders/visibility';
import { UPDATE_REJECTED } from '../../src/workflows/messages';
import { orderWorkflow } from '../../src/workflows/order/workflow';
import { BillingOrderIdKey, CaOrderIdKey, CommonNameKey, NotAfterKey, OrderStatusKey, ProductIdKey } from '../../src/workflows/search-attributes';
import { validOrder } from './api-support';

const order: OrderRequest = orderRequestSchema.parse(validOrder());
const products = createProductCatalog([
  { id: order.productId, name: 'Test DV', kind: 'dv', issuer: 'wotrus', caRevokesReplaced: false, policy: { pollInitialMs: 120_000 } },
]);

function grpcError(code: number, message = 'boom'): ServiceError {
  return new ServiceError('Failed', { cause: Object.assign(new Error(message), { code, details: message, metadata: {} }) });
}

function fakeClient(timeouts: { queryTimeoutMs?: number } = {}) {
  const handle = {
    query: jest.fn(),
    executeUpdate: jest.fn(),
    signal: jest.fn(),
    describe: jest.fn(),
  };
  const client = {
    options: { namespace: 'default' },
    withDeadline: jest.fn((_d: number, fn: () => Promise<unknown>) => fn()),
    workflow: {
      start: jest.fn(async () => ({ firstExecutionRunId: 'run-1' })),
      getHandle: jest.fn(() => handle),
      list: jest.fn(),
    },
    workflowService: { listWorkflowExecutions: jest.fn() },
  };
  const service = createOrderService({ client: client as unknown as Client, taskQueue: 'certflow-test', products, publicBaseUrl: 'https://certs.example.com/', ...timeouts });
  return { client, handle, service };
}

describe('placeOrder', () => {
  test('starts orderWorkflow by its function with id, input, memo hash, search attributes and summary', async () => {
    const { client, service } = fakeClient();
    await expect(service.placeOrder(order)).resolves.toEqual({ workflowId: 'order-B-1001', runId: 'run-1', created: true });
    const [type, options] = client.workflow.start.mock.calls[0] as unknown as [unknown, Record<string, unknown>];
    expect(type).toBe(orderWorkflow);
    expect(options).toMatchObject({
      workflowId: 'order-B-1001',
      taskQueue: 'certflow-test',
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      memo: { requestHash: requestHash(order) },
      staticSummary: 'Order B-1001 · shop.example.com',
    });
    expect(options.staticDetails).toContain('- **Billing order:** B-1001');
    expect(options.staticDetails).toContain('- **Names:** shop.example.com');
    expect(options.staticDetails).toContain(`- **Term:** ${order.month} months`);
    const [input] = options.args as [{ order: OrderRequest; policy: { pollInitialMs: number }; collectUrl: string }];
    expect(input.order).toEqual(order);
    // The product's policy from the products file; the rest are the policy's defaults.
    expect(input.policy).toMatchObject({ pollInitialMs: 120_000, pollMaxMs: 3_600_000, expectDnsNames: true, caRevokesReplaced: false });
    expect(input.collectUrl).toBe('https://certs.example.com/v1/orders/B-1001/certificate');
    expect(options.typedSearchAttributes).toEqual([
      { key: BillingOrderIdKey, value: 'B-1001' },
      { key: OrderStatusKey, value: 'creating' },
      { key: CommonNameKey, value: 'shop.example.com' },
      { key: ProductIdKey, value: order.productId },
    ]);
  });

  test('an order for a product the products file does not list is refused before anything starts', async () => {
    const { client, service } = fakeClient();
    const other = { ...order, productId: '11111111-2222-3333-4444-555555555555' };
    await expect(service.placeOrder(other)).rejects.toThrow(UnknownProductError);
    await expect(service.placeOrder(other)).rejects.toThrow(/Product 11111111-2222-3333-4444-555555555555 is not one this service sells/);
    expect(client.workflow.start).not.toHaveBeenCalled();
  });

  test('an existing order with the same request hash is the same order (created=false)', async () => {
    const { client, handle, service } = fakeClient();
    client.workflow.start.mockRejectedValueOnce(new WorkflowExecutionAlreadyStartedError('exists', 'order-B-1001', 'orderWorkflow'));
    handle.describe.mockResolvedValueOnce({ runId: 'run-0', memo: { requestHash: requestHash(order) } });
    await expect(service.placeOrder(order)).resolves.toEqual({ workflowId: 'order-B-1001', runId: 'run-0', created: false });
  });

  test('an existing order with another request hash is a conflict', async () => {
    const { client, handle, service } = fakeClient();
    client.workflow.start.mockRejectedValueOnce(new WorkflowExecutionAlreadyStartedError('exists', 'order-B-1001', 'orderWorkflow'));
    handle.describe.mockResolvedValueOnce({ runId: 'run-0', memo: { requestHash: 'f'.repeat(64) } });
    await expect(service.placeOrder(order)).rejects.toBeInstanceOf(OrderConflictError);
  });

  test('Temporal down is TemporalUnavailableError; an oversized input is OrderTooLargeError', async () => {
    const { client, service } = fakeClient();
    client.workflow.start.mockRejectedValueOnce(grpcError(14));
    await expect(service.placeOrder(order)).rejects.toBeInstanceOf(TemporalUnavailableError);
    client.workflow.start.mockRejectedValueOnce(grpcError(3, 'Blob data size exceeds limit.'));
    await expect(service.placeOrder(order)).rejects.toMatchObject({ name: 'OrderTooLargeError' });
  });
});

describe('reads and updates', () => {
  test('getOrder queries the workflow; a missing workflow is OrderNotFoundError; a slow one 503', async () => {
    const { handle, service } = fakeClient();
    handle.query.mockResolvedValueOnce({ billingOrderId: 'B-1' });
    await expect(service.getOrder('B-1')).resolves.toEqual({ billingOrderId: 'B-1' });
    expect(handle.query.mock.calls[0]?.[0]).toMatchObject({ name: 'getOrder' });
    handle.query.mockRejectedValueOnce(new WorkflowNotFoundError('nope', 'order-B-2', undefined));
    await expect(service.getOrder('B-2')).rejects.toBeInstanceOf(OrderNotFoundError);
    handle.query.mockRejectedValueOnce(grpcError(4));
    await expect(service.getOrder('B-1')).rejects.toBeInstanceOf(TemporalUnavailableError);
  });

  test('a call cancelled by its own deadline is TemporalUnavailableError, any other cancel is not', async () => {
    const { client, service } = fakeClient({ queryTimeoutMs: 20 });
    client.withDeadline.mockImplementationOnce(async (deadline: number) => {
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now()) + 5));
      throw grpcError(1, 'CANCELLED: Call cancelled');
    });
    await expect(service.getOrder('B-1')).rejects.toBeInstanceOf(TemporalUnavailableError);
    client.withDeadline.mockImplementationOnce(async () => {
      throw grpcError(1, 'CANCELLED: Call cancelled');
    });
    await expect(service.getOrder('B-1')).rejects.toBeInstanceOf(ServiceError);
  });

  test("an update the workflow rejects is OrderRejectedError with the workflow's message", async () => {
    const { handle, service } = fakeClient();
    handle.executeUpdate.mockRejectedValueOnce(
      new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.create({ type: UPDATE_REJECTED, message: 'Nothing to retry: the order is active.' })),
    );
    const err = await service.retryNow('B-1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OrderRejectedError);
    expect(err).toMatchObject({ message: 'Nothing to retry: the order is active.', failureType: UPDATE_REJECTED });
  });

  test("a validator's zod issues become one readable line", async () => {
    const { handle, service } = fakeClient();
    const issues = [{ code: 'invalid_format', path: ['proof', 'fileContent'], message: 'Invalid base64-encoded string' }];
    handle.executeUpdate.mockRejectedValueOnce(new WorkflowUpdateFailedError('failed', ApplicationFailure.create({ type: 'ZodError', message: JSON.stringify(issues, null, 2) })));
    await expect(service.revoke('B-1', { reason: 'x', proof: { fileType: '.pdf', fileContent: 'QUJD' } })).rejects.toMatchObject({
      message: 'The order refused the input: proof.fileContent: Invalid base64-encoded string',
      failureType: 'ZodError',
    });
  });

  test('an update to an ended order is rejected as ended, not "not found"', async () => {
    const { handle, service } = fakeClient();
    handle.executeUpdate.mockRejectedValueOnce(new WorkflowNotFoundError('completed', 'order-B-1', undefined));
    handle.describe.mockResolvedValueOnce({ status: { name: 'COMPLETED' }, typedSearchAttributes: { get: () => 'revoked' } });
    await expect(service.cancel('B-1', { reason: 'x' })).rejects.toMatchObject({ name: 'OrderRejectedError', message: expect.stringContaining('has ended (completed, last state revoked)') });
  });

  test('updates pass their definitions and inputs', async () => {
    const { handle, service } = fakeClient();
    handle.executeUpdate.mockResolvedValue({ accepted: true, state: 'active', message: 'ok' });
    await service.cancel('B-1', { reason: 'r' });
    await service.retryNow('B-1');
    expect(handle.executeUpdate.mock.calls.map((c) => [(c[0] as { name: string }).name, c[1]])).toEqual([
      ['cancel', { args: [{ reason: 'r' }] }],
      ['retryNow', undefined],
    ]);
  });
});

describe('visibility', () => {
  test('values are quoted so that they stay values', () => {
    expect(quoteValue("it's")).toBe("'it\\'s'");
    expect(quoteValue('a\\b')).toBe("'a\\\\b'");
    expect(ordersQuery({ status: 'active', commonName: "x' OR WorkflowType != '" })).toBe(
      "WorkflowType = 'orderWorkflow' AND OrderStatus = 'active' AND CommonName = 'x\\' OR WorkflowType != \\''",
    );
    expect(caOrderQuery('CA-1')).toBe("CaOrderId = 'CA-1' AND ExecutionStatus = 'Running'");
  });

  test('page tokens round-trip, and are refused with other filters or when forged', () => {
    const q = ordersQuery({ status: 'active' });
    const token = encodePageToken(Buffer.from([1, 2, 3]), q)!;
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect([...decodePageToken(token, q)]).toEqual([1, 2, 3]);
    expect(() => decodePageToken(token, ordersQuery({}))).toThrow(InvalidPageTokenError);
    expect(() => decodePageToken('abc', q)).toThrow(InvalidPageTokenError);
    expect(encodePageToken(new Uint8Array(), q)).toBeUndefined();
  });

  test('listOrders asks visibility and answers rows from search attributes', async () => {
    const { client, service } = fakeClient();
    const notAfter = new Date('2026-01-01T00:00:00.000Z');
    client.workflowService.listWorkflowExecutions.mockResolvedValue({
      executions: [
        {
          execution: { workflowId: 'order-B-1', runId: 'r' },
          status: 1,
          startTime: { seconds: 1_735_689_600, nanos: 0 },
          searchAttributes: {
            indexedFields: encodeUnifiedSearchAttributes(undefined, [
              { key: BillingOrderIdKey, value: 'B-1' },
              { key: OrderStatusKey, value: 'active' },
              { key: CommonNameKey, value: 'shop.example.com' },
              { key: NotAfterKey, value: notAfter },
            ]),
          },
        },
      ],
      nextPageToken: Buffer.from([9]),
    });
    const page = await service.listOrders({ status: 'active', pageSize: 10 });
    const request = client.workflowService.listWorkflowExecutions.mock.calls[0]?.[0] as Record<string, unknown>;
    expect(request).toMatchObject({ namespace: 'default', pageSize: 10, query: "WorkflowType = 'orderWorkflow' AND OrderStatus = 'active'" });
    expect(page.orders).toEqual([
      {
        workflowId: 'order-B-1',
        billingOrderId: 'B-1',
        status: 'active',
        commonName: 'shop.example.com',
        productId: undefined,
        notAfter: notAfter.toISOString(),
        startTime: '2025-01-01T00:00:00.000Z',
        closeTime: undefined,
        runStatus: 'RUNNING',
      },
    ]);
    // The token goes back to Temporal as it came.
    await service.listOrders({ status: 'active', pageSize: 10, pageToken: page.nextPageToken });
    const second = client.workflowService.listWorkflowExecutions.mock.calls[1]?.[0] as { nextPageToken: Buffer };
    expect([...second.nextPageToken]).toEqual([9]);
  });

  test('findByCaOrderId lists the running workflows with that CA order id', async () => {
    const { client, service } = fakeClient();
    const withCaOrders = (workflowId: string, ids: string[]) => ({
      execution: { workflowId, runId: 'r' },
      searchAttributes: { indexedFields: encodeUnifiedSearchAttributes(undefined, [{ key: CaOrderIdKey, value: ids }]) },
    });
    client.workflowService.listWorkflowExecutions.mockResolvedValueOnce({
      executions: [withCaOrders('order-B-1', ["CA'1"]), withCaOrders('order-B-1-reissue', ["CA'1", 'CA-2'])],
      nextPageToken: Buffer.alloc(0),
    });
    await expect(service.findByCaOrderId("CA'1")).resolves.toEqual(['order-B-1', 'order-B-1-reissue']);
    expect(client.workflowService.listWorkflowExecutions.mock.calls[0]?.[0]).toMatchObject({ query: "CaOrderId IN ('CA\\'1') AND ExecutionStatus = 'Running'" });
  });

  test('findByCaOrderId: look-ups arriving while one runs share the next visibility query', async () => {
    const { client, service } = fakeClient();
    const queries: string[] = [];
    client.workflowService.listWorkflowExecutions.mockImplementation(async (req: { query: string }) => {
      queries.push(req.query);
      await new Promise((r) => setTimeout(r, 10));
      const ids = [...req.query.matchAll(/'(CA-\d+)'/g)].map((m) => m[1]!);
      return {
        executions: ids.map((id) => ({ execution: { workflowId: `order-${id}`, runId: 'r' }, searchAttributes: { indexedFields: encodeUnifiedSearchAttributes(undefined, [{ key: CaOrderIdKey, value: [id] }]) } })),
        nextPageToken: Buffer.alloc(0),
      };
    });
    const found = await Promise.all(Array.from({ length: 50 }, (_, i) => service.findByCaOrderId(`CA-${i}`)));
    expect(found).toEqual(Array.from({ length: 50 }, (_, i) => [`order-CA-${i}`]));
    expect(queries.length).toBeLessThanOrEqual(3);
  });
});

describe('request hash', () => {
  test('ignores key order and undefined members, sees every value', () => {
    expect(canonicalJson({ b: 1, a: [1, { d: undefined, c: 'x' }] })).toBe('{"a":[1,{"c":"x"}],"b":1}');
    const reordered = orderRequestSchema.parse(Object.fromEntries(Object.entries(validOrder()).reverse()));
    expect(requestHash(reordered)).toBe(requestHash(order));
    expect(requestHash({ ...order, month: 24 })).not.toBe(requestHash(order));
  });
});

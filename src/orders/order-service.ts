import { createCaOrderFinder } from './ca-order-finder';
import { collectUrl } from './collect-link';
import {
  type Client,
  isGrpcServiceError,
  ServiceError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure, type SearchAttributePair } from '@temporalio/common';
import { decodeTypedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes';
import { temporal } from '@temporalio/proto';
import type { OrderPolicyInput, OrderRequest } from '../domain/order';
import { billingOrderIdOf, orderWorkflowId } from '../domain/workflow-ids';
import { issuerDescriptor, issuerRefFor } from '../ca/registry';
import { resolvePolicy } from '../domain/policy';
import type { ProductCatalog } from '../domain/products';
import { type CancelInput, type CaPushSignal, type ReissueInput, type RevokeInput, type UpdateAnswer, cancelUpdate, caPushedSignal, getCertificateQuery, getOrderQuery, reissueUpdate, retryNowUpdate, revokeUpdate } from '../workflows/messages';
import { type ResendCustomerEmailInput, type ResolveCreateInput, resendCustomerEmailUpdate, resolveCreateUpdate } from '../workflows/messages';
import type { CertificateBundle } from '../domain/certificate';
import type { OrderView } from '../domain/order-view';
import type { OrderWorkflowInput } from '../workflows/inputs';
import { orderWorkflow } from '../workflows/order/workflow';
import {
  BillingOrderIdKey,
  CommonNameKey,
  NotAfterKey,
  OrderStatusKey,
  ProductIdKey,
} from '../workflows/search-attributes';
import {
  InvalidOrderError,
  OrderConflictError,
  OrderNotFoundError,
  OrderRejectedError,
  OrderTooLargeError,
  TemporalUnavailableError,
  UnknownProductError,
} from './errors';
import { issuerIssues, productIssues, reissueIssues, withoutRepeats } from './product-rules';
import { requestHash } from './request-hash';
import { orderStaticDetails } from './static-details';
import { switchedMethods } from './domain-switch';
import type { ListOrdersQuery, OrderPage, OrderSummary, PlaceOrderResult, SwitchDomainValidationInput } from './schemas';
import {
  decodePageToken,
  encodePageToken,
  openOrdersQuery,
  ordersQuery,
} from './visibility';
import { ORDER_STATES, type OrderState } from '../domain/order-states';

/**
 * Everything the API (and through it the CLI) asks of Temporal about orders. Routes depend
 * on this interface only, so they are tested with a fake.
 */
export interface OrderService {
  /** Starts the order's workflow; a repeat with the same body answers the same workflow. */
  placeOrder(request: OrderRequest): Promise<PlaceOrderResult>;
  getOrder(billingOrderId: string): Promise<OrderView>;
  listOrders(query: ListOrdersQuery): Promise<OrderPage>;
  /** Running orders on this deployment's task queue, by state (visibility counts: eventually consistent). */
  countOpenOrders(): Promise<Record<OrderState, number>>;
  /** Null while no certificate has been issued. */
  getCertificate(billingOrderId: string): Promise<CertificateBundle | null>;
  cancel(billingOrderId: string, input: CancelInput): Promise<UpdateAnswer>;
  reissue(billingOrderId: string, input: ReissueInput): Promise<UpdateAnswer>;
  /**
   * CAs that validate per name: switches the given names' validation methods — a reissue
   * (same rules, same idempotency on `requestId`) with every name of the order, the others
   * keeping their current methods.
   */
  switchDomainValidation(billingOrderId: string, input: SwitchDomainValidationInput): Promise<UpdateAnswer>;
  revoke(billingOrderId: string, input: RevokeInput): Promise<UpdateAnswer>;
  retryNow(billingOrderId: string): Promise<UpdateAnswer>;
  /** Asks the CA to e-mail the customer again (an operator's decision; never automatic). */
  resendCustomerEmail(billingOrderId: string, input: ResendCustomerEmailInput): Promise<UpdateAnswer>;
  /** Operator: settle a create whose answer was lost (the CA order found at the CA, or none made). */
  resolveCreate(billingOrderId: string, input: ResolveCreateInput): Promise<UpdateAnswer>;
  /** Ids of the running workflows (order, reissue or revoke child) waiting on this CA order. */
  findByCaOrderId(caOrderId: string): Promise<string[]>;
  signalPush(workflowId: string, push: CaPushSignal): Promise<void>;
}

export interface OrderServiceDeps {
  client: Client;
  taskQueue: string;
  /** The products this deployment sells (PRODUCTS_FILE): an order for any other is refused. */
  products: ProductCatalog;
  /** Base of the URL the CA e-mails the customer for collection. */
  publicBaseUrl: string;
  /** Signs that URL so the customer can open it without an API key. */
  collectLinkSecret?: string;
  /** How long a plain call (start, describe, list, signal) may take, retries included, before a 503. */
  rpcTimeoutMs?: number;
  /** How long a query may wait for a worker before the API answers 503. */
  queryTimeoutMs?: number;
  /** How long an update may take before the API answers 503 (the update may still land). */
  updateTimeoutMs?: number;
  /**
   * Policy overrides applied to every order this service starts (benchmarks run the polling
   * schedule on a compressed clock); never set from the HTTP API.
   */
  policyOverrides?: OrderPolicyInput;
}

/** gRPC status codes; @grpc/grpc-js is the SDK's dependency, not ours. */
const Code = { CANCELLED: 1, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, RESOURCE_EXHAUSTED: 8, UNAVAILABLE: 14 } as const;
const UNAVAILABLE_CODES: ReadonlySet<number> = new Set([Code.DEADLINE_EXCEEDED, Code.RESOURCE_EXHAUSTED, Code.UNAVAILABLE]);

function grpcCode(err: unknown): number | undefined {
  if (isGrpcServiceError(err)) return err.code;
  if (err instanceof ServiceError && isGrpcServiceError(err.cause)) return err.cause.code;
  return undefined;
}

function grpcMessage(err: unknown): string {
  if (err instanceof ServiceError && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}

/** Maps transport failures every call can meet; anything else is left as it is. */
function translate(err: unknown, billingOrderId?: string): unknown {
  if (err instanceof WorkflowNotFoundError && billingOrderId !== undefined) return new OrderNotFoundError(billingOrderId);
  const code = grpcCode(err);
  if (code !== undefined && UNAVAILABLE_CODES.has(code)) {
    const what = code === Code.DEADLINE_EXCEEDED ? 'Temporal (or a worker) did not answer in time' : 'Temporal is unavailable';
    return new TemporalUnavailableError(`${what}; try again shortly.`, { cause: err });
  }
  if (code === Code.INVALID_ARGUMENT && /size|limit/i.test(grpcMessage(err))) return new OrderTooLargeError({ cause: err });
  return err;
}

/**
 * A validator that throws a ZodError fails the update with the issues as JSON for message;
 * turn that into one line an operator can read.
 */
function readableReason(message: string): string {
  try {
    const issues = JSON.parse(message) as unknown;
    if (Array.isArray(issues) && issues.length > 0 && issues.every((i) => typeof (i as { message?: unknown }).message === 'string')) {
      const parts = (issues as { path?: unknown[]; message: string }[]).map((i) => (i.path?.length ? `${i.path.join('.')}: ${i.message}` : i.message));
      return `The order refused the input: ${parts.join('; ')}`;
    }
  } catch {
    // Not JSON: the workflow's own sentence, used as it is.
  }
  return message;
}

function statusName(code: temporal.api.enums.v1.WorkflowExecutionStatus | null | undefined): string {
  const name = code == null ? undefined : temporal.api.enums.v1.WorkflowExecutionStatus[code];
  return (name ?? 'WORKFLOW_EXECUTION_STATUS_UNSPECIFIED').replace('WORKFLOW_EXECUTION_STATUS_', '');
}

type Timestamp = temporal.api.workflow.v1.IWorkflowExecutionInfo['startTime'];
function isoTime(ts: Timestamp): string | undefined {
  if (!ts?.seconds) return undefined;
  const seconds = typeof ts.seconds === 'number' ? ts.seconds : ts.seconds.toNumber();
  return new Date(seconds * 1000 + Math.floor((ts.nanos ?? 0) / 1e6)).toISOString();
}

function toSummary(raw: temporal.api.workflow.v1.IWorkflowExecutionInfo): OrderSummary {
  const attrs = decodeTypedSearchAttributes(raw.searchAttributes?.indexedFields);
  const workflowId = raw.execution?.workflowId ?? '';
  const notAfter = attrs.get(NotAfterKey);
  return {
    workflowId,
    billingOrderId: attrs.get(BillingOrderIdKey) ?? billingOrderIdOf(workflowId) ?? workflowId,
    status: attrs.get(OrderStatusKey),
    commonName: attrs.get(CommonNameKey),
    productId: attrs.get(ProductIdKey),
    notAfter: notAfter?.toISOString(),
    startTime: isoTime(raw.startTime) ?? new Date(0).toISOString(),
    closeTime: isoTime(raw.closeTime),
    runStatus: statusName(raw.status),
  };
}

export function createOrderService({
  collectLinkSecret,
  client,
  taskQueue,
  products,
  publicBaseUrl,
  rpcTimeoutMs = 5_000,
  queryTimeoutMs = 10_000,
  updateTimeoutMs = 30_000,
  policyOverrides,
}: OrderServiceDeps): OrderService {
  const base = publicBaseUrl.replace(/\/+$/, '');
  // Pushes come in bursts: their look-ups share visibility queries (see ca-order-finder.ts).
  const findCaOrder = createCaOrderFinder({ client, timeoutMs: rpcTimeoutMs });
  const handleOf = (billingOrderId: string) => client.workflow.getHandle(orderWorkflowId(billingOrderId));
  // Without a deadline the SDK retries an unreachable server for about 20 s; a caller of the
  // API should get its 503 sooner than that.
  const within = async <T>(ms: number, fn: () => Promise<T>): Promise<T> => {
    const deadline = Date.now() + ms;
    try {
      return await client.withDeadline(deadline, fn);
    } catch (err) {
      // gRPC sometimes reports a passed deadline as CANCELLED rather than DEADLINE_EXCEEDED.
      if (grpcCode(err) === Code.CANCELLED && Date.now() >= deadline) {
        throw new TemporalUnavailableError('Temporal (or a worker) did not answer in time; try again shortly.', { cause: err });
      }
      throw err;
    }
  };

  async function query<T>(billingOrderId: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await within(queryTimeoutMs, fn);
    } catch (err) {
      throw translate(err, billingOrderId);
    }
  }

  async function update(billingOrderId: string, fn: () => Promise<UpdateAnswer>): Promise<UpdateAnswer> {
    try {
      return await within(updateTimeoutMs, fn);
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        const cause = err.cause;
        const type = cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
        throw new OrderRejectedError(readableReason(cause?.message || err.message), billingOrderId, type);
      }
      if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
        throw new TemporalUnavailableError(
          'The order did not answer in time; the change may still be applied, so read the order before trying again.',
          { cause: err },
        );
      }
      if (err instanceof WorkflowNotFoundError) throw await endedOrMissing(billingOrderId);
      throw translate(err, billingOrderId);
    }
  }

  const isRunning = (billingOrderId: string): Promise<boolean> => query(billingOrderId, () => handleOf(billingOrderId).describe()).then((d) => d.status.name === 'RUNNING');
  const viewOf = (billingOrderId: string): Promise<OrderView> => query(billingOrderId, () => handleOf(billingOrderId).query(getOrderQuery));

  /** A reissue held to its product's rules against the running order's view (none: the workflow answers alone). */
  async function reissueChecked(billingOrderId: string, input: ReissueInput, view: OrderView | undefined): Promise<UpdateAnswer> {
    const product = view ? products.find(view.productId) : undefined;
    if (view && product) {
      const issues = await reissueIssues(input, view, product, issuerDescriptor(product.issuer));
      if (issues.length > 0) throw new InvalidOrderError(issues);
    }
    return update(billingOrderId, () => handleOf(billingOrderId).executeUpdate(reissueUpdate, { args: [input] }));
  }

  /** Updates to a closed workflow fail as "not found": tell an ended order from a missing one. */
  async function endedOrMissing(billingOrderId: string): Promise<Error> {
    try {
      const d = await within(rpcTimeoutMs, () => handleOf(billingOrderId).describe());
      const state = d.typedSearchAttributes.get(OrderStatusKey);
      const how = `${d.status.name.toLowerCase()}${state ? `, last state ${state}` : ''}`;
      return new OrderRejectedError(`The order has ended (${how}); it accepts no more changes.`, billingOrderId);
    } catch (err) {
      const mapped = translate(err, billingOrderId);
      return mapped instanceof Error ? mapped : new Error(String(mapped));
    }
  }

  return {
    async placeOrder(request) {
      const { billingOrderId, commonName, productId } = request;
      const product = products.find(productId);
      if (!product) throw new UnknownProductError(productId);
      // Before anything starts: a CSR the CA refuses, or whose certificate could not be used,
      // would otherwise be found only after the CA issued (and was paid).
      const issuer = issuerDescriptor(product.issuer);
      const door = await productIssues(request, product, products);
      const issues = [...door, ...withoutRepeats(door, issuer ? await issuerIssues(request, issuer, product) : [])];
      if (issues.length > 0) throw new InvalidOrderError(issues);
      const workflowId = orderWorkflowId(billingOrderId);
      const hash = requestHash(request);
      const input: OrderWorkflowInput = {
        order: request,
        policy: resolvePolicy(product, policyOverrides),
        collectUrl: collectUrl(base, billingOrderId, collectLinkSecret),
        issuer: issuerRefFor(product.issuer),
      };
      // Search attributes are not encrypted by the payload codec. A document-signing
      // certificate's subject is a person or an organisation's signatory: personal data, kept
      // out of them and, should a codec ever be off, out of the summary and details too (it
      // stays in the encrypted input and the view).
      const personalSubject = product.kind === 'pdf';
      const searchAttributes: SearchAttributePair[] = [
        { key: BillingOrderIdKey, value: billingOrderId },
        { key: OrderStatusKey, value: 'creating' },
        ...(personalSubject ? [] : [{ key: CommonNameKey, value: commonName }]),
        { key: ProductIdKey, value: productId },
      ];
      try {
        const handle = await within(rpcTimeoutMs, () => client.workflow.start(orderWorkflow, {
          workflowId,
          taskQueue,
          args: [input],
          // FAIL rather than USE_EXISTING: the SDK does not say whether USE_EXISTING started a
          // run, and the error tells us exactly, race-free, when the id is already taken.
          workflowIdConflictPolicy: 'FAIL',
          // A billing order id names one order forever: an ended order is not restarted (the
          // CA would answer the same idempotenceID with the old CA order anyway).
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          memo: { requestHash: hash },
          typedSearchAttributes: searchAttributes,
          staticSummary: `Order ${billingOrderId} · ${personalSubject ? product.name : commonName}`,
          staticDetails: orderStaticDetails(request, product, personalSubject),
        }));
        return { workflowId, runId: handle.firstExecutionRunId, created: true };
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw translate(err);
      }
      let existing;
      try {
        existing = await within(rpcTimeoutMs, () => handleOf(billingOrderId).describe());
      } catch (err) {
        throw translate(err, billingOrderId);
      }
      const existingHash = existing.memo?.requestHash;
      // Continue-as-new keeps the memo; a run without one cannot be compared and is taken as the same.
      if (typeof existingHash === 'string' && existingHash !== hash) throw new OrderConflictError(billingOrderId, workflowId);
      return { workflowId, runId: existing.runId, created: false };
    },

    getOrder(billingOrderId) {
      return query(billingOrderId, () => handleOf(billingOrderId).query(getOrderQuery));
    },

    getCertificate(billingOrderId) {
      return query(billingOrderId, () => handleOf(billingOrderId).query(getCertificateQuery));
    },

    async listOrders({ status, commonName, pageSize, pageToken }) {
      const q = ordersQuery({ status, commonName });
      const nextPageToken = pageToken === undefined ? undefined : decodePageToken(pageToken, q);
      try {
        const response = await within(rpcTimeoutMs, () =>
          client.workflowService.listWorkflowExecutions({ namespace: client.options.namespace, query: q, pageSize, nextPageToken }),
        );
        return {
          orders: response.executions.map(toSummary),
          nextPageToken: encodePageToken(response.nextPageToken, q),
        };
      } catch (err) {
        throw translate(err);
      }
    },

    async countOpenOrders() {
      // Visibility groups by ExecutionStatus only: one count per state.
      const counts = await Promise.all(
        ORDER_STATES.map(async (state) => {
          try {
            const r = await within(rpcTimeoutMs, () => client.workflowService.countWorkflowExecutions({ namespace: client.options.namespace, query: openOrdersQuery(state, taskQueue) }));
            return [state, Number(r.count ?? 0)] as const;
          } catch (err) {
            throw translate(err);
          }
        }),
      );
      return Object.fromEntries(counts) as Record<OrderState, number>;
    },

    cancel(billingOrderId, input) {
      return update(billingOrderId, () => handleOf(billingOrderId).executeUpdate(cancelUpdate, { args: [input] }));
    },
    async reissue(billingOrderId, input) {
      // The order's own names and product: a reissue CSR is held to the same rules as the
      // order's. Only a running order is asked (an ended one refuses the update anyway, and a
      // query to a closed workflow makes a worker replay its whole history).
      const view = (await isRunning(billingOrderId)) ? await viewOf(billingOrderId) : undefined;
      return reissueChecked(billingOrderId, input, view);
    },
    async switchDomainValidation(billingOrderId, input) {
      // The full set of names needs the running order's view; an ended order accepts no change.
      if (!(await isRunning(billingOrderId))) throw await endedOrMissing(billingOrderId);
      const view = await viewOf(billingOrderId);
      const product = products.find(view.productId);
      const issuer = product ? issuerDescriptor(product.issuer) : undefined;
      if (product && !issuer?.capabilities.includes('domainValidation')) {
        throw new InvalidOrderError([{ path: ['methods'], rule: `is only for products whose CA validates per name; ${issuer?.displayName ?? product.issuer} lacks the capability "domainValidation"` }]);
      }
      const { domainValidation, issues } = switchedMethods(view, input.methods);
      if (issues.length > 0) throw new InvalidOrderError(issues);
      const reissue: ReissueInput = {
        requestId: input.requestId,
        reason: input.reason ?? 'switch validation method',
        domainValidation,
        ...(input.confirmDroppedDomains === undefined ? {} : { confirmDroppedDomains: input.confirmDroppedDomains }),
        ...(input.renew === undefined ? {} : { renew: input.renew }),
      };
      return reissueChecked(billingOrderId, reissue, view);
    },
    revoke(billingOrderId, input) {
      return update(billingOrderId, () => handleOf(billingOrderId).executeUpdate(revokeUpdate, { args: [input] }));
    },
    retryNow(billingOrderId) {
      return update(billingOrderId, () => handleOf(billingOrderId).executeUpdate(retryNowUpdate));
    },
    resendCustomerEmail(billingOrderId, input) {
      return update(billingOrderId, () => handleOf(billingOrderId).executeUpdate(resendCustomerEmailUpdate, { args: [input] }));
    },

    resolveCreate(billingOrderId, input) {
      return update(billingOrderId, () => handleOf(billingOrderId).executeUpdate(resolveCreateUpdate, { args: [input] }));
    },

    async findByCaOrderId(caOrderId) {
      try {
        return await findCaOrder(caOrderId);
      } catch (err) {
        throw translate(err);
      }
    },

    async signalPush(workflowId, push) {
      try {
        await within(rpcTimeoutMs, () => client.workflow.getHandle(workflowId).signal(caPushedSignal, push));
      } catch (err) {
        throw translate(err, billingOrderIdOf(workflowId));
      }
    },
  };
}

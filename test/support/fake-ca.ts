/**
 * A controllable fake CA behind the real `Activities` type, and a harness that runs
 * orderWorkflow against it on the run's shared dev server (real time): the workflow's timers
 * (1-minute polls, 1-hour attention retries, year-long certificates) never fire during a
 * test, so every step it takes is caused by the message or the activity the test released.
 * Deferred promises inside the activities hold the workflow at the exact step a race needs.
 * Both the durable activities and the inline (local) ones hit the same functions.
 */
import { Context } from '@temporalio/activity';
import { WorkflowUpdateFailedError, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Activities, BillingEvent } from '../../src/activities';
import type { CaEmailResult } from '../../src/activities/ca';
import { CaErrorType } from '../../src/ca/errors';
import type { CaPhase, CancelResult, CustomerTask, IssuerRef } from '../../src/ca/issuer';
import { type OrderPolicyInput, orderPolicySchema, orderRequestSchema } from '../../src/domain/order';
import type { OrderState } from '../../src/domain/order-states';
import type { OrderView } from '../../src/domain/order-view';
import { orderWorkflowId } from '../../src/domain/workflow-ids';
import { bundleWorkflows } from '../../src/worker-factory';
import { orderWorkflow } from '../../src/workflows';
import { getOrderQuery } from '../../src/workflows/messages';
import { connectDevServer, uniqueId } from './temporal';

export type Name = keyof Activities;
export interface Call {
  name: Name;
  args: unknown[];
  /** Run as a local activity (the workflow's inline reads and checks). */
  local: boolean;
  /** The issuer id a CA activity was called for. */
  issuer?: string;
}

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(v: T): void;
}
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

interface Gate {
  name: Name;
  match: (c: Call) => boolean;
  entered: Deferred<Call>;
  release: Deferred<void>;
}

export const CSR = '-----BEGIN CERTIFICATE REQUEST-----\nMIIBfake\n-----END CERTIFICATE REQUEST-----';
export const PROOF = { fileType: '.pdf' as const, fileContent: Buffer.from('%PDF-1.4 proof').toString('base64') };
const YEAR_MS = 365 * 86_400_000;

export const authError = (): ApplicationFailure => ApplicationFailure.create({ type: CaErrorType.Auth, message: 'the CA rejected the API token (401)', nonRetryable: true });

export class FakeCa {
  readonly calls: Call[] = [];
  readonly status = new Map<string, CaPhase>();
  readonly billing: BillingEvent[] = [];
  /** What a new CA order (create or reissue) reads as first. */
  initialStatus: CaPhase = 'validation';
  /** The customer's page at the CA, answered with every status of an order that has one. */
  readonly links = new Map<string, string>();
  /** What the CA says the customer still has to do, per order. */
  readonly tasks = new Map<string, CustomerTask[]>();
  /** Answers of sendCaEmail, in order; then "sent". */
  readonly emailAnswers: CaEmailResult[] = [];
  /** Answers of cancelCaOrder, in order; then "cancelled". */
  readonly cancelAnswers: CancelResult[] = [];
  private seq = 0;
  private readonly byIdempotenceId = new Map<string, string>();
  private readonly gates: Gate[] = [];
  private readonly faults: { name: Name; match: (c: Call) => boolean; error: () => Error }[] = [];

  /** Holds the next matching call of `name` until `release()`; `entered` resolves when it starts. */
  hold(name: Name, match: (c: Call) => boolean = () => true): { entered: Promise<Call>; release(): void } {
    const gate: Gate = { name, match, entered: deferred<Call>(), release: deferred() };
    this.gates.push(gate);
    return { entered: gate.entered.promise, release: () => gate.release.resolve() };
  }

  /** The next matching call of `name` throws. */
  failNext(name: Name, error: () => Error, match: (c: Call) => boolean = () => true): void {
    this.faults.push({ name, match, error });
  }

  releaseAll(): void {
    for (const g of this.gates) g.release.resolve();
  }

  names(): Name[] {
    return this.calls.map((c) => c.name);
  }

  argsOf(name: Name): unknown[][] {
    return this.calls.filter((c) => c.name === name).map((c) => c.args);
  }

  billingTypes(): string[] {
    return this.billing.map((e) => e.type);
  }

  private async enter(name: Name, args: unknown[], issuer?: string): Promise<void> {
    const call: Call = { name, args, local: Context.current().info.isLocal, issuer };
    this.calls.push(call);
    const fault = this.faults.findIndex((f) => f.name === name && f.match(call));
    if (fault >= 0) throw this.faults.splice(fault, 1)[0]!.error();
    const gate = this.gates.findIndex((g) => g.name === name && g.match(call));
    if (gate >= 0) {
      const g = this.gates.splice(gate, 1)[0]!;
      g.entered.resolve(call);
      await g.release.promise;
    }
  }

  /** Like an issuer with `inlineCertificate`: the status answer carries the certificate once issued. */
  inlineCertificate = false;

  private certificateOf(caOrderId: string): { certificatePem: string; chainPems: string[] } {
    return { certificatePem: `leaf of ${caOrderId}`, chainPems: ['root', 'intermediate'] };
  }

  private newOrder(): string {
    const id = `CA-${++this.seq}`;
    this.status.set(id, this.initialStatus);
    return id;
  }

  activities(): Activities {
    return {
      createCaOrder: async (req, issuer) => {
        await this.enter('createCaOrder', [req], issuer);
        // Idempotent on idempotenceId, as the CA is.
        const id = this.byIdempotenceId.get(req.idempotenceId) ?? this.newOrder();
        this.byIdempotenceId.set(req.idempotenceId, id);
        return { caOrderId: id };
      },
      getCaOrderStatus: async (caOrderId, issuer) => {
        await this.enter('getCaOrderStatus', [caOrderId], issuer);
        const phase = this.status.get(caOrderId) ?? 'unknown';
        const certificate = this.inlineCertificate && phase === 'issued' ? this.certificateOf(caOrderId) : undefined;
        return { caOrderId, phase, status: `fake:${phase}`, certificate, pendingLink: this.links.get(caOrderId), customerTasks: this.tasks.get(caOrderId) };
      },
      retrieveCertificate: async (caOrderId, issuer) => {
        await this.enter('retrieveCertificate', [caOrderId], issuer);
        if (this.status.get(caOrderId) !== 'issued') throw ApplicationFailure.create({ type: CaErrorType.NotReady, message: 'not issued yet', nonRetryable: true });
        return this.certificateOf(caOrderId);
      },
      cancelCaOrder: async (caOrderId, reason, issuer) => {
        await this.enter('cancelCaOrder', [caOrderId, reason], issuer);
        const answer = this.cancelAnswers.shift() ?? { cancelled: true };
        if (answer.cancelled) this.status.set(caOrderId, 'closed');
        return answer;
      },
      requestRevoke: async (req, issuer) => {
        await this.enter('requestRevoke', [req], issuer);
        this.status.set(req.caOrderId, 'revoked');
        return { revokeStatus: 'revoked', revoked: true };
      },
      requestReissue: async (req, issuer) => {
        await this.enter('requestReissue', [req], issuer);
        const id = this.byIdempotenceId.get(req.idempotenceId) ?? this.newOrder();
        this.byIdempotenceId.set(req.idempotenceId, id);
        return { newCaOrderId: id };
      },
      sendCaEmail: async (caOrderId, collectUrl, issuer) => {
        await this.enter('sendCaEmail', [caOrderId, collectUrl], issuer);
        return this.emailAnswers.shift() ?? { sent: true };
      },
      checkDomainFiles: async (domains, issuer) => {
        await this.enter('checkDomainFiles', [domains], issuer);
        const ok = (url: string) => ({ url, ok: true });
        return { path: '/.well-known/pki-validation/signfile', checkedAt: new Date().toISOString(), domains: domains.map((domain) => ({ domain, ready: true, http: ok(`http://${domain}/`), https: ok(`https://${domain}/`) })) };
      },
      checkDomainValidations: async (validations) => {
        await this.enter('checkDomainValidations', [validations]);
        return { checkedAt: new Date().toISOString(), domains: validations.map((v) => ({ domain: v.domain, method: v.method, ready: v.method !== 'email' })) };
      },
      notifyBilling: async (event, key) => {
        await this.enter('notifyBilling', [event, key]);
        this.billing.push(event);
        return { delivered: true };
      },
      verifyCertificate: async (input) => {
        await this.enter('verifyCertificate', [input]);
        const now = Date.now();
        const certificate = {
          caOrderId: input.caOrderId,
          serialNumber: `serial-${input.caOrderId}`,
          notBefore: new Date(now).toISOString(),
          notAfter: new Date(now + YEAR_MS).toISOString(),
          sha256Fingerprint: `fp-${input.caOrderId}`,
          subject: `CN=${input.commonName}`,
          issuer: 'CN=Fake CA',
          sans: [input.commonName],
        };
        return { ok: true, certificate, bundle: { caOrderId: input.caOrderId, leafPem: input.retrieved.certificatePem, chainPems: input.retrieved.chainPems } };
      },
    };
  }
}


export type Handle = WorkflowHandleWithFirstExecutionRunId<typeof orderWorkflow>;

/** The failure of an update the workflow refused or failed: always an ApplicationFailure. */
export async function refusal(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

/** Settles to 'ok' or the refusal, so two racing updates can be compared whichever wins. */
export const outcome = (p: Promise<unknown>): Promise<'ok' | ApplicationFailure> => p.then(() => 'ok' as const, (e: unknown) => (e as WorkflowUpdateFailedError).cause as ApplicationFailure);

export interface FakeCaHarness {
  /** This test's fake CA (a new one per test). */
  readonly fake: FakeCa;
  /** The shared dev server's client (children, describe). */
  readonly client: TestWorkflowEnvironment['client'];
  /** A Worker on this test's task queue, running until `fn` settles; orders left open are terminated, held activities released. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  start(policy?: OrderPolicyInput, issuer?: IssuerRef): Promise<Handle>;
  view(h: Handle): Promise<OrderView>;
  until(h: Handle, what: string, ok: (v: OrderView) => boolean, timeoutMs?: number): Promise<OrderView>;
  stateIs(h: Handle, state: OrderState): Promise<OrderView>;
  /** Replays the order's history with the same bundle: the path it took is deterministic. */
  replay(h: Handle): Promise<void>;
  /** An order whose CA issues at once, run to `active`. */
  activeOrder(policy?: OrderPolicyInput, issuer?: IssuerRef): Promise<{ handle: Handle; v: OrderView }>;
}

/** Registers the jest hooks (bundle once per file, a fake CA and task queue per test) and returns the harness. */
export function fakeCaHarness(): FakeCaHarness {
  let env: TestWorkflowEnvironment;
  let bundle: WorkflowBundleWithSourceMap;
  let fake: FakeCa;
  let taskQueue: string;
  const started: Handle[] = [];

  beforeAll(async () => {
    [env, bundle] = await Promise.all([connectDevServer(), bundleWorkflows()]);
  });
  afterAll(async () => {
    await env?.teardown();
  });
  beforeEach(() => {
    fake = new FakeCa();
    taskQueue = uniqueId('fake-ca');
  });

  const view = (h: Handle): Promise<OrderView> => h.query(getOrderQuery);
  async function until(h: Handle, what: string, ok: (v: OrderView) => boolean, timeoutMs = 10_000): Promise<OrderView> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await view(h);
      if (ok(v)) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the order is ${v.condition.state} (${v.condition.reason})`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  const stateIs = (h: Handle, state: OrderState): Promise<OrderView> => until(h, `state ${state}`, (v) => v.condition.state === state);

  async function start(policy: OrderPolicyInput = {}, issuer?: IssuerRef): Promise<Handle> {
    const billingOrderId = uniqueId('B');
    const order = orderRequestSchema.parse({ billingOrderId, productId: '00000000-0000-4000-8000-000000000001', commonName: 'www.example.com', csr: CSR, month: 12 });
    const handle = await env.client.workflow.start(orderWorkflow, {
      taskQueue,
      workflowId: orderWorkflowId(billingOrderId),
      args: [{ order, policy: orderPolicySchema.parse(policy), collectUrl: `https://certflow.test/v1/orders/${billingOrderId}/certificate`, issuer }],
    });
    started.push(handle);
    return handle;
  }

  return {
    get fake() {
      return fake;
    },
    get client() {
      return env.client;
    },
    async run(fn) {
      const worker = await Worker.create({ connection: env.nativeConnection, namespace: 'default', taskQueue, workflowBundle: bundle, activities: fake.activities() });
      return worker.runUntil(async () => {
        try {
          return await fn();
        } finally {
          // A workflow task stopped mid-flight (local activities pending) can hold up the worker's shutdown.
          await Promise.all(started.splice(0).map((h) => h.terminate('test over').catch(() => undefined)));
          fake.releaseAll();
        }
      });
    },
    start,
    async replay(h) {
      await Worker.runReplayHistory({ workflowBundle: bundle }, await h.fetchHistory(), h.workflowId);
    },
    view,
    until,
    stateIs,
    async activeOrder(policy = {}, issuer) {
      fake.initialStatus = 'issued';
      const handle = await start(policy, issuer);
      return { handle, v: await stateIs(handle, 'active') };
    },
  };
}

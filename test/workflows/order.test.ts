/**
 * orderWorkflow on the Java time-skipping test server with production durations (30-day
 * deadlines, one-year certificates, hour-long polls), against the real simulator over HTTP.
 * Each test asserts the final state and the CA calls the simulator counted.
 */
import { Runtime, DefaultLogger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { SIM_PRODUCT_IDS } from '../../src/simulator/catalog';
import { generateCsr } from '../../src/simulator/csr';
import { orderWorkflowId } from '../../src/domain/order';
import {
  cancelUpdate,
  getCertificateQuery,
  getOrderQuery,
  reissueUpdate,
  retryNowUpdate,
  revokeUpdate,
  type OrderView,
} from '../../src/workflows/definitions';
import { bundleWorkflows } from '../../src/worker-factory';
import type { orderWorkflow } from '../../src/workflows/order';
import { type Harness, dvOrder, eventually, startHarness, workflowInput } from '../support/order-harness';
import { createTimeSkippingEnv } from '../support/temporal';

Runtime.install({ logger: new DefaultLogger('WARN') });

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let h: Harness;

beforeAll(async () => {
  bundle = await bundleWorkflows();
});
// A server per test: time skipped by one test (a year, to expiry) must not leak into the next.
beforeEach(async () => {
  env = await createTimeSkippingEnv();
  h = await startHarness({ client: env.client, connection: env.nativeConnection, bundle });
});
afterEach(async () => {
  await h?.close();
  await env?.teardown();
});

const PROOF = { fileType: '.pdf' as const, fileContent: Buffer.from('%PDF-1.4 revocation request').toString('base64') };

async function start(order: Awaited<ReturnType<typeof dvOrder>>, policy = {}) {
  return env.client.workflow.start<typeof orderWorkflow>('orderWorkflow', {
    taskQueue: h.taskQueue,
    workflowId: orderWorkflowId(order.billingOrderId),
    args: [workflowInput(order, policy)],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
}

type Handle = Awaited<ReturnType<typeof start>>;

const view = (handle: Handle): Promise<OrderView> => handle.query(getOrderQuery);

async function stateIs(handle: Handle, ...states: OrderView['condition']['state'][]): Promise<OrderView> {
  return eventually(`state ${states.join('|')}`, async () => {
    const v = await view(handle);
    return states.includes(v.condition.state) ? v : undefined;
  });
}

async function caOrderId(handle: Handle): Promise<string> {
  return eventually('CA order id', async () => (await view(handle)).ca.orderId);
}

/** Drives an order at the simulator through review, DCV and issuance (each step pushes). */
async function issue(id: string, handle?: Handle): Promise<void> {
  const o = h.sim.state.order(id)!;
  if (o.status === 'pendingSubmitOrderToCA') {
    await h.sim.state.drive(id, 'pass-review');
    if (handle) await stateIs(handle, 'awaitingValidation');
  }
  await h.sim.state.drive(id, 'pass-dcv');
  if (handle) await stateIs(handle, 'awaitingIssuance');
  await h.sim.state.drive(id, 'issue');
}

describe('orderWorkflow', () => {
  it('happy path with pushes: created, validated, issued, verified, delivered, active — then expires a year later', async () => {
    const order = await dvOrder();
    await h.run(async () => {
      const handle = await start(order);
      const id = await caOrderId(handle);
      await stateIs(handle, 'awaitingReview', 'awaitingValidation');
      await issue(id, handle);
      const active = await stateIs(handle, 'active');
      expect(active.certificate?.sans).toContain(order.commonName);
      expect(active.notifications.caEmailFor).toEqual([active.certificate!.serialNumber]);
      const bundleNow = await handle.query(getCertificateQuery);
      expect(bundleNow?.chainPems).toHaveLength(2);
      // a year of workflow time: renewal reminder, then expiry
      const final = await handle.result();
      expect(final.condition.state).toBe('expired');
      expect(final.timeline.map((t) => t.state)).toEqual(expect.arrayContaining(['creating', 'awaitingValidation', 'awaitingIssuance', 'retrieving', 'verifying', 'delivering', 'active', 'expired']));
    });
    const c = h.sim.state.counters();
    expect(c.calls.create).toBe(1);
    expect(c.calls.retrieve).toBe(1);
    expect(c.calls.email).toBe(1);
    expect(c.createsByIdempotenceId[order.billingOrderId]).toBe(1);
    expect(h.sim.state.emails()).toHaveLength(1);
    expect(h.billing.types(order.billingOrderId)).toEqual(['order.issued', 'order.renewal_due', 'order.expired']);
  });

  it('happy path with pushes dropped: polling alone finds the issued certificate', async () => {
    h.sim.state.setFaults({ dropPushRate: 1 });
    const order = await dvOrder();
    await h.run(async () => {
      const handle = await start(order);
      const id = await caOrderId(handle);
      await stateIs(handle, 'awaitingValidation', 'awaitingReview');
      await issue(id);
      const before = (await view(handle)).ca.checks;
      await env.sleep('3 hours'); // polls fire on the growing schedule
      const active = await stateIs(handle, 'active');
      expect(active.ca.checks).toBeGreaterThan(before);
    });
    const c = h.sim.state.counters();
    expect(c.pushes.dropped).toBeGreaterThan(0);
    expect(c.pushes.acknowledged).toBe(0);
    expect(c.calls.create).toBe(1);
    expect(c.calls.retrieve).toBe(1);
  });
});

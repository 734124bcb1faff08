/**
 * The reseller platform (per-name validation) end to end, through the API over HTTP and the
 * `certflow` CLI, on the stack every e2e test uses: the reseller simulator with the customers'
 * DNS server, and a worker whose DNS check asks that server. No record is published until a
 * test does. The poll ladder is shortened (first look after 0.5 s, at most 1 s apart).
 */
import type { OrderView } from '../../src/domain/order-view';
import { RESELLER_DV_PRODUCT_ID } from '../../tools/stack/reseller';
import { generateCsr } from '../../tools/simulators/wotrus/csr';
import { eventually } from '../support/order-harness';
import { cliAgainst, orderView } from '../support/e2e-client';
import { installTestRuntime } from '../support/runtime';
import { type Stack, startStack } from '../support/stack';
import { uniqueId } from '../support/temporal';

installTestRuntime();

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ policyOverrides: { pollInitialMs: 500, pollMaxMs: 1_000 } });
});
afterAll(async () => {
  await stack?.close();
});

const domain = (prefix: string): string => `${uniqueId(prefix).toLowerCase()}.example.com`;

async function body(commonName: string, hosts: string[] = [], domainValidation?: Record<string, string>) {
  const csr = await generateCsr({ commonName, keyType: 'ec', sans: hosts });
  return { billingOrderId: uniqueId('R'), productId: RESELLER_DV_PRODUCT_ID, commonName, ...(hosts.length ? { hosts } : {}), csr: csr.csrPem, month: 12, ...(domainValidation ? { domainValidation } : {}) };
}

const view = (id: string): Promise<OrderView> => orderView(stack, id);

async function until(id: string, what: string, ok: (v: OrderView) => boolean, timeoutMs = 60_000): Promise<OrderView> {
  return eventually(`${id}: ${what}`, async () => {
    const v = await view(id);
    return ok(v) ? v : undefined;
  }, timeoutMs);
}

const cli = (args: string[]): ReturnType<typeof cliAgainst> => cliAgainst(stack, args);

describe('the reseller platform end to end', () => {
  it('a wildcard by http is refused with 400 naming the name, before any workflow or CA call', async () => {
    const before = (await stack.reseller.sim.admin.counters()).requests;
    const commonName = domain('wild');
    const b = await body(commonName, [`*.${commonName}`], { [`*.${commonName}`]: 'http' });
    const r = await stack.api('/v1/orders', { body: b });
    expect(r.status).toBe(400);
    const problem = (await r.json()) as { errors?: { path: string; rule: string }[] };
    expect(problem.errors).toEqual([expect.objectContaining({ path: `body.domainValidation.*.${commonName}` })]);
    expect((await stack.api(`/v1/orders/${b.billingOrderId}`)).status).toBe(404);
    expect((await stack.reseller.sim.admin.counters()).requests).toBe(before);
  });

  it('an order waits per name, the CLI shows the record to publish; published, it is issued; a name then switched to e-mail through the API route is reissued on the approver', async () => {
    const commonName = domain('e2e');
    const b = await body(commonName);
    const placed = await stack.api('/v1/orders', { body: b });
    expect(placed.status).toBe(202);
    const id = b.billingOrderId;
    const waiting = await until(id, 'DomainValidationNotReady', (v) => v.condition.reason === 'DomainValidationNotReady');
    const name = waiting.ca.domains![0]!;
    expect(name).toMatchObject({ domain: commonName, method: 'dns', state: 'pending', check: { ready: false } });

    const shown = await cli(['orders', 'get', id]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(name.dns!.name);
    expect(shown.stdout).toContain(name.dns!.value);

    stack.reseller.dns.setCname(name.dns!.name, name.dns!.value);
    const active = await until(id, 'active', (v) => v.condition.state === 'active');
    expect(active.ca.issuer).toBe('reseller');
    expect(active.certificate?.sans).toEqual([commonName]);

    const switched = await stack.api(`/v1/orders/${id}/domain-validation`, { body: { requestId: 'to-email', methods: { [commonName]: `admin@${commonName}` } } });
    expect(switched.status).toBe(202);
    const onApprover = await until(id, 'the reissue waits for the approver', (v) => v.lineage.reissues[0]?.status === 'running');
    expect(onApprover.condition.state).toBe('reissuing');
    await eventually('the approver e-mail pending at the platform', async () => {
      const s = await stack.reseller.sim.admin.service(active.ca.orderId!);
      return s.dcv[commonName]?.type === 'email' && s.dcv[commonName]?.status === 'pending';
    });
    await stack.reseller.sim.admin.approveEmail(active.ca.orderId!, commonName);
    const reissued = await until(id, 'the reissued certificate', (v) => v.condition.state === 'active' && v.certificate?.serialNumber !== active.certificate?.serialNumber);
    expect(reissued.lineage.reissues).toEqual([expect.objectContaining({ id: 'to-email', status: 'completed' })]);
    const c = await stack.reseller.sim.admin.counters();
    expect(c.validations.email.passed).toBeGreaterThanOrEqual(1);
  });
});

/**
 * orderWorkflow for the reseller platform (seed 004: per-name validation) on the Java
 * time-skipping test server, with production durations, against the reseller simulator over
 * HTTP. The simulator validates each name itself against the local DNS server and web host;
 * certflow looks at the same servers before it asks the simulator again. Each test asserts
 * the order's path, what billing heard, and what the simulator counted.
 */
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { X509Certificate } from 'node:crypto';
import { orderWorkflowId, reissueWorkflowId } from '../../src/domain/workflow-ids';
import type { DomainStatus, OrderView, ReissueView } from '../../src/domain/order-view';
import { bundleWorkflows } from '../../src/worker-factory';
import { getCertificateQuery, getOrderQuery, getReissueQuery, reissueUpdate, retryNowUpdate } from '../../src/workflows/messages';
import { orderWorkflow } from '../../src/workflows/order/workflow';
import { generateCsr } from '../../tools/simulators/wotrus/csr';
import { type Harness, eventually, resellerOrder, startHarness, workflowInput } from '../support/order-harness';
import { installTestRuntime } from '../support/runtime';
import { createTimeSkippingEnv, uniqueId } from '../support/temporal';

installTestRuntime();
// As in order.test.ts: a time-skipping lock after a signal race costs one clean retry.
jest.retryTimes(1, { logErrorsBeforeRetry: true });
jest.setTimeout(120_000);

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let h: Harness;

beforeAll(async () => {
  bundle = await bundleWorkflows();
});
beforeEach(async () => {
  env = await createTimeSkippingEnv();
  h = await startHarness({ client: env.client, connection: env.nativeConnection, bundle });
});
afterEach(async () => {
  await h?.close();
  await env?.teardown();
});

async function start(order: Awaited<ReturnType<typeof resellerOrder>>) {
  return env.client.workflow.start(orderWorkflow, { taskQueue: h.taskQueue, workflowId: orderWorkflowId(order.billingOrderId), args: [workflowInput(order)] });
}
type Handle = Awaited<ReturnType<typeof start>>;

const view = (handle: Handle): Promise<OrderView> => handle.query(getOrderQuery);

async function reaches(handle: Handle, state: OrderView['condition']['state'], reason?: string): Promise<OrderView> {
  return eventually(`${state}${reason ? `/${reason}` : ''}`, async () => {
    const v = await view(handle);
    return v.condition.state === state && (reason === undefined || v.condition.reason === reason) ? v : undefined;
  });
}

const domainOf = (v: { ca: { domains?: DomainStatus[] } }, name: string): DomainStatus => {
  const d = v.ca.domains?.find((x) => x.domain === name);
  if (!d) throw new Error(`${name} is not among ${JSON.stringify(v.ca.domains?.map((x) => x.domain))}`);
  return d;
};

/** Publishes what the CA asked for, exactly. */
function publish(d: DomainStatus): void {
  if (d.dns) h.dns.setCname(d.dns.name, d.dns.value);
  else if (d.file) h.web.put(d.domain, d.file.path, d.file.content, { scheme: d.method === 'https' ? 'https' : 'http' });
  else throw new Error(`nothing to publish for ${d.domain} (${d.method})`);
}

function billingData(billingOrderId: string, type: string): Record<string, unknown>[] {
  return h.billing.events.filter((e) => e.event.billingOrderId === billingOrderId && e.event.type === type).map((e) => e.event.data);
}

type NoticeDomain = { domain: string; method: string; dns?: { name: string; value: string }; problem?: string };
const noticeDomains = (data: Record<string, unknown>): NoticeDomain[] => data.domains as NoticeDomain[];

async function rejection(p: Promise<unknown>): Promise<string> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  return String((err as WorkflowUpdateFailedError).cause?.message);
}

/** An order every name of which is published as soon as the CA names it: active. */
async function activeOrder(order: Awaited<ReturnType<typeof resellerOrder>>): Promise<{ handle: Handle; active: OrderView }> {
  const handle = await start(order);
  const waiting = await reaches(handle, 'awaitingValidation', 'DomainValidationNotReady');
  for (const d of waiting.ca.domains ?? []) if (d.method !== 'email') publish(d);
  await handle.executeUpdate(retryNowUpdate);
  return { handle, active: await reaches(handle, 'active') };
}

const spkiOf = (pem: string): string => new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' }).toString('base64');

describe('orderWorkflow with the reseller platform (per-name validation)', () => {
  it('a CNAME published wrong: the customer is told which record and what value, no CA call until it is right, then issued', async () => {
    const order = await resellerOrder();
    await h.run(async () => {
      const handle = await start(order);
      const missing = await reaches(handle, 'awaitingValidation', 'DomainValidationNotReady');
      const d = domainOf(missing, order.commonName);
      expect(d).toMatchObject({ method: 'dns', state: 'pending', dns: { name: expect.stringMatching(new RegExp(`^_[0-9a-f]+\\.${order.commonName.replace(/\./g, '\\.')}$`)), type: 'CNAME' } });
      expect(d.check).toMatchObject({ ready: false, problem: expect.stringContaining(`no CNAME record at ${d.dns!.name}`) });
      const told = await eventually('the first order.action_required', async () => billingData(order.billingOrderId, 'order.action_required')[0]);
      expect(noticeDomains(told)).toEqual([expect.objectContaining({ domain: order.commonName, method: 'dns', dns: expect.objectContaining({ name: d.dns!.name, value: d.dns!.value }), problem: expect.stringContaining('no CNAME record') })]);
      const readsWhileWrong = (await h.reseller.admin.counters()).statusReads;

      h.dns.setCname(d.dns!.name, 'wrong-target.example.net');
      await handle.executeUpdate(retryNowUpdate);
      const wrong = await eventually('the wrong value found', async () => {
        const v = await view(handle);
        return domainOf(v, order.commonName).check?.problem?.includes('wrong-target.example.net') ? v : undefined;
      });
      expect(wrong.condition).toMatchObject({ state: 'awaitingValidation', reason: 'DomainValidationNotReady' });
      expect(domainOf(wrong, order.commonName).check?.problem).toBe(`the CNAME at ${d.dns!.name} points to wrong-target.example.net, not ${d.dns!.value} (publish ${d.dns!.name} CNAME ${d.dns!.value})`);
      // The customer hears of the change at once: which record, what it points to, what it must.
      const second = await eventually('a notice naming the wrong value', async () => billingData(order.billingOrderId, 'order.action_required').find((n) => noticeDomains(n)[0]?.problem?.includes('wrong-target.example.net')));
      expect(noticeDomains(second)[0]).toMatchObject({ dns: { name: d.dns!.name, value: d.dns!.value } });
      // certflow looked itself: the CA was not read while the record was missing or wrong.
      expect((await h.reseller.admin.counters()).statusReads).toBe(readsWhileWrong);

      h.dns.setCname(d.dns!.name, d.dns!.value);
      await handle.executeUpdate(retryNowUpdate);
      const active = await reaches(handle, 'active');
      expect(domainOf(active, order.commonName).state).toBe('valid');
      expect(active.certificate?.sans).toEqual([order.commonName]);
      expect(active.timeline.map((t) => t.reason)).toEqual(expect.arrayContaining(['DomainValidationNotReady', 'Issued']));
    });
    const c = await h.reseller.admin.counters();
    expect(c).toMatchObject({ creates: 1, certificatesIssued: 1 });
    expect(Object.values(c.charges)).toEqual([1]);
    expect(billingData(order.billingOrderId, 'order.issued')).toEqual([expect.objectContaining({ cost: expect.any(Number) })]);
  });

  it('the pre-flight: a missing record, a wrong value, a file with other content, a redirect, a silent name server — each said for its name; the CA is read only once all are right', async () => {
    const base = uniqueId('pf').toLowerCase();
    const [a, b, c, d, e] = ['a', 'b', 'c', 'd', 'e'].map((x) => `${x}.${base}.example.com`) as [string, string, string, string, string];
    const order = await resellerOrder({ commonName: a, hosts: [b, c, d, e], domainValidation: { [a]: 'dns', [b]: 'dns', [c]: 'http', [d]: 'https', [e]: 'dns' } });
    await h.run(async () => {
      const handle = await start(order);
      const first = await reaches(handle, 'awaitingValidation', 'DomainValidationNotReady');
      const reads = (await h.reseller.admin.counters()).statusReads;
      // b: points elsewhere; c: an old file; d: sent to another host; e: its name server never answers.
      h.dns.setCname(domainOf(first, b).dns!.name, 'elsewhere.example.net');
      const cf = domainOf(first, c).file!;
      h.web.put(c, cf.path, 'an old token', { scheme: 'http' });
      const df = domainOf(first, d).file!;
      h.web.redirect(d, df.path, `https://www.${d}${df.path}`);
      h.web.put(`www.${d}`, df.path, df.content, { scheme: 'https' });
      h.dns.behave(domainOf(first, e).dns!.name, 'timeout');
      await handle.executeUpdate(retryNowUpdate);
      const looked = await eventually('every name looked at again', async () => {
        const v = await view(handle);
        return v.ca.domains?.every((x) => x.check && Date.parse(x.check.checkedAt) > Date.parse(domainOf(first, a).check!.checkedAt)) ? v : undefined;
      });
      expect(domainOf(looked, a).check?.problem).toMatch(/^no CNAME record at _/);
      expect(domainOf(looked, b).check?.problem).toMatch(/points to elsewhere\.example\.net, not /);
      expect(domainOf(looked, c).check?.problem).toMatch(/content/);
      expect(domainOf(looked, d).check?.problem).toContain(`redirected to https://www.${d}${df.path}; the CA takes the file only from ${d} itself`);
      expect(domainOf(looked, e).check?.problem).toMatch(/no answer|timed out|time/i);
      expect(looked.condition.message).toContain(`${a} (dns)`);
      expect(looked.condition.message).toContain(`${e} (dns)`);
      expect((await h.reseller.admin.counters()).statusReads).toBe(reads);

      // All right: one look, then the CA is read and issues.
      h.dns.behave(domainOf(first, e).dns!.name, undefined);
      h.web.remove(d, df.path);
      for (const x of [a, b, c, d, e]) publish(domainOf(first, x));
      await handle.executeUpdate(retryNowUpdate);
      const active = await reaches(handle, 'active');
      expect(active.certificate?.sans).toEqual(expect.arrayContaining([a, b, c, d, e]));
    });
    expect((await h.reseller.admin.counters()).certificatesIssued).toBe(1);
  });

  it('a reissue with a new CSR only, whose first answer is lost: the same unique_id again, charged once, new key, same names', async () => {
    const order = await resellerOrder();
    await h.run(async () => {
      const { handle, active } = await activeOrder(order);
      const { csrPem } = await generateCsr({ commonName: order.commonName, keyType: 'ec' });
      const before = await handle.query(getCertificateQuery);
      await h.reseller.admin.setFaults({ dropAfterHandling: 1 });
      await handle.executeUpdate(reissueUpdate, { args: [{ csr: csrPem, reason: 'key rotation', requestId: 'r1' }] });
      // The same request again is the same reissue.
      await handle.executeUpdate(reissueUpdate, { args: [{ csr: csrPem, reason: 'key rotation', requestId: 'r1' }] });
      const reissued = await eventually('the new certificate', async () => {
        const v = await view(handle);
        return v.condition.state === 'active' && v.certificate?.serialNumber !== active.certificate?.serialNumber ? v : undefined;
      });
      expect(reissued.lineage.reissues).toEqual([expect.objectContaining({ id: 'r1', status: 'completed' })]);
      expect(reissued.certificate?.sans).toEqual([order.commonName]);
      const bundleNow = await handle.query(getCertificateQuery);
      expect(spkiOf(bundleNow!.leafPem)).not.toBe(spkiOf(before!.leafPem));
    });
    const c = await h.reseller.admin.counters();
    expect(c).toMatchObject({ creates: 1, reissues: 1, answersDropped: 1, certificatesIssued: 2, certificatesRevoked: 0 });
    expect(Object.values(c.charges)).toEqual([1, 1]);
    expect(billingData(order.billingOrderId, 'order.reissued')).toEqual([expect.objectContaining({ cost: 0, replacedCertificate: expect.objectContaining({ stillValid: true }) })]);
  });

  it('a name switched from e-mail to DNS by a reissue without a new CSR: the record is named, published, issued on the same key', async () => {
    const base = uniqueId('sw').toLowerCase();
    const cn = `www.${base}.example.com`;
    const mail = `mail.${base}.example.com`;
    const order = await resellerOrder({ commonName: cn, hosts: [mail], domainValidation: { [mail]: `admin@${base}.example.com` } });
    await h.run(async () => {
      const handle = await start(order);
      const waiting = await reaches(handle, 'awaitingValidation', 'DomainValidationNotReady');
      expect(domainOf(waiting, mail)).toMatchObject({ method: 'email', email: { address: `admin@${base}.example.com` } });
      publish(domainOf(waiting, cn));
      await handle.executeUpdate(retryNowUpdate);
      // The CNAME is right; the approver's e-mail is the CA's to see: the order waits on the CA, telling the address.
      const onEmail = await eventually('waiting for the approver', async () => {
        const v = await view(handle);
        return domainOf(v, cn).state === 'valid' && domainOf(v, mail).state === 'pending' ? v : undefined;
      });
      expect(onEmail.condition.state).toBe('awaitingValidation');
      const told = await eventually('a notice with the approver', async () => billingData(order.billingOrderId, 'order.action_required').find((n) => noticeDomains(n).some((x) => x.domain === mail && x.method === 'email')));
      expect(noticeDomains(told).find((x) => x.domain === mail)).toMatchObject({ email: expect.objectContaining({ address: `admin@${base}.example.com` }) });
      await h.reseller.admin.approveEmail(onEmail.ca.orderId!, mail);
      await env.sleep('3 minutes');
      const active = await reaches(handle, 'active');

      await handle.executeUpdate(reissueUpdate, { args: [{ reason: 'the approver mailbox is gone', requestId: 'to-dns', domainValidation: { [cn]: 'dns', [mail]: 'dns' } }] });
      const child = env.client.workflow.getHandle(reissueWorkflowId(orderWorkflowId(order.billingOrderId), 'to-dns'));
      const pending = await eventually('the reissue names the record', async () => {
        const v = await child.query(getReissueQuery).catch(() => undefined);
        return v && v.condition.reason === 'DomainValidationNotReady' ? (v as ReissueView) : undefined;
      });
      const switched = domainOf(pending, mail);
      expect(switched).toMatchObject({ method: 'dns', state: 'pending', dns: { name: expect.stringContaining(mail), type: 'CNAME' } });
      expect(domainOf(pending, cn).state).toBe('valid');
      const reissueNotice = await eventually('the reissue tells billing the record', async () => billingData(order.billingOrderId, 'order.action_required').find((n) => n.reissue !== undefined));
      expect(noticeDomains(reissueNotice)).toEqual([expect.objectContaining({ domain: mail, method: 'dns', dns: expect.objectContaining({ name: switched.dns!.name, value: switched.dns!.value }) })]);
      publish(switched);
      await env.sleep('3 minutes');
      const after = await eventually('the new certificate', async () => {
        const v = await view(handle);
        return v.condition.state === 'active' && v.certificate?.serialNumber !== active.certificate?.serialNumber ? v : undefined;
      });
      expect(after.certificate?.sans).toEqual(expect.arrayContaining([cn, mail]));
      // No new CSR: the same key, verified against the order's CSR.
      const certs = await h.reseller.admin.certificates();
      expect(certs.map((x) => x.spkiSha256)).toEqual([certs[0]!.spkiSha256, certs[0]!.spkiSha256]);
    });
    const c = await h.reseller.admin.counters();
    expect(c).toMatchObject({ creates: 1, reissues: 1, certificatesIssued: 2, certificatesRevoked: 0 });
  });

  it('a name switched from e-mail to DNS while the first validation waits: the same CA order switched, the record named, issued once', async () => {
    const base = uniqueId('sv').toLowerCase();
    const cn = `www.${base}.example.com`;
    const mail = `mail.${base}.example.com`;
    const order = await resellerOrder({ commonName: cn, hosts: [mail], domainValidation: { [mail]: `postmaster@${base}.example.com` } });
    await h.run(async () => {
      const handle = await start(order);
      const waiting = await reaches(handle, 'awaitingValidation', 'DomainValidationNotReady');
      publish(domainOf(waiting, cn));
      await handle.executeUpdate(retryNowUpdate);
      const onEmail = await eventually('waiting for the approver', async () => {
        const v = await view(handle);
        return domainOf(v, cn).state === 'valid' && domainOf(v, mail).state === 'pending' ? v : undefined;
      });
      // The mailbox is dead: the customer moves the name to DNS without waiting for a certificate.
      const answer = await handle.executeUpdate(reissueUpdate, { args: [{ reason: 'nobody reads postmaster@', requestId: 'mail-to-dns', domainValidation: { [cn]: 'dns', [mail]: 'dns' } }] });
      expect(answer).toMatchObject({ accepted: true, caOrderId: onEmail.ca.orderId });
      const switched = await eventually('the record for the switched name', async () => {
        const v = await view(handle);
        return domainOf(v, mail).method === 'dns' && v.condition.reason === 'DomainValidationNotReady' ? v : undefined;
      });
      expect(domainOf(switched, mail)).toMatchObject({ state: 'pending', dns: { name: expect.stringContaining(mail), type: 'CNAME' } });
      expect(domainOf(switched, cn).state).toBe('valid');
      expect(switched.ca.orderId).toBe(onEmail.ca.orderId);
      expect(switched.lineage.reissues).toEqual([expect.objectContaining({ id: 'mail-to-dns', status: 'completed' })]);
      publish(domainOf(switched, mail));
      await handle.executeUpdate(retryNowUpdate);
      const active = await reaches(handle, 'active');
      expect(active.certificate?.sans).toEqual(expect.arrayContaining([cn, mail]));
    });
    const c = await h.reseller.admin.counters();
    expect(c).toMatchObject({ creates: 1, reissues: 1, certificatesIssued: 1 });
    expect(Object.values(c.charges)).toEqual([1, 1]);
  });

  it('a replaced name: refused without confirmation; confirmed, billing is told first, the CA revokes the old certificate, the new one covers the new names', async () => {
    const base = uniqueId('rp').toLowerCase();
    const cn = `www.${base}.example.com`;
    const oldName = `old.${base}.example.com`;
    const newName = `new.${base}.example.com`;
    const order = await resellerOrder({ commonName: cn, hosts: [oldName] });
    await h.run(async () => {
      const { handle, active } = await activeOrder(order);
      const choices = { [cn]: 'dns', [newName]: 'dns' };
      const refused = await rejection(handle.executeUpdate(reissueUpdate, { args: [{ reason: 'new shop', requestId: 'swap', domainValidation: choices }] }));
      expect(refused).toContain(`confirmDroppedDomains must list exactly the names this reissue drops (${oldName})`);
      expect((await h.reseller.admin.counters()).reissues).toBe(0);

      await handle.executeUpdate(reissueUpdate, { args: [{ reason: 'new shop', requestId: 'swap', domainValidation: choices, confirmDroppedDomains: [oldName] }] });
      const warned = await eventually('billing told of the revocation', async () => billingData(order.billingOrderId, 'order.certificate_will_be_revoked')[0]);
      expect(warned).toMatchObject({ serialNumber: active.certificate!.serialNumber, droppedDomains: [oldName], reissueRequestId: 'swap' });
      const child = env.client.workflow.getHandle(reissueWorkflowId(orderWorkflowId(order.billingOrderId), 'swap'));
      const pending = await eventually('the new name to validate', async () => {
        const v = await child.query(getReissueQuery).catch(() => undefined);
        return v && v.condition.reason === 'DomainValidationNotReady' ? (v as ReissueView) : undefined;
      });
      publish(domainOf(pending, newName));
      await env.sleep('3 minutes');
      const after = await eventually('the new certificate', async () => {
        const v = await view(handle);
        return v.condition.state === 'active' && v.certificate?.serialNumber !== active.certificate?.serialNumber ? v : undefined;
      });
      expect(after.commonName).toBe(cn);
      expect(after.hosts).toEqual([newName]);
      expect(after.certificate?.sans).toEqual(expect.arrayContaining([cn, newName]));
      expect(after.certificate?.sans).not.toContain(oldName);
      expect(after.lineage.revocations).toEqual([expect.objectContaining({ scope: 'replaced', status: 'revoked', serialNumber: active.certificate!.serialNumber })]);
    });
    const revoked = await h.reseller.admin.revoked();
    expect(revoked).toEqual([expect.objectContaining({ droppedDomains: [oldName], reason: 'domain replaced' })]);
    expect(billingData(order.billingOrderId, 'order.reissued')).toEqual([
      expect.objectContaining({ domains: [cn, newName], cost: expect.any(Number), replacedCertificate: expect.objectContaining({ stillValid: false, revocation: 'revokedWithReissue' }) }),
    ]);
    const types = h.billing.types(order.billingOrderId);
    expect(types.indexOf('order.certificate_will_be_revoked')).toBeLessThan(types.indexOf('order.reissued'));
  });
});

/** Through HTTP on the dev server: API → workflow → simulator → push → active → download. */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { SIM_PRODUCT_IDS } from '../../tools/simulators/wotrus/catalog';
import { generateCsr } from '../../tools/simulators/wotrus/csr';
import { type Stack, startStack } from '../support/stack';
import { eventually } from '../support/order-harness';
import { uniqueId } from '../support/temporal';
import { installTestRuntime } from '../support/runtime';

installTestRuntime();
const run = promisify(execFile);

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

async function newOrder() {
  const commonName = `${uniqueId('shop').toLowerCase()}.example.com`;
  const csr = await generateCsr({ commonName, keyType: 'rsa' });
  return { csr, body: { billingOrderId: uniqueId('E'), productId: SIM_PRODUCT_IDS.rsaDv, commonName, csr: csr.csrPem, month: 12 } };
}

describe('order API end to end', () => {
  it('create → simulator push → active; the downloaded bundle verifies with openssl and matches the CSR key', async () => {
    const { csr, body } = await newOrder();
    const created = await stack.api('/v1/orders', { body });
    expect(created.status).toBe(202);
    const active = await eventually('active', async () => {
      const r = await stack.api(`/v1/orders/${body.billingOrderId}`);
      const v = (await r.json()) as { condition: { state: string } };
      return v.condition.state === 'active' ? v : undefined;
    }, 60_000);
    expect(active).toBeDefined();
    const pem = await (await stack.api(`/v1/orders/${body.billingOrderId}/certificate?format=pem`)).text();
    const certs = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)!;
    expect(certs).toHaveLength(3);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'certflow-e2e-'));
    fs.writeFileSync(path.join(dir, 'leaf.pem'), certs[0]!);
    fs.writeFileSync(path.join(dir, 'intermediate.pem'), certs[1]!);
    fs.writeFileSync(path.join(dir, 'root.pem'), certs[2]!);
    const verify = await run('openssl', ['verify', '-CAfile', path.join(dir, 'root.pem'), '-untrusted', path.join(dir, 'intermediate.pem'), path.join(dir, 'leaf.pem')]);
    expect(verify.stdout).toContain('leaf.pem: OK');
    const leafKey = await run('openssl', ['x509', '-in', path.join(dir, 'leaf.pem'), '-noout', '-pubkey']);
    expect(leafKey.stdout.trim()).toBe(csr.publicKeyPem.trim());
    // The simulator counts a push once the API's answer is back, which under load can trail
    // the order's own progress; the push must have gone through all the same.
    const pushes = await eventually('a push acknowledged by the API', async () => {
      const p = stack.sim.state.counters().pushes;
      return p.acknowledged > 0 ? p : undefined;
    }, 15_000);
    expect(pushes.acknowledged).toBeGreaterThan(0);
  });

  it('the same create twice is one workflow and one CA order; a different body under the same id is 409', async () => {
    const { body } = await newOrder();
    const [a, b] = await Promise.all([stack.api('/v1/orders', { body }), stack.api('/v1/orders', { body })]);
    expect([a.status, b.status]).toEqual([202, 202]);
    const created = [(await a.json()) as { created: boolean }, (await b.json()) as { created: boolean }].map((x) => x.created).sort();
    expect(created).toEqual([false, true]);
    const conflict = await stack.api('/v1/orders', { body: { ...body, month: 24 } });
    expect(conflict.status).toBe(409);
    expect(conflict.headers.get('content-type')).toContain('application/problem+json');
    await eventually('CA order', async () => stack.sim.state.counters().createsByIdempotenceId[body.billingOrderId]);
    expect(stack.sim.state.counters().ordersByIdempotenceId[body.billingOrderId]).toBe(1);
  });
});

describe('the collect link the CA e-mails to the customer', () => {
  it('downloads the certificate without an API key, and only with the right signature', async () => {
    const { body } = await newOrder();
    await stack.api('/v1/orders', { body });
    await eventually('active', async () => ((await (await stack.api(`/v1/orders/${body.billingOrderId}`)).json()) as { condition: { state: string } }).condition.state === 'active', 60_000);
    const email = await eventually('CA e-mail', async () => stack.sim.state.emails().find((e) => e.collectUrl.includes(encodeURIComponent(body.billingOrderId))));
    const link = new URL(email.collectUrl);
    expect(link.searchParams.get('sig')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const ok = await fetch(`${stack.apiUrl}${link.pathname}${link.search}`);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/^-----BEGIN CERTIFICATE-----/);
    const forged = await fetch(`${stack.apiUrl}${link.pathname}?format=pem&sig=${'A'.repeat(43)}`);
    expect(forged.status).toBe(401);
    // the signature opens this one route only
    const other = await fetch(`${stack.apiUrl}/v1/orders/${encodeURIComponent(body.billingOrderId)}?sig=${link.searchParams.get('sig')}`);
    expect(other.status).toBe(401);
  });
});

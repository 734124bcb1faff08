/**
 * The WoSign ACMAPI issuer end to end, through the API over HTTP and the `certflow` CLI, on
 * the stack every e2e test uses: the ACMAPI simulator, and the customers' web host that both
 * the simulator and certflow's domain file check connect every domain to. No domain serves the
 * signfile until a test puts it there. The poll ladder is shortened (first check after 0.5 s,
 * at most 1 s apart) so a file put in place is seen within a second or two.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { OrderView } from '../../src/domain/order-view';
import { SIGNFILE_PATH } from '../../tools/simulators/acmapi';
import { generateCsr } from '../../tools/simulators/wotrus/csr';
import { ACMAPI_PRODUCT_ID, eventually } from '../support/order-harness';
import { cliAgainst, orderView } from '../support/e2e-client';
import { installTestRuntime } from '../support/runtime';
import { type Stack, startStack } from '../support/stack';
import { uniqueId } from '../support/temporal';

installTestRuntime();
const execFileAsync = promisify(execFile);

let stack: Stack;
let dir: string;

beforeAll(async () => {
  stack = await startStack({ policyOverrides: { pollInitialMs: 500, pollMaxMs: 1_000 } });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'certflow-acmapi-e2e-'));
});
afterAll(async () => {
  await stack?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const domain = (prefix: string): string => `${uniqueId(prefix).toLowerCase()}.example.com`;

async function acmapiBody(commonName: string, hosts: string[] = []) {
  const csr = await generateCsr({ commonName, keyType: 'ec', sans: hosts });
  return { billingOrderId: uniqueId('W'), productId: ACMAPI_PRODUCT_ID, commonName, ...(hosts.length ? { hosts } : {}), csr: csr.csrPem, month: 12 };
}

const view = (id: string): Promise<OrderView> => orderView(stack, id);

async function reaches(id: string, state: OrderView['condition']['state'], reason?: string, timeoutMs = 60_000): Promise<OrderView> {
  return eventually(`${id} ${state}${reason ? `/${reason}` : ''}`, async () => {
    const v = await view(id);
    return v.condition.state === state && (reason === undefined || v.condition.reason === reason) ? v : undefined;
  }, timeoutMs);
}

const cli = (args: string[]): ReturnType<typeof cliAgainst> => cliAgainst(stack, args);

describe('WoSign ACMAPI end to end', () => {
  it('six names are refused with 400 naming hosts before any CA call', async () => {
    const before = await stack.acmapi.sim.admin.counters();
    const commonName = domain('six');
    const hosts = [1, 2, 3, 4, 5].map((i) => `n${i}.${commonName}`);
    const body = await acmapiBody(commonName, hosts);
    const r = await stack.api('/v1/orders', { body });
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await r.json()) as { errors?: { path: string; rule: string }[] };
    expect(problem.errors).toEqual([expect.objectContaining({ path: 'body.hosts', rule: expect.stringContaining('at most 5 names') })]);
    // Nothing was started, and the CA heard nothing.
    expect((await stack.api(`/v1/orders/${body.billingOrderId}`)).status).toBe(404);
    // The first test of the file: the simulator has counted nothing at all.
    expect(before.requests).toBe(0);
    expect((await stack.acmapi.sim.admin.counters()).requests).toBe(0);
  });

  it('an order placed with the CLI reaches active; its certificate downloads and verifies with openssl against the simulator root', async () => {
    const commonName = domain('cli');
    const other = `www.${commonName}`;
    stack.acmapi.serve(commonName, other);
    const csrFile = path.join(dir, `${commonName}.csr`);
    fs.writeFileSync(csrFile, (await generateCsr({ commonName, keyType: 'ec', sans: [other] })).csrPem);
    const id = uniqueId('WC');
    const created = await cli(['--json', 'orders', 'create', '--billing-order-id', id, '--product', ACMAPI_PRODUCT_ID, '--common-name', commonName, '--hosts', `${commonName},${other}`, '--month', '12', '--csr-file', csrFile]);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ billingOrderId: id, created: true });

    const watch = await cli(['orders', 'watch', id, '--interval', '0.2']);
    expect(watch.stderr).toBe('');
    expect(watch.code).toBe(0);
    expect(watch.stdout.trimEnd().split('\n').at(-1)).toMatch(/^active · /);

    const active = await view(id);
    expect(active.ca.issuer).toBe('acmapi');
    expect(active.ca.orderId).toMatch(/^handle_/);
    expect(active.certificate?.sans).toEqual(expect.arrayContaining([commonName, other]));

    const pem = await cli(['orders', 'certificate', id]);
    expect(pem.code).toBe(0);
    const certs = pem.stdout.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    expect(certs.length).toBeGreaterThanOrEqual(1);
    const { rootPem, chainPems } = stack.acmapi.sim;
    const intermediates = chainPems.filter((p) => p.trim() !== rootPem.trim());
    expect(intermediates).toHaveLength(1);
    fs.writeFileSync(path.join(dir, 'leaf.pem'), `${certs[0]!}\n`);
    fs.writeFileSync(path.join(dir, 'intermediate.pem'), `${intermediates[0]!.trim()}\n`);
    fs.writeFileSync(path.join(dir, 'root.pem'), `${rootPem.trim()}\n`);
    const verify = await execFileAsync('openssl', ['verify', '-CAfile', path.join(dir, 'root.pem'), '-untrusted', path.join(dir, 'intermediate.pem'), path.join(dir, 'leaf.pem')]);
    expect(verify.stdout).toContain('leaf.pem: OK');

    // The one certificate the CA issued for these names.
    const apps = await stack.acmapi.sim.admin.applications({ domain: commonName });
    expect(apps.map((a) => [a.handleId, a.state])).toEqual([[active.ca.orderId, 'issued']]);
  });

  it('a second domain without the file waits in awaitingValidation naming it, with no CA call; once served, active', async () => {
    const commonName = domain('files');
    const missing = domain('missing');
    stack.acmapi.serve(commonName);
    const body = await acmapiBody(commonName, [missing]);
    const before = await stack.acmapi.sim.admin.counters();
    expect((await stack.api('/v1/orders', { body })).status).toBe(202);

    const waiting = await reaches(body.billingOrderId, 'awaitingValidation', 'DomainFileNotReady');
    const files = waiting.ca.domainFiles;
    expect(files?.path).toBe(SIGNFILE_PATH);
    expect(files?.domains.find((d) => d.domain === missing)).toMatchObject({ ready: false, http: { ok: false, problem: 'HTTP 404' }, https: { ok: false, problem: 'HTTP 404' } });
    expect(files?.domains.find((d) => d.domain === commonName)?.ready).toBe(true);
    expect(waiting.condition.message).toContain(missing);
    // A few more rounds of the (short) ladder: still no application at the CA.
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await view(body.billingOrderId)).condition.state).toBe('awaitingValidation');
    expect((await stack.acmapi.sim.admin.counters()).applications).toBe(before.applications);
    expect(await stack.acmapi.sim.admin.applications({ domain: commonName })).toEqual([]);

    stack.acmapi.web.put(missing, SIGNFILE_PATH, stack.acmapi.signfile);
    const active = await reaches(body.billingOrderId, 'active');
    expect(active.ca.domainFiles?.domains.map((d) => [d.domain, d.ready])).toEqual([[commonName, true], [missing, true]]);
    const after = await stack.acmapi.sim.admin.counters();
    expect(after.applications - before.applications).toBe(1);
    expect(await stack.acmapi.sim.admin.applications({ domain: missing })).toHaveLength(1);
  });
});

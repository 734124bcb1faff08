/**
 * The `certflow` CLI against the running stack: `orders create` from a CSR file, `orders
 * watch` following the order through the CA's steps to active, its output (--json documents,
 * one progress line per change) and its exit codes (0 active, 2 bad input, 3 unknown order,
 * 4 conflict, 6 bad key). In-process through runCli, and once through the real executable.
 *
 * The simulator runs in manual mode: the test drives each CA step while `watch` polls, so
 * the progress lines are deterministic.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { runCli } from '../../src/cli/program';
import { SIM_PRODUCT_IDS } from '../../tools/simulators/wotrus/catalog';
import { generateCsr } from '../../tools/simulators/wotrus/csr';
import type { OrderView } from '../../src/domain/order-view';
import { eventually } from '../support/order-harness';
import { type Stack, startStack } from '../support/stack';
import { uniqueId } from '../support/temporal';

Runtime.install({ logger: new DefaultLogger('WARN') });
const execFileAsync = promisify(execFile);

let stack: Stack;
let dir: string;

beforeAll(async () => {
  stack = await startStack({ simulator: { manual: true } });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'certflow-cli-'));
});
afterAll(async () => {
  await stack?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

interface Run {
  done: Promise<number>;
  stdout(): string;
  stderr(): string;
}

/** Runs the CLI in-process against the stack; output is readable while it runs. */
function cli(args: string[], env: Record<string, string | undefined> = {}): Run {
  let out = '';
  let err = '';
  const done = runCli(args, {
    stdout: { write: (s: string) => (out += s), isTTY: false },
    stderr: { write: (s: string) => (err += s) },
    env: { CERTFLOW_API_URL: stack.apiUrl, CERTFLOW_API_KEY: stack.apiKey, ...env },
  });
  return { done, stdout: () => out, stderr: () => err };
}

async function run(args: string[], env?: Record<string, string | undefined>): Promise<{ code: number; stdout: string; stderr: string }> {
  const r = cli(args, env);
  const code = await r.done;
  return { code, stdout: r.stdout(), stderr: r.stderr() };
}

async function csrFile(commonName: string): Promise<string> {
  const file = path.join(dir, `${commonName}.csr`);
  fs.writeFileSync(file, (await generateCsr({ commonName, keyType: 'ec' })).csrPem);
  return file;
}

async function newOrderArgs(): Promise<{ id: string; commonName: string; args: string[] }> {
  const id = uniqueId('C');
  const commonName = `${uniqueId('cli').toLowerCase()}.example.com`;
  const csr = await csrFile(commonName);
  return {
    id,
    commonName,
    args: ['orders', 'create', '--billing-order-id', id, '--product', SIM_PRODUCT_IDS.rsaDv, '--common-name', commonName, '--hosts', commonName, '--month', '12', '--csr-file', csr],
  };
}

async function caOrderIdOf(id: string): Promise<string> {
  return eventually('CA order created', async () => {
    const v = (await (await stack.api(`/v1/orders/${id}`)).json()) as OrderView;
    return v.ca.orderId;
  });
}

/** Drives the simulator's order one step, once the watcher has printed the state before it. */
async function step(watch: Run, seen: RegExp, caOrderId: string, action: 'pass-review' | 'pass-dcv' | 'issue'): Promise<void> {
  await eventually(`watch printed ${seen}`, async () => seen.test(watch.stdout()));
  const r = await stack.sim.state.drive(caOrderId, action);
  expect(r.ok).toBe(true);
}

describe('certflow CLI end to end', () => {
  it('create --json from a CSR file, then watch prints one progress line per change and exits 0 at active', async () => {
    const { id, commonName, args } = await newOrderArgs();
    const created = await run(['--json', ...args]);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const answer = JSON.parse(created.stdout) as { billingOrderId: string; workflowId: string; created: boolean; links: { self: string } };
    expect(answer).toMatchObject({ billingOrderId: id, workflowId: `order-${id}`, created: true });
    expect(answer.links.self).toContain(`/v1/orders/${id}`);

    // The same command again: the same order, said in words this time.
    const again = await run(args);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`Order ${id} was already placed (same body): workflow order-${id}`);

    const caOrderId = await caOrderIdOf(id);
    const watch = cli(['orders', 'watch', id, '--interval', '0.05']);
    await step(watch, /^awaitingReview · CaReview · /m, caOrderId, 'pass-review');
    await step(watch, /^awaitingValidation · DomainValidationPending · .*CA pendingDCV/m, caOrderId, 'issue');
    const code = await watch.done;
    expect(watch.stderr()).toBe('');
    expect(code).toBe(0);

    const lines = watch.stdout().trimEnd().split('\n');
    // One line per change: never the same line twice in a row, and each names state and reason.
    for (let i = 1; i < lines.length; i++) expect(lines[i]).not.toBe(lines[i - 1]);
    for (const line of lines) expect(line).toMatch(/^[a-zA-Z]+ · [A-Za-z]+ · /);
    expect(lines[0]).toMatch(/^awaitingReview · CaReview · .* · CA pendingSubmitOrderToCA · next check \d\d:\d\d:\d\d$/);
    expect(lines.some((l) => l.startsWith('awaitingValidation · DomainValidationPending · '))).toBe(true);
    expect(lines[lines.length - 1]).toMatch(/^active · /);
    expect(lines.length).toBeLessThanOrEqual(10);

    // The certificate it waited for is there.
    const pem = await run(['orders', 'certificate', id]);
    expect(pem.code).toBe(0);
    expect(pem.stdout.match(/-----BEGIN CERTIFICATE-----/g)).toHaveLength(3);
    const got = await run(['--json', 'orders', 'get', id]);
    expect((JSON.parse(got.stdout) as OrderView).certificate?.sans).toContain(commonName);
  });

  it('watch --json prints one OrderView document per change, the last one active', async () => {
    const { id, args } = await newOrderArgs();
    expect((await run(args)).code).toBe(0);
    const caOrderId = await caOrderIdOf(id);
    const watch = cli(['--json', 'orders', 'watch', id, '--interval', '0.05']);
    await step(watch, /"state":"awaitingReview"/, caOrderId, 'issue');
    expect(await watch.done).toBe(0);
    const docs = watch.stdout().trimEnd().split('\n').map((l) => JSON.parse(l) as OrderView);
    expect(docs.length).toBeGreaterThanOrEqual(2);
    expect(docs.every((d) => d.billingOrderId === id)).toBe(true);
    expect(docs[0]!.condition.state).toBe('awaitingReview');
    expect(docs[docs.length - 1]!.condition.state).toBe('active');
  });

  it('an unknown order is exit 3, for watch and get', async () => {
    const unknown = uniqueId('NOPE');
    for (const args of [['orders', 'watch', unknown, '--interval', '0.05'], ['orders', 'get', unknown], ['--json', 'orders', 'certificate', unknown]]) {
      const r = await run(args);
      expect({ args, code: r.code }).toEqual({ args, code: 3 });
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`No order with billing order id ${unknown}`);
    }
  });

  it('bad input is exit 2, with the API naming each field on stderr; nothing is created', async () => {
    const { id, args } = await newOrderArgs();
    const withFlag = (flag: string, value: string): string[] => {
      const a = [...args];
      a[a.indexOf(flag) + 1] = value;
      return a;
    };
    const bad: [string[], RegExp][] = [
      [withFlag('--month', '7'), /^ {2}body\.month: must be 12 or 24/m],
      [withFlag('--product', 'not-a-guid'), /^ {2}body\.productId: must be a product GUID/m],
      [withFlag('--billing-order-id', 'bad id!'), /^ {2}body\.billingOrderId: /m],
      [withFlag('--hosts', 'ok.example.com,not a host'), /^ {2}body\.hosts\.1: must be a DNS host name/m],
      [withFlag('--csr-file', path.join(dir, 'missing.csr')), /cannot read CSR file .*missing\.csr: ENOENT/],
      [[...withFlag('--month', '13')], /^ {2}body\.renewsBillingOrderId: required when month is 13 or 25/m],
      [['orders', 'watch', 'bad id!'], /^ {2}params\.billingOrderId: /m],
      [['orders', 'watch', id, '--until', 'forever'], /invalid|allowed choices/i],
      [['orders', 'create', '--no-such-flag'], /unknown option/i],
    ];
    for (const [a, stderr] of bad) {
      const r = await run(a);
      expect({ args: a, code: r.code }).toEqual({ args: a, code: 2 });
      expect(r.stderr).toMatch(stderr);
    }
    // A CSR that is not one is refused by the API, not read as one.
    fs.writeFileSync(path.join(dir, 'key.pem'), '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n');
    const notCsr = await run(withFlag('--csr-file', path.join(dir, 'key.pem')));
    expect(notCsr.code).toBe(2);
    expect(notCsr.stderr).toMatch(/^ {2}body\.csr: must be a PEM certificate signing request/m);
    expect(stack.sim.state.counters().createsByIdempotenceId[id]).toBeUndefined();
  });

  it('a conflicting create is exit 4, a wrong API key exit 6', async () => {
    const { id, args } = await newOrderArgs();
    expect((await run(args)).code).toBe(0);
    const conflict = await run([...args.slice(0, args.indexOf('--month') + 1), '24', ...args.slice(args.indexOf('--month') + 2)]);
    expect(conflict.code).toBe(4);
    expect(conflict.stderr).toContain(`Billing order ${id} was already placed with a different body`);
    const denied = await run(['orders', 'get', id], { CERTFLOW_API_KEY: 'key_wrong' });
    expect(denied.code).toBe(6);
    expect(denied.stderr).not.toContain('key_wrong');
  });

  it('the real executable maps outcomes to process exit codes', async () => {
    const { id, args } = await newOrderArgs();
    const env = { ...process.env, CERTFLOW_API_URL: stack.apiUrl, CERTFLOW_API_KEY: stack.apiKey };
    const bin = path.join(__dirname, '../../bin/certflow.js');
    const exec = async (a: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
      try {
        const r = await execFileAsync(process.execPath, [bin, ...a], { env, timeout: 30_000 });
        return { code: 0, stdout: r.stdout, stderr: r.stderr };
      } catch (err) {
        const e = err as { code?: number; stdout?: string; stderr?: string };
        return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
      }
    };
    const [created, unknown, bad] = await Promise.all([
      exec(['--json', ...args]),
      exec(['orders', 'get', uniqueId('NOPE')]),
      exec(['orders', 'create', '--billing-order-id', uniqueId('X'), '--month', '12']),
    ]);
    expect(created.code).toBe(0);
    expect((JSON.parse(created.stdout) as { billingOrderId: string }).billingOrderId).toBe(id);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain('No order with billing order id');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/body\.csr/);
  });
});

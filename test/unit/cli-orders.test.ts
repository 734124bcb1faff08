import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { OutputStream } from '../../src/cli/context';
import { ExitCode } from '../../src/cli/exit-codes';
import { runCli } from '../../src/cli/program';
import { TemporalUnavailableError } from '../../src/orders/errors';
import { API_KEY, buildTestApi, CSR, type FakeOrderService, INTERMEDIATE, LEAF, makeView, PRODUCT_ID, ROOT } from './api-support';

let app: FastifyInstance;
let orders: FakeOrderService;
let baseUrl: string;
let dir: string;

beforeAll(async () => {
  ({ app, orders } = await buildTestApi());
  baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  dir = await mkdtemp(join(tmpdir(), 'certflow-cli-'));
  await writeFile(join(dir, 'req.csr'), CSR);
  await writeFile(join(dir, 'proof.pdf'), '%PDF-1.4 proof');
});
afterAll(async () => {
  await app.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  orders.calls.length = 0;
  orders.views.clear();
  orders.placed.clear();
  orders.rejections.clear();
  orders.failWith = undefined;
});

function sink(isTTY = false): OutputStream & { text: () => string } {
  const chunks: string[] = [];
  return { isTTY, write: (s: string) => chunks.push(s), text: () => chunks.join('') };
}

/** Runs the CLI in-process against the test API; sleeping is instant. */
async function cli(args: string[], opts: { env?: Record<string, string>; tty?: boolean } = {}) {
  const stdout = sink(opts.tty);
  const stderr = sink();
  const code = await runCli(args, {
    stdout,
    stderr,
    env: { CERTFLOW_API_URL: baseUrl, CERTFLOW_API_KEY: API_KEY, ...opts.env },
    sleep: async () => undefined,
  });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

const createArgs = () => [
  'orders', 'create',
  '--billing-order-id', 'B-77',
  '--product', PRODUCT_ID,
  '--common-name', 'shop.example.com',
  '--hosts', 'shop.example.com, www.shop.example.com',
  '--month', '12',
  '--csr-file', join(dir, 'req.csr'),
];

describe('orders create', () => {
  test('reads the CSR file, places the order, prints JSON with --json, exits 0', async () => {
    const r = await cli([...createArgs(), '--json']);
    expect(r).toMatchObject({ code: ExitCode.Ok, stderr: '' });
    expect(JSON.parse(r.stdout)).toMatchObject({ billingOrderId: 'B-77', workflowId: 'order-B-77', created: true });
    expect(orders.callsOf('placeOrder')[0]?.args[0]).toMatchObject({
      billingOrderId: 'B-77',
      csr: CSR,
      hosts: ['shop.example.com', 'www.shop.example.com'],
      month: 12,
    });
  });

  test('human output; a repeat says it was already placed', async () => {
    expect((await cli(createArgs())).stdout).toContain('Order B-77 placed: workflow order-B-77');
    expect((await cli(createArgs())).stdout).toContain('was already placed');
  });

  test('--file gives the order, flags override it', async () => {
    const file = join(dir, 'order.json');
    await writeFile(file, JSON.stringify({ billingOrderId: 'B-F', productId: PRODUCT_ID, commonName: 'a.example.com', csr: CSR, month: 24 }));
    const r = await cli(['orders', 'create', '--file', file, '--common-name', 'b.example.com', '--json']);
    expect(r.code).toBe(ExitCode.Ok);
    expect(orders.callsOf('placeOrder')[0]?.args[0]).toMatchObject({ billingOrderId: 'B-F', commonName: 'b.example.com', month: 24 });
  });

  test('SM2 flags: the encryption CSR, the bound RSA product and its CSR are read from their files and sent', async () => {
    const r = await cli([...createArgs(), '--csr-encrypt-file', join(dir, 'req.csr'), '--bind-rsa-product', PRODUCT_ID, '--csr-rsa-file', join(dir, 'req.csr'), '--json']);
    expect(r.code).toBe(ExitCode.Ok);
    expect(orders.callsOf('placeOrder')[0]?.args[0]).toMatchObject({ csr: CSR, csrEncrypt: CSR, bindRsaProductId: PRODUCT_ID, csrRsa: CSR });
  });

  test('input the API refuses exits 2 and prints every field error to stderr', async () => {
    const r = await cli(['orders', 'create', '--billing-order-id', 'B-78', '--product', 'nope', '--common-name', 'x', '--month', '7', '--csr-file', join(dir, 'req.csr')]);
    expect(r.code).toBe(ExitCode.Usage);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('certflow: Invalid request');
    expect(r.stderr).toContain('  body.productId: must be a product GUID');
    expect(r.stderr).toContain('  body.month: must be 12 or 24, or 13 or 25 for a renewal');
    expect(orders.callsOf('placeOrder')).toHaveLength(0);
  });

  test('an unreadable CSR file exits 2 without calling the API', async () => {
    const r = await cli([...createArgs().slice(0, -1), join(dir, 'missing.csr')]);
    expect(r.code).toBe(ExitCode.Usage);
    expect(r.stderr).toContain('cannot read CSR file');
    expect(orders.calls).toHaveLength(0);
  });

  test('a different body under a taken id exits 4', async () => {
    await cli(createArgs());
    const r = await cli([...createArgs(), '--common-name', 'other.example.com']);
    expect(r.code).toBe(ExitCode.Conflict);
    expect(r.stderr).toContain('B-77');
  });
});

describe('orders get / list / certificate', () => {
  test('get prints the order; --json prints the view', async () => {
    orders.views.set('B-1', makeView('B-1', 'awaitingValidation'));
    const human = await cli(['orders', 'get', 'B-1']);
    expect(human.code).toBe(ExitCode.Ok);
    expect(human.stdout).toMatch(/Order B-1\n\s+state\s+awaitingValidation \(R-awaitingValidation\)/);
    const json = await cli(['--json', 'orders', 'get', 'B-1']);
    expect(JSON.parse(json.stdout)).toEqual(makeView('B-1', 'awaitingValidation'));
  });

  test('get lists each domain\'s validation file as certflow last checked it (ACMAPI), and the domain the CA failed on', async () => {
    const fetched = (url: string, problem?: string) => ({ url, ok: problem === undefined, ...(problem ? { problem } : {}) });
    const path = '/.well-known/pki-validation/signfile';
    orders.views.set('B-2', makeView('B-2', 'awaitingValidation', {
      ca: {
        checks: 0,
        domainFiles: {
          path,
          checkedAt: '2026-12-06T02:00:00.000Z',
          caFailedDomain: 'cdn.example.com',
          domains: [
            { domain: 'shop.example.com', ready: true, http: fetched(`http://shop.example.com${path}`), https: fetched(`https://shop.example.com${path}`, 'HTTP 404') },
            { domain: 'www.example.com', ready: false, http: fetched(`http://www.example.com${path}`, 'HTTP 404'), https: fetched(`https://www.example.com${path}`, 'no answer within 10 s') },
          ],
        },
      },
    }));
    const r = await cli(['orders', 'get', 'B-2']);
    expect(r.stdout).toMatch(/ {2}domain files\s+\/\.well-known\/pki-validation\/signfile \(checked 2026-12-06T02:00:00\.000Z\)/);
    expect(r.stdout).toMatch(/ {4}shop\.example\.com\s+ready \(http:\/\/shop\.example\.com\/\.well-known\/pki-validation\/signfile\)/);
    expect(r.stdout).toMatch(/ {4}www\.example\.com\s+not ready — HTTP: HTTP 404; HTTPS: no answer within 10 s/);
    expect(r.stdout).toMatch(/ {4}CA failed on\s+cdn\.example\.com/);
  });

  test('get lists each name of a per-name order: method, state, what to publish, certflow\'s check; and the CA cost', async () => {
    orders.views.set('B-3', makeView('B-3', 'awaitingValidation', {
      ca: {
        orderId: 'svc-1001',
        checks: 1,
        cost: 12.5,
        domains: [
          { domain: 'example.com', method: 'dns', state: 'pending', dns: { name: '_dnsauth.example.com', type: 'CNAME', value: 'x7.dcv.example.net' }, check: { ready: false, problem: 'no CNAME at _dnsauth.example.com', checkedAt: '2026-12-06T02:00:00.000Z' } },
          { domain: 'www.example.com', method: 'https', state: 'pending', file: { url: 'https://www.example.com/.well-known/pki-validation/f1.txt', path: '/.well-known/pki-validation/f1.txt', content: 'token-f1' }, check: { ready: true, checkedAt: '2026-12-06T02:00:00.000Z' } },
          { domain: '*.example.com', method: 'email', state: 'pending', caStatus: 'waiting', email: { address: 'admin@example.com', alternatives: ['admin@example.com', 'hostmaster@example.com'] } },
          { domain: 'api.example.com', method: 'http', state: 'pending' },
          { domain: 'shop.example.com', method: 'dns', state: 'valid' },
        ],
      },
    }));
    const r = await cli(['orders', 'get', 'B-3']);
    expect(r.code).toBe(ExitCode.Ok);
    const lines = r.stdout.split('\n');
    const row = (key: string, value: string) => expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^ {2}${key.replace(/[.*]/g, '\\$&')}\\s+${value.replace(/[.*()]/g, '\\$&')}$`)));
    row('validation', 'per name: method · state, what to publish, certflow\'s check');
    row('  example.com', 'dns · pending');
    row('    CNAME', '_dnsauth.example.com → x7.dcv.example.net');
    row('    check', 'not ready — no CNAME at _dnsauth.example.com (checked 2026-12-06T02:00:00.000Z)');
    row('  www.example.com', 'https · pending');
    row('    file', 'https://www.example.com/.well-known/pki-validation/f1.txt');
    row('    content', 'token-f1');
    row('    check', 'ready (checked 2026-12-06T02:00:00.000Z)');
    row('  *.example.com', 'email · pending (CA: waiting)');
    row('    approver', 'admin@example.com (may switch to hostmaster@example.com)');
    row('  api.example.com', 'http · pending');
    row('    check', 'not looked at yet');
    row('  shop.example.com', 'dns · valid');
    row('CA cost', '12.5');
  });

  test('get of an unknown order exits 3 with the problem detail on stderr', async () => {
    const r = await cli(['orders', 'get', 'B-404']);
    expect(r).toMatchObject({ code: ExitCode.NotFound, stdout: '' });
    expect(r.stderr).toBe('certflow: No order with billing order id B-404.\n');
  });

  test('list passes filters and prints a table and the next page token', async () => {
    orders.page = {
      orders: [{ workflowId: 'order-B-1', billingOrderId: 'B-1', status: 'active', commonName: 'shop.example.com', notAfter: '2026-01-01T00:00:00.000Z', startTime: '2025-01-01T00:00:00.000Z', runStatus: 'RUNNING' }],
      nextPageToken: 'tok_1',
    };
    const r = await cli(['orders', 'list', '--status', 'active', '--common-name', 'shop.example.com', '--page-size', '5', '--page-token', 'tok_0']);
    expect(r.code).toBe(ExitCode.Ok);
    expect(orders.callsOf('listOrders')[0]?.args[0]).toEqual({ status: 'active', commonName: 'shop.example.com', pageSize: 5, pageToken: 'tok_0' });
    expect(r.stdout).toMatch(/BILLING ORDER\s+STATUS\s+COMMON NAME/);
    expect(r.stdout).toMatch(/B-1\s+active\s+shop\.example\.com\s+2026-01-01/);
    expect(r.stdout).toContain('--page-token tok_1');
  });

  test('list with a status the CLI does not know is a usage error (2) before any request', async () => {
    const r = await cli(['orders', 'list', '--status', 'issued']);
    expect(r.code).toBe(ExitCode.Usage);
    expect(orders.calls).toHaveLength(0);
  });

  test('certificate prints the PEM chain', async () => {
    orders.views.set('B-1', makeView('B-1', 'active'));
    orders.bundles.set('B-1', { caOrderId: 'CA-1', leafPem: LEAF, chainPems: [INTERMEDIATE, ROOT] });
    const r = await cli(['orders', 'certificate', 'B-1']);
    expect(r.stdout).toBe(`${LEAF}\n${INTERMEDIATE}${ROOT}`);
  });

  test('certificate --part encryption prints an SM2 order\'s encryption certificate; a part it lacks is an error', async () => {
    const ENC = LEAF.replace('BEGIN CERTIFICATE-----', 'BEGIN CERTIFICATE-----\nENC');
    orders.views.set('B-1', makeView('B-1', 'active'));
    orders.bundles.set('B-1', { caOrderId: 'CA-1', leafPem: LEAF, chainPems: [INTERMEDIATE, ROOT], encryptionLeafPem: ENC, encryptionChainPems: [INTERMEDIATE, ROOT] });
    const r = await cli(['orders', 'certificate', 'B-1', '--part', 'encryption']);
    expect(r.stdout).toBe(`${ENC.trim()}\n${INTERMEDIATE}${ROOT}`);
    const missing = await cli(['orders', 'certificate', 'B-1', '--part', 'rsa']);
    expect(missing.code).not.toBe(ExitCode.Ok);
    expect(missing.stderr).toMatch(/no rsa certificate/);
    const usage = await cli(['orders', 'certificate', 'B-1', '--part', 'root']);
    expect(usage.code).toBe(ExitCode.Usage);
  });
});

describe('orders watch', () => {
  test('follows the order to active: progress lines, one per change, exit 0', async () => {
    orders.views.set('B-1', [
      makeView('B-1', 'creating'),
      makeView('B-1', 'awaitingValidation'),
      makeView('B-1', 'awaitingValidation'),
      makeView('B-1', 'awaitingIssuance', { ca: { orderId: 'CA-1', status: 'pendingIssue', checks: 3 } }),
      makeView('B-1', 'active'),
    ]);
    const r = await cli(['orders', 'watch', 'B-1', '--interval', '0.01']);
    expect(r.code).toBe(ExitCode.Ok);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^creating · R-creating · The order is creating\. · CA pendingValidation · next check \d\d:\d\d:\d\d$/);
    expect(lines[2]).toBe('awaitingIssuance · R-awaitingIssuance · The order is awaitingIssuance. · CA pendingIssue');
    expect(lines[3]).toMatch(/^active · /);
    expect(orders.callsOf('getOrder')).toHaveLength(5);
  });

  test('on a terminal the line is rewritten in place', async () => {
    orders.views.set('B-1', [makeView('B-1', 'awaitingValidation'), makeView('B-1', 'active')]);
    const r = await cli(['orders', 'watch', 'B-1'], { tty: true });
    expect(r.code).toBe(ExitCode.Ok);
    expect(r.stdout.split('\r\u001b[2K')).toHaveLength(3); // two rewrites
    expect(r.stdout.endsWith('\n')).toBe(true);
  });

  test('an order that fails exits 5 with its message on stderr', async () => {
    orders.views.set('B-1', [makeView('B-1', 'awaitingValidation'), makeView('B-1', 'failed', { condition: { state: 'failed', reason: 'CaRejected', message: 'The CA rejected the CSR.', at: '2025-01-01T00:00:00.000Z' } })]);
    const r = await cli(['orders', 'watch', 'B-1']);
    expect(r.code).toBe(ExitCode.OrderEnded);
    expect(r.stderr).toContain('order B-1 ended failed: The CA rejected the CSR.');
  });

  test('--until final watches past active until the order ends', async () => {
    orders.views.set('B-1', [makeView('B-1', 'active'), makeView('B-1', 'revoking'), makeView('B-1', 'revoked')]);
    const r = await cli(['orders', 'watch', 'B-1', '--until', 'final', '--json']);
    expect(r.code).toBe(ExitCode.OrderEnded);
    expect(r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { condition: { state: string } }).condition.state)).toEqual(['active', 'revoking', 'revoked']);
  });

  test('a watch of an unknown order exits 3', async () => {
    expect((await cli(['orders', 'watch', 'B-404'])).code).toBe(ExitCode.NotFound);
  });
});

describe('updates', () => {
  beforeEach(() => {
    orders.views.set('B-1', makeView('B-1', 'active'));
  });

  test('cancel, reissue (with files), revoke and retry send their inputs', async () => {
    expect((await cli(['orders', 'cancel', 'B-1', '--reason', 'not needed'])).code).toBe(ExitCode.Ok);
    expect((await cli(['orders', 'reissue', 'B-1', '--csr-file', join(dir, 'req.csr'), '--reason', 'new key', '--request-id', 'r-9'])).code).toBe(ExitCode.Ok);
    expect((await cli(['orders', 'revoke', 'B-1', '--reason', 'compromised', '--proof-file', join(dir, 'proof.pdf')])).code).toBe(ExitCode.Ok);
    expect((await cli(['orders', 'retry', 'B-1'])).code).toBe(ExitCode.Ok);
    expect(orders.calls.map((c) => [c.method, ...c.args])).toEqual([
      ['cancel', 'B-1', { reason: 'not needed' }],
      ['reissue', 'B-1', { csr: CSR, reason: 'new key', requestId: 'r-9' }],
      ['revoke', 'B-1', { reason: 'compromised', proof: { fileType: '.pdf', fileContent: Buffer.from('%PDF-1.4 proof').toString('base64') } }],
      ['retryNow', 'B-1'],
    ]);
  });

  test('reissue of a per-name order: --domain-validation for every name without a CSR, dropped names confirmed, renew', async () => {
    const r = await cli(['orders', 'reissue', 'B-1', '--reason', 'drop www', '--request-id', 'r-10',
      '--domain-validation', 'example.com=dns', '--domain-validation', '*.example.com=admin@example.com',
      '--confirm-dropped', 'www.example.com', '--confirm-dropped', 'api.example.com,cdn.example.com', '--renew']);
    expect(r.code).toBe(ExitCode.Ok);
    expect(orders.calls.map((c) => [c.method, ...c.args])).toEqual([
      ['reissue', 'B-1', { reason: 'drop www', requestId: 'r-10', domainValidation: { 'example.com': 'dns', '*.example.com': 'admin@example.com' }, confirmDroppedDomains: ['www.example.com', 'api.example.com', 'cdn.example.com'], renew: true }],
    ]);
  });

  test('reissue needs --csr-file or --domain-validation (usage error 2, nothing sent)', async () => {
    const r = await cli(['orders', 'reissue', 'B-1', '--reason', 'x']);
    expect(r.code).toBe(ExitCode.Usage);
    expect(r.stderr).toContain('reissue needs --csr-file');
    expect(orders.calls).toHaveLength(0);
  });

  test('switch-method sends the names that change; the API builds the rest', async () => {
    const r = await cli(['orders', 'switch-method', 'B-1', '--set', 'www.example.com=http', '--set', '*.example.com=hostmaster@example.com', '--request-id', 'sw-1', '--reason', 'no DNS access']);
    expect(r.code).toBe(ExitCode.Ok);
    expect(r.stdout).toBe('B-1: switchDomainValidation accepted (state active)\n');
    expect(orders.calls.map((c) => [c.method, ...c.args])).toEqual([
      ['switchDomainValidation', 'B-1', { requestId: 'sw-1', methods: { 'www.example.com': 'http', '*.example.com': 'hostmaster@example.com' }, reason: 'no DNS access' }],
    ]);
  });

  test('switch-method without --request-id generates one and prints it; the API\'s field errors are printed one per line', async () => {
    const ok = await cli(['orders', 'switch-method', 'B-1', '--set', 'www.example.com=https']);
    expect(ok.code).toBe(ExitCode.Ok);
    expect(ok.stderr).toMatch(/switch-method request id cli-[0-9a-f-]{36} \(pass --request-id cli-[0-9a-f-]{36} to retry safely\)/);
    const bad = await cli(['orders', 'switch-method', 'B-1', '--set', 'www.example.com=ftp', '--request-id', 'sw-2']);
    expect(bad.code).toBe(ExitCode.Usage);
    expect(bad.stderr).toContain('  body.methods.www.example.com: must be dns, http, https or an approver e-mail address');
  });

  test.each([
    ['no --set', ['orders', 'switch-method', 'B-1']],
    ['--set without =', ['orders', 'switch-method', 'B-1', '--set', 'www.example.com']],
    ['--set without a method', ['orders', 'switch-method', 'B-1', '--set', 'www.example.com=']],
    ['the same name twice', ['orders', 'switch-method', 'B-1', '--set', 'a.example.com=dns', '--set', 'A.example.com=http']],
    ['--domain-validation without =', ['orders', 'reissue', 'B-1', '--reason', 'x', '--domain-validation', 'example.com']],
  ])('%s is a usage error (2) before any request', async (_what, args) => {
    expect((await cli(args)).code).toBe(ExitCode.Usage);
    expect(orders.calls).toHaveLength(0);
  });

  test('a rejected update exits 4 with the workflow reason', async () => {
    orders.rejections.set('B-1', 'An order in state active cannot be cancelled; cancel is possible only before issuance.');
    const r = await cli(['orders', 'cancel', 'B-1', '--reason', 'x']);
    expect(r.code).toBe(ExitCode.Conflict);
    expect(r.stderr).toContain('cannot be cancelled');
  });

  test('a missing required option is a usage error (2)', async () => {
    expect((await cli(['orders', 'revoke', 'B-1', '--reason', 'x'])).code).toBe(ExitCode.Usage);
    expect((await cli(['orders', 'revoke', 'B-1', '--reason', 'x', '--proof-file', join(dir, 'req.csr')])).code).toBe(ExitCode.Usage);
    expect(orders.calls).toHaveLength(0);
  });
});

describe('global behaviour', () => {
  test('no key or a wrong key exits 6', async () => {
    expect((await cli(['orders', 'get', 'B-1'], { env: { CERTFLOW_API_KEY: '' } })).code).toBe(ExitCode.Auth);
    expect((await cli(['--api-key', 'wrong-key', 'orders', 'get', 'B-1'])).code).toBe(ExitCode.Auth);
  });

  test('--api-url and --api-key flags win over the environment', async () => {
    orders.views.set('B-1', makeView('B-1', 'active'));
    const r = await cli(['--api-url', baseUrl, '--api-key', API_KEY, 'orders', 'get', 'B-1'], { env: { CERTFLOW_API_URL: 'http://127.0.0.1:1', CERTFLOW_API_KEY: 'wrong' } });
    expect(r.code).toBe(ExitCode.Ok);
  });

  test('a refused connection exits 7', async () => {
    const r = await cli(['orders', 'get', 'B-1'], { env: { CERTFLOW_API_URL: 'http://127.0.0.1:1' } });
    expect(r.code).toBe(ExitCode.Unavailable);
    expect(r.stderr).toContain('cannot reach the API at http://127.0.0.1:1');
  });

  test('Temporal unavailable behind the API exits 7', async () => {
    orders.failWith = new TemporalUnavailableError('Temporal is unavailable; try again shortly.');
    expect((await cli(['orders', 'get', 'B-1'])).code).toBe(ExitCode.Unavailable);
  });

  test('help exits 0 and lists the exit codes; an unknown command exits 2', async () => {
    const help = await cli(['--help']);
    expect(help.code).toBe(ExitCode.Ok);
    expect(help.stdout).toContain('Exit codes:');
    expect((await cli(['orders', 'frobnicate'])).code).toBe(ExitCode.Usage);
  });

  test('the API key never appears in help output', async () => {
    const r = await cli(['orders', 'get', '--help']);
    expect(r.stdout + r.stderr).not.toContain(API_KEY);
  });
});

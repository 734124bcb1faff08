/**
 * `certflow orders notify <id>` (src/cli/commands/actions.ts): the operator's resend of the
 * customer e-mail through the API, always with an idempotency key so a retried command is
 * one e-mail. In-process against the test API with a fake order service.
 */
import type { FastifyInstance } from 'fastify';
import { ExitCode } from '../../src/cli/exit-codes';
import { runCli } from '../../src/cli/program';
import { API_KEY, buildTestApi, type FakeOrderService, makeView } from './api-support';

let app: FastifyInstance;
let orders: FakeOrderService;
let baseUrl: string;

beforeAll(async () => {
  ({ app, orders } = await buildTestApi());
  baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await app.close();
});
beforeEach(() => {
  orders.calls.length = 0;
  orders.rejections.clear();
  orders.views.set('B-1', makeView('B-1', 'active'));
});

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, {
    stdout: { isTTY: false, write: (s: string) => out.push(s) },
    stderr: { isTTY: false, write: (s: string) => err.push(s) },
    env: { CERTFLOW_API_URL: baseUrl, CERTFLOW_API_KEY: API_KEY },
    sleep: async () => undefined,
  });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('orders notify', () => {
  test('sends the reason and the given request id; prints the answer', async () => {
    const r = await cli(['orders', 'notify', 'B-1', '--reason', 'customer asked', '--request-id', 'ops-7']);
    expect(r.code).toBe(ExitCode.Ok);
    expect(r.stdout).toBe('B-1: resendCustomerEmail accepted (state active)\n');
    expect(orders.calls.map((c) => [c.method, ...c.args])).toEqual([['resendCustomerEmail', 'B-1', { requestId: 'ops-7', reason: 'customer asked' }]]);
  });

  test('without --request-id one is generated and printed, so a retry can reuse it', async () => {
    const r = await cli(['orders', 'notify', 'B-1']);
    expect(r.code).toBe(ExitCode.Ok);
    const sent = orders.callsOf('resendCustomerEmail')[0]?.args[1] as { requestId: string; reason?: string };
    expect(sent.requestId).toMatch(/^cli-[0-9a-f-]{36}$/);
    expect(sent).not.toHaveProperty('reason');
    expect(r.stderr).toContain(`--request-id ${sent.requestId}`);
  });

  test('--json prints the answer as JSON and nothing on stderr', async () => {
    const r = await cli(['--json', 'orders', 'notify', 'B-1']);
    expect(JSON.parse(r.stdout)).toEqual({ accepted: true, state: 'active', message: 'resendCustomerEmail accepted' });
    expect(r.stderr).toBe('');
  });

  test('a refusal exits 4 with the workflow reason; an unknown order exits 3', async () => {
    orders.rejections.set('B-1', 'The order has no certificate yet; there is nothing to e-mail.');
    const refused = await cli(['orders', 'notify', 'B-1']);
    expect(refused.code).toBe(ExitCode.Conflict);
    expect(refused.stderr).toContain('nothing to e-mail');
    expect((await cli(['orders', 'notify', 'B-9'])).code).toBe(ExitCode.NotFound);
  });

  test('an invalid request id is refused by the API (exit 2) naming the field', async () => {
    const r = await cli(['orders', 'notify', 'B-1', '--request-id', 'has space']);
    expect(r.code).toBe(ExitCode.Usage);
    expect(r.stderr).toContain('body.requestId');
    expect(orders.calls).toHaveLength(0);
  });
});

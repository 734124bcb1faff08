/** The API and the CLI as an e2e test uses them against a running stack. */
import { runCli } from '../../src/cli/program';
import type { OrderView } from '../../src/domain/order-view';
import type { Stack } from './stack';

/** GET /v1/orders/{id}, expected to answer 200. */
export async function orderView(stack: Stack, id: string): Promise<OrderView> {
  const r = await stack.api(`/v1/orders/${id}`);
  if (r.status !== 200) throw new Error(`GET /v1/orders/${id} answered ${r.status}`);
  return (await r.json()) as OrderView;
}

/** The `certflow` CLI in this process against the stack's API (as test/e2e/cli.test.ts runs it). */
export async function cliAgainst(stack: Stack, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (s: string) => (stdout += s), isTTY: false },
    stderr: { write: (s: string) => (stderr += s) },
    env: { CERTFLOW_API_URL: stack.apiUrl, CERTFLOW_API_KEY: stack.apiKey },
  });
  return { code, stdout, stderr };
}

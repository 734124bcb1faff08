/**
 * 2. The Temporal server SIGKILLed mid-run and restarted on the same data: every order
 *    completes; the worker and the API reconnect by themselves (503s meanwhile). Run on the
 *    dev server (SQLite file) and on the real cluster (the server process of a 4-shard
 *    cluster on PostgreSQL; the database stays up, as when a server pod dies).
 */
import { startFaultStack } from '../support/fault-stack';
import { allActive, countStates, finalStates, orderIds, placeOrders, waitForStates } from '../support/orders';
import { Recorder, type ScenarioResult, checkUniqueness, scenarioResult } from '../support/result';
import { type Scenario, type ScenarioEnv, sleep } from './types';

export const restartServer: Scenario = restartScenario('dev');
export const restartCluster: Scenario = restartScenario('cluster');

function restartScenario(engine: 'dev' | 'cluster'): Scenario {
  const id = engine === 'dev' ? 'restart-server' : 'restart-cluster';
  const what = engine === 'dev' ? 'dev server' : 'cluster server';
  const data = engine === 'dev' ? 'the same SQLite file' : 'the same PostgreSQL (4 history shards)';
  return {
    id,
    title: `Temporal ${what} killed and restarted`,
    ownServer: true,
    async run(env: ScenarioEnv): Promise<ScenarioResult> {
      const n = env.size === 'full' ? 200 : 12;
      const downMs = 5_000;
      const r = new Recorder();
      const stack = await startFaultStack({ name: id, log: env.log, persistent: true, engine });
      try {
        const ids = orderIds(engine === 'dev' ? 'RS' : 'RC', n);
        const placing = placeOrders(stack, ids, { concurrency: 8 });
        // Mid-run: once a third of the orders exist.
        for (let i = 0; i < 600; i++) {
          const states = await stack.states().catch(() => new Map<string, string>());
          if (states.size >= n / 3) break;
          await sleep(500);
        }
        const before = countStates((await stack.states()).values());
        env.log(`[${id}] SIGKILL the ${what} (pid ${stack.server!.process.pid}) with ${JSON.stringify(before)}`);
        const probes: { path: string; status: number; ms: number; at: number }[] = [];
        let probing = true;
        const probe = async (path: string): Promise<void> => {
          const t0 = Date.now();
          const res = await (path === '/readyz' ? fetch(`${stack.apiUrl}${path}`) : stack.api(path)).catch(() => undefined);
          probes.push({ path, status: res?.status ?? 0, ms: Date.now() - t0, at: Date.now() });
        };
        // Two loops: an order query may wait its full 10 s deadline while Temporal is down, and
        // readiness probed in its step could miss the whole outage (a run did).
        const loop = async (path: string): Promise<void> => {
          while (probing) {
            await probe(path);
            await sleep(500);
          }
        };
        const prober = Promise.all([loop(`/v1/orders/${ids[0]}`), loop('/readyz')]);
        const restart = { ...(await stack.restartServer(downMs)), upAt: Date.now() };
        env.log(`[${id}] ${what} back after ${restart.downMs} ms (pid ${stack.server!.process.pid}, ${data})`);
        const placed = await placing;
        // Probe until the API reports ready again (or 30 s), so the check sees the recovery too.
        const readyBy = Date.now() + 30_000;
        while (Date.now() < readyBy && !probes.some((p) => p.path === '/readyz' && p.status === 200 && p.at > restart.upAt)) await sleep(250);
        probing = false;
        await prober;
        r.check('every POST /v1/orders eventually answered 202 (503s retried by the caller)', placed.every((p) => p.status === 202),
          `${placed.filter((p) => p.status === 202).length}/${n}; POSTs that needed retries: ${placed.filter((p) => p.attempts > 1).length}`);
        const waited = await waitForStates(stack, ids, { label: id, log: env.log, done: allActive(n), timeoutMs: env.size === 'full' ? 12 * 60_000 : 6 * 60_000, intervalMs: 2_000 });
        const final = await finalStates(stack, ids, { state: 'active', label: id, log: env.log });
        r.check('every order reached active', waited.ok && final.reached, `final states: ${JSON.stringify(final.counts)}`);
        const workerAlive = stack.workers.every((w) => w.alive);
        r.check('the worker process reconnected by itself (never exited)', workerAlive, workerAlive ? `pid ${stack.workers[0]!.pid} ran throughout` : stack.workers.map((w) => w.output).join('\n').slice(-500));
        const ready = countStates(probes.filter((p) => p.path === '/readyz').map((p) => String(p.status)));
        const order = countStates(probes.filter((p) => p.path !== '/readyz').map((p) => String(p.status)));
        const slowest = Math.max(...probes.map((p) => p.ms));
        r.check('the API stayed up: not ready (503) while Temporal was down, every request answered (200 or 503), ready again after', (ready['503'] ?? 0) > 0 && (ready['200'] ?? 0) > 0 && Object.keys(order).every((s) => s === '200' || s === '503') && slowest <= 15_000,
          `GET /readyz answered ${JSON.stringify(ready)}; GET /v1/orders/:id answered ${JSON.stringify(order)}; slowest answer ${slowest} ms (a query waits up to its 10 s deadline for Temporal to come back)`);
        const u = await checkUniqueness(r, stack, ids, { emailsExact: false });
        r.figure('server down (kill to ready again)', `${restart.downMs} ms`);
        r.figure('pushes dropped by the CA while Temporal was down', stack.sim.state.counters().pushes.dropped);
        return scenarioResult(this, r, {
          fault: `Temporal ${what} SIGKILLed once mid-run, restarted on ${data} after ${downMs / 1000} s`,
          orders: n,
          finalStates: final.counts,
          invariants: u,
        });
      } finally {
        await stack.close();
      }
    },
  };
}

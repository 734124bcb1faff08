/**
 * Phases A and C on a second engine in the same run: the real cluster (several history
 * shards, PostgreSQL with SQL visibility) beside the dev server (one shard, SQLite), same
 * orders, same worker settings, so the report can set orders/s, certflow ÷ bare and CPU per
 * order of every process side by side.
 */
import path from 'node:path';
import type { BareRunResult } from './bare';
import { startBareWorker } from './bare';
import type { BareShape } from './bare-shared';
import { type OrderRunResult, prepareOrders } from './load';
import { phaseA, phaseC } from './phases';
import { ResourceSampler, type ResourceUse, type SampleTarget } from './proc';
import { type BenchStackOptions, startBenchStack } from './stack';

export interface EngineRun {
  engine: string;
  a: OrderRunResult & { resources?: Record<string, ResourceUse> };
  c?: BareRunResult & { resources?: Record<string, ResourceUse> };
}

export async function runOnCluster(o: {
  stack: Omit<BenchStackOptions, 'engine' | 'temporalAddress' | 'clusterShards'>;
  shards: number;
  orders: number;
  concurrency: number;
  warmup: number;
  /** Phase C's workflow shape: the dev run's, so both engines run the same bare workflow. */
  bareShape?: BareShape;
  log: (line: string) => void;
}): Promise<EngineRun> {
  const stack = await startBenchStack({ ...o.stack, engine: 'cluster', clusterShards: o.shards });
  try {
    const run = `K${Date.now().toString(36)}`;
    const targets = (worker: number, workerName: string, self: string): Record<string, SampleTarget> => ({
      [workerName]: worker,
      'Temporal server': stack.server!.process.pid!,
      'PostgreSQL (postmaster and backends)': { tree: stack.postgresPid! },
      [self]: 'self',
    });
    if (o.warmup > 0) await phaseA(stack, { label: 'cluster warm-up', prefix: `${run}W`, orders: await prepareOrders(`${run}W`, o.warmup, o.log), concurrency: Math.min(8, o.concurrency), progress: o.log });
    const orders = await prepareOrders(`${run}A`, o.orders, o.log);
    const sampler = new ResourceSampler(targets(stack.worker!.pid, 'worker', 'bench process (API + simulator + load)')).start();
    const a = await phaseA(stack, { label: 'phase A on the cluster', prefix: `${run}A`, orders, concurrency: o.concurrency, progress: o.log });
    const result: EngineRun = { engine: `cluster (${o.shards} history shard${o.shards === 1 ? '' : 's'}, PostgreSQL)`, a: { ...a, resources: sampler.stop() } };
    o.log(`[cluster, ${o.shards} shards, phase A] ${a.active}/${a.orders} active in ${a.durationS.toFixed(1)} s = ${a.ordersPerSec.toFixed(1)} orders/s`);
    if (o.bareShape) {
      const bare = await startBareWorker({ mode: 'child', client: stack.client, address: stack.address, tuning: stack.tuning, logFile: path.join(stack.tmpDir, 'bare-worker.log') });
      try {
        const s = new ResourceSampler(targets(bare.pid!, 'bare worker', 'bench process (client)')).start();
        const c = await phaseC(stack, bare, { prefix: `${run}C`, n: o.orders, concurrency: o.concurrency, shape: o.bareShape, progress: o.log });
        result.c = { ...c, resources: s.stop() };
        o.log(`[cluster, ${o.shards} shards, phase C] bare: ${c.active}/${c.runs} in ${c.durationS.toFixed(1)} s = ${c.ordersPerSec.toFixed(1)} runs/s; certflow ÷ bare = ${(a.ordersPerSec / c.ordersPerSec).toFixed(2)}`);
      } finally {
        await bare.stop();
      }
    }
    return result;
  } finally {
    await stack.close();
  }
}

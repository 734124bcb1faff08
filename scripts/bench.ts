/**
 * `npm run bench`: throughput, latency, CA cost and memory of certflow on its own stack — a
 * Temporal dev server (SQLite in a temporary directory), the WoTrus simulator and the API in
 * this process, the worker as a child process — against the engine's own limit (a bare
 * workflow of the same shape) and a 5-minute cron poller. Writes bench/results/<date>.md,
 * <date>-latency.svg and <date>.json. See docs/benchmark.md.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { SQLITE_PRAGMAS } from '../tools/engine/dev-server';
import { locateTemporalCli } from '../tools/engine/locator';
import { startBareWorker } from '../bench/bare';
import { HOUR, MINUTE, type Scenario } from '../bench/cron-model';
import { runOnCluster } from '../bench/engines';
import { DEFAULT_SHARDS } from '../tools/engine/cluster';
import { prepareOrders } from '../bench/load';
import { describeGaps } from '../bench/shape';
import { bareShapeFor, orderShape, phaseA, phaseB, phaseC, phaseD, phaseE } from '../bench/phases';
import { machineInfo, ResourceSampler } from '../bench/proc';
import { type BenchReport, renderReport } from '../bench/report';
import { DEFAULT_TUNING, ROOT, startBenchStack } from '../bench/stack';
import { latencyCdfSvg } from '../bench/svg';

const positiveInt = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
  return n;
};
const nonNegativeInt = (name: string) => (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer`);
  return n;
};
const PHASES = ['A', 'B', 'C', 'D', 'E'] as const;
type Phase = (typeof PHASES)[number];
const phaseList = (v: string): Phase[] => {
  const list = v.toUpperCase().split(',').map((s) => s.trim()).filter(Boolean);
  for (const p of list) if (!PHASES.includes(p as Phase)) throw new InvalidArgumentError(`unknown phase ${p} (phases: ${PHASES.join(',')})`);
  return list as Phase[];
};

interface Options {
  cluster?: boolean | string;
  orders: number;
  concurrency: number;
  waiting: number;
  skipWaiting?: boolean;
  codec: 'on' | 'off';
  quick?: boolean;
  phases: Phase[];
  bOrders?: number;
  latencyOrders?: number;
  scale: number;
  cache?: number;
  activitySlots?: number;
  workflowTaskSlots?: number;
  caPool: number;
  sqlitePragmas?: string;
  inMemory?: boolean;
  workerBundle: 'runtime' | 'prebuilt';
  workerHeapMb?: number;
  workerRuntime: 'tsx' | 'compiled';
  mallocArenaMax?: number;
  workerCpuProf?: string;
  warmup: number;
  out?: string;
}

const program = new Command()
  .name('bench')
  .description('certflow benchmark: throughput, latency, CA cost and memory against the engine\'s own limit and a cron poller')
  .option('--orders <n>', 'orders in phase A (and bare runs in phase C)', positiveInt('--orders'), 2000)
  .option('--concurrency <n>', 'concurrent API requests (and workflow starts in phase C)', positiveInt('--concurrency'), 32)
  .option('--waiting <n>', 'orders held at pendingDCV in phase E', positiveInt('--waiting'), 10_000)
  .option('--skip-waiting', 'skip phase E')
  .addOption(new Option('--codec <mode>', 'AES-GCM payload codec in API and worker').choices(['on', 'off']).default('on'))
  .option('--quick', 'a small run: 200 orders, 1000 waiting, 100 orders per phase B run')
  .option('--phases <list>', `phases to run, comma separated (${PHASES.join(',')})`, phaseList, [...PHASES])
  .option('--b-orders <n>', 'orders per phase B run (default: min(orders, 300))', positiveInt('--b-orders'))
  .option('--latency-orders <n>', 'orders of the latency run at half the maximum rate (default: orders / 2)', positiveInt('--latency-orders'))
  .option('--scale <factor>', 'clock compression of phase B (1 h of CA time = 1 h / factor)', positiveInt('--scale'), 600)
  .option('--cache <n>', `worker sticky cache, maxCachedWorkflows (default ${DEFAULT_TUNING.maxCachedWorkflows})`, nonNegativeInt('--cache'))
  .option('--activity-slots <n>', `worker maxConcurrentActivityTaskExecutions (default ${DEFAULT_TUNING.maxConcurrentActivityTaskExecutions})`, positiveInt('--activity-slots'))
  .option('--workflow-task-slots <n>', `worker maxConcurrentWorkflowTaskExecutions (default ${DEFAULT_TUNING.maxConcurrentWorkflowTaskExecutions})`, positiveInt('--workflow-task-slots'))
  .option('--ca-pool <n>', 'undici keep-alive connections of the worker to the CA (CA_POOL_CONNECTIONS)', positiveInt('--ca-pool'), 32)
  .option('--sqlite-pragmas <list>', `dev server SQLite pragmas, comma separated, or "none" (default ${SQLITE_PRAGMAS.join(',')})`)
  .option('--in-memory', 'dev server without a database file')
  .addOption(new Option('--worker-bundle <mode>', 'runtime: src/worker.ts bundles workflows at start; prebuilt: a bundle built beforehand (lever)').choices(['runtime', 'prebuilt']).default('runtime'))
  .option('--worker-heap-mb <n>', 'V8 heap limit of the worker child (--max-old-space-size; workflow threads too)', positiveInt('--worker-heap-mb'))
  .addOption(new Option('--worker-runtime <mode>', 'tsx: TypeScript through tsx; compiled: tsc first, then node on the JavaScript (as the production image)').choices(['tsx', 'compiled']).default('tsx'))
  .option('--malloc-arena-max <n>', 'MALLOC_ARENA_MAX of the worker child (glibc malloc arenas; the production image sets 2)', positiveInt('--malloc-arena-max'))
  .option('--worker-cpu-prof <dir>', 'write V8 CPU profiles of the worker child into <dir> (one per thread that exits cleanly, the workflow thread included; open them in Chrome DevTools)')
  .option('--warmup <n>', 'unmeasured orders first (JIT, connections, caches)', nonNegativeInt('--warmup'), 50)
  .option('--cluster [shards]', 'then phases A and C again on a real cluster (npm run cluster: PostgreSQL), once per shard count of the comma-separated list (default 4), side by side in the report')
  .option('--out <file>', 'report path (default bench/results/<date>.md)')
  .showHelpAfterError();

const log = (line: string): void => void process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

function versions(cliPath: string): BenchReport['versions'] {
  const cli = spawnSync(cliPath, ['--version'], { encoding: 'utf8' });
  const sdk = (JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', '@temporalio', 'worker', 'package.json'), 'utf8')) as { version: string }).version;
  return { node: process.version, temporalCli: (cli.stdout || cli.stderr).trim().replace(/\s+/g, ' '), sdk: `@temporalio/* ${sdk}` };
}

async function main(): Promise<void> {
  const o = program.parse().opts<Options>();
  if (o.quick) {
    if (program.getOptionValueSource('orders') === 'default') o.orders = 200;
    if (program.getOptionValueSource('waiting') === 'default') o.waiting = 1000;
    o.bOrders ??= 100;
    if (program.getOptionValueSource('warmup') === 'default') o.warmup = 20;
  }
  const phases = new Set(o.skipWaiting ? o.phases.filter((p) => p !== 'E') : o.phases);
  const bOrders = o.bOrders ?? Math.min(o.orders, 300);
  const latencyOrders = o.latencyOrders ?? Math.max(50, Math.floor(o.orders / 2));
  const pragmas = o.sqlitePragmas === undefined ? SQLITE_PRAGMAS : o.sqlitePragmas === 'none' ? [] : o.sqlitePragmas.split(',').map((s) => s.trim());
  const tuning = {
    maxCachedWorkflows: o.cache ?? DEFAULT_TUNING.maxCachedWorkflows,
    maxConcurrentActivityTaskExecutions: o.activitySlots ?? DEFAULT_TUNING.maxConcurrentActivityTaskExecutions,
    maxConcurrentWorkflowTaskExecutions: o.workflowTaskSlots ?? DEFAULT_TUNING.maxConcurrentWorkflowTaskExecutions,
  };
  const date = new Date().toISOString().slice(0, 10);
  const outFile = path.resolve(o.out ?? path.join(ROOT, 'bench', 'results', `${date}.md`));
  const base = outFile.replace(/\.md$/, '');
  Runtime.install({ logger: new DefaultLogger('WARN') });

  const cli = await locateTemporalCli();
  const report: BenchReport = {
    date: path.basename(base),
    startedAt: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine: { ...machineInfo(), loadAvgStart: machineInfo().loadAvg },
    versions: versions(cli.path),
    settings: {
      'phases': [...phases].join(','),
      'orders (phase A, phase C)': o.orders,
      'concurrency (API requests / workflow starts)': o.concurrency,
      'latency run orders': latencyOrders,
      'phase B orders per run': bOrders,
      'phase B clock compression': o.scale,
      'phase E waiting orders': phases.has('E') ? o.waiting : 'skipped',
      'payload codec (AES-256-GCM)': o.codec,
      'worker maxCachedWorkflows': tuning.maxCachedWorkflows,
      'worker maxConcurrentActivityTaskExecutions': tuning.maxConcurrentActivityTaskExecutions,
      'worker maxConcurrentWorkflowTaskExecutions': tuning.maxConcurrentWorkflowTaskExecutions,
      'worker CA pool connections (undici)': o.caPool,
      'dev server database': o.inMemory ? 'in memory' : `SQLite file, pragmas ${pragmas.join(', ') || '(none)'}`,
      'simulator': 'in this process, zero delay, signed pushes to the API, product WoTrus RSA DV, one RSA-2048 key for all CSRs',
      'API': 'in this process (fastify), HTTP POST /v1/orders over undici',
      'worker': `child process ${o.workerRuntime === 'compiled' ? '`node dist/src/worker.js` (compiled by tsc first)' : '`node --import tsx src/worker.ts`'}${o.workerBundle === 'prebuilt' ? ' with WORKFLOW_BUNDLE_PATH (bundle built beforehand, as `npm run bundle:workflows` does)' : ' (bundles the workflows at start)'}${o.workerHeapMb ? `, \`--max-old-space-size=${o.workerHeapMb}\`` : ''}${o.mallocArenaMax ? `, MALLOC_ARENA_MAX=${o.mallocArenaMax}` : ''}`,
      'unmeasured warm-up orders': o.warmup,
    },
    notes: [],
  };
  log(`certflow bench: phases ${[...phases].join(',')}, ${o.orders} orders, concurrency ${o.concurrency}, codec ${o.codec}; load ${report.machine.loadAvgStart.join(' ')}`);

  const stackOptions = { codec: o.codec === 'on', worker: 'child' as const, tuning, caPoolConnections: o.caPool, workerBundle: o.workerBundle, workerHeapMb: o.workerHeapMb, workerRuntime: o.workerRuntime, mallocArenaMax: o.mallocArenaMax, workerCpuProfDir: o.workerCpuProf ? path.resolve(o.workerCpuProf) : undefined, log };
  const stack = await startBenchStack({ ...stackOptions, sqlitePragmas: pragmas, inMemory: o.inMemory });
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      if (stopping) return;
      stopping = true;
      log(`${signal}: stopping the stack`);
      void stack.close().finally(() => process.exit(130));
    });
  }
  const targets = (workerPid: number): Record<string, number | 'self'> => ({
    worker: workerPid,
    'dev server': stack.server!.process.pid!,
    'bench process (API + simulator + load)': 'self',
  });
  const write = (): void => {
    fs.mkdirSync(path.dirname(outFile), { recursive: true });
    fs.writeFileSync(outFile, renderReport(report));
    const strip = (k: string, v: unknown): unknown => (k === 'issuedToRetrievedSamples' ? undefined : v);
    fs.writeFileSync(`${base}.json`, `${JSON.stringify(report, strip, 2)}\n`);
    const series = [
      report.aLatency && { name: `push path at ${Math.round(report.aLatency.ratePerSec)} orders/s (half max)`, samples: report.aLatency.issuedToRetrievedSamples, color: '#1f77b4' },
      report.a && { name: `phase A at max rate (${Math.round(report.a.ordersPerSec)} orders/s)`, samples: report.a.issuedToRetrievedSamples, color: '#ff7f0e' },
    ].filter((s): s is { name: string; samples: number[]; color: string } => Boolean(s));
    if (series.length) fs.writeFileSync(`${base}-latency.svg`, latencyCdfSvg(`certflow: CA issued → certificate retrieved (${report.date})`, series, { markers: [{ x: 300, label: 'target p99 300 ms' }] }));
  };
  const workerRss = (): string => {
    const m = stack.worker?.memory();
    return m ? `worker RSS ${Math.round(m.rss / 2 ** 20)} MiB` : '';
  };

  try {
    // Prepare every CSR before anything is timed.
    const prep = async (prefix: string, n: number) => {
      const t = Date.now();
      const orders = await prepareOrders(prefix, n, log);
      log(`prepared ${n} orders (${prefix}) in ${((Date.now() - t) / 1000).toFixed(1)} s`);
      return orders;
    };
    const run = Date.now().toString(36);
    if (o.warmup > 0) {
      report.warmup = await phaseA(stack, { label: 'warm-up', prefix: `W${run}`, orders: await prep(`W${run}`, o.warmup), concurrency: Math.min(8, o.concurrency), progress: log });
    }

    let aIds: string[] = [];
    if (phases.has('A') || phases.has('C')) {
      const orders = await prep(`A${run}`, o.orders);
      aIds = orders.map((x) => x.billingOrderId);
      const sampler = new ResourceSampler(targets(stack.worker!.pid)).start();
      const a = await phaseA(stack, { prefix: `A${run}`, orders, concurrency: o.concurrency, progress: log, extra: workerRss });
      report.a = { ...a, resources: sampler.stop() };
      log(`[phase A] ${a.active}/${a.orders} active in ${a.durationS.toFixed(1)} s = ${a.ordersPerSec.toFixed(1)} orders/s; issued→retrieved p99 ${Math.round(a.issuedToRetrieved.p99)} ms; ${a.calls.total.toFixed(2)} CA calls/order`);
      for (const slow of a.slowest.slice(0, 1)) {
        const gaps = await describeGaps(stack.client, `order-${slow.billingOrderId}`).catch((err: unknown) => [`history unavailable: ${(err as Error).message}`]);
        report.notes.push(`Slowest order of phase A (${slow.billingOrderId}, ${Math.round(slow.ms)} ms POST → active); its history's waits of 1 s or more: ${gaps.length ? gaps.join('; ') : 'none'}.`);
      }
      report.shape = await orderShape(stack, aIds);
      log(`order shape: ${report.shape.activities.toFixed(1)} activities, ${report.shape.localActivities.toFixed(1)} local activities, ${report.shape.timers.toFixed(1)} timers, ${report.shape.signals.toFixed(1)} signals, ${report.shape.workflowTasks.toFixed(1)} workflow tasks per order`);
      write();

      if (phases.has('A')) {
        // Latency at half the maximum rate, on the push path: the CA takes 500 ms per step so the workflow waits on its poll timer.
        const rate = Math.max(1, a.ordersPerSec / 2);
        const delays = { dcvMs: 500, issueMs: 500 };
        stack.sim.state.updateSettings({ delays });
        const lat = await prep(`L${run}`, latencyOrders);
        const s2 = new ResourceSampler(targets(stack.worker!.pid)).start();
        const l = await phaseA(stack, { label: 'latency run', prefix: `L${run}`, orders: lat, concurrency: o.concurrency, ratePerSec: rate, progress: log, extra: workerRss });
        stack.sim.state.updateSettings({ delays: { dcvMs: 0, issueMs: 0 } });
        report.aLatency = { ...l, ratePerSec: rate, delays: 'auto-submit 0, DCV 500 ms, issuance 500 ms', resources: s2.stop() };
        log(`[latency] at ${rate.toFixed(1)} orders/s: issued→retrieved p50 ${Math.round(l.issuedToRetrieved.p50)} p95 ${Math.round(l.issuedToRetrieved.p95)} p99 ${Math.round(l.issuedToRetrieved.p99)} ms`);
        write();
      }
    }

    if (phases.has('C')) {
      const shape = bareShapeFor(report.shape ?? { sampled: 0, activities: 3, localActivities: 3, timers: 1, signals: 2, workflowTasks: 0, upserts: 0, events: 0 });
      report.bareShape = shape;
      const bare = await startBareWorker({ mode: 'child', client: stack.client, address: stack.address, tuning, logFile: path.join(stack.tmpDir, 'bare-worker.log') });
      try {
        const sampler = new ResourceSampler({ 'bare worker': bare.pid!, 'dev server': stack.server!.process.pid!, 'bench process (client)': 'self' }).start();
        const c = await phaseC(stack, bare, { prefix: `C${run}`, n: o.orders, concurrency: o.concurrency, shape, progress: log });
        report.c = { ...c, resources: sampler.stop() };
        log(`[phase C] bare: ${c.active}/${c.runs} in ${c.durationS.toFixed(1)} s = ${c.ordersPerSec.toFixed(1)} runs/s${report.a ? `; certflow ÷ bare = ${(report.a.ordersPerSec / c.ordersPerSec).toFixed(2)}` : ''}`);
      } finally {
        await bare.stop();
      }
      write();
    }

    if (phases.has('B')) {
      const scenario: Scenario = { name: 'DCV 4 h', submitMs: MINUTE, dcvMs: 4 * HOUR, issueMs: 10 * MINUTE };
      report.b = [];
      for (const pushes of [false, true]) {
        const prefix = `B${pushes ? 'p' : 'n'}${run}`;
        const b = await phaseB(stack, { label: `phase B, ${pushes ? 'pushes on' : 'polling only'}`, prefix, orders: await prep(prefix, bOrders), concurrency: o.concurrency, scenario, factor: o.scale, pushes, progress: log });
        report.b.push(b);
        log(`[${b.label}] ${b.run.calls.total.toFixed(2)} CA calls/order (model ${b.modelCalls.toFixed(1)}, cron ${b.cronCalls.toFixed(1)})`);
        write();
      }
      // Polling only at zero delay and the production policy: phase A without the push signals.
      const prefix = `Z${run}`;
      stack.sim.state.setFaults({ dropPushRate: 1 });
      try {
        report.bZero = await phaseA(stack, { label: 'phase B0, polling only, zero delay', prefix, orders: await prep(prefix, Math.min(o.orders, 500)), concurrency: o.concurrency, progress: log });
      } finally {
        stack.sim.state.clearFaults();
      }
      write();
    }

    if (phases.has('D')) {
      report.d = phaseD();
      write();
    }

    if (phases.has('E')) {
      const orders = await prep(`E${run}`, o.waiting);
      const sampler = new ResourceSampler(targets(stack.worker!.pid)).start();
      const e = await phaseE(stack, {
        prefix: `E${run}`,
        orders,
        concurrency: o.concurrency,
        progress: log,
        memory: () => stack.worker?.memory(),
        rss: () => sampler.rss('worker'),
        onHeld: (interim) => {
          report.e = interim;
          write();
        },
      });
      report.e = { ...e, resources: sampler.stop() };
      log(`[phase E] ${e.waiting} waiting: worker RSS peak ${Math.round((e.workerRssPeakBytes ?? 0) / 2 ** 20)} MiB; drain ${(e.drainPerSec ?? 0).toFixed(1)} orders/s`);
      write();
    }
  } finally {
    report.finishedAt = new Date().toISOString();
    report.machine.loadAvgEnd = machineInfo().loadAvg;
    write();
    await stack.close();
  }
  if (o.cluster && (phases.has('A') || phases.has('C'))) {
    const shardCounts = o.cluster === true ? [DEFAULT_SHARDS] : o.cluster.split(',').map((x) => positiveInt('--cluster')(x.trim()));
    report.engines = [{ engine: 'dev server (1 shard, SQLite)', a: report.a!, c: report.c }];
    for (const shards of shardCounts) {
      log(`[cluster] phases A and C again on a real cluster: ${shards} history shards, PostgreSQL`);
      report.engines.push(await runOnCluster({ stack: stackOptions, shards, orders: o.orders, concurrency: o.concurrency, warmup: o.warmup, bareShape: phases.has('C') ? report.bareShape : undefined, log }));
      write();
    }
    report.finishedAt = new Date().toISOString();
    report.machine.loadAvgEnd = machineInfo().loadAvg;
    write();
  }
  process.stdout.write(renderReport(report));
  log(`report: ${path.relative(process.cwd(), outFile)} (+ ${path.basename(base)}-latency.svg, ${path.basename(base)}.json)`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);

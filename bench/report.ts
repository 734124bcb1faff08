/** The benchmark's report: one markdown document (stdout and bench/results/<date>.md). */
import type { BareRunResult } from './bare';
import type { BareShape } from './bare-shared';
import type { EngineRun } from './engines';
import type { OrderRunResult } from './load';
import type { CronRow, PhaseBResult, PhaseEResult } from './phases';
import { mib, type ResourceUse } from './proc';
import type { HistoryShape } from './shape';
import { type LatencySummary, round } from './stats';

export interface BenchReport {
  date: string;
  startedAt: string;
  finishedAt?: string;
  command: string;
  machine: { nproc: number; memoryGiB: number; cpuModel: string; kernel: string; loadAvgStart: number[]; loadAvgEnd?: number[] };
  versions: { node: string; temporalCli: string; sdk: string };
  settings: Record<string, string | number | boolean>;
  warmup?: OrderRunResult;
  a?: OrderRunResult & { resources?: Record<string, ResourceUse> };
  aLatency?: OrderRunResult & { ratePerSec: number; delays: string; resources?: Record<string, ResourceUse> };
  shape?: HistoryShape;
  b?: PhaseBResult[];
  bZero?: OrderRunResult;
  c?: BareRunResult & { resources?: Record<string, ResourceUse> };
  bareShape?: BareShape;
  d?: CronRow[];
  e?: PhaseEResult & { resources?: Record<string, ResourceUse> };
  /** Phases A and C on each engine of the run (`--cluster`). */
  engines?: EngineRun[];
  notes: string[];
}

const f = (n: number | undefined, d = 1): string => (n === undefined || Number.isNaN(n) ? '–' : String(round(n, d)));
const ms = (s: LatencySummary): string => `${f(s.p50, 0)} / ${f(s.p95, 0)} / ${f(s.p99, 0)} / ${f(s.max, 0)}`;
const check = (ok: boolean | undefined): string => (ok === undefined ? '–' : ok ? '**met**' : '**not met**');

function callsRow(r: OrderRunResult): string {
  const c = r.calls;
  return `${f(c.create, 2)} | ${f(c.query, 2)} | ${f(c.retrieve, 2)} | ${f(c.email, 2)} | ${f(c.cancel + c.revoke + c.reissue, 2)} | **${f(c.total, 2)}**`;
}

function resourcesTable(title: string, res: Record<string, ResourceUse> | undefined, units?: number): string[] {
  if (!res) return [];
  const out = [`${title}`, '', '| process | CPU s | CPU ms per order | cores busy (avg) | RSS peak MiB | RSS end MiB |', '| --- | --- | --- | --- | --- | --- |'];
  let total = 0;
  for (const [name, u] of Object.entries(res)) {
    total += u.cpuSeconds;
    out.push(`| ${name} | ${f(u.cpuSeconds)} | ${units ? f((u.cpuSeconds * 1000) / units, 0) : '–'} | ${f(u.cores, 2)} | ${f(mib(u.rssPeakBytes))} | ${f(mib(u.rssEndBytes))} |`);
  }
  out.push(`| all | ${f(total)} | ${units ? f((total * 1000) / units, 0) : '–'} | | | |`);
  return [...out, ''];
}

export function renderReport(r: BenchReport): string {
  const L: string[] = [];
  L.push(`# certflow benchmark — ${r.date}`, '');
  L.push(`Run \`${r.command}\` from ${r.startedAt} to ${r.finishedAt ?? '(unfinished)'}.`, '');
  L.push('## Machine and versions', '');
  L.push('| | |', '| --- | --- |');
  L.push(`| CPU | ${r.machine.nproc} × ${r.machine.cpuModel} |`);
  L.push(`| memory | ${r.machine.memoryGiB} GiB |`);
  L.push(`| kernel | ${r.machine.kernel} |`);
  L.push(`| load average (1/5/15 min) at start / end | ${r.machine.loadAvgStart.join(' ')} / ${r.machine.loadAvgEnd?.join(' ') ?? '–'} |`);
  L.push(`| Node.js | ${r.versions.node} |`);
  L.push(`| Temporal CLI / server | ${r.versions.temporalCli} |`);
  L.push(`| Temporal TypeScript SDK | ${r.versions.sdk} |`);
  L.push('');
  L.push('## Settings', '');
  L.push('| setting | value |', '| --- | --- |');
  for (const [k, v] of Object.entries(r.settings)) L.push(`| ${k} | ${v} |`);
  L.push('');

  // Headline against the targets.
  const a = r.a;
  const ratio = a && r.c ? a.ordersPerSec / r.c.ordersPerSec : undefined;
  const ratio95 = a && r.c ? a.ordersPerSec95 / r.c.ordersPerSec95 : undefined;
  const cronRow = r.b?.find((b) => b.pushes) ?? r.b?.[0];
  L.push('## Targets', '');
  L.push('| target | measured | |', '| --- | --- | --- |');
  if (a) {
    L.push(`| ≥ 0.8 × bare workflow rate, end to end with pushes | all orders: ${f(a.ordersPerSec)} orders/s vs ${f(r.c?.ordersPerSec)} bare = **${f(ratio, 2)}**; first 95 %: ${f(a.ordersPerSec95)} vs ${f(r.c?.ordersPerSec95)} = ${f(ratio95, 2)} | ${check(ratio === undefined ? undefined : ratio >= 0.8)} |`);
    L.push(`| ≥ 25 orders/s absolute | ${f(a.ordersPerSec)} orders/s | ${check(a.ordersPerSec >= 25)} |`);
    L.push(`| ≤ 5 CA calls per issued order with pushes | ${f(a.calls.total, 2)} | ${check(a.calls.total <= 5)} |`);
  }
  if (r.aLatency) L.push(`| push → certificate retrieved p99 ≤ 300 ms at half the maximum rate | p99 ${f(r.aLatency.issuedToRetrieved.p99, 0)} ms at ${f(r.aLatency.ratePerSec)} orders/s | ${check(r.aLatency.issuedToRetrieved.p99 <= 300)} |`);
  if (cronRow) {
    for (const b of r.b ?? []) {
      const rr = b.run.calls.total / b.cronCalls;
      L.push(`| ≤ 0.3 × cron poller's CA calls (${b.scenario.name}, ${b.pushes ? 'pushes' : 'polling only'}) | ${f(b.run.calls.total, 1)} vs ${f(b.cronCalls, 1)} = **${f(rr, 2)}** | ${check(rr <= 0.3)} |`);
    }
  }
  if (r.e) L.push(`| worker RSS ≤ 350 MB with ${r.e.waiting} orders waiting | ${f(mib(r.e.workerRssPeakBytes))} MiB peak (${f((r.e.workerRssPeakBytes ?? 0) / 1e6)} MB) | ${check(r.e.workerRssPeakBytes === undefined ? undefined : r.e.workerRssPeakBytes <= 350e6)} |`);
  L.push('');

  const runTable = (runs: (OrderRunResult | undefined)[]): void => {
    L.push('| run | orders | accepted | active | CA orders | API accept rate /s | 50 % / 95 % / all active at s | **orders/s** (all) | orders/s (first 95 %) | issued→retrieved p50/p95/p99/max ms | POST→active p50/p95/p99/max ms |');
    L.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const x of runs) {
      if (!x) continue;
      L.push(`| ${x.label}${x.timedOut ? ' (timed out)' : ''} | ${x.orders} | ${x.accepted} | ${x.active} | ${x.caOrders} | ${f(x.acceptedPerSec)} | ${f(x.completion.p50S)} / ${f(x.completion.p95S)} / ${f(x.durationS)} | **${f(x.ordersPerSec)}** | ${f(x.ordersPerSec95)} | ${ms(x.issuedToRetrieved)} | ${ms(x.createToActive)} |`);
    }
    L.push('');
  };

  if (a || r.aLatency || r.bZero) {
    L.push('## Phase A — orders through the API, simulator at zero delay, pushes on', '');
    runTable([a, r.aLatency, r.bZero]);
    if (r.aLatency) L.push(`The latency run places orders at half the measured maximum rate (${f(r.aLatency.ratePerSec)} orders/s) with CA delays ${r.aLatency.delays}, so every order is parked on its poll timer when the CA issues and only the push wakes it: "issued → retrieved" is the push path (simulator push → API → visibility lookup → signal → status read → RetrievePem).`, '');
    if (r.bZero) L.push('`phase B0` is phase A with every push dropped (polling only, production policy): at zero CA delay the first status read already finds the order issued, so it shows the cost of the push signals rather than of polling.', '');
    L.push('CA calls per active order, by operation:', '');
    L.push('| run | create | query | retrieve | email | other | total |', '| --- | --- | --- | --- | --- | --- | --- |');
    for (const x of [a, r.aLatency, r.bZero]) if (x) L.push(`| ${x.label} | ${callsRow(x)} |`);
    L.push('');
    for (const x of [a, r.aLatency, r.bZero]) if (x) L.push(`Pushes (${x.label}): ${x.counters.pushes.sent} sent, ${x.counters.pushes.acknowledged} acknowledged, ${x.counters.pushes.failed} failed, ${x.counters.pushes.dropped} dropped.`);
    L.push('');
    const receivers = [a, r.aLatency, r.bZero].filter((x) => x?.receiver);
    if (receivers.length > 0) {
      L.push('The API\'s push receiver in the same runs (`GET /v1/ca/wotrus/push/stats`): a visibility look-up only for a CA order id neither cache knows, so look-ups stay well under pushes.', '');
      L.push('| run | pushes read | signalled | deferred (window) | 404 unknown | look-ups | cache hits | negative-cache hits |', '| --- | --- | --- | --- | --- | --- | --- | --- |');
      for (const x of receivers) {
        const d = x!.receiver!;
        L.push(`| ${x!.label} | ${d.received} | ${d.signalled} | ${d.deferred} | ${d.refusedUnknown} | ${d.lookUps} | ${d.cacheHits} | ${d.negativeHits} |`);
      }
      L.push('');
    }
    L.push(...resourcesTable('Processes during phase A (throughput run):', a?.resources, a?.active));
    L.push(...resourcesTable('Processes during the latency run:', r.aLatency?.resources, r.aLatency?.active));
    if (a?.errors.length) L.push('First API errors:', '', ...a.errors.map((e) => `- ${e}`), '');
    L.push(`![latency CDF](${r.date}-latency.svg)`, '');
  }

  if (r.shape) {
    L.push('## An order\'s cost to the engine (histories)', '');
    L.push(`Averaged over ${r.shape.sampled} order histories of phase A: ${f(r.shape.activities)} activities, ${f(r.shape.localActivities)} local activities (inline CA reads and checks), ${f(r.shape.timers)} timers, ${f(r.shape.signals)} signals, ${f(r.shape.workflowTasks)} workflow tasks, ${f(r.shape.upserts)} search-attribute upserts (visibility writes), ${f(r.shape.events)} history events.`, '');
  }

  if (r.c) {
    L.push('## Phase C — the engine\'s own limit (bare workflow)', '');
    L.push(`\`bench/bare-workflow.ts\` with ${r.c.shape.activities} no-op activities, ${r.c.shape.localActivities} no-op local activities, ${r.c.shape.signals} signals and ${r.c.shape.timers} timers per run (an order's shape), no codec, started with the Temporal client at the same concurrency, its own worker child with the same tuning, on the same server.`, '');
    L.push('| run | runs | active | all active at s | **runs/s** (all) | runs/s (first 95 %) | certflow ÷ bare (all / 95 %) |', '| --- | --- | --- | --- | --- | --- | --- |');
    L.push(`| ${r.c.label}${r.c.timedOut ? ' (timed out)' : ''} | ${r.c.runs} | ${r.c.active} | ${f(r.c.durationS)} | **${f(r.c.ordersPerSec)}** | ${f(r.c.ordersPerSec95)} | ${f(ratio, 2)} / ${f(ratio95, 2)} |`);
    L.push('');
    L.push(...resourcesTable('Processes during phase C:', r.c.resources, r.c.active));
  }

  if (r.engines?.length) {
    L.push('## The engines side by side — phases A and C on the dev server and on a real cluster', '');
    L.push('The same orders, worker settings and bare workflow on each engine, one after the other in this run: the dev server (one history shard, one SQLite writer, SQLite visibility) and the cluster of `npm run cluster` (the Temporal server with 4 history shards, persistence and SQL visibility on PostgreSQL). CPU per order counts every process of the engine, PostgreSQL\'s backends included.', '');
    L.push('| engine | phase A orders/s | phase C runs/s | certflow ÷ bare | CPU ms per order (phase A), by process | CPU ms per run (phase C), by process |', '| --- | --- | --- | --- | --- | --- |');
    const perOrder = (res: Record<string, ResourceUse> | undefined, n: number | undefined): string =>
      res && n ? Object.entries(res).map(([name, u]) => `${name} ${f((u.cpuSeconds * 1000) / n, 0)}`).join('; ') : '–';
    for (const e of r.engines) {
      L.push(`| ${e.engine} | **${f(e.a.ordersPerSec)}** | ${f(e.c?.ordersPerSec)} | ${e.c ? f(e.a.ordersPerSec / e.c.ordersPerSec, 2) : '–'} | ${perOrder(e.a.resources, e.a.active)} | ${perOrder(e.c?.resources, e.c?.active)} |`);
    }
    L.push('');
    for (const e of r.engines.slice(1)) {
      L.push(...resourcesTable(`Processes during phase A on ${e.engine}:`, e.a.resources, e.a.active));
      if (e.c) L.push(...resourcesTable(`Processes during phase C on ${e.engine}:`, e.c.resources, e.c.active));
    }
  }

  if (r.b?.length) {
    L.push('## Phase B — a realistic CA on a compressed clock: polling only and with pushes', '');
    const b0 = r.b[0]!;
    L.push(`Scenario "${b0.scenario.name}": auto-submit ${b0.scenario.submitMs / 60_000} min, DCV ${b0.scenario.dcvMs / 60_000} min, issuance ${b0.scenario.issueMs / 60_000} min. The simulator's delays and certflow's polling policy (first poll 60 s, ×2, at most 1 h) are both divided by ${b0.factor} (policy overrides of the bench's order service, \`OrderServiceDeps.policyOverrides\`), so the CA calls are those of the real durations; the API's push dedupe window (30 s of real time) is not compressed, so the first two pushes of an order (same key) signal once; the model accounts for it.`, '');
    L.push('| run | orders | active | create | query | retrieve | email | **total** | model | cron poller (5 min) | certflow ÷ cron |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const b of r.b) {
      const c = b.run.calls;
      L.push(`| ${b.label}${b.run.timedOut ? ' (timed out)' : ''} | ${b.run.orders} | ${b.run.active} | ${f(c.create, 2)} | ${f(c.query, 2)} | ${f(c.retrieve, 2)} | ${f(c.email, 2)} | **${f(c.total, 2)}** | ${f(b.modelCalls)} | ${f(b.cronCalls)} | ${f(c.total / b.cronCalls, 2)} |`);
    }
    L.push('');
  }

  if (r.d?.length) {
    L.push('## Phase D — certflow against a 5-minute cron poller (CA calls per order)', '');
    L.push('Model of both schedules (bench/cron-model.ts). Phase B measures the same schedule on a compressed clock and finds fewer reads than the model (at 1/600 scale the latency of each read (seconds under load) stretches intervals of 0.1–6 s); at real durations that latency is negligible, so the model is the figure for real time. Each includes create, retrieve and the customer e-mail. The cron poller reads every pending order every 5 minutes (its first tick uniformly within 5 minutes of the create); certflow reads at once, then after 1, 2, 4 … 60 minutes, resetting to 1 minute on a status change or a push, and at once on each push.', '');
    L.push('| scenario (submit 1 min, issuance 10 min) | cron poller | certflow polling only | ratio | certflow with pushes | ratio | with pushes, first poll 10 min | ratio |', '| --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const d of r.d) {
      L.push(`| ${d.scenario.name} | ${f(d.cron)} | ${f(d.certflowPolling)} | ${f(d.certflowPolling / d.cron, 2)} | ${f(d.certflowPushes)} | ${f(d.certflowPushes / d.cron, 2)} | ${f(d.certflowPushesSlowPoll)} | ${f(d.certflowPushesSlowPoll / d.cron, 2)} |`);
    }
    if (a) L.push('', `At the simulator's zero delay (phase A) a cron poller would make 4 calls per order (create, one read at its first tick, retrieve, e-mail) against certflow's measured ${f(a.calls.total, 2)}: with no waiting there is nothing to save; the difference is latency (up to 5 minutes for the cron poller).`);
    L.push('');
  }

  if (r.e) {
    const e = r.e;
    L.push('## Phase E — orders waiting at pendingDCV, then released', '');
    L.push(`${e.waiting} orders placed (${e.accepted} accepted) in ${f(e.createS)} s and held at pendingDCV (DCV delay 1 day; production polling policy). Worker sticky cache: ${e.maxCachedWorkflows} workflows.`, '');
    L.push('| while waiting | value |', '| --- | --- |');
    L.push(`| worker RSS (peak / last) | ${f(mib(e.workerRssPeakBytes))} / ${f(mib(e.workerRssBytes))} MiB |`);
    L.push(`| worker main-thread V8 heap used (peak / last) | ${f(mib(e.workerHeapUsedPeakBytes))} / ${f(mib(e.workerHeapUsedBytes))} MiB (workflow isolates live in worker threads: RSS only) |`);
    L.push(`| dev server SQLite (db + WAL) | ${f(mib(e.dbBytes))} MiB (${f((e.dbBytes ?? 0) / Math.max(1, e.waiting) / 1024)} KiB per order, after all earlier phases) |`);
    if (e.release) {
      L.push(`| drain on release | ${e.release.active}/${e.waiting} active in ${f(e.drainS)} s = **${f(e.drainPerSec)} orders/s**${e.release.timedOut ? ' (gave up)' : ''} |`);
      L.push(`| CA calls per order (placing, waiting and drain) | ${f(e.release.calls.total, 2)} (query ${f(e.release.calls.query, 2)}) |`);
    } else {
      L.push('| drain on release | (not finished when this report was written) |');
    }
    L.push('');
    L.push(...resourcesTable('Processes during phase E (placing, waiting, drain; per order):', e.resources, e.waiting));
  }

  if (r.notes.length) L.push('## Notes', '', ...r.notes.map((n) => `- ${n}`), '');
  return `${L.join('\n')}\n`;
}

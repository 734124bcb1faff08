/**
 * `npm run test:faults`: every fault scenario at full size (test/faults/), a progress line per
 * phase, then the table. `-- --report` also rewrites docs/reliability.md with the measured
 * results; `-- --only=kill-worker,pushes` runs some; `-- --smoke` runs the small sizes.
 * Exits non-zero when any check failed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SCENARIOS, type ScenarioResult, reliabilityMarkdown, terminalTable } from '.';
import { killAllChildren } from './support/worker-process';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const report = args.includes('--report');
  const size = args.includes('--smoke') ? 'smoke' : 'full';
  const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',').filter(Boolean);
  const unknown = only?.filter((id) => !SCENARIOS.some((s) => s.id === id)) ?? [];
  if (unknown.length) {
    process.stderr.write(`unknown scenario(s): ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.id).join(', ')}\n`);
    process.exit(2);
  }
  // Ctrl-C: the dev servers and workers this run started go with it.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAllChildren();
      process.exit(130);
    });
  }
  const started = new Date();
  const log = (line: string): void => void process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
  const results: ScenarioResult[] = [];
  for (const scenario of SCENARIOS.filter((s) => !only || only.includes(s.id))) {
    log(`[${scenario.id}] ${scenario.title}: starting (${size})`);
    try {
      const result = await scenario.run({ size, log });
      results.push(result);
      const failed = result.checks.filter((c) => !c.ok);
      log(`[${scenario.id}] ${failed.length === 0 ? 'passed' : `FAILED: ${failed.map((c) => c.name).join('; ')}`} in ${(result.durationMs / 1000).toFixed(0)} s`);
    } catch (err) {
      log(`[${scenario.id}] crashed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      results.push({ id: scenario.id, title: scenario.title, fault: '(scenario crashed)', orders: 0, finalStates: {}, duplicates: '—', durationMs: 0, figures: {}, checks: [{ name: 'scenario ran', ok: false, detail: err instanceof Error ? err.message : String(err) }] });
    }
  }
  const durationMs = Date.now() - started.getTime();
  process.stdout.write(`\n${terminalTable(results)}\n`);
  if (report) {
    const file = path.resolve(__dirname, '../../docs/reliability.md');
    fs.writeFileSync(file, reliabilityMarkdown(results, { startedAt: started, durationMs, command: `npm run test:faults -- ${args.join(' ')}`.trim() }));
    log(`wrote ${path.relative(process.cwd(), file)}`);
  }
  const failed = results.some((r) => r.checks.some((c) => !c.ok));
  process.exit(failed ? 1 : 0);
}

main().catch((err: unknown) => {
  process.stderr.write(`faults: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

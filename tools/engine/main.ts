/**
 * `npm run engine`: makes sure the Temporal CLI (dev server), the Temporal server with its SQL
 * tool (the cluster) and the Java time-skipping test server are in the per-user cache,
 * building/resolving them once. Used by .ci/run; `npm run engine -- cli` prepares one.
 */
import { locateTemporalCli } from './locator';
import { ensureTemporalServer } from './server-build';
import { ensureTestServer } from './test-server';
import { stderrProgress } from './progress';

async function main(): Promise<void> {
  const what = new Set(process.argv.slice(2));
  if (what.size === 0 || what.has('cli')) {
    const cli = await locateTemporalCli({ progress: stderrProgress });
    stderrProgress(`Temporal CLI: ${cli.path} (${cli.source})`);
  }
  if (what.size === 0 || what.has('server')) {
    const build = await ensureTemporalServer(stderrProgress);
    stderrProgress(`Temporal server: ${build.server}; temporal-sql-tool: ${build.sqlTool}`);
  }
  if (what.size === 0 || what.has('test-server')) {
    stderrProgress(`time-skipping test server: ${await ensureTestServer(stderrProgress)}`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

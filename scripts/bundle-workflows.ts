/**
 * `npm run bundle:workflows -- [--out dist/workflow-bundle.js] [--failures encoded|plain]`:
 * builds the workflow bundle once, for workers started with WORKFLOW_BUNDLE_PATH (see
 * src/workflow-bundle.ts). `encoded` (default) matches a worker with codec keys.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { type FailureEncoding, writeWorkflowBundle } from '../src/workflow-bundle';

const program = new Command('bundle:workflows')
  .option('--out <file>', 'where to write the bundle', 'dist/workflow-bundle.js')
  .addOption(new Option('--failures <encoding>', 'failure converter built in: encoded (worker with CODEC_KEYS) or plain').choices(['encoded', 'plain']).default('encoded'))
  .parse();

async function main(): Promise<void> {
  const o = program.opts<{ out: string; failures: FailureEncoding }>();
  const out = path.resolve(o.out);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  process.stdout.write(`bundling the workflows (${o.failures} failures) …\n`);
  const started = Date.now();
  const { bytes } = await writeWorkflowBundle(out, o.failures);
  process.stdout.write(`wrote ${path.relative(process.cwd(), out)} (${(bytes / 2 ** 20).toFixed(1)} MiB) and its .meta.json in ${((Date.now() - started) / 1000).toFixed(1)} s; start workers with WORKFLOW_BUNDLE_PATH=${out}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bundle:workflows: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

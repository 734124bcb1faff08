/**
 * Prebuilt workflow bundles. A worker that bundles at start loads webpack and keeps ~100 MiB
 * of its leftovers for life (measured by the benchmark); production builds the bundle once
 * (`npm run bundle:workflows`, the Dockerfile does) and points WORKFLOW_BUNDLE_PATH at it.
 *
 * A bundle carries the failure converter chosen when it was built, and the payload codec
 * only encrypts failure messages if that converter encodes them. The sidecar file records
 * which one was built in, so a worker with codec keys refuses a bundle that would write
 * error messages (which can quote personal data) to history in plain text, and vice versa.
 */
import fs from 'node:fs';
import type { DataConverter } from '@temporalio/common';
import type { WorkflowBundlePath } from '@temporalio/worker';
import { ConfigError } from './config';
import { FAILURE_CONVERTER_PATH } from './temporal/data-converter';
import { bundleWorkflows } from './worker-factory';

export type FailureEncoding = 'encoded' | 'plain';

interface BundleMeta {
  format: 1;
  failures: FailureEncoding;
  builtAt: string;
}

const metaPath = (bundlePath: string): string => `${bundlePath}.meta.json`;

export async function writeWorkflowBundle(outFile: string, failures: FailureEncoding): Promise<{ bytes: number }> {
  const bundle = await bundleWorkflows(failures === 'encoded' ? { failureConverterPath: FAILURE_CONVERTER_PATH } : undefined);
  fs.writeFileSync(outFile, bundle.code);
  fs.writeFileSync(metaPath(outFile), `${JSON.stringify({ format: 1, failures, builtAt: new Date().toISOString() } satisfies BundleMeta, null, 2)}\n`);
  return { bytes: Buffer.byteLength(bundle.code) };
}

/** The bundle at `bundlePath` for a worker with this data converter, or an error naming the variable and what to do. */
export function loadWorkflowBundle(bundlePath: string, dataConverter: DataConverter): WorkflowBundlePath {
  const problem = (rule: string): ConfigError => new ConfigError([{ variable: 'WORKFLOW_BUNDLE_PATH', rule, value: JSON.stringify(bundlePath) }]);
  if (!fs.existsSync(bundlePath)) throw problem('no such file; build it with `npm run bundle:workflows -- --out <file>`');
  let meta: BundleMeta;
  try {
    meta = JSON.parse(fs.readFileSync(metaPath(bundlePath), 'utf8')) as BundleMeta;
  } catch {
    throw problem(`no readable ${metaPath(bundlePath)} beside it; build the bundle with \`npm run bundle:workflows\``);
  }
  const wanted: FailureEncoding = dataConverter.failureConverterPath ? 'encoded' : 'plain';
  if (meta.format !== 1 || meta.failures !== wanted) {
    throw problem(
      wanted === 'encoded'
        ? 'the bundle was built with plain failures but codec keys are configured, so error messages would reach history unencrypted; rebuild with `npm run bundle:workflows -- --failures encoded`'
        : 'the bundle encodes failures but no codec keys are configured; rebuild with `npm run bundle:workflows -- --failures plain` or configure CODEC_KEYS',
    );
  }
  return { codePath: bundlePath };
}

/**
 * The determinism gate: every recorded history in test/histories replays against the
 * PRODUCTION workflow bundle (bundleWorkflows with the codec's failure converter), with the
 * production data converter (AES-GCM codec, here with the committed test-only key) and no
 * interceptors beyond the SDK defaults — exactly what src/worker.ts runs. Each history is
 * replayed with its own workflow id (sdk-typescript #1790: child workflow ids derive from it).
 *
 * A failure names the history file and carries the SDK's message, which names the event.
 * Never re-record a history to make this pass: see docs/workflow-versioning.md.
 */
import { type ReplayResult, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { bundleWorkflows } from '../../src/worker-factory';
import { type LoadedHistory, historyFiles, loadHistory, readManifest, replayDataConverter } from '../support/replay';
import { installTestRuntime } from '../support/runtime';

installTestRuntime();

const files = historyFiles();
const results = new Map<string, ReplayResult>();
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  const dataConverter = replayDataConverter();
  bundle = await bundleWorkflows(dataConverter);
  const manifest = readManifest();
  const loaded: LoadedHistory[] = files.map((f) => loadHistory(f, manifest));
  // One replay worker for all histories; results come back in the order they were fed.
  async function* feed(): AsyncGenerator<{ workflowId: string; history: LoadedHistory['history'] }> {
    for (const h of loaded) yield { workflowId: h.entry.workflowId, history: h.history };
  }
  let i = 0;
  for await (const result of Worker.runReplayHistories({ workflowBundle: bundle, dataConverter, replayName: 'certflow-replay' }, feed())) {
    results.set(loaded[i]!.file, result);
    i += 1;
  }
});

describe('recorded histories replay deterministically', () => {
  it('covers every branch of the workflow tests (at least 12 histories, all three workflow types)', () => {
    expect(files.length).toBeGreaterThanOrEqual(12);
    const types = new Set(files.map((f) => readManifest()[f]?.workflowType));
    expect([...types].sort()).toEqual(['boundOrderWorkflow', 'orderWorkflow', 'reissueWorkflow', 'revokeWorkflow']);
  });

  it.each(files)('%s', (file) => {
    const result = results.get(file);
    if (!result) throw new Error(`${file}: no replay result (the replay worker stopped early)`);
    if (result.error) {
      const e = result.error as Error;
      throw new Error(`${file} (workflow id ${result.workflowId}, run ${result.runId}) does not replay: ${e.name}: ${e.message}`);
    }
  });
});

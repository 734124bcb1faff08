/**
 * The replay net has teeth: changed workflow code, bundled here from TEST fixtures only,
 * replayed against recorded histories. See docs/workflow-versioning.md.
 *
 * 1. A non-deterministic edit (a timer before the CA order is created) fails with a
 *    DeterminismViolationError naming the event.
 * 2. The poll-jitter-v2 change (src/workflows/await-issuance.ts) without its patched() gate,
 *    and the code from before it (a rollback), against histories from before and after it.
 */
import path from 'node:path';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker, type WorkflowBundleWithSourceMap, bundleWorkflowCode } from '@temporalio/worker';
import type { Compiler } from 'webpack';
import { WORKFLOWS_PATH } from '../../src/worker-factory';
import { loadHistory, patchMarkers, readManifest, replayDataConverter } from '../support/replay';
import { installTestRuntime } from '../support/runtime';

// Core logs at ERROR only: the expected failures would otherwise be logged as warnings.
installTestRuntime();

const dataConverter = replayDataConverter();
const quiet = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const AWAIT_ISSUANCE = path.join('src', 'workflows', 'await-issuance.ts');

/**
 * Bundles workflow code like production (bundleWorkflows), optionally giving
 * src/workflows/await-issuance.ts — and nothing else — a stand-in for '@temporalio/workflow'.
 */
function bundle(workflowsPath: string, workflowModuleForAwaitIssuance?: string): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath,
    logger: quiet,
    failureConverterPath: dataConverter.failureConverterPath,
    webpackConfigHook: (config) => {
      if (!workflowModuleForAwaitIssuance) return config;
      const swap = {
        apply(compiler: Compiler) {
          compiler.hooks.normalModuleFactory.tap('certflow-patch-stand-in', (factory) => {
            factory.hooks.beforeResolve.tap('certflow-patch-stand-in', (data) => {
              if (data.request === '@temporalio/workflow' && (data.contextInfo.issuer ?? '').endsWith(AWAIT_ISSUANCE)) data.request = workflowModuleForAwaitIssuance;
            });
          });
        },
      };
      return { ...config, plugins: [...(config.plugins ?? []), swap] };
    },
  });
}

/** Replays one history file; resolves with the error, or undefined when it replays. */
async function replay(workflowBundle: WorkflowBundleWithSourceMap, file: string): Promise<Error | undefined> {
  const { entry, history } = loadHistory(file);
  try {
    await Worker.runReplayHistory({ workflowBundle, dataConverter, replayName: 'certflow-negative' }, history, entry.workflowId);
    return undefined;
  } catch (err) {
    return err as Error;
  }
}

const manifest = readManifest();
const preJitter = Object.keys(manifest).filter((f) => manifest[f]!.code === 'pre-poll-jitter-v2');
const postJitter = Object.keys(manifest).filter((f) => manifest[f]!.code === 'poll-jitter-v2');
/** Histories whose workflows reached a poll wait with the patched code: they carry the marker. */
const withMarker = postJitter.filter((f) => patchMarkers(f).includes('poll-jitter-v2'));

describe('a non-deterministic change fails replay', () => {
  let changed: WorkflowBundleWithSourceMap;
  beforeAll(async () => {
    changed = await bundle(require.resolve('./fixtures/changed-workflows'));
  });

  it.each(['order-happy-path-pushes.json', 'order-ov-review.json'])('a timer before the CA order is created: %s raises DeterminismViolationError', async (file) => {
    const err = await replay(changed, file);
    expect(err).toBeInstanceOf(DeterminismViolationError);
    // The SDK's message names the mismatch: the history's ActivityTaskScheduled (createCaOrder) against the new StartTimer.
    expect(err!.message).toMatch(/nondeterminism/i);
    expect(err!.message).toMatch(/StartTimer|Timer/);
    expect(err!.message).toMatch(/ScheduleActivityTask|ActivityTaskScheduled/);
  });

  it('the unchanged workflows of the same bundle still replay (the net is precise, not just strict)', async () => {
    expect(await replay(changed, 'reissue-reissue.json')).toBeUndefined();
    expect(await replay(changed, 'revoke-revoke.json')).toBeUndefined();
  });
});

describe('poll-jitter-v2: what the patched() gate does', () => {
  let withoutGate: WorkflowBundleWithSourceMap;
  let beforeChange: WorkflowBundleWithSourceMap;
  beforeAll(async () => {
    [withoutGate, beforeChange] = await Promise.all([
      bundle(WORKFLOWS_PATH, require.resolve('./fixtures/patched-always')),
      bundle(WORKFLOWS_PATH, require.resolve('./fixtures/patched-never')),
    ]);
  });

  it('there are histories from before and after the change, and the newer ones carry the patch marker', () => {
    expect(preJitter.length).toBeGreaterThanOrEqual(12);
    expect(postJitter.length).toBeGreaterThanOrEqual(2);
    expect(withMarker.length).toBeGreaterThanOrEqual(2);
    for (const f of preJitter) expect({ f, markers: patchMarkers(f) }).toEqual({ f, markers: [] });
  });

  it('histories recorded WITH the gate fail to replay on the change without patched(): DeterminismViolationError on the patch marker', async () => {
    for (const file of withMarker) {
      const err = await replay(withoutGate, file);
      expect({ file, error: err?.constructor.name }).toEqual({ file, error: 'DeterminismViolationError' });
      expect(err!.message).toMatch(/patch marker .*poll-jitter-v2/i);
    }
  });

  it('histories recorded WITH the gate fail to replay on the code from before the change (a rollback)', async () => {
    for (const file of withMarker) {
      const err = await replay(beforeChange, file);
      expect({ file, error: err?.constructor.name }).toEqual({ file, error: 'DeterminismViolationError' });
    }
  });

  it('histories from before the change still replay on the code from before the change', async () => {
    for (const file of ['order-happy-path-polling.json', 'order-dcv-deadline-compensation.json']) expect(await replay(beforeChange, file)).toBeUndefined();
  });

  it('the limit of the net: a change of timer DURATIONS alone is invisible to replay, so pre-change histories replay even without the gate', async () => {
    // Temporal matches a timer command to its history event by sequence number, not duration
    // (sdk-core timer_state_machine). The jitter without patched() replays pre-change histories
    // green; only the patch marker (tests above) makes the versioning of this change checkable.
    for (const file of ['order-happy-path-polling.json', 'order-dcv-deadline-compensation.json']) expect(await replay(withoutGate, file)).toBeUndefined();
  });
});

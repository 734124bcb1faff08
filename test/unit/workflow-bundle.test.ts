/**
 * Prebuilt workflow bundles (src/workflow-bundle.ts): what `npm run bundle:workflows` writes,
 * and the worker's refusal of a bundle whose failure converter does not match its codec
 * setting — a plain-failure bundle under a codec would put error messages in history
 * unencrypted.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../src/config';
import { FAILURE_CONVERTER_PATH } from '../../src/temporal/data-converter';
import { loadWorkflowBundle, writeWorkflowBundle } from '../../src/workflow-bundle';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'certflow-bundle-'));
const encoded = path.join(dir, 'encoded.js');
const withCodec = { failureConverterPath: FAILURE_CONVERTER_PATH };

beforeAll(async () => {
  await writeWorkflowBundle(encoded, 'encoded');
}, 120_000);

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function refusal(f: () => unknown): ConfigError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('no error');
}

describe('prebuilt workflow bundle', () => {
  test('the bundle holds the workflows and the encrypting failure converter, and its sidecar says so', () => {
    const code = fs.readFileSync(encoded, 'utf8');
    expect(code).toContain('orderWorkflow');
    expect(code).toContain('encodeCommonAttributes');
    expect(JSON.parse(fs.readFileSync(`${encoded}.meta.json`, 'utf8'))).toMatchObject({ format: 1, failures: 'encoded' });
  });

  test('a worker with codec keys gets it as a code path', () => {
    expect(loadWorkflowBundle(encoded, withCodec)).toEqual({ codePath: encoded });
  });

  test('a worker without codec keys refuses an encoding bundle, naming the variable and the fix', () => {
    const e = refusal(() => loadWorkflowBundle(encoded, {}));
    expect(e.issues[0]!.variable).toBe('WORKFLOW_BUNDLE_PATH');
    expect(e.message).toMatch(/encodes failures but no codec keys.*--failures plain/);
  });

  test('a worker with codec keys refuses a plain bundle (error messages would reach history unencrypted)', () => {
    const plain = path.join(dir, 'plain.js');
    fs.copyFileSync(encoded, plain);
    fs.writeFileSync(`${plain}.meta.json`, JSON.stringify({ format: 1, failures: 'plain', builtAt: new Date().toISOString() }));
    expect(refusal(() => loadWorkflowBundle(plain, withCodec)).message).toMatch(/plain failures but codec keys are configured.*unencrypted/);
  });

  test('a missing bundle or sidecar is named with what to run', () => {
    expect(refusal(() => loadWorkflowBundle(path.join(dir, 'nope.js'), withCodec)).message).toMatch(/WORKFLOW_BUNDLE_PATH: no such file.*bundle:workflows/);
    const bare = path.join(dir, 'bare.js');
    fs.writeFileSync(bare, '// not a bundle');
    expect(refusal(() => loadWorkflowBundle(bare, withCodec)).message).toMatch(/bare\.js\.meta\.json/);
  });
});

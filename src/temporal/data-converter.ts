import type { DataConverter, PayloadCodec } from '@temporalio/common';
import type { Config } from '../config';
import { createAesGcmCodec } from '../codec/aes-gcm-codec';
import { type KeyLoaderDeps, loadCodecKeys } from '../codec/keys';

/**
 * The data converter shared by worker, API, CLI and replay tests. With codec keys configured,
 * every payload (inputs, results, signals, queries, updates, memo, failure details) is
 * encrypted with AES-256-GCM before it leaves the process.
 */

/**
 * Loaded by path because the SDK runs it in the workflow sandbox too (the worker passes this
 * path to the workflow bundler). It turns failure messages and stack traces into payloads
 * so the codec encrypts them. Anyone bundling workflows themselves (bundleWorkflowCode) must
 * pass the same `failureConverterPath`.
 */
export const FAILURE_CONVERTER_PATH = require.resolve('../codec/failure-converter');

/** The AES-GCM codec for the configured keys, or undefined when none are configured. */
export function createCodecFromConfig(config: Config, deps?: KeyLoaderDeps): PayloadCodec | undefined {
  const keyring = loadCodecKeys(config, deps);
  return keyring ? createAesGcmCodec(keyring) : undefined;
}

export function createDataConverter(config: Config): DataConverter {
  const codec = createCodecFromConfig(config);
  if (!codec) return {};
  // Encoded failure attributes are only worth their cost when a codec encrypts them; without
  // one the SDK's plain-text default keeps histories readable as before.
  return { payloadCodecs: [codec], failureConverterPath: FAILURE_CONVERTER_PATH };
}

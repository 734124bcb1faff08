import { type ClientOptionsForTestEnv, TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import { ensureTestServer } from '../../tools/engine/test-server';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';

/**
 * The Java time-skipping test server from the per-user cache (never the SDK's download).
 * The SDK already passes `<port> --enable-time-skipping`; adding the flag again makes the
 * server time every workflow out at once, so extraArgs stays empty.
 */
export async function createTimeSkippingEnv(options: { client?: ClientOptionsForTestEnv } = {}): Promise<TestWorkflowEnvironment> {
  const path = process.env.CERTFLOW_TEST_SERVER_LAUNCHER ?? (await ensureTestServer());
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } }, client: options.client });
  // The test server validates upserts against registered attributes, like a real cluster.
  const types: Record<string, temporal.api.enums.v1.IndexedValueType> = {
    Keyword: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
    KeywordList: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
    Datetime: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  };
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(Object.entries(SEARCH_ATTRIBUTES).map(([name, type]) => [name, types[type]!])),
  });
  return env;
}

/** The run's shared dev server (started by globalSetup). */
export async function connectDevServer(): Promise<TestWorkflowEnvironment> {
  const address = process.env.CERTFLOW_TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('integration globalSetup did not start a dev server (CERTFLOW_TEST_TEMPORAL_ADDRESS unset)');
  return TestWorkflowEnvironment.createFromExistingServer({ address, namespace: 'default' });
}

let counter = 0;
/** Unique ids per test so tests sharing one server never collide. */
export function uniqueId(prefix: string): string {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ensureTestServer } from '../../src/engine/test-server';

/**
 * The Java time-skipping test server from the per-user cache (never the SDK's download).
 * The SDK already passes `<port> --enable-time-skipping`; adding the flag again makes the
 * server time every workflow out at once, so extraArgs stays empty.
 */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const path = process.env.CERTFLOW_TEST_SERVER_LAUNCHER ?? (await ensureTestServer());
  return TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
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

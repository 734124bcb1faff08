import { type ClientOptionsForTestEnv, TestWorkflowEnvironment } from '@temporalio/testing';
import { startTimeSkipping } from '../../tools/stack/compose';

/** The Java time-skipping test server from the per-user cache (globalSetup resolved it once), search attributes registered. */
export function createTimeSkippingEnv(options: { client?: ClientOptionsForTestEnv } = {}): Promise<TestWorkflowEnvironment> {
  return startTimeSkipping({ client: options.client, launcher: process.env.CERTFLOW_TEST_SERVER_LAUNCHER });
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

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningDevServer } from '../../tools/engine/dev-server';
import { ensureTestServer } from '../../tools/engine/test-server';
import { startEngine } from '../../tools/stack/compose';

declare global {
  var __certflowDevServer: RunningDevServer | undefined;
}

/**
 * One Temporal dev server for the whole integration run, on free ports, in memory, from the
 * same engine locator `npm start` uses. Time-skipping tests start their own Java test server
 * per file (time skipping is global to a server, so files must not share one).
 */
export default async function globalSetup(): Promise<void> {
  const launcher = await ensureTestServer();
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'certflow-engine-'));
  const server = await startEngine({ headless: true, logLevel: 'error', logFile: path.join(logDir, 'dev-server.log') });
  globalThis.__certflowDevServer = server;
  process.env.CERTFLOW_TEST_TEMPORAL_ADDRESS = server.address;
  process.env.CERTFLOW_TEST_TEMPORAL_PID = String(server.process.pid);
  process.env.CERTFLOW_TEST_TEMPORAL_CLI = server.cliPath;
  process.env.CERTFLOW_TEST_SERVER_LAUNCHER = launcher;
}

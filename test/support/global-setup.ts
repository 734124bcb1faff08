import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCluster } from '../../tools/engine/cluster';
import { ensureTestServer } from '../../tools/engine/test-server';
import { startEngine } from '../../tools/stack/compose';

declare global {
  var __certflowEngine: { stop(): Promise<void> } | undefined;
}

/**
 * One Temporal engine for the whole integration run, from the same tools `npm start` and
 * `npm run cluster` use: the dev server (in memory, free ports), or with
 * CERTFLOW_TEST_ENGINE=cluster a real cluster (several history shards, PostgreSQL with SQL
 * visibility) in a temporary directory. Time-skipping tests start their own Java test server
 * per file (time skipping is global to a server, so files must not share one).
 */
export default async function globalSetup(): Promise<void> {
  const launcher = await ensureTestServer();
  process.env.CERTFLOW_TEST_SERVER_LAUNCHER = launcher;
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'certflow-engine-'));
  if (process.env.CERTFLOW_TEST_ENGINE === 'cluster') {
    const say = (m: string): void => void process.stderr.write(`[cluster] ${m}\n`);
    const cluster = await startCluster({ dataDir: logDir, progress: say });
    say(`ready: ${cluster.address}, Temporal server ${cluster.serverVersion}, ${cluster.shards} history shards, ${cluster.postgres}`);
    globalThis.__certflowEngine = {
      stop: async () => {
        await cluster.stop();
        fs.rmSync(logDir, { recursive: true, force: true });
      },
    };
    process.env.CERTFLOW_TEST_TEMPORAL_ADDRESS = cluster.address;
    return;
  }
  const server = await startEngine({ headless: true, logLevel: 'error', logFile: path.join(logDir, 'dev-server.log') });
  globalThis.__certflowEngine = server;
  process.env.CERTFLOW_TEST_TEMPORAL_ADDRESS = server.address;
}

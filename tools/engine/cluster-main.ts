/**
 * `npm run cluster`: a real Temporal cluster on this machine (tools/engine/cluster.ts) until
 * Ctrl-C. Data under DATA_DIR/cluster (default .data/cluster), kept across runs. Point
 * certflow at it with TEMPORAL_ADDRESS (`npm start` uses its own dev server).
 */
import path from 'node:path';
import { DEFAULT_SHARDS, startCluster } from './cluster';
import { stderrProgress as say } from './progress';

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '../..');
  const dataDir = path.join(path.resolve(root, process.env.DATA_DIR ?? '.data'), 'cluster');
  const port = Number(process.env.CLUSTER_PORT ?? 7233);
  const shards = Number(process.env.CLUSTER_SHARDS ?? DEFAULT_SHARDS);
  const cluster = await startCluster({ dataDir, port, shards, progress: say });
  process.stdout.write(
    [
      '',
      'Temporal cluster running:',
      `  gRPC        ${cluster.address} (namespace ${cluster.namespace})`,
      `  server      ${cluster.serverVersion}, ${cluster.shards} history shards`,
      `  PostgreSQL  ${cluster.postgres}: persistence and SQL visibility`,
      `  data        ${dataDir}`,
      `Run certflow on it: TEMPORAL_ADDRESS=${cluster.address} npm run worker (and npm run api).`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    say('stopping the cluster…');
    await cluster.stop();
    say('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((err: unknown) => {
  say(err instanceof Error ? err.message : String(err));
  process.exit(1);
});

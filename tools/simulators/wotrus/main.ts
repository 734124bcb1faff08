/**
 * `npm run simulator`: the WoTrus-compatible CA as a standalone process, configured from the
 * environment (./env.ts). State and CA keys persist under DATA_DIR/simulator/.
 */
import pino from 'pino';
import { parseSimulatorEnv, type SimulatorEnv } from './env';
import { startSimulator } from './server';

async function main(): Promise<void> {
  let config: SimulatorEnv;
  try {
    config = parseSimulatorEnv(process.env);
  } catch (err) {
    process.stderr.write(`certflow simulator: ${(err as Error).message}\n`);
    process.exit(78); // EX_CONFIG
  }
  const log = pino({ level: config.LOG_LEVEL, name: 'simulator' });
  const sim = await startSimulator({
    host: config.SIMULATOR_HOST,
    port: config.SIMULATOR_PORT,
    token: config.CA_TOKEN,
    adminToken: config.SIMULATOR_ADMIN_TOKEN,
    pushUrl: config.SIMULATOR_PUSH_URL,
    pushSecret: config.CA_PUSH_SECRET,
    pushMode: config.SIMULATOR_PUSH_MODE,
    pushOrderIdField: config.SIMULATOR_PUSH_ORDER_ID_FIELD,
    dataDir: config.DATA_DIR,
    logger: log,
  });
  log.info({ url: sim.url, admin: config.SIMULATOR_ADMIN_TOKEN ? `${sim.url}/__admin` : 'disabled' }, 'WoTrus simulator ready');

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'simulator: shutting down');
    sim.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'simulator: shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`certflow simulator: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});

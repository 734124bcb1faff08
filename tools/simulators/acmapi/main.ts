/**
 * The ACMAPI simulator as a standalone process, configured from the environment (./env.ts).
 * In memory only: a restart is a new CA (write its chain again with ACMAPI_SIM_CHAIN_OUT).
 */
import { writeFile } from 'node:fs/promises';
import pino from 'pino';
import { parseAcmapiEnv } from './env';
import { startAcmapiSimulator } from './server';

async function main(): Promise<void> {
  const env = parseAcmapiEnv(process.env);
  const log = pino({ level: env.LOG_LEVEL, name: 'acmapi-simulator' });
  const sim = await startAcmapiSimulator({
    host: env.ACMAPI_SIM_HOST,
    port: env.ACMAPI_SIM_PORT,
    customerId: env.ACMAPI_SIM_CUSTOMER_ID,
    authToken: env.ACMAPI_SIM_AUTH_TOKEN,
    signfile: env.ACMAPI_SIM_SIGNFILE,
    adminToken: env.ACMAPI_SIM_ADMIN_TOKEN,
    connectTo: { http: env.ACMAPI_SIM_CONNECT_HTTP, https: env.ACMAPI_SIM_CONNECT_HTTPS },
    logger: log,
  });
  if (env.ACMAPI_SIM_CHAIN_OUT) await writeFile(env.ACMAPI_SIM_CHAIN_OUT, sim.chainPems.map((p) => `${p.trim()}\n`).join(''));
  log.info({ url: sim.url, chain: env.ACMAPI_SIM_CHAIN_OUT ?? '(not written)' }, 'ACMAPI simulator ready');
  const stop = (signal: string): void => {
    log.info({ signal }, 'acmapi simulator: shutting down');
    sim.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`certflow acmapi simulator: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(78); // EX_CONFIG for settings; any start failure lands here too
});

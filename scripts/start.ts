/**
 * `npm start`: the whole service in one terminal, on embedded defaults — the Temporal dev
 * server (SQLite under .data/, Web UI), the CA simulator (unless CA_BASE_URL is set), the
 * WoSign ACMAPI simulator and the customers' web host serving its signfile for every domain
 * (in this process, unless ACMAPI_URL is set), the reseller platform simulator with the
 * customers' DNS server, every validation record published at once by a stand-in customer
 * (in this process, unless RESELLER_URL is set), the worker and the API — supervised: each part
 * is awaited until ready, a crashed part is restarted, and Ctrl-C stops every child.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import pino from 'pino';
import { parseConfig } from '../src/config';
import { stopChild } from '../tools/engine/dev-server';
import { PortInUseError, assertPortFree, waitUntil } from '../tools/engine/ports';
import { stderrProgress as say } from '../tools/engine/progress';
import { parseSimulatorEnv } from '../tools/simulators/wotrus/env';
import { type LineFormatter, startLogFormatter } from './start-log';
import { ACMAPI_DEV_PRODUCT_ID, type AcmapiStack, startAcmapiStack } from '../tools/stack/acmapi';
import { RESELLER_DV_PRODUCT_ID, RESELLER_OV_PRODUCT_ID, type ResellerStack, startResellerStack } from '../tools/stack/reseller';
import { ENTRIES, type Engine, ROOT as root, type StackSecrets, isPolling, randomSecrets, serviceEnv, simulatorEnv, spawnNode, startEngine } from '../tools/stack/compose';

/**
 * Dev mode only: random secrets generated once and kept under the data dir, never in code. A
 * file from an older certflow keeps its secrets and gets the ones it lacks.
 */
function devSecrets(dataDir: string): StackSecrets {
  const file = path.join(dataDir, 'dev-secrets.json');
  const stored = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<StackSecrets>) : {};
  const fresh = randomSecrets('dev_');
  const s: StackSecrets = { ...fresh, ...stored };
  if (Object.keys(fresh).some((k) => !(k in stored))) {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(file, JSON.stringify(s, null, 2), { mode: 0o600 });
  }
  return s;
}

/** The in-process ACMAPI simulator's JSON log lines, shown like a child's (`[acmapi] …`). */
function prefixedLogger(name: string, format: LineFormatter, level: string): pino.Logger {
  let buf = '';
  return pino({ level, name }, {
    write: (chunk: string) => {
      buf += chunk;
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) process.stdout.write(`[${name}] ${format(l)}\n`);
    },
  });
}

function portOf(address: string): number {
  return Number(address.slice(address.lastIndexOf(':') + 1));
}

interface Part {
  name: string;
  script: string;
  child?: ChildProcess;
  restarts: number;
}

async function main(): Promise<void> {
  const env: Record<string, string | undefined> = { ...process.env };
  const dataDir = path.resolve(root, env.DATA_DIR ?? '.data');
  env.DATA_DIR = dataDir;
  const secrets = devSecrets(dataDir);
  const embeddedCa = !env.CA_BASE_URL;
  // WoSign ACMAPI: the simulator and the customers' web host unless the caller names an ACMAPI.
  const embeddedAcmapi = !env.ACMAPI_URL;
  // The reseller platform: its simulator and the customers' DNS unless the caller names a platform.
  const embeddedReseller = !env.RESELLER_URL;

  // Embedded defaults: only what is unset, so any variable can still be overridden.
  const simPort = env.SIMULATOR_PORT || '8090';
  const acmapiPort = Number(env.ACMAPI_SIM_PORT || '8091');
  const resellerPort = Number(env.RESELLER_SIM_PORT || '8092');
  const apiPort = env.API_PORT || '8080';
  // Pushes as the WoTrus document shows them (unsigned) unless the caller asks for our HMAC.
  const pushVerify = env.CA_PUSH_VERIFY === 'hmac' ? 'hmac' : 'none';
  const defaults = serviceEnv({ secrets, keyName: 'dev', publicBaseUrl: `http://localhost:${apiPort}`, codecKeyId: 'dev1', caBaseUrl: `http://127.0.0.1:${simPort}`, pushVerify });
  if (embeddedCa) Object.assign(defaults, simulatorEnv({ secrets, port: simPort, apiUrl: `http://127.0.0.1:${apiPort}`, pushVerify }));
  else {
    // A CA of the caller's own: its token is the caller's too.
    delete defaults.CA_BASE_URL;
    delete defaults.CA_TOKEN;
  }
  // The worker's Prometheus endpoint (SDK and certflow series).
  defaults.WORKER_METRICS_BIND = '127.0.0.1:9464';
  for (const [k, v] of Object.entries(defaults)) if (env[k] === undefined || env[k] === '') env[k] = v;

  let config;
  let simulatorPort = 0;
  try {
    config = parseConfig(env);
    if (embeddedCa) simulatorPort = parseSimulatorEnv(env).SIMULATOR_PORT;
  } catch (err) {
    // ConfigError (certflow) or the simulator's settings error: every issue listed, EX_CONFIG.
    if (err instanceof Error) {
      process.stderr.write(`certflow: ${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }

  const temporalPort = portOf(config.TEMPORAL_ADDRESS);
  const checks: [number, string, string][] = [
    [temporalPort, 'TEMPORAL_ADDRESS', 'Temporal gRPC'],
    [config.TEMPORAL_UI_PORT, 'TEMPORAL_UI_PORT', 'Temporal Web UI'],
    [config.API_PORT, 'API_PORT', 'certflow API'],
  ];
  if (embeddedCa) checks.push([simulatorPort, 'SIMULATOR_PORT', 'CA simulator']);
  if (embeddedAcmapi) checks.push([acmapiPort, 'ACMAPI_SIM_PORT', 'ACMAPI simulator']);
  if (embeddedReseller) checks.push([resellerPort, 'RESELLER_SIM_PORT', 'reseller simulator']);
  if (config.WORKER_METRICS_BIND) checks.push([Number(config.WORKER_METRICS_BIND.slice(config.WORKER_METRICS_BIND.lastIndexOf(':') + 1)), 'WORKER_METRICS_BIND', 'worker metrics']);
  for (const [port, variable, what] of checks) await assertPortFree(port, variable, what);

  const dbFile = path.join(dataDir, 'temporal.sqlite');
  say(`starting the Temporal dev server (data: ${dbFile})`);
  const server: Engine = await startEngine({
    progress: say,
    port: temporalPort,
    uiPort: config.TEMPORAL_UI_PORT,
    // The UI decodes through the API's codec endpoint, which answers the UI's origin on
    // loopback without a credential outside production (docs/security.md).
    uiCodecEndpoint: `http://127.0.0.1:${config.API_PORT}/codec`,
    dbFile,
    namespace: config.TEMPORAL_NAMESPACE,
    logLevel: 'warn',
    logFile: path.join(dataDir, 'temporal.log'),
  });
  say(`Temporal ready on ${server.address}`);

  const format = startLogFormatter(env, process.stdout.isTTY === true);
  let acmapi: AcmapiStack | undefined;
  if (embeddedAcmapi) {
    // In this process: a restart of `npm start` is a new ACMAPI CA (its chain file rewritten).
    try {
      acmapi = await startAcmapiStack({
        authToken: secrets.acmapiAuthToken,
        signfile: secrets.acmapiSignfile,
        adminToken: secrets.simulatorAdminToken,
        chainFile: path.join(dataDir, 'acmapi-chain.pem'),
        // Any order placed with the CLI validates: every domain serves the signfile.
        serveEverywhere: true,
        simulator: { port: acmapiPort },
        logger: prefixedLogger('acmapi', format, env.LOG_LEVEL || 'info'),
      });
    } catch (err) {
      await server.stop();
      throw err;
    }
    // All of them: the worker must speak to this simulator with its credentials, and check
    // every domain's file on this web host.
    Object.assign(env, acmapi.env);
    say(`ACMAPI simulator ready on ${acmapi.sim.url} (customer web host: http ${acmapi.web.httpAddress}, https ${acmapi.web.httpsAddress})`);
  }

  let reseller: ResellerStack | undefined;
  if (embeddedReseller) {
    // In this process, on the ACMAPI stack's web host when there is one: a restart is a new platform (services in memory).
    try {
      reseller = await startResellerStack({
        apiKey: secrets.resellerApiKey,
        // The callbacks reach the API's notify route through PUBLIC_BASE_URL (localhost).
        notifyToken: secrets.resellerNotifyToken,
        adminToken: secrets.simulatorAdminToken,
        web: acmapi?.web,
        // Any order placed with the CLI validates: the CNAME or file is published at once.
        customerPublishes: true,
        simulator: { port: resellerPort },
        logger: prefixedLogger('reseller', format, env.LOG_LEVEL || 'info'),
      });
    } catch (err) {
      await acmapi?.close();
      await server.stop();
      throw err;
    }
    // The worker must speak to this simulator with its key, and resolve validation CNAMEs on this DNS server.
    Object.assign(env, reseller.env);
    say(`reseller simulator ready on ${reseller.sim.url} (customer DNS: ${reseller.dns.address})`);
  }

  const parts: Part[] = [];
  if (embeddedCa) parts.push({ name: 'simulator', script: ENTRIES.simulator, restarts: 0 });
  parts.push({ name: 'worker', script: ENTRIES.worker, restarts: 0 }, { name: 'api', script: ENTRIES.api, restarts: 0 });

  let stopping = false;
  const launch = (part: Part): void => {
    const child = spawnNode(part.script, { env });
    part.child = child;
    const prefix = (line: string): string => `[${part.name}] ${line}\n`;
    for (const stream of [child.stdout!, child.stderr!]) {
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buf += chunk;
        const lines = buf.split('\n');
        buf = lines.pop() ?? '';
        for (const l of lines) process.stdout.write(prefix(format(l)));
      });
    }
    child.on('exit', (code, signal) => {
      if (stopping) return;
      part.restarts += 1;
      say(`${part.name} exited (${signal ?? code}); restart ${part.restarts}/5`);
      if (part.restarts > 5) {
        say(`${part.name} keeps failing; stopping everything`);
        void shutdown(1);
        return;
      }
      setTimeout(() => launch(part), 1000 * part.restarts);
    });
  };

  const shutdown = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    for (const part of [...parts].reverse()) if (part.child) await stopChild(part.child);
    await reseller?.close();
    await acmapi?.close();
    await server.stop();
    say('stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));
  server.process.on('exit', () => {
    if (!stopping) {
      say('the Temporal dev server exited; stopping everything');
      void shutdown(1);
    }
  });

  const alive = (part: Part) => () => part.child?.exitCode === null;
  try {
  for (const part of parts) {
    say(`starting ${part.name}`);
    launch(part);
    if (part.name === 'simulator') {
      await waitUntil('CA simulator', async () => (await fetch(`${config.CA_BASE_URL}/v1/Order/ping`)).status === 401, { timeoutMs: 60_000, isAlive: alive(part) });
    } else if (part.name === 'worker') {
      await waitUntil('worker', () => hasPoller(server.address, config.TEMPORAL_NAMESPACE, config.TEMPORAL_TASK_QUEUE), { timeoutMs: 120_000, intervalMs: 250, isAlive: alive(part) });
    } else {
      await waitUntil('API', async () => (await fetch(`http://127.0.0.1:${config.API_PORT}/readyz`)).ok, { timeoutMs: 60_000, isAlive: alive(part) });
    }
    say(`${part.name} ready`);
  }
  } catch (err) {
    say(err instanceof Error ? err.message : String(err));
    await shutdown(1);
  }

  const lines = [
    '',
    'certflow is running:',
    `  Temporal Web UI   http://localhost:${config.TEMPORAL_UI_PORT}`,
    `  Temporal gRPC     ${server.address} (namespace ${config.TEMPORAL_NAMESPACE}, task queue ${config.TEMPORAL_TASK_QUEUE})`,
    `  API               http://localhost:${config.API_PORT}   (docs: /docs, OpenAPI: /openapi.json)`,
    embeddedCa ? `  CA simulator      ${config.CA_BASE_URL}   (admin: /__admin)` : `  CA                ${config.CA_BASE_URL}`,
    `  API metrics       http://localhost:${config.API_PORT}/metrics   (with the API key)`,
    config.WORKER_METRICS_BIND ? `  Worker metrics    http://${config.WORKER_METRICS_BIND}/metrics   (Prometheus: Temporal SDK and certflow_* series)` : undefined,
    embeddedCa ? `  Simulator metrics ${config.CA_BASE_URL}/metrics` : undefined,
    acmapi ? `  ACMAPI simulator  ${acmapi.sim.url}   (admin: /admin, metrics: /metrics; product ${ACMAPI_DEV_PRODUCT_ID})` : `  ACMAPI            ${env.ACMAPI_URL}`,
    acmapi ? `  Customer web host http://${acmapi.web.httpAddress}, https://${acmapi.web.httpsAddress}   (every domain serves the ACMAPI signfile)` : undefined,
    reseller ? `  Reseller simulator ${reseller.sim.url}   (admin: /admin; products ${RESELLER_DV_PRODUCT_ID} DV, ${RESELLER_OV_PRODUCT_ID} OV)` : `  Reseller platform ${env.RESELLER_URL}`,
    reseller ? `  Customer DNS      ${reseller.dns.address}   (UDP and TCP; every validation CNAME published at once)` : undefined,
    `  Dev API key       ${secrets.apiKey}   (export CERTFLOW_API_KEY=${secrets.apiKey})`,
    `  Dev secrets       ${path.join(dataDir, 'dev-secrets.json')}`,
    'Press Ctrl-C to stop.',
    '',
  ];
  process.stdout.write(lines.filter((l) => l !== undefined).join('\n'));
}

async function hasPoller(address: string, namespace: string, taskQueue: string): Promise<boolean> {
  const conn = await Connection.connect({ address, connectTimeout: 1000 });
  try {
    return await isPolling(conn, namespace, taskQueue);
  } finally {
    await conn.close();
  }
}

main().catch((err: unknown) => {
  if (err instanceof PortInUseError) process.stderr.write(`certflow: ${err.message}\n`);
  else process.stderr.write(`certflow: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

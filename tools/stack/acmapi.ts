/**
 * A stack's second CA: the WoSign ACMAPI simulator and the customers' web host it reaches
 * every domain on (as does certflow's own domain file check), with the certflow variables
 * (ACMAPI_*, DOMAIN_CHECK_*) that point a worker at them. Used by startFront (tests, the fault
 * suite, the benchmark, the Web UI stack) and by `npm start`, which runs it in its supervisor.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { type AcmapiSimulatorOptions, type RunningAcmapiSimulator, SIGNFILE_PATH, startAcmapiSimulator } from '../simulators/acmapi';
import { type RunningWebHost, startWebHost, type WebHostOptions } from '../simulators/webhost';

/** The ACMAPI product of the default products file (tools/simulators/wotrus/products.json). */
export const ACMAPI_DEV_PRODUCT_ID = 'ACA91000-0002-4D5A-9C00-000000000002';

/** The platform's customer_id in development stacks (not a secret: the auth token is). */
export const DEV_ACMAPI_CUSTOMER_ID = 'certflow-dev';

export interface AcmapiStackOptions {
  /** certflow's ACMAPI_AUTH_TOKEN (StackSecrets.acmapiAuthToken). */
  authToken: string;
  /** certflow's ACMAPI_SIGNFILE: what every domain must serve (StackSecrets.acmapiSignfile). */
  signfile: string;
  /** Bearer token of the simulator's /admin (StackSecrets.simulatorAdminToken); no admin API without it. */
  adminToken?: string;
  /** Default DEV_ACMAPI_CUSTOMER_ID. */
  customerId?: string;
  /** Where the simulator's chain (intermediate, root) is written for ACMAPI_CHAIN_FILE; default a temporary file, removed on close. */
  chainFile?: string;
  /** Serve the signfile on every domain not configured otherwise (`npm start`); default false: a test puts it per domain. */
  serveEverywhere?: boolean;
  /** Simulator options over the above (port, faults-free mode, fetch timeout, logger…). */
  simulator?: Partial<AcmapiSimulatorOptions>;
  webHost?: WebHostOptions;
  logger?: Logger;
}

export interface AcmapiStack {
  sim: RunningAcmapiSimulator;
  web: RunningWebHost;
  signfile: string;
  chainFile: string;
  /** ACMAPI_URL, ACMAPI_CUSTOMER_ID, ACMAPI_AUTH_TOKEN, ACMAPI_SIGNFILE, ACMAPI_CHAIN_FILE, DOMAIN_CHECK_HTTP_ADDRESS, DOMAIN_CHECK_HTTPS_ADDRESS. */
  env: Record<string, string>;
  /** Serves the signfile for these domains (both schemes). */
  serve(...domains: string[]): void;
  close(): Promise<void>;
}

/** The PEM file certflow's ACMAPI_CHAIN_FILE names: intermediate, then root. */
export function chainFileContent(chainPems: readonly string[]): string {
  return chainPems.map((p) => `${p.trim()}\n`).join('');
}

export async function startAcmapiStack(o: AcmapiStackOptions): Promise<AcmapiStack> {
  const customerId = o.customerId ?? DEV_ACMAPI_CUSTOMER_ID;
  const web = await startWebHost(o.webHost);
  let sim: RunningAcmapiSimulator;
  try {
    sim = await startAcmapiSimulator({
      customerId,
      authToken: o.authToken,
      signfile: o.signfile,
      adminToken: o.adminToken,
      connectTo: { http: web.httpAddress, https: web.httpsAddress },
      logger: o.logger,
      ...o.simulator,
    });
  } catch (err) {
    await web.close();
    throw err;
  }
  const ownDir = o.chainFile ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'certflow-acmapi-'));
  const chainFile = o.chainFile ?? path.join(ownDir!, 'acmapi-chain.pem');
  fs.mkdirSync(path.dirname(chainFile), { recursive: true });
  fs.writeFileSync(chainFile, chainFileContent(sim.chainPems));
  if (o.serveEverywhere) web.serveEverywhere(SIGNFILE_PATH, o.signfile);

  let closing: Promise<void> | undefined;
  return {
    sim,
    web,
    signfile: o.signfile,
    chainFile,
    env: {
      ACMAPI_URL: sim.url,
      ACMAPI_CUSTOMER_ID: customerId,
      ACMAPI_AUTH_TOKEN: o.authToken,
      ACMAPI_SIGNFILE: o.signfile,
      ACMAPI_CHAIN_FILE: chainFile,
      DOMAIN_CHECK_HTTP_ADDRESS: web.httpAddress,
      DOMAIN_CHECK_HTTPS_ADDRESS: web.httpsAddress,
    },
    serve: (...domains) => {
      for (const d of domains) web.put(d, SIGNFILE_PATH, o.signfile);
    },
    close: () => {
      closing ??= (async () => {
        await sim.close();
        await web.close();
        if (ownDir) fs.rmSync(ownDir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}

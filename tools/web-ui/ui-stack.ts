/**
 * A Temporal dev server with its Web UI, and certflow (API, simulator, worker) on it: the
 * `npm start` arrangement in one process, for the browser test and the documentation's
 * screenshots. The UI decodes through the API's codec endpoint unless `codec` is false.
 */
import pino, { type Logger } from 'pino';
import type { SimulatorOptions } from '../simulators/wotrus/server';
import { freePort } from '../engine/ports';
import { type ApiCall, type Engine, type Front, type InProcessWorker, randomSecrets, serviceEnv, startEngine, startFront, startInProcessWorker } from '../stack/compose';

export interface UiStack {
  uiUrl: string;
  namespace: string;
  api: ApiCall;
  front: Front;
  close(): Promise<void>;
}

export interface UiStackOptions {
  /** The UI's codec endpoint (default true); false starts the UI without one. */
  codec?: boolean;
  simulator?: Partial<SimulatorOptions>;
  logFile?: string;
  logger?: Logger;
}

export async function startUiStack(o: UiStackOptions = {}): Promise<UiStack> {
  const apiPort = await freePort();
  const uiPort = await freePort();
  const engine: Engine = await startEngine({
    uiPort,
    // What scripts/start.ts passes: the API on loopback, open to the UI's origin in development.
    uiCodecEndpoint: o.codec === false ? undefined : `http://127.0.0.1:${apiPort}/codec`,
    logLevel: 'error',
    logFile: o.logFile,
  });
  const close: (() => Promise<void>)[] = [() => engine.stop()];
  try {
    const secrets = randomSecrets();
    const env = {
      ...serviceEnv({ secrets, keyName: 'ui', temporalAddress: engine.address, taskQueue: 'certflow-ui', publicBaseUrl: `http://localhost:${apiPort}`, codecKeyId: 'ui1' }),
      TEMPORAL_UI_PORT: String(uiPort),
    };
    const front = await startFront({ env, secrets, apiPort, simulator: o.simulator, logger: o.logger });
    close.unshift(() => front.close());
    const worker: InProcessWorker = await startInProcessWorker(front.config, { logger: o.logger ?? pino({ level: 'silent' }) });
    close.unshift(() => worker.close());
    return {
      uiUrl: engine.uiUrl!,
      namespace: front.config.TEMPORAL_NAMESPACE,
      api: front.api,
      front,
      close: async () => {
        for (const c of close) await c();
      },
    };
  } catch (err) {
    for (const c of close) await c().catch(() => undefined);
    throw err;
  }
}

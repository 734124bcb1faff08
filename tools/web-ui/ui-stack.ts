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

/**
 * The dev server with its UI on free ports. A port found free can be taken before the server
 * binds it (other tests start servers meanwhile): then the server exits, and new ports are tried.
 */
async function startEngineWithUi(o: UiStackOptions): Promise<{ engine: Engine; apiPort: number; uiPort: number }> {
  for (let attempt = 1; ; attempt++) {
    const apiPort = await freePort();
    const uiPort = await freePort();
    try {
      const engine = await startEngine({
        uiPort,
        // What scripts/start.ts passes: the API on loopback, open to the UI's origin in development.
        uiCodecEndpoint: o.codec === false ? undefined : `http://127.0.0.1:${apiPort}/codec`,
        logLevel: 'error',
        logFile: o.logFile,
      });
      return { engine, apiPort, uiPort };
    } catch (err) {
      if (attempt >= 3 || !/exited before it became ready/.test((err as Error).message)) throw err;
    }
  }
}

export async function startUiStack(o: UiStackOptions = {}): Promise<UiStack> {
  const { engine, apiPort, uiPort } = await startEngineWithUi(o);
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

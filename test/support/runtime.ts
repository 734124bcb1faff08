import { DefaultLogger, Runtime, makeTelemetryFilterString } from '@temporalio/worker';

let installed = false;
/**
 * SDK logs at WARN; the Rust core only at ERROR (the Java test server makes it warn about
 * capabilities it does not advertise, on every worker start).
 */
export function installTestRuntime(): void {
  if (installed) return;
  installed = true;
  Runtime.install({
    logger: new DefaultLogger('WARN'),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR', other: 'ERROR' }), forward: {} } },
  });
}

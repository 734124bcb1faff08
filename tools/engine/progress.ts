/**
 * Long steps (building the engine, resolving jars) print a heartbeat so nobody stares at a
 * silent terminal wondering whether it hung.
 */
export type Progress = (message: string) => void;

export const stderrProgress: Progress = (message) => process.stderr.write(`[certflow] ${message}\n`);

export function heartbeat(progress: Progress, what: string, everyMs = 15_000): () => void {
  const started = Date.now();
  const timer = setInterval(() => {
    const s = Math.round((Date.now() - started) / 1000);
    progress(`${what}: still working (${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s)`);
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

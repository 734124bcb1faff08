import os from 'node:os';
import path from 'node:path';

/**
 * Per-user cache outside the checkout, so fresh clones (CI) reuse the engine build and the
 * Java test server's jars. Keyed by version below this root.
 */
export function cacheRoot(): string {
  if (process.env.CERTFLOW_CACHE_DIR) return path.resolve(process.env.CERTFLOW_CACHE_DIR);
  const xdg = process.env.XDG_CACHE_HOME;
  return path.join(xdg && xdg.length > 0 ? xdg : path.join(os.homedir(), '.cache'), 'certflow');
}

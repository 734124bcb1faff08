import net from 'node:net';

export class PortInUseError extends Error {
  constructor(readonly port: number, readonly variable: string, readonly what: string) {
    super(`Port ${port} (${what}) is already in use. Stop whatever holds it, or move certflow with ${variable}=<another port>.`);
    this.name = 'PortInUseError';
  }
}

export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export async function assertPortFree(port: number, variable: string, what: string, host = '127.0.0.1'): Promise<void> {
  if (!(await isPortFree(port, host))) throw new PortInUseError(port, variable, what);
}

export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ port: 0, host }, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * A free port below the ephemeral range, where the OS never hands one out by itself: for
 * stores that keep ports as smallint (the Temporal server's cluster membership table).
 */
export async function freeLowPort(host = '127.0.0.1', from = 20_000, to = 32_000): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = from + Math.floor(Math.random() * (to - from));
    if (await isPortFree(port, host)) return port;
  }
  throw new Error(`no free port in ${from}–${to} on ${host}`);
}

/** Waits until `check` resolves true, polling; used instead of sleeps when starting processes. */
export async function waitUntil(what: string, check: () => Promise<boolean>, opts: { timeoutMs?: number; intervalMs?: number; isAlive?: () => boolean } = {}): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    if (opts.isAlive && !opts.isAlive()) throw new Error(`${what}: the process exited before it became ready`);
    try {
      if (await check()) return;
    } catch {
      // not ready yet
    }
    if (Date.now() > deadline) throw new Error(`${what}: not ready after ${opts.timeoutMs ?? 60_000} ms`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}

/**
 * The worker as a real child process (`node --import tsx src/worker.ts`), configured through
 * its environment alone, so a scenario can SIGKILL it the way an OOM killer or a lost VM would.
 */
import type { ChildProcess } from 'node:child_process';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { stopChild } from '../../../tools/engine/dev-server';
import { ENTRIES, isPolling, spawnNode } from '../../../tools/stack/compose';

export { ROOT } from '../../../tools/stack/compose';

/** Every child process the suite started and that still runs: an interrupted run kills them by pid. */
export const liveChildren = new Set<ChildProcess>();

export function track(child: ChildProcess): void {
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
}

export function killAllChildren(): void {
  for (const c of liveChildren) c.kill('SIGKILL');
}

/** What a worker process is configured with: the variables of src/config.ts it reads. */
export interface WorkerConfig {
  TEMPORAL_ADDRESS: string;
  TEMPORAL_TASK_QUEUE: string;
  CA_BASE_URL: string;
  CA_TOKEN: string;
  CA_TIMEOUT_MS: string;
  WORKFLOW_BUNDLE_PATH?: string;
  CODEC_KEYS?: string;
  CODEC_CURRENT_KEY_ID?: string;
  LOG_LEVEL: string;
  [key: string]: string | undefined;
}

/** Only what node needs from the parent's environment; certflow settings come from the config alone. */
export function workerEnv(config: WorkerConfig): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { CERTFLOW_ENV: 'test' };
  for (const k of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ', 'XDG_CACHE_HOME']) if (process.env[k] !== undefined) env[k] = process.env[k];
  for (const [k, v] of Object.entries(config)) if (v !== undefined) env[k] = v;
  return env;
}

export class WorkerProcess {
  readonly child: ChildProcess;
  readonly startedAt = Date.now();
  readyAt?: number;
  private tail = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly name: string,
    config: WorkerConfig,
  ) {
    this.child = spawnNode(ENTRIES.worker, { env: workerEnv(config) });
    track(this.child);
    const keep = (c: Buffer): void => void (this.tail = (this.tail + c.toString()).slice(-4000));
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last output of the process (warnings and errors at LOG_LEVEL=warn). */
  get output(): string {
    return this.tail;
  }

  /**
   * Ready once the server lists a poller of this process on both task queue types: the SDK's
   * default identity is `<pid>@<host>`, so an old process's pollers never count.
   */
  async ready(client: Client, taskQueue: string, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const types = [temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY];
    for (;;) {
      if (!this.alive) throw new Error(`worker ${this.name} (pid ${this.pid}) exited before it polled:\n${this.tail}`);
      try {
        if (await isPolling(client, client.options.namespace, taskQueue, { types, pid: this.pid })) {
          this.readyAt = Date.now();
          return;
        }
      } catch {
        // Temporal not reachable yet: keep waiting.
      }
      if (Date.now() > deadline) throw new Error(`worker ${this.name} (pid ${this.pid}) did not poll within ${timeoutMs} ms:\n${this.tail}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** SIGKILL: no graceful shutdown, in-flight activities and workflow tasks are lost. */
  async kill(): Promise<void> {
    if (!this.alive) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<void> {
    await stopChild(this.child, 5_000);
  }
}

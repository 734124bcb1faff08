/**
 * Files under `<dataDir>/simulator/`: `ca.json` (CA keys, written once, mode 0600) and
 * `state.json` (orders, idempotence maps, e-mails), rewritten debounced and atomically
 * (write to a temporary file, then rename) so a crash never leaves half a file.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { type PersistedState, persistedStateSchema } from './model';
import { type PersistedCa, persistedCaSchema } from './pki';

let tmpCounter = 0;

async function writeAtomically(file: string, content: string, mode = 0o644): Promise<void> {
  const tmp = `${file}.${process.pid}.${++tmpCounter}.tmp`;
  await writeFile(tmp, content, { mode });
  await rename(tmp, file);
}

async function readJson(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export class Persistence {
  readonly dir: string;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;

  constructor(
    dataDir: string,
    private readonly snapshot: () => PersistedState,
    private readonly log: Logger,
    private readonly debounceMs = 1_000,
  ) {
    this.dir = path.join(dataDir, 'simulator');
  }

  get caFile(): string {
    return path.join(this.dir, 'ca.json');
  }

  get stateFile(): string {
    return path.join(this.dir, 'state.json');
  }

  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  /** A CA file that exists but does not parse is an error: silently replacing the CA would break every stored chain. */
  async loadCa(): Promise<PersistedCa | undefined> {
    const raw = await readJson(this.caFile);
    if (raw === undefined) return undefined;
    const parsed = persistedCaSchema.safeParse(raw);
    if (!parsed.success) throw new Error(`${this.caFile} is not a valid simulator CA file: ${parsed.error.message}`);
    return parsed.data;
  }

  async saveCa(ca: PersistedCa): Promise<void> {
    await writeAtomically(this.caFile, JSON.stringify(ca, null, 2), 0o600);
  }

  /** A corrupt state file is moved aside (and logged) rather than blocking the start. */
  async loadState(): Promise<PersistedState | undefined> {
    let raw: unknown;
    try {
      raw = await readJson(this.stateFile);
    } catch (err) {
      await this.quarantine(`unreadable: ${(err as Error).message}`);
      return undefined;
    }
    if (raw === undefined) return undefined;
    const parsed = persistedStateSchema.safeParse(raw);
    if (!parsed.success) {
      await this.quarantine(parsed.error.message);
      return undefined;
    }
    return parsed.data;
  }

  /** Marks the state dirty; the write happens at most once per debounce window. */
  schedule(): void {
    this.dirty = true;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.debounceMs);
    this.timer.unref();
  }

  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    // Chained so two flushes never write the same temporary file or reorder renames.
    this.writing = this.writing.then(async () => {
      if (!this.dirty) return;
      this.dirty = false;
      try {
        await writeAtomically(this.stateFile, JSON.stringify(this.snapshot()));
      } catch (err) {
        this.dirty = true;
        this.log.error({ err, file: this.stateFile }, 'simulator: could not write state');
      }
    });
    return this.writing;
  }

  private async quarantine(reason: string): Promise<void> {
    const aside = `${this.stateFile}.corrupt-${Date.now()}`;
    this.log.warn({ file: this.stateFile, aside, reason }, 'simulator: state file invalid, starting empty');
    await rename(this.stateFile, aside).catch(() => undefined);
  }
}

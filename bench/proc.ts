/**
 * Per-process resource sampling from /proc (Linux): resident memory (VmRSS) and CPU time
 * (utime + stime) of the worker child and the dev server, and process.cpuUsage() for the
 * benchmark process itself (API + simulator + load driver).
 */
import fs from 'node:fs';
import os from 'node:os';

const CLOCK_TICKS = 100; // sysconf(_SC_CLK_TCK) on Linux, 100 on every mainstream kernel

export interface ProcSample {
  at: number;
  rssBytes: number;
  cpuSeconds: number;
}

/** One reading of a process; undefined when it is gone or /proc is unavailable. */
export function readProc(pid: number): ProcSample | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? 0);
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return { at: Date.now(), rssBytes: rssKb * 1024, cpuSeconds: ticks / CLOCK_TICKS };
  } catch {
    return undefined;
  }
}

/**
 * A process and its children (PostgreSQL: the postmaster and one backend per connection):
 * the parent's own time, the time of children it has reaped (cutime + cstime), and the live
 * children's; so the sum only grows as backends come and go.
 */
export function readProcTree(pid: number): ProcSample | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    let ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    let rssBytes = readProc(pid)?.rssBytes ?? 0;
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry) || entry === String(pid)) continue;
      try {
        const child = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
        const cf = child.slice(child.lastIndexOf(')') + 2).split(' ');
        if (Number(cf[1]) !== pid) continue;
        ticks += Number(cf[11]) + Number(cf[12]);
        rssBytes += readProc(Number(entry))?.rssBytes ?? 0;
      } catch {
        // gone between the listing and the read
      }
    }
    return { at: Date.now(), rssBytes, cpuSeconds: ticks / CLOCK_TICKS };
  } catch {
    return undefined;
  }
}

export function readSelf(): ProcSample {
  const u = process.cpuUsage();
  return { at: Date.now(), rssBytes: process.memoryUsage().rss, cpuSeconds: (u.user + u.system) / 1e6 };
}

export interface ResourceUse {
  /** CPU seconds used in the window. */
  cpuSeconds: number;
  /** CPU seconds per wall second (1.0 = one core busy). */
  cores: number;
  rssPeakBytes: number;
  rssEndBytes: number;
}

/** A pid, this process, or a pid with its children (RSS summed: shared pages count more than once). */
export type SampleTarget = number | 'self' | { tree: number };

/** Samples a set of named processes every `everyMs` between start() and stop(). */
export class ResourceSampler {
  private timer: NodeJS.Timeout | undefined;
  private first = new Map<string, ProcSample>();
  private last = new Map<string, ProcSample>();
  private peak = new Map<string, number>();

  constructor(private readonly targets: Record<string, SampleTarget>, private readonly everyMs = 500) {}

  private read(target: SampleTarget): ProcSample | undefined {
    if (target === 'self') return readSelf();
    return typeof target === 'number' ? readProc(target) : readProcTree(target.tree);
  }

  private tick(): void {
    for (const [name, target] of Object.entries(this.targets)) {
      const s = this.read(target);
      if (!s) continue;
      if (!this.first.has(name)) this.first.set(name, s);
      this.last.set(name, s);
      this.peak.set(name, Math.max(this.peak.get(name) ?? 0, s.rssBytes));
    }
  }

  start(): this {
    this.tick();
    this.timer = setInterval(() => this.tick(), this.everyMs);
    this.timer.unref();
    return this;
  }

  /** Latest RSS of a target (for progress lines). */
  rss(name: string): number | undefined {
    return this.last.get(name)?.rssBytes;
  }

  stop(): Record<string, ResourceUse> {
    if (this.timer) clearInterval(this.timer);
    this.tick();
    const out: Record<string, ResourceUse> = {};
    for (const name of Object.keys(this.targets)) {
      const a = this.first.get(name);
      const b = this.last.get(name);
      if (!a || !b) continue;
      const cpu = b.cpuSeconds - a.cpuSeconds;
      const wall = Math.max(0.001, (b.at - a.at) / 1000);
      out[name] = { cpuSeconds: cpu, cores: cpu / wall, rssPeakBytes: this.peak.get(name) ?? b.rssBytes, rssEndBytes: b.rssBytes };
    }
    return out;
  }
}

export function machineInfo(): { nproc: number; memoryGiB: number; cpuModel: string; loadAvg: number[]; kernel: string } {
  return {
    nproc: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    loadAvg: os.loadavg().map((l) => Math.round(l * 100) / 100),
    kernel: `${os.type()} ${os.release()}`,
  };
}

export const mib = (bytes: number | undefined): number => (bytes === undefined ? Number.NaN : Math.round((bytes / 2 ** 20) * 10) / 10);

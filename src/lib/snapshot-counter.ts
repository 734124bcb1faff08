import { Counter, type Registry } from 'prom-client';

/** Label values and their count, as read from a component's own counters. */
export type CounterReading = [Record<string, string>, number][];

/**
 * A Prometheus counter whose values are read at scrape time from counters a component
 * already keeps (the push dispatcher's stats, the simulator's counters), so the endpoint can
 * never drift from the component's own report.
 */
export function snapshotCounter(registry: Registry, name: string, help: string, labelNames: readonly string[], read: () => CounterReading): void {
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, v] of read()) this.inc(labels, v);
    },
  });
}

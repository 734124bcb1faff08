/**
 * Preloaded into benchmark worker children (`node --require bench/worker-probe.cjs --import tsx …`):
 * reports the process's memory (RSS, V8 heap of the main thread, external) to the parent over
 * IPC once a second, without touching the worker's own code. Plain CommonJS because the SDK's
 * workflow threads inherit the preload and load it without tsx. Workflow isolates run in
 * worker threads whose heaps count in RSS only.
 */
'use strict';
/* global process, require, setInterval */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { isMainThread } = require('node:worker_threads');

if (isMainThread && typeof process.send === 'function') {
  const report = () => {
    const m = process.memoryUsage();
    try {
      process.send({ type: 'memory', at: Date.now(), rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers });
    } catch {
      // the parent went away; nothing to report to
    }
  };
  setInterval(report, 1000).unref();
  process.on('disconnect', () => process.exit(0));
}

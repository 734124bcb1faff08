import { Client, Connection } from '@temporalio/client';
import { startDevServer } from '../src/engine/dev-server';
import { locateTemporalCli } from '../src/engine/locator';
import { freePort } from '../src/engine/ports';
import { readProc } from '../bench/proc';
import { spawnWorker } from '../bench/stack';
(async () => {
  const cli = await locateTemporalCli();
  const server = await startDevServer({ cliPath: cli.path, port: await freePort(), headless: true, logLevel: 'error', logFile: '/tmp/memx/park-server.log' });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  const N = Number(process.env.N ?? 300);
  try {
    for (const wf of (process.env.WFS ?? 'wf-plain,wf-zod,wf-order').split(',')) {
      const tq = `park-${wf}`;
      const w = await spawnWorker(`${__dirname}/park-worker.ts`, { TEMPORAL_ADDRESS: server.address, TEMPORAL_TASK_QUEUE: tq, WF: `${__dirname}/${wf}.ts` }, { client, taskQueue: tq, logFile: `/tmp/memx/${wf}.log` });
      await new Promise((r) => setTimeout(r, 3000));
      const r0 = readProc(w.pid)!.rssBytes;
      const ids: string[] = [];
      for (let i = 0; i < N; i += 20) await Promise.all(Array.from({ length: 20 }, (_, j) => { const id = `${wf}-${i + j}`; ids.push(id); return client.workflow.start('park', { workflowId: id, taskQueue: tq }); }));
      // wait until all have completed their activity (history length >= 8)
      await new Promise((r) => setTimeout(r, 15000));
      const r1 = readProc(w.pid)!.rssBytes;
      const m = w.memory();
      console.log(`${wf}: RSS idle ${Math.round(r0 / 2 ** 20)} MiB, with ${N} cached ${Math.round(r1 / 2 ** 20)} MiB => ${((r1 - r0) / N / 1024).toFixed(0)} KiB per workflow; main heap ${Math.round((m?.heapUsed ?? 0) / 2 ** 20)} MiB`);
      await w.stop();
    }
  } finally {
    await connection.close();
    await server.stop();
  }
})();

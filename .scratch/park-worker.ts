import { NativeConnection, Runtime, Worker, bundleWorkflowCode, makeTelemetryFilterString } from '@temporalio/worker';
(async () => {
  Runtime.install({ telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } } });
  const q = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
  const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve(process.env.WF!), logger: q as never });
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const w = await Worker.create({ connection, taskQueue: process.env.TEMPORAL_TASK_QUEUE!, workflowBundle: bundle, activities: { step: async (i: number) => i }, maxCachedWorkflows: 5000 });
  await w.run();
})();

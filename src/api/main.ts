import { exitOnConfigError, loadConfigOrExit } from '../config';
import { createLogger } from '../lib/logger';
import { createOrderService } from '../orders/order-service';
import { loadProductCatalogOrExit } from '../products-file';
import { connectClient } from '../temporal/connection';
import { apiListenOptions, buildApi } from './server';
import { codecAuthFromConfig, codecCorsOrigins, codecDevAccess } from '../codec/codec-server';
import { createCodecFromConfig } from '../temporal/data-converter';

/** The API process: configuration, Temporal client, server; stops cleanly on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const products = loadProductCatalogOrExit(config);
  const logger = createLogger('api', config.LOG_LEVEL);
  const client = await connectClient(config);
  const publicBaseUrl = config.PUBLIC_BASE_URL ?? `http://${config.API_HOST}:${config.API_PORT}`;
  const orders = createOrderService({ client, taskQueue: config.TEMPORAL_TASK_QUEUE, products, publicBaseUrl, collectLinkSecret: config.DOWNLOAD_LINK_SECRET });

  if (config.CA_PUSH_VERIFY === 'none' && config.CA_PUSH_SECRET) {
    // Not an error (the secret may be kept for a switch back), but nobody should believe pushes are checked.
    logger.warn('CA_PUSH_SECRET is set but CA_PUSH_VERIFY=none: pushes are not signature-checked (set CA_PUSH_VERIFY=hmac to check them)');
  }
  logger.info({ verify: config.CA_PUSH_VERIFY, allowFrom: config.CA_PUSH_ALLOW_FROM?.length ?? 'any', windowMs: config.CA_PUSH_WINDOW_MS, ratePerSec: config.CA_PUSH_RATE_PER_SEC, burst: config.CA_PUSH_BURST }, 'CA push receiver settings');

  // Ready when the frontend answers within 2 s; a slow Temporal is as good as none to a caller.
  const ready = async (): Promise<boolean> => {
    await client.withDeadline(Date.now() + 2_000, () => client.workflowService.getSystemInfo({}));
    return true;
  };

  const codec = createCodecFromConfig(config);
  const codecAuth = codecAuthFromConfig(config);
  const openToLocalUi = codecDevAccess(config);
  if (codec && !codecAuth && !openToLocalUi) logger.warn('Neither OPERATOR_TOKEN nor CODEC_OIDC_* is set: the codec endpoints for the Web UI are off');
  const app = await buildApi({
    config,
    orders,
    logger,
    ready,
    codec: codec && (codecAuth || openToLocalUi) ? { codec, ...codecAuth, openToLocalUi, corsOrigins: codecCorsOrigins(config) } : undefined,
  });
  const url = await app.listen(apiListenOptions(config));
  logger.info({ url, products: products.products.length, docs: `${url}/docs`, openapi: `${url}/openapi.json` }, `certflow API listening on ${url}`);

  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping the API');
    // In-flight requests finish; new connections are refused (fastify answers 503 meanwhile).
    await app.close();
    await client.connection.close();
    logger.info('API stopped');
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      stop(signal).then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, 'unclean stop');
          process.exit(1);
        },
      );
    });
  }
}

main().catch((err: unknown) => {
  exitOnConfigError(err);
  process.stderr.write(`certflow api: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

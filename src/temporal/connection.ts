import fs from 'node:fs';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import type { Config } from '../config';
import { createDataConverter } from './data-converter';

/**
 * Connection settings from configuration alone: the dev server by default; any Temporal
 * cluster with mTLS, or Temporal Cloud with an API key, by setting the TEMPORAL_* variables.
 */
function tlsOptions(config: Config): ConnectionOptions['tls'] {
  const wantsTls = config.TEMPORAL_TLS ?? Boolean(config.TEMPORAL_TLS_CERT_PATH || config.TEMPORAL_API_KEY || config.TEMPORAL_TLS_CA_PATH);
  if (!wantsTls) return undefined;
  return {
    serverNameOverride: config.TEMPORAL_TLS_SERVER_NAME,
    serverRootCACertificate: config.TEMPORAL_TLS_CA_PATH ? fs.readFileSync(config.TEMPORAL_TLS_CA_PATH) : undefined,
    clientCertPair:
      config.TEMPORAL_TLS_CERT_PATH && config.TEMPORAL_TLS_KEY_PATH
        ? { crt: fs.readFileSync(config.TEMPORAL_TLS_CERT_PATH), key: fs.readFileSync(config.TEMPORAL_TLS_KEY_PATH) }
        : undefined,
  };
}

export async function connectClient(config: Config): Promise<Client> {
  const connection = await Connection.connect({
    address: config.TEMPORAL_ADDRESS,
    tls: tlsOptions(config),
    apiKey: config.TEMPORAL_API_KEY,
  });
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE, dataConverter: createDataConverter(config) });
}

export async function connectWorker(config: Config): Promise<NativeConnection> {
  const options: NativeConnectionOptions = {
    address: config.TEMPORAL_ADDRESS,
    tls: tlsOptions(config),
    apiKey: config.TEMPORAL_API_KEY,
  };
  return NativeConnection.connect(options);
}

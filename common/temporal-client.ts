import { readFileSync } from 'node:fs';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { createDataConverter } from '../codec/data-converter';
import { parseKeyRing } from '../codec/keyring';
import type { TemporalConfig } from './config';

// How every process reaches Temporal: a local dev server, a self-hosted cluster (mTLS) or Temporal Cloud
// (mTLS or API key), with the project's (encrypting) data converter, so the CLI, the intake and the
// schedule Job read and write payloads exactly as the workers do. The worker's own native connection
// (worker/connection.ts) uses the same TLS settings.

export function tlsOptions(config: TemporalConfig['temporal']): ConnectionOptions['tls'] {
  const tls = config.tls;
  if (tls?.certPath && tls.keyPath) {
    return {
      clientCertPair: { crt: readFileSync(tls.certPath), key: readFileSync(tls.keyPath) },
      ...(tls.caPath ? { serverRootCACertificate: readFileSync(tls.caPath) } : {}),
    };
  }
  if (tls?.caPath) return { serverRootCACertificate: readFileSync(tls.caPath) };
  // Temporal Cloud with an API key needs TLS without a client certificate.
  return config.apiKey ? true : undefined;
}

export function clientConnectionOptions(config: TemporalConfig['temporal']): ConnectionOptions {
  return {
    address: config.address,
    tls: tlsOptions(config),
    ...(config.apiKey ? { apiKey: config.apiKey } : {}),
  };
}

/** The data converter of every worker and client: encrypting when a key ring is configured. */
export function dataConverterFor(config: Pick<TemporalConfig, 'encryption'>): DataConverter | undefined {
  const { keys, activeKeyId } = config.encryption;
  return createDataConverter({ keyRing: keys ? parseKeyRing(keys, activeKeyId) : undefined });
}

export interface TemporalClient {
  client: Client;
  connection: Connection;
  close(): Promise<void>;
}

export async function connectTemporalClient(
  config: Pick<TemporalConfig, 'temporal' | 'encryption'>,
): Promise<TemporalClient> {
  const dataConverter = dataConverterFor(config);
  const connection = await Connection.connect(clientConnectionOptions(config.temporal));
  const client = new Client({ connection, namespace: config.temporal.namespace, dataConverter });
  return { client, connection, close: () => connection.close() };
}

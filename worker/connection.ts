import { readFileSync } from 'node:fs';
import { Connection, type ConnectionOptions } from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import type { AppConfig } from './config';

// Connection settings for a local dev server, a self-hosted cluster (mTLS) or Temporal Cloud (mTLS or
// API key), from the one validated config.

function tlsOptions(config: AppConfig['temporal']): NativeConnectionOptions['tls'] {
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

export function nativeConnectionOptions(config: AppConfig['temporal']): NativeConnectionOptions {
  return {
    address: config.address,
    tls: tlsOptions(config),
    ...(config.apiKey ? { apiKey: config.apiKey } : {}),
  };
}

export function clientConnectionOptions(config: AppConfig['temporal']): ConnectionOptions {
  return {
    address: config.address,
    tls: tlsOptions(config) as ConnectionOptions['tls'],
    ...(config.apiKey ? { apiKey: config.apiKey } : {}),
  };
}

export const connectWorker = (config: AppConfig['temporal']) =>
  NativeConnection.connect(nativeConnectionOptions(config));
export const connectClient = (config: AppConfig['temporal']) =>
  Connection.connect(clientConnectionOptions(config));

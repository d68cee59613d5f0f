import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import type { TemporalConfig } from '../common/config';
import { tlsOptions } from '../common/temporal-client';

// The worker's native connection, with the same address, TLS and API key as every client of the project
// (common/temporal-client.ts).

export function nativeConnectionOptions(config: TemporalConfig['temporal']): NativeConnectionOptions {
  return {
    address: config.address,
    tls: tlsOptions(config) as NativeConnectionOptions['tls'],
    ...(config.apiKey ? { apiKey: config.apiKey } : {}),
  };
}

export const connectWorker = (config: TemporalConfig['temporal']) =>
  NativeConnection.connect(nativeConnectionOptions(config));

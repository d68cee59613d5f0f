import { Client, type Connection } from '@temporalio/client';
import { KeyRingError, parseKeyRing } from '../../codec/keyring';
import { ConfigError, loadConfig, type AppConfig } from '../../worker/config';
import { dataConverterFor } from '../../worker/app';
import { connectClient } from '../../worker/connection';

// The operator CLI and the shipment intake only talk to Temporal: they read the worker's own
// configuration (same variables, same file, same validation) but must not demand Flxpoint tokens or a
// Flxpoint URL. loadConfig() validates everything at once, so it is fed the real TEMPORAL_* and
// encryption settings plus placeholders for the parts these processes never use.

type Env = Record<string, string | undefined>;

/** The settings a Temporal-only process needs. */
export type TemporalSettings = Pick<AppConfig, 'temporal' | 'encryption'>;

const PLACEHOLDER_SOURCE = 'temporal-only';
const PLACEHOLDERS: Env = {
  FLXPOINT_BASE_URL: 'http://flxpoint.invalid',
  FLXPOINT_SOURCES: `${PLACEHOLDER_SOURCE}:1`,
  [`FLXPOINT_TOKEN_${PLACEHOLDER_SOURCE.toUpperCase().replace(/-/g, '_')}`]: 'unused',
};

/** Problems that concern what a Temporal-only process uses; anything else is not its business. */
const RELEVANT = /^(temporal|encryption|logLevel)\b|^FLXPOINT_CONFIG_FILE\b/;

/**
 * Loads only the Temporal connection and encryption settings from `env` (and FLXPOINT_CONFIG_FILE).
 * Throws ConfigError listing the problems with those settings.
 */
export function loadTemporalSettings(env: Env = process.env): AppConfig {
  const kept = Object.fromEntries(
    Object.entries(env).filter(
      ([k]) =>
        k.startsWith('TEMPORAL_') ||
        k.startsWith('FLXPOINT_ENCRYPTION_') ||
        k === 'FLXPOINT_CONFIG_FILE' ||
        k === 'LOG_LEVEL',
    ),
  );
  let config: AppConfig;
  try {
    config = loadConfig({ ...kept, ...PLACEHOLDERS });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const relevant = err.problems.filter((p) => RELEVANT.test(p));
    throw new ConfigError(relevant.length ? relevant : err.problems);
  }
  // Check the key ring now, so a bad key is a configuration problem (exit 2), not a failure later.
  if (config.encryption.keys) {
    try {
      parseKeyRing(config.encryption.keys, config.encryption.activeKeyId);
    } catch (err) {
      if (!(err instanceof KeyRingError)) throw err;
      throw new ConfigError(err.problems.map((p) => `encryption: FLXPOINT_ENCRYPTION_KEYS: ${p}`));
    }
  }
  return config;
}

export interface TemporalClient {
  client: Client;
  connection: Connection;
  close(): Promise<void>;
}

/** A client with the project's (encrypting) data converter, so payloads read and write as the workers'. */
export async function connectTemporalClient(config: AppConfig): Promise<TemporalClient> {
  const dataConverter = dataConverterFor(config);
  const connection = await connectClient(config.temporal);
  const client = new Client({ connection, namespace: config.temporal.namespace, dataConverter });
  return { client, connection, close: () => connection.close() };
}

import { createEmbeddedStore } from './embedded-store';
import { createPostgresStore } from './postgres-store';
import { createPostgresRequestSlots, type RequestSlots } from './request-slots';
import type { FrStore } from './types';

// Composition point: the worker picks a store from configuration and gets it migrated and ready.

export type StoreConfig = { kind: 'embedded'; dataDir?: string } | { kind: 'postgres'; url: string };

export async function createStore(config: StoreConfig): Promise<FrStore> {
  const store =
    config.kind === 'postgres'
      ? createPostgresStore({ connectionString: config.url })
      : await createEmbeddedStore({ dataDir: config.dataDir });
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  return store;
}

/**
 * Request slots shared by every worker replica on the store's PostgreSQL (store/request-slots.ts); none
 * for the embedded store, which serves one process only.
 */
export function requestSlotsFor(config: StoreConfig): RequestSlots | undefined {
  return config.kind === 'postgres' ? createPostgresRequestSlots(config.url) : undefined;
}

/**
 * Reads the worker's STORE_URL form: `embedded` (in memory), `embedded:<dir>` (persisted), or a
 * `postgres://` / `postgresql://` URL.
 */
export function storeConfigFromUrl(url: string): StoreConfig {
  if (url === 'embedded' || url === 'embedded:') return { kind: 'embedded' };
  if (url.startsWith('embedded:')) return { kind: 'embedded', dataDir: url.slice('embedded:'.length) };
  if (/^postgres(ql)?:\/\//.test(url)) return { kind: 'postgres', url };
  throw new Error('store URL must be "embedded", "embedded:<dir>" or "postgres://user@host:port/db"');
}

export type { RequestSlots } from './request-slots';
export type { CommitInput, CommitResult, CommittedFr, FrStore, StoredShipment } from './types';

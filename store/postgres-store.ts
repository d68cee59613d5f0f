import { Pool, type PoolClient } from 'pg';
import { redactError } from './redact';
import type { SqlDatabase, SqlSession } from './sql';
import { createSqlFrStore } from './sql-store';
import type { FrStore } from './types';

// Production store: a pg Pool against a real PostgreSQL, shared by every worker replica. Exactly-once is
// enforced by the database's keys, so replicas need no coordination of their own.

export interface PostgresStoreOptions {
  connectionString: string;
  /** Connections kept open; commits of different FRs run in parallel up to this. Default 10. */
  poolSize?: number;
  /**
   * An idle pooled connection broke (server restart, network). The pool drops it and the next query opens a
   * new one; this only reports it. The error is already redacted.
   */
  onIdleError?: (err: Error) => void;
}

export function createPostgresStore(options: PostgresStoreOptions): FrStore {
  const { connectionString } = options;
  const pool = new Pool({
    connectionString,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    application_name: 'flxpoint-temporal',
  });
  // Without a listener an idle client's error would crash the process.
  pool.on('error', (err) => options.onIdleError?.(redactError(err, connectionString)));

  const redacting = async <T>(op: () => Promise<T>): Promise<T> => {
    try {
      return await op();
    } catch (err) {
      throw redactError(err, connectionString);
    }
  };
  const session = (client: Pool | PoolClient): SqlSession => ({
    query: <R>(sql: string, params?: unknown[]) =>
      redacting(async () => (await client.query(sql, params)).rows as R[]),
    exec: (sql: string) =>
      redacting(async () => {
        await client.query(sql);
      }),
  });

  const db: SqlDatabase = {
    ...session(pool),
    async transaction(fn) {
      const client = await redacting(() => pool.connect());
      let broken: Error | undefined;
      try {
        await session(client).exec('BEGIN');
        try {
          const result = await fn(session(client));
          await session(client).exec('COMMIT');
          return result;
        } catch (err) {
          await client.query('ROLLBACK').catch((rollbackErr: Error) => {
            // The connection is unusable; destroy it instead of returning it to the pool.
            broken = rollbackErr;
          });
          // Already redacted: fn only reaches the database through session().
          throw err;
        }
      } finally {
        client.release(broken);
      }
    },
    close: () => redacting(() => pool.end()),
  };
  return createSqlFrStore(db);
}

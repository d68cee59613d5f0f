// The minimal database surface the store needs, so one implementation of the SQL (sql-store.ts) runs on
// both node-postgres and PGlite. Adapters live next to each driver.

export interface SqlSession {
  /** One statement with $n parameters; returns the rows. */
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Several statements, no parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface SqlDatabase extends SqlSession {
  /** BEGIN ... COMMIT on one connection; ROLLBACK and rethrow if fn throws. */
  transaction<T>(fn: (tx: SqlSession) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

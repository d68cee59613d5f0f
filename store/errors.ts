// What leaves the store when a statement fails. Driver errors carry the statement's parameters and the
// data around the fault (PGlite: `params`, `query`; both drivers: `detail`, `where` quoting the JSON it
// choked on), i.e. the whole FR with the customer's name, address, e-mail and phone. The SDK logs an
// activity's error at every attempt, so every store error is replaced by a StoreError that keeps only
// what an operator needs: which operation, which FR, PostgreSQL's one-line message and its SQLSTATE.

/**
 * SQLSTATE classes that depend only on the data sent: the same statement fails the same way on every
 * attempt. 22 data exception (bad text or number), 23 integrity constraint, 54 program limit exceeded.
 * Everything else (connection trouble, server shutting down, serialization failure, a missing table during
 * a deployment) may pass and is retried.
 */
const DETERMINISTIC_CLASSES = new Set(['22', '23', '54']);

export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    message: string,
    /** PostgreSQL's SQLSTATE or the driver's code (ECONNREFUSED), when there was one. */
    readonly code: string | undefined,
    /** True when retrying cannot help: the data itself is refused. */
    readonly deterministic: boolean,
  ) {
    super(message);
  }
}

/** `operation` names the call and its FR, e.g. "commit of FR 1001/42". */
export function toStoreError(err: unknown, operation: string): StoreError {
  if (err instanceof StoreError) return err;
  const e = err as { message?: unknown; code?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  // The first line of PostgreSQL's message names the problem ("unsupported Unicode escape sequence",
  // "value too long for type ..."), never the data; anything after it is not trusted.
  const firstLine = String(e?.message ?? err)
    .split('\n')[0]!
    .slice(0, 200);
  // The store's own argument checks (store/sql-store.ts) are data errors too.
  const deterministic =
    err instanceof TypeError || (code !== undefined && DETERMINISTIC_CLASSES.has(code.slice(0, 2)));
  return new StoreError(
    `store ${operation} failed: ${firstLine}${code ? ` (${/^[0-9A-Z]{5}$/.test(code) ? 'SQLSTATE ' : ''}${code})` : ''}`,
    code,
    deterministic,
  );
}

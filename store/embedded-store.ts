import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { SqlDatabase, SqlSession } from './sql';
import { createSqlFrStore } from './sql-store';
import type { FrStore } from './types';

// Zero-setup store: PostgreSQL compiled to WASM (PGlite) inside the worker process, so the embedded mode
// runs the very same SQL as production. One connection, one process: fine for a single worker; run
// several replicas against PostgreSQL instead.

export interface EmbeddedStoreOptions {
  /** Directory the database persists to (created if missing). Undefined: in memory, gone on close. */
  dataDir?: string;
}

// Memory. PGlite's defaults are a server's: 128 MB of shared_buffers inside the WASM heap. Our tables are
// tiny (one row per FR, one per shipment), so 16 MB is plenty; measured on the 2-vCPU box (RSS of a bare
// Node process, bench/embedded-store-rss.ts): 365 → 262 MB with an existing data directory. Lower settings bought
// nothing more; the rest is the compiled WASM and PGlite's file system image.
const START_PARAMS = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB'];

export async function createEmbeddedStore(options: EmbeddedStoreOptions = {}): Promise<FrStore> {
  const dataDir = options.dataDir === undefined ? undefined : resolve(options.dataDir);
  let releaseLock = () => {};
  if (dataDir) {
    mkdirSync(dirname(dataDir), { recursive: true });
    releaseLock = acquireDirLock(`${dataDir}.lock`, dataDir);
  }
  let pg: PGlite;
  try {
    // Creating a database runs initdb in a second PGlite instance, and the process keeps that memory
    // (≈ 250 MB more RSS for good). Done in a short-lived child process, the worker only ever opens an
    // existing directory.
    if (dataDir && !existsSync(join(dataDir, 'PG_VERSION'))) await initDataDirInChild(dataDir);
    pg = await PGlite.create(dataDir, { startParams: START_PARAMS });
  } catch (err) {
    releaseLock();
    throw err;
  }

  // PGlite is a single session. Its own locking serializes statements today, but a statement slipping
  // into another caller's open transaction would commit or roll back with it; one queue for every
  // operation makes that impossible regardless of library internals.
  let tail: Promise<unknown> = Promise.resolve();
  const serial = <T>(op: () => Promise<T>): Promise<T> => {
    const run = tail.then(op, op);
    tail = run.catch(() => undefined);
    return run;
  };

  const session = (s: PGlite | Transaction): SqlSession => ({
    query: async <R>(sql: string, params?: unknown[]) => (await s.query<R>(sql, params)).rows,
    exec: async (sql: string) => {
      await s.exec(sql);
    },
  });
  const direct = session(pg);
  let closed = false;

  const db: SqlDatabase = {
    query: (sql, params) => serial(() => direct.query(sql, params)),
    exec: (sql) => serial(() => direct.exec(sql)),
    transaction: (fn) => serial(() => pg.transaction((tx) => fn(session(tx)))),
    close: () =>
      serial(async () => {
        if (closed) return;
        closed = true;
        try {
          await pg.close();
        } finally {
          releaseLock();
        }
      }),
  };
  return createSqlFrStore(db);
}

/** `PGlite.create(dir)` in a child Node process: the data directory exists once it returns. */
async function initDataDirInChild(dataDir: string): Promise<void> {
  const lib = pathToFileURL(require.resolve('@electric-sql/pglite')).href;
  const script = `import(${JSON.stringify(lib)}).then(async ({ PGlite }) => {
    const pg = await PGlite.create(${JSON.stringify(dataDir)});
    await pg.close();
  }).catch((err) => { console.error(err); process.exit(1); });`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`embedded store: creating ${dataDir} failed (exit ${code}):\n${stderr}`);
}

/**
 * Two PGlite instances on one directory corrupt it, and nothing in PGlite prevents that. A lock file
 * beside the directory, holding the owner's pid, refuses a second opener; a dead owner's lock is taken over.
 */
function acquireDirLock(lockPath: string, dataDir: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockPath, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lockPath, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number.parseInt(readFileSync(lockPath, 'utf8').trim(), 10);
      if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
        throw new Error(
          `embedded store ${dataDir} is already open (process ${owner}${owner === process.pid ? ', this one' : ''}). ` +
            'The embedded store serves one worker process; close the other one, or use PostgreSQL ' +
            '(STORE_URL=postgres://...) to run several workers.',
        );
      }
      rmSync(lockPath, { force: true });
    }
  }
  throw new Error(`embedded store ${dataDir}: could not take the lock file ${lockPath}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

import type { StockRow } from '../stock-sources/types';
import type { SqlDatabase, SqlSession } from './sql';
import { assertId, databaseOf } from './sql-store';
import { storableJson, storableText } from './storable';
import type { FrStore } from './types';

// The inventory push's side of the store (migration 4), on the same database as the FR store, in both
// PostgreSQL and the embedded PGlite: per source and SKU, the variant id Flxpoint gave it and what Flxpoint
// last confirmed; per sync run, the delta to push (staged rows in batches of 50), so a workflow only ever
// carries counts and a batch cursor. A small interface of its own: the FR pipeline never sees it.

/** What Flxpoint last confirmed for a SKU: the fields we pushed (activities/inventory/delta.ts). */
export type PushedState = Omit<StockRow, 'sku'>;

export interface SkuState {
  sku: string;
  variantId: number | null;
  pushed: PushedState | null;
}

export type StagedStatus = 'pending' | 'unknown' | 'confirmed' | 'failed';

export interface StagedRow {
  sku: string;
  row: StockRow;
  variantId: number | null;
  disappeared: boolean;
}

export interface StagedBatchRow extends StagedRow {
  status: StagedStatus;
  /** What the SKU's confirmed state was when the run started (merged into on confirmation). */
  pushed: PushedState | null;
}

export interface InventoryStore {
  /** The stored state of these SKUs (absent: never seen). */
  statesOf(sourceId: number, skus: readonly string[]): Promise<Map<string, SkuState>>;
  /** SKUs with a confirmed push, in SKU order after `afterSku`, at most `limit`: for disappeared SKUs. */
  pushedAfter(sourceId: number, afterSku: string, limit: number): Promise<SkuState[]>;

  /** Forgets what a run staged (a retried staging starts over; a finished run cleans up). */
  clearRun(runKey: string): Promise<void>;
  stage(runKey: string, sourceId: number, rows: readonly StagedRow[]): Promise<void>;
  /**
   * Numbers the staged SKUs without a variant id into lookup pages of `size`, in SKU order (once; again =
   * same answer), so lookups can run side by side, each on its own page. Returns the number of pages.
   */
  planLookups(runKey: string, size: number): Promise<number>;
  /** The SKUs of one lookup page not looked up yet (empty once it was: a retry sends nothing). */
  lookupPage(runKey: string, page: number): Promise<string[]>;
  /** Up to `limit` SKUs this run found unknown and did not try to create yet, with their rows. */
  unknownToCreate(runKey: string, limit: number): Promise<{ sku: string; row: StockRow }[]>;
  /**
   * Records one creation attempt: `created` SKUs get their new variant id (cached, and pending again so
   * the run pushes them with the others); every SKU of `tried` is not tried again this run.
   */
  recordCreated(
    runKey: string,
    sourceId: number,
    tried: readonly string[],
    created: readonly { sku: string; variantId: number }[],
  ): Promise<void>;
  /**
   * Records one lookup: the ids found (staged and cached per SKU), the others of `looked` become `unknown`
   * for this run (Flxpoint has no such SKU for this source).
   */
  resolveIds(
    runKey: string,
    sourceId: number,
    looked: readonly string[],
    found: readonly { sku: string; variantId: number }[],
  ): Promise<void>;
  /** Caches variant ids learned outside a run (urgent pushes). */
  cacheVariantIds(sourceId: number, found: readonly { sku: string; variantId: number }[]): Promise<void>;
  /** Numbers the pending rows with a variant id into batches of `size` (once; again = same answer). */
  planBatches(runKey: string, size: number): Promise<number>;
  batchRows(runKey: string, sourceId: number, batch: number): Promise<StagedBatchRow[]>;
  /**
   * One transaction: confirmed rows become the SKUs' pushed state; failed rows keep the old state and
   * their error (pushed again next run); `staleIds` forget their variant id (learned again next run).
   */
  settleBatch(
    runKey: string,
    sourceId: number,
    result: {
      confirmed: readonly { sku: string; variantId: number; pushed: PushedState }[];
      failed: readonly { sku: string; error: string }[];
      staleIds: readonly string[];
    },
  ): Promise<void>;
  /** Counts of the run's rows by status, and the first `sampleSize` unknown SKUs. */
  runCounts(
    runKey: string,
    sampleSize: number,
  ): Promise<{ counts: Record<string, number>; unknown: string[] }>;
  /** Staged rows of runs older than this, left by runs that never finished (terminated workflows). */
  pruneRuns(olderThanMs: number): Promise<number>;
}

interface StateRow {
  sku: string;
  variant_id: number | string | null;
  pushed: PushedState | null;
}

interface BatchRow {
  sku: string;
  row: StockRow;
  variant_id: number | string | null;
  disappeared: boolean;
  status: StagedStatus;
  pushed: PushedState | null;
}

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));
const json = (v: unknown) => JSON.stringify(storableJson(v));

export function inventoryStoreOf(store: FrStore): InventoryStore {
  const db = databaseOf(store);
  if (!db)
    throw new TypeError('inventoryStoreOf: not a store made by store/ (a wrapper? pass the inner store)');
  return createInventoryStore(db);
}

type LearnedId = { sku: string; variantId: number };
const idsJson = (found: readonly LearnedId[]) =>
  json(found.map((f) => ({ sku: f.sku, variant_id: f.variantId })));

/** Keeps learned variant ids per source and SKU, for every later run. */
async function cacheIds(q: SqlSession, sourceId: number, found: readonly LearnedId[]): Promise<void> {
  if (found.length === 0) return;
  await q.query(
    `INSERT INTO inventory_skus (source_id, sku, variant_id)
     SELECT $1, x.sku, x.variant_id FROM jsonb_to_recordset($2::jsonb) AS x(sku text, variant_id bigint)
     ON CONFLICT (source_id, sku) DO UPDATE SET variant_id = EXCLUDED.variant_id`,
    [sourceId, idsJson(found)],
  );
}

/** Learned ids: cached for later runs and set on this run's staged rows (made pending again if asked). */
async function learnIds(
  q: SqlSession,
  runKey: string,
  sourceId: number,
  found: readonly LearnedId[],
  opts: { pending: boolean },
): Promise<void> {
  if (found.length === 0) return;
  await cacheIds(q, sourceId, found);
  await q.query(
    `UPDATE inventory_sync_rows r
        SET variant_id = x.variant_id${opts.pending ? ", status = 'pending'" : ''}
       FROM jsonb_to_recordset($2::jsonb) AS x(sku text, variant_id bigint)
      WHERE r.run_key = $1 AND r.sku = x.sku`,
    [runKey, idsJson(found)],
  );
}

export function createInventoryStore(db: SqlDatabase): InventoryStore {
  const toState = (r: StateRow): SkuState => ({ sku: r.sku, variantId: num(r.variant_id), pushed: r.pushed });
  return {
    async statesOf(sourceId, skus) {
      assertId('sourceId', sourceId);
      const out = new Map<string, SkuState>();
      if (skus.length === 0) return out;
      const rows = await db.query<StateRow>(
        `SELECT s.sku, s.variant_id, s.pushed FROM inventory_skus s
           JOIN jsonb_array_elements_text($2::jsonb) AS k(sku) ON k.sku = s.sku
          WHERE s.source_id = $1`,
        [sourceId, json(skus)],
      );
      for (const r of rows) out.set(r.sku, toState(r));
      return out;
    },

    async pushedAfter(sourceId, afterSku, limit) {
      assertId('sourceId', sourceId);
      const rows = await db.query<StateRow>(
        `SELECT sku, variant_id, pushed FROM inventory_skus
          WHERE source_id = $1 AND pushed IS NOT NULL AND sku > $2
          ORDER BY sku LIMIT $3`,
        [sourceId, afterSku, limit],
      );
      return rows.map(toState);
    },

    async clearRun(runKey) {
      await db.query('DELETE FROM inventory_sync_rows WHERE run_key = $1', [runKey]);
    },

    async stage(runKey, sourceId, rows) {
      assertId('sourceId', sourceId);
      if (rows.length === 0) return;
      await db.query(
        `INSERT INTO inventory_sync_rows (run_key, source_id, sku, row, variant_id, disappeared)
         SELECT $1, $2, x.sku, x.row, x.variant_id, x.disappeared
           FROM jsonb_to_recordset($3::jsonb) AS x(sku text, row jsonb, variant_id bigint, disappeared boolean)
         ON CONFLICT (run_key, sku) DO NOTHING`,
        [
          storableText(runKey),
          sourceId,
          json(
            rows.map((r) => ({
              sku: r.sku,
              row: r.row,
              variant_id: r.variantId,
              disappeared: r.disappeared,
            })),
          ),
        ],
      );
    },

    async planLookups(runKey, size) {
      return db.transaction(async (tx) => {
        const planned = async () => {
          const [row] = await tx.query<{ n: number | string | null }>(
            'SELECT max(lookup_page) + 1 AS n FROM inventory_sync_rows WHERE run_key = $1',
            [runKey],
          );
          return row?.n === null || row?.n === undefined ? null : Number(row.n);
        };
        const already = await planned();
        if (already !== null) return already;
        await tx.query(
          `WITH numbered AS (
             SELECT sku, (row_number() OVER (ORDER BY sku) - 1) / $2 AS p
               FROM inventory_sync_rows
              WHERE run_key = $1 AND variant_id IS NULL AND NOT looked_up AND status = 'pending')
           UPDATE inventory_sync_rows r SET lookup_page = n.p
             FROM numbered n WHERE r.run_key = $1 AND r.sku = n.sku`,
          [runKey, size],
        );
        return (await planned()) ?? 0;
      });
    },

    async lookupPage(runKey, page) {
      const rows = await db.query<{ sku: string }>(
        `SELECT sku FROM inventory_sync_rows
          WHERE run_key = $1 AND lookup_page = $2 AND NOT looked_up
          ORDER BY sku`,
        [runKey, page],
      );
      return rows.map((r) => r.sku);
    },

    async unknownToCreate(runKey, limit) {
      return db.query<{ sku: string; row: StockRow }>(
        `SELECT sku, row FROM inventory_sync_rows
          WHERE run_key = $1 AND status = 'unknown' AND NOT create_tried AND NOT disappeared
          ORDER BY sku LIMIT $2`,
        [runKey, limit],
      );
    },

    async recordCreated(runKey, sourceId, tried, created) {
      assertId('sourceId', sourceId);
      await db.transaction(async (tx) => {
        // Pending again: a created SKU is pushed with the run's other rows.
        await learnIds(tx, runKey, sourceId, created, { pending: true });
        await tx.query(
          `UPDATE inventory_sync_rows r SET create_tried = true
             FROM jsonb_array_elements_text($2::jsonb) AS k(sku)
            WHERE r.run_key = $1 AND r.sku = k.sku`,
          [runKey, json(tried)],
        );
      });
    },

    async resolveIds(runKey, sourceId, looked, found) {
      assertId('sourceId', sourceId);
      await db.transaction(async (tx) => {
        await learnIds(tx, runKey, sourceId, found, { pending: false });
        await tx.query(
          `UPDATE inventory_sync_rows r
              SET looked_up = true,
                  status = CASE WHEN r.variant_id IS NULL THEN 'unknown' ELSE r.status END
             FROM jsonb_array_elements_text($2::jsonb) AS k(sku)
            WHERE r.run_key = $1 AND r.sku = k.sku`,
          [runKey, json(looked)],
        );
      });
    },

    async cacheVariantIds(sourceId, found) {
      assertId('sourceId', sourceId);
      await cacheIds(db, sourceId, found);
    },

    async planBatches(runKey, size) {
      return db.transaction(async (tx) => {
        const [planned] = await tx.query<{ n: number | null }>(
          'SELECT max(batch) + 1 AS n FROM inventory_sync_rows WHERE run_key = $1',
          [runKey],
        );
        if (planned?.n !== null && planned?.n !== undefined) return Number(planned.n);
        await tx.query(
          `WITH numbered AS (
             SELECT sku, (row_number() OVER (ORDER BY sku) - 1) / $2 AS b
               FROM inventory_sync_rows
              WHERE run_key = $1 AND status = 'pending' AND variant_id IS NOT NULL)
           UPDATE inventory_sync_rows r SET batch = n.b
             FROM numbered n WHERE r.run_key = $1 AND r.sku = n.sku`,
          [runKey, size],
        );
        const [row] = await tx.query<{ n: number | string | null }>(
          'SELECT max(batch) + 1 AS n FROM inventory_sync_rows WHERE run_key = $1',
          [runKey],
        );
        return row?.n === null || row?.n === undefined ? 0 : Number(row.n);
      });
    },

    async batchRows(runKey, sourceId, batch) {
      const rows = await db.query<BatchRow>(
        `SELECT r.sku, r.row, r.variant_id, r.disappeared, r.status, s.pushed
           FROM inventory_sync_rows r
           LEFT JOIN inventory_skus s ON s.source_id = $2 AND s.sku = r.sku
          WHERE r.run_key = $1 AND r.batch = $3
          ORDER BY r.sku`,
        [runKey, sourceId, batch],
      );
      return rows.map((r) => ({
        sku: r.sku,
        row: r.row,
        variantId: num(r.variant_id),
        disappeared: r.disappeared,
        status: r.status,
        pushed: r.pushed,
      }));
    },

    async settleBatch(runKey, sourceId, result) {
      assertId('sourceId', sourceId);
      await db.transaction(async (tx) => {
        if (result.confirmed.length > 0) {
          const rows = json(
            result.confirmed.map((c) => ({ sku: c.sku, variant_id: c.variantId, pushed: c.pushed })),
          );
          await tx.query(
            `INSERT INTO inventory_skus (source_id, sku, variant_id, pushed, pushed_at, last_error)
             SELECT $1, x.sku, x.variant_id, x.pushed, now(), NULL
               FROM jsonb_to_recordset($2::jsonb) AS x(sku text, variant_id bigint, pushed jsonb)
             ON CONFLICT (source_id, sku) DO UPDATE
               SET variant_id = EXCLUDED.variant_id, pushed = EXCLUDED.pushed,
                   pushed_at = EXCLUDED.pushed_at, last_error = NULL`,
            [sourceId, rows],
          );
          await tx.query(
            `UPDATE inventory_sync_rows r SET status = 'confirmed', error = NULL
               FROM jsonb_array_elements_text($2::jsonb) AS k(sku)
              WHERE r.run_key = $1 AND r.sku = k.sku`,
            [runKey, json(result.confirmed.map((c) => c.sku))],
          );
        }
        if (result.failed.length > 0) {
          const rows = json(result.failed.map((f) => ({ sku: f.sku, error: f.error.slice(0, 2000) })));
          await tx.query(
            `UPDATE inventory_sync_rows r SET status = 'failed', error = x.error
               FROM jsonb_to_recordset($2::jsonb) AS x(sku text, error text)
              WHERE r.run_key = $1 AND r.sku = x.sku`,
            [runKey, rows],
          );
          await tx.query(
            `UPDATE inventory_skus s SET last_error = x.error
               FROM jsonb_to_recordset($2::jsonb) AS x(sku text, error text)
              WHERE s.source_id = $1 AND s.sku = x.sku`,
            [sourceId, rows],
          );
        }
        if (result.staleIds.length > 0) {
          await tx.query(
            `UPDATE inventory_skus s SET variant_id = NULL
               FROM jsonb_array_elements_text($2::jsonb) AS k(sku)
              WHERE s.source_id = $1 AND s.sku = k.sku`,
            [sourceId, json(result.staleIds)],
          );
        }
      });
    },

    async runCounts(runKey, sampleSize) {
      const rows = await db.query<{ status: string; n: number | string }>(
        'SELECT status, count(*) AS n FROM inventory_sync_rows WHERE run_key = $1 GROUP BY status',
        [runKey],
      );
      const unknown = await db.query<{ sku: string }>(
        `SELECT sku FROM inventory_sync_rows WHERE run_key = $1 AND status = 'unknown' ORDER BY sku LIMIT $2`,
        [runKey, sampleSize],
      );
      return {
        counts: Object.fromEntries(rows.map((r) => [r.status, Number(r.n)])),
        unknown: unknown.map((r) => r.sku),
      };
    },

    async pruneRuns(olderThanMs) {
      const rows = await db.query<{ run_key: string }>(
        `DELETE FROM inventory_sync_rows
          WHERE created_at < now() - $1 * interval '1 millisecond'
          RETURNING run_key`,
        [olderThanMs],
      );
      return new Set(rows.map((r) => r.run_key)).size;
    },
  };
}

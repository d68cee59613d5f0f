import type { HandlerDecision } from '../common/domain';
import { toStoreError } from './errors';
import { MIGRATIONS, type Migration } from './migrations';
import type { SqlDatabase, SqlSession } from './sql';
import { storableJson, storableText } from './storable';
import type { CommitInput, CommitResult, CommittedFr, FrStore } from './types';

// The store's behaviour, written once against SqlDatabase. Everything that must be exactly-once is decided
// by a primary key inside PostgreSQL, never by a read-then-write in this process, so it holds across
// worker replicas sharing one database.
//
// Two rules for what crosses the boundary: every value written is made storable first (store/storable.ts:
// a NUL character or a lone surrogate becomes U+FFFD, as PostgreSQL refuses them), and every error leaving
// a store operation is a StoreError (store/errors.ts) naming the FR and the problem, never the data.

/** Arbitrary constant: the advisory lock that serializes migrators (several workers starting at once). */
const MIGRATION_LOCK_KEY = 7_310_422_001;
export const COMMIT_SIDE_EFFECT = 'fr_committed';

/** The database behind each store this module made, for store/inspection.ts (tests, never the pipeline). */
const databases = new WeakMap<FrStore, SqlDatabase>();
export const databaseOf = (store: FrStore): SqlDatabase | undefined => databases.get(store);

interface CommittedRow {
  source_id: number | string;
  fr_id: number | string;
  fr_number: string | null;
  workflow_id: string;
  decision: HandlerDecision;
  committed_at: Date | string;
  outcome: string | null;
}

/** Where committed FRs and their Flxpoint outcomes live: the live tables, or shadow mode's (shadow-store.ts). */
export interface FrTables {
  readonly frs: string;
  readonly outcomes: string;
}

const LIVE_TABLES: FrTables = { frs: 'committed_frs', outcomes: 'fr_outcomes' };

const selectCommitted = (t: FrTables) => `
  SELECT c.source_id, c.fr_id, c.fr_number, c.workflow_id, c.decision, c.committed_at, o.outcome
  FROM ${t.frs} c
  LEFT JOIN ${t.outcomes} o ON o.source_id = c.source_id AND o.fr_id = c.fr_id
  WHERE c.source_id = $1 AND c.fr_id = $2`;

/** One committed FR (with its outcome) from `tables`, or undefined. */
export async function readCommittedFr(
  s: SqlSession,
  tables: FrTables,
  sourceId: number,
  frId: number,
): Promise<CommittedFr | undefined> {
  const [row] = await s.query<CommittedRow>(selectCommitted(tables), [sourceId, frId]);
  return row && toCommittedFr(row);
}

/**
 * The commit both stores make: inserts the FR into `tables.frs` once (the key decides, ON CONFLICT DO
 * NOTHING), runs `onInserted` (same session) only when this call inserted, and returns the stored record,
 * so a replay gets the decision stored first, which is binding. `label` starts the messages of the errors
 * it throws; `inTransaction` runs the statements in one transaction (the live store, for its outbox row).
 */
export async function commitFr(
  db: SqlDatabase,
  tables: FrTables,
  input: CommitInput,
  opts: { label: string; inTransaction?: boolean; onInserted?: (s: SqlSession) => Promise<void> },
): Promise<CommitResult> {
  const { label, inTransaction = false, onInserted } = opts;
  assertId('sourceId', input.sourceId);
  assertId('frId', input.frId);
  if (!input.workflowId) throw new TypeError(`${label}: workflowId must be a non-empty string`);
  const frNumber = input.frNumber ?? input.fr.fulfillmentRequestNumber ?? null;
  const statements = async (s: SqlSession): Promise<CommitResult> => {
    const inserted = await s.query(
      `INSERT INTO ${tables.frs} (source_id, fr_id, fr_number, workflow_id, fr, decision)
         VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb)
         ON CONFLICT (source_id, fr_id) DO NOTHING
         RETURNING 1 AS ok`,
      [
        input.sourceId,
        input.frId,
        frNumber === null ? null : storableText(String(frNumber)),
        storableText(input.workflowId),
        storableJsonText(input.fr),
        storableJsonText(input.decision),
      ],
    );
    if (inserted.length > 0 && onInserted) await onInserted(s);
    // In a transaction (READ COMMITTED) this sees our own insert, or the row of a concurrent commit that won
    // the key (ON CONFLICT waited for it to commit), so a replay always gets the stored decision.
    const record = await readCommittedFr(s, tables, input.sourceId, input.frId);
    if (!record) {
      const what = inTransaction ? 'vanished inside its transaction' : 'was not stored';
      throw new Error(`${label}: FR ${input.sourceId}/${input.frId} ${what}`);
    }
    return { inserted: inserted.length > 0, record };
  };
  return inTransaction ? db.transaction(statements) : statements(db);
}

/** A value as jsonb parameter text, made storable first; undefined (never for a typed FR) becomes NULL. */
export const storableJsonText = (v: unknown): string | null =>
  v === undefined ? null : JSON.stringify(storableJson(v));

export function createSqlFrStore(db: SqlDatabase, migrations: readonly Migration[] = MIGRATIONS): FrStore {
  let closed = false;

  const store: FrStore = {
    async migrate() {
      await db.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
        await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
          version    integer     PRIMARY KEY,
          name       text        NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now())`);
        const applied = new Map(
          (
            await tx.query<{ version: number; name: string }>('SELECT version, name FROM schema_migrations')
          ).map((r) => [Number(r.version), r.name]),
        );
        for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
          const name = applied.get(m.version);
          if (name === undefined) {
            await tx.exec(m.sql);
            await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
              m.version,
              m.name,
            ]);
          } else if (name !== m.name) {
            // An edited or renumbered migration would leave this database on a schema the code does not
            // describe; stop rather than guess.
            throw new Error(
              `store migration ${m.version} was applied as "${name}" but the code now calls it "${m.name}": ` +
                'migrations are append-only, add a new version instead of editing an applied one',
            );
          }
        }
        // Versions this code does not know (a newer worker migrated first during a rolling deploy) are left
        // alone: migrations only add, so older code keeps working.
      });
    },

    commit: (input: CommitInput) =>
      guard(`commit of FR ${input.sourceId}/${input.frId}`, () => commitOnce(input)),

    get: (sourceId, frId) =>
      guard(`read of FR ${sourceId}/${frId}`, () => {
        assertId('sourceId', sourceId);
        assertId('frId', frId);
        return readCommittedFr(db, LIVE_TABLES, sourceId, frId);
      }),

    recordOutcome: (sourceId, frId, outcome) =>
      guard(`outcome of FR ${sourceId}/${frId}`, async () => {
        assertId('sourceId', sourceId);
        assertId('frId', frId);
        if (!outcome) throw new TypeError('recordOutcome: outcome must be a non-empty string');
        await db.query(
          `INSERT INTO fr_outcomes (source_id, fr_id, outcome) VALUES ($1, $2, $3)
           ON CONFLICT (source_id, fr_id) DO UPDATE SET outcome = EXCLUDED.outcome, updated_at = now()`,
          [sourceId, frId, storableText(outcome)],
        );
      }),

    recordShipment: (s) =>
      guard(`shipment record of FR ${s.sourceId}/${s.frId}`, () => recordShipmentOnce(s)),

    async close() {
      if (closed) return;
      closed = true;
      await db.close();
    },
  };

  function commitOnce(input: CommitInput): Promise<CommitResult> {
    return commitFr(db, LIVE_TABLES, input, {
      label: 'commit',
      inTransaction: true,
      onInserted: async (tx) => {
        await tx.query(
          `INSERT INTO commit_outbox (source_id, fr_id, kind, payload) VALUES ($1, $2, $3, $4::jsonb)`,
          [
            input.sourceId,
            input.frId,
            COMMIT_SIDE_EFFECT,
            JSON.stringify(storableJson({ workflowId: input.workflowId, decision: input.decision })),
          ],
        );
      },
    });
  }

  async function recordShipmentOnce(
    s: Parameters<FrStore['recordShipment']>[0],
  ): Promise<{ inserted: boolean }> {
    assertId('sourceId', s.sourceId);
    assertId('frId', s.frId);
    if (!s.trackingNumber) throw new TypeError('recordShipment: trackingNumber must be a non-empty string');
    const trackingNumber = storableText(s.trackingNumber);
    const inserted = await db.query(
      `INSERT INTO shipments (source_id, fr_id, tracking_number, shipment, flxpoint_shipment_id)
         VALUES ($1, $2, $3, $4::jsonb, $5::bigint)
         ON CONFLICT (source_id, fr_id, tracking_number) DO NOTHING
         RETURNING 1 AS ok`,
      [s.sourceId, s.frId, trackingNumber, JSON.stringify(storableJson(s.shipment)), s.flxpointShipmentId],
    );
    if (inserted.length === 0 && s.flxpointShipmentId !== null) {
      // A retry that now knows Flxpoint's shipment id fills it in; the first recorded shipment is kept.
      await db.query(
        `UPDATE shipments SET flxpoint_shipment_id = $4::bigint
           WHERE source_id = $1 AND fr_id = $2 AND tracking_number = $3 AND flxpoint_shipment_id IS NULL`,
        [s.sourceId, s.frId, trackingNumber, s.flxpointShipmentId],
      );
    }
    return { inserted: inserted.length > 0 };
  }

  databases.set(store, db);
  return store;
}

/** Runs one store operation; whatever it throws leaves as a StoreError (FR and problem, no data). */
async function guard<T>(operation: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    throw toStoreError(err, operation);
  }
}

export function assertId(field: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new TypeError(`${field} must be a non-negative integer, got ${String(value)}`);
  }
}

export function toIso(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

// node-postgres returns bigint columns as strings (they can exceed 2^53); FR and source ids do not.
function toCommittedFr(r: CommittedRow): CommittedFr {
  return {
    sourceId: Number(r.source_id),
    frId: Number(r.fr_id),
    frNumber: r.fr_number,
    workflowId: r.workflow_id,
    decision: r.decision,
    committedAt: toIso(r.committed_at),
    flxpointOutcome: r.outcome,
  };
}

import type { ShipmentRecord } from '../common/domain';
import type { SqlDatabase } from './sql';
import {
  assertId,
  commitFr,
  databaseOf,
  type FrTables,
  readCommittedFr,
  storableJsonText,
  toIso,
} from './sql-store';
import { storableText } from './storable';
import type { CommitInput, CommitResult, CommittedFr, FrStore, StoredShipment } from './types';

// Shadow mode's side of the store (FLXPOINT_MODE=shadow, docs/operations.md "Shadow mode"): the same
// operations as FrStore on tables of their own (migration 2), plus the writes a shadow workflow would have
// sent to Flxpoint. Live tables are never touched, so when the mode switches to live, the live commit of an
// FR a shadow worker already committed inserts as if the shadow run never happened.

/** One write request a shadow workflow made instead of sending it. Never a header, so never the token. */
export interface ShadowWrite {
  workflowId: string;
  runId: string;
  activityId: string;
  /** The n-th write of that activity (0-based). */
  seq: number;
  sourceId: number;
  frId: number | null;
  /** What the request does: acknowledge, adjust, processing-failed, create-shipment (or `other`). */
  endpoint: string;
  method: string;
  path: string;
  query: Record<string, string> | null;
  body: unknown;
  /** ISO-8601 (UTC); null until stored. */
  recordedAt: string | null;
}

export interface ShadowStore extends Omit<FrStore, 'migrate' | 'close'> {
  /** Idempotent on (workflow, run, activity, seq): a retried activity records its request once. */
  recordWrite(w: Omit<ShadowWrite, 'recordedAt'>): Promise<{ inserted: boolean }>;
  /** The writes of one workflow id (every run), oldest first. */
  listWrites(workflowId: string): Promise<ShadowWrite[]>;
  stats(): Promise<{ frs: number; outcomes: number; shipments: number; writes: number }>;
}

interface ShadowWriteRow {
  workflow_id: string;
  run_id: string;
  activity_id: string;
  seq: number;
  source_id: number | string;
  fr_id: number | string | null;
  endpoint: string;
  method: string;
  path: string;
  query: Record<string, string> | null;
  body: unknown;
  recorded_at: Date | string;
}

/** Shadow mode's own copies of committed_frs and fr_outcomes (migration 2). */
const SHADOW_TABLES: FrTables = { frs: 'shadow_frs', outcomes: 'shadow_outcomes' };

/** The shadow side of a store made by store/ (createStore, createEmbeddedStore, createPostgresStore). */
export function shadowStoreOf(store: FrStore): ShadowStore {
  const db = databaseOf(store);
  if (!db) throw new TypeError('shadowStoreOf: not a store made by store/ (a wrapper? pass the inner store)');
  return createShadowStore(db);
}

function createShadowStore(db: SqlDatabase): ShadowStore {
  const readFr = (sourceId: number, frId: number): Promise<CommittedFr | undefined> =>
    readCommittedFr(db, SHADOW_TABLES, sourceId, frId);
  const json = storableJsonText;

  return {
    commit: (input: CommitInput): Promise<CommitResult> =>
      commitFr(db, SHADOW_TABLES, input, { label: 'shadow commit' }),

    async get(sourceId, frId) {
      assertId('sourceId', sourceId);
      assertId('frId', frId);
      return readFr(sourceId, frId);
    },

    async recordOutcome(sourceId, frId, outcome) {
      assertId('sourceId', sourceId);
      assertId('frId', frId);
      if (!outcome) throw new TypeError('recordOutcome: outcome must be a non-empty string');
      await db.query(
        `INSERT INTO shadow_outcomes (source_id, fr_id, outcome) VALUES ($1, $2, $3)
         ON CONFLICT (source_id, fr_id) DO UPDATE SET outcome = EXCLUDED.outcome, updated_at = now()`,
        [sourceId, frId, storableText(outcome)],
      );
    },

    async recordShipment(s: Omit<StoredShipment, 'recordedAt'>) {
      assertId('sourceId', s.sourceId);
      assertId('frId', s.frId);
      if (!s.trackingNumber) throw new TypeError('recordShipment: trackingNumber must be a non-empty string');
      const inserted = await db.query(
        `INSERT INTO shadow_shipments (source_id, fr_id, tracking_number, shipment)
         VALUES ($1, $2, $3, $4::jsonb)
         ON CONFLICT (source_id, fr_id, tracking_number) DO NOTHING
         RETURNING 1 AS ok`,
        [s.sourceId, s.frId, storableText(s.trackingNumber), json(s.shipment satisfies ShipmentRecord)],
      );
      return { inserted: inserted.length > 0 };
    },

    async recordWrite(w) {
      assertId('sourceId', w.sourceId);
      if (w.frId !== null) assertId('frId', w.frId);
      const inserted = await db.query(
        `INSERT INTO shadow_writes
           (workflow_id, run_id, activity_id, seq, source_id, fr_id, endpoint, method, path, query, body)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::jsonb)
         ON CONFLICT (workflow_id, run_id, activity_id, seq) DO NOTHING
         RETURNING 1 AS ok`,
        [
          storableText(w.workflowId),
          storableText(w.runId),
          storableText(w.activityId),
          w.seq,
          w.sourceId,
          w.frId,
          w.endpoint,
          w.method,
          storableText(w.path),
          w.query ? json(w.query) : null,
          json(w.body),
        ],
      );
      return { inserted: inserted.length > 0 };
    },

    async listWrites(workflowId) {
      const rows = await db.query<ShadowWriteRow>(
        `SELECT workflow_id, run_id, activity_id, seq, source_id, fr_id, endpoint, method, path, query, body,
                recorded_at
         FROM shadow_writes WHERE workflow_id = $1
         ORDER BY recorded_at, activity_id, seq`,
        [workflowId],
      );
      return rows.map(toShadowWrite);
    },

    async stats() {
      const [row] = await db.query<Record<'frs' | 'outcomes' | 'shipments' | 'writes', number | string>>(
        `SELECT (SELECT count(*) FROM shadow_frs) AS frs,
                (SELECT count(*) FROM shadow_outcomes) AS outcomes,
                (SELECT count(*) FROM shadow_shipments) AS shipments,
                (SELECT count(*) FROM shadow_writes) AS writes`,
      );
      return {
        frs: Number(row?.frs ?? 0),
        outcomes: Number(row?.outcomes ?? 0),
        shipments: Number(row?.shipments ?? 0),
        writes: Number(row?.writes ?? 0),
      };
    },
  };
}

function toShadowWrite(r: ShadowWriteRow): ShadowWrite {
  return {
    workflowId: r.workflow_id,
    runId: r.run_id,
    activityId: r.activity_id,
    seq: Number(r.seq),
    sourceId: Number(r.source_id),
    frId: r.fr_id === null ? null : Number(r.fr_id),
    endpoint: r.endpoint,
    method: r.method,
    path: r.path,
    query: r.query,
    body: r.body,
    recordedAt: toIso(r.recorded_at),
  };
}

import type { ShipmentRecord } from '../common/domain';
import { assertId, COMMIT_SIDE_EFFECT, databaseOf, toIso } from './sql-store';
import type { FrStore, StoredShipment } from './types';

// Reads of the store's tables that the pipeline never makes: exact accounting for the tests, the chaos
// suite and the benchmarks. Kept out of FrStore, so the production contract is only what the activities
// use; works on any store createStore / createEmbeddedStore / createPostgresStore made.

export interface StoreStats {
  committed: number;
  /** Outbox rows of FIRST commits only: equal to `committed` when every commit had its side effect once. */
  commitSideEffects: number;
  shipments: number;
}

export interface FrStoreInspection {
  stats(): Promise<StoreStats>;
  /** The shipments recorded for one FR, oldest first. */
  listShipments(sourceId: number, frId: number): Promise<StoredShipment[]>;
}

interface ShipmentRow {
  source_id: number | string;
  fr_id: number | string;
  tracking_number: string;
  shipment: ShipmentRecord;
  flxpoint_shipment_id: number | string | null;
  recorded_at: Date | string;
}

export function inspectStore(store: FrStore): FrStoreInspection {
  const db = databaseOf(store);
  if (!db)
    throw new TypeError('inspectStore: not a store made by store/ (a wrapper? inspect the inner store)');
  return {
    async stats() {
      const [row] = await db.query<{
        committed: number | string;
        side_effects: number | string;
        shipments: number | string;
      }>(
        `SELECT (SELECT count(*) FROM committed_frs) AS committed,
                (SELECT count(*) FROM commit_outbox WHERE kind = $1) AS side_effects,
                (SELECT count(*) FROM shipments) AS shipments`,
        [COMMIT_SIDE_EFFECT],
      );
      return {
        committed: Number(row?.committed ?? 0),
        commitSideEffects: Number(row?.side_effects ?? 0),
        shipments: Number(row?.shipments ?? 0),
      };
    },

    async listShipments(sourceId, frId) {
      assertId('sourceId', sourceId);
      assertId('frId', frId);
      const rows = await db.query<ShipmentRow>(
        `SELECT source_id, fr_id, tracking_number, shipment, flxpoint_shipment_id, recorded_at
         FROM shipments WHERE source_id = $1 AND fr_id = $2
         ORDER BY recorded_at, tracking_number`,
        [sourceId, frId],
      );
      return rows.map((r) => ({
        sourceId: Number(r.source_id),
        frId: Number(r.fr_id),
        trackingNumber: r.tracking_number,
        shipment: r.shipment,
        flxpointShipmentId: r.flxpoint_shipment_id === null ? null : Number(r.flxpoint_shipment_id),
        recordedAt: toIso(r.recorded_at),
      }));
    },
  };
}

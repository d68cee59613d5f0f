import type { FulfillmentRequestSnapshot, HandlerDecision, ShipmentRecord } from '../common/domain';

// The local side of the pipeline: what the integrator durably "has" before Flxpoint is told anything.
// Both implementations (PostgreSQL and embedded PGlite) satisfy this contract and share one schema. The
// contract is what the activities use; reads for accounting in tests live in store/inspection.ts.

export interface CommitInput {
  sourceId: number;
  frId: number;
  frNumber?: string | null;
  workflowId: string;
  fr: FulfillmentRequestSnapshot;
  decision: HandlerDecision;
}

export interface CommittedFr {
  sourceId: number;
  frId: number;
  frNumber: string | null;
  workflowId: string;
  decision: HandlerDecision;
  /** ISO-8601 (UTC) time of the first commit. */
  committedAt: string;
  /** Last outcome recorded for the FR ('acknowledged', 'adjusted', 'shipped', ...), null until one is. */
  flxpointOutcome: string | null;
}

/** A replay returns inserted=false and the STORED record: the decision of the first commit wins. */
export interface CommitResult {
  inserted: boolean;
  record: CommittedFr;
}

export interface StoredShipment {
  sourceId: number;
  frId: number;
  trackingNumber: string;
  shipment: ShipmentRecord;
  flxpointShipmentId: number | null;
  /** ISO-8601 (UTC) time of the first record. */
  recordedAt: string;
}

export interface FrStore {
  /** Idempotent, versioned migrations (table schema_migrations); safe to run from several workers at once. */
  migrate(): Promise<void>;
  /** One transaction: the FR row and its outbox row, or nothing (INSERT ... ON CONFLICT DO NOTHING). */
  commit(input: CommitInput): Promise<CommitResult>;
  get(sourceId: number, frId: number): Promise<CommittedFr | undefined>;
  /** Last write wins; recording the same outcome again is harmless. Works before a commit too. */
  recordOutcome(sourceId: number, frId: number, outcome: string): Promise<void>;
  /** Unique on (sourceId, frId, trackingNumber): a retried record returns inserted=false, keeps the first. */
  recordShipment(s: Omit<StoredShipment, 'recordedAt'>): Promise<{ inserted: boolean }>;
  close(): Promise<void>;
}

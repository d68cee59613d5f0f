import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { HandlerDecision, ShipmentRecord } from '../common/domain';
import type { RecordedWrite } from '../common/shadow';

// Signals, queries and updates of the workflows, defined once here and imported by the client, the
// operator CLI and the shipment intake. Names are stable strings: operators send them by name from the
// Web UI and `temporal workflow signal --name ...`, so renaming one is a breaking change.

// ---- Poller -------------------------------------------------------------------------------------------

export interface PollFulfillmentRequestsInput {
  sourceKey: string;
  sourceId: number;
  pageSize: number;
  /** Status filter value meaning "new work" in the configured list dialect (e.g. NEW). */
  newStatus: string;
  /** Upper bound of children one run starts (history size); the next scheduled poll continues. */
  maxFrsPerRun: number;
  fr: FrWorkflowSettings;
  /** A poll that started FRs looks again after this long (absent or 0: never; FLXPOINT_REPOLL_AFTER). */
  repollAfterMs?: number;
  /** The schedule's interval: re-polls stop before the next scheduled poll is due. */
  pollIntervalMs?: number;
}

export interface PollSummary {
  pagesRead: number;
  frsSeen: number;
  childrenStarted: number;
  alreadyKnown: number;
  /** FRs Flxpoint returned that do not match the schema: not started, retried next poll. */
  malformed: { id?: number; problem: string }[];
  /** Walks over the pages (a new walk starts when FRs were found on several pages: see the poller). */
  passes: number;
  /** True when the run stopped at maxFrsPerRun; the next scheduled poll picks up the rest. */
  truncated: boolean;
  /** FRs listed whose own status says they are not waiting for this source: never started. */
  notWaitingSkipped?: number;
  /**
   * Set when a list answer showed Flxpoint ignored the list query (FRs of other statuses, more than a page,
   * a repeated page): what was seen. The poll stopped paging there; fix FLXPOINT_LIST_DIALECT (doctor).
   */
  filterIgnored?: string;
  /** Extra looks after a poll that found work (FLXPOINT_REPOLL_AFTER). */
  repolls?: number;
}

// ---- FR workflow --------------------------------------------------------------------------------------

export interface FrWorkflowSettings {
  /** After this long without every unit shipped or cancelled, the FR flags itself overdue (it does not fail). */
  shipmentDeadlineMs: number;
  /** Start-to-close timeout of one handler/commit attempt (a slow WMS needs more); default 2 minutes. */
  pipelineActivityTimeoutMs?: number;
  /** Start-to-close timeout of one Flxpoint request attempt; default 45 seconds. */
  flxpointActivityTimeoutMs?: number;
}

export interface ProcessFulfillmentRequestInput {
  sourceKey: string;
  sourceId: number;
  frId: number;
  frNumber?: string | null;
  settings: FrWorkflowSettings;
  /**
   * `shadow` (FLXPOINT_MODE=shadow, workflow id `shadow:fr:…`): every write is recorded instead of sent and
   * the status lists them. Absent: live. Old histories have no mode, so they replay the live path.
   */
  mode?: 'shadow';
}

export type FrStep =
  | 'fetching'
  | 'handling'
  | 'committing'
  | 'acknowledging'
  | 'adjusting'
  | 'failing'
  | 'awaiting_shipment'
  | 'creating_shipment'
  | 'cancelling'
  | 'done';

/** How an FR workflow ended (or `null` while it runs). */
export type FrOutcome =
  | 'acknowledged_and_shipped'
  | 'adjusted_and_shipped'
  | 'rejected'
  | 'processing_failed'
  | 'processing_failed_refused'
  | 'cancelled_upstream'
  | 'acknowledge_refused'
  | 'not_found'
  | 'cancelled_by_operator'
  /** Flxpoint shows our write done by someone else, or done differently (see `conflicts`). */
  | 'conflict';

export interface ShipmentState {
  trackingNumber: string;
  status: 'pending' | 'created' | 'duplicate' | 'rejected';
  flxpointShipmentId?: number | null;
  error?: string;
  record: ShipmentRecord;
}

export interface FrStatus {
  frId: number;
  frNumber: string | null;
  sourceId: number;
  step: FrStep;
  paused: boolean;
  decision: HandlerDecision | null;
  outcome: FrOutcome | null;
  overdue: boolean;
  shipments: ShipmentState[];
  /** Per item: acknowledged, shipped, cancelled and voided units as this workflow knows them. */
  items: {
    id: number;
    sku: string;
    quantity: number;
    acknowledged: number;
    shipped: number;
    cancelled: number;
    /** Voided in Flxpoint: closed like cancelled units, never acknowledged or shipped. */
    voided: number;
  }[];
  lastError: string | null;
  /** Operator actions that were refused, newest last. */
  refusals: string[];
  /**
   * Writes Flxpoint shows done, but not by this worker or not as asked (read back after an uncertain or
   * refused write), newest last; absent when there were none. See docs/operations.md, "Conflicts".
   */
  conflicts?: string[];
  /** Shadow runs only: every write this FR would have sent to Flxpoint, oldest first (none was sent). */
  shadowWrites?: RecordedWrite[];
}

export interface FailRequest {
  reason: string;
}
export interface CancelRequest {
  reason?: string;
}
export interface AddShipmentResult {
  trackingNumber: string;
  status: 'accepted' | 'duplicate';
}

/** Hold before the next step (an in-flight call finishes first). */
export const pauseSignal = defineSignal<[{ reason?: string }?]>('pause');
export const resumeSignal = defineSignal<[]>('resume');
/** Give up on this FR: mark it processing-failed in Flxpoint when its state allows. */
export const failSignal = defineSignal<[FailRequest]>('fail');
/** Cancel every quantity not yet shipped. */
export const cancelSignal = defineSignal<[CancelRequest?]>('cancel');
/** Shipment by signal (Web UI / `temporal workflow signal`); invalid payloads are refused and logged. */
export const shipmentSignal = defineSignal<[ShipmentRecord]>('shipment');
/** Shipment by update: validated before it is accepted; a bad payload is rejected and changes nothing. */
export const addShipmentUpdate = defineUpdate<AddShipmentResult, [ShipmentRecord]>('addShipment');
export const statusQuery = defineQuery<FrStatus>('status');

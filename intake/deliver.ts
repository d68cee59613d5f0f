import {
  type Client,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { frWorkflowId } from '../common/ids';
import { addShipmentUpdate, statusQuery, type FrStatus } from '../workflows/definitions';
import { toShipmentRecord, type ShipmentRequest } from './shipment-request';

// Delivers a shipment to its FR workflow. First the workflow's `status` query (read-only, no history, no
// update budget) answers what is already decided: a tracking number the FR already has is `duplicate`,
// one it refused is refused again with the reason, a finished FR takes nothing, an FR not fetched yet is
// "retry later". Only a new shipment becomes an `addShipment` update, whose validator decides; its update
// id is derived from the tracking number, so concurrent repeats are one update to Temporal. A warehouse
// retrying the same shipment thousands of times therefore never uses up the workflow's update limit
// (2,000 per run). Every answer that is not "taken" is an IntakeError with the status the caller should see.

const UPDATE_TIMEOUT_MS = 30_000;
const QUERY_TIMEOUT_MS = 10_000;

/** Seconds a caller is asked to wait before retrying a temporary refusal. */
export const RETRY_AFTER_SECONDS = { busy: 1, notFetched: 5, unavailable: 5, misconfigured: 60 } as const;

/** A refusal the caller is told about: status, a message saying what to do, extra JSON fields. */
export class IntakeError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** 503 with Retry-After: nothing was taken, the same request may be sent again after `seconds`. */
export function retryLater(
  message: string,
  seconds: number,
  extra: Record<string, unknown> = {},
): IntakeError {
  return new IntakeError(
    503,
    message,
    { ...extra, retryAfterSeconds: seconds },
    { 'retry-after': String(seconds) },
  );
}

export interface DeliveryResult {
  status: 'accepted' | 'duplicate';
  workflowId: string;
  trackingNumber: string;
}

/** Temporal deduplicates updates by id within a workflow run: one id per tracking number. */
export const shipmentUpdateId = (trackingNumber: string) => `addShipment:${trackingNumber}`;

export async function deliverShipment(client: Client, shipment: ShipmentRequest): Promise<DeliveryResult> {
  const workflowId = frWorkflowId(shipment.sourceId, shipment.fulfillmentRequestId);
  const record = toShipmentRecord(shipment);
  const { trackingNumber } = record;
  const settled = settledAnswer(await readStatus(client, shipment, workflowId), trackingNumber, workflowId);
  if (settled) return settled;

  const handle = client.workflow.getHandle(workflowId);
  try {
    const result = await client.connection.withDeadline(Date.now() + UPDATE_TIMEOUT_MS, () =>
      handle.executeUpdate(addShipmentUpdate, { args: [record], updateId: shipmentUpdateId(trackingNumber) }),
    );
    return { status: result.status, workflowId, trackingNumber: result.trackingNumber };
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      // The workflow's validator said no; nothing changed. Its message says why.
      const message = err.cause?.message ?? err.message;
      if (/has not been fetched yet/.test(message)) {
        throw retryLater(message, RETRY_AFTER_SECONDS.notFetched, { workflowId });
      }
      throw new IntakeError(400, message, { workflowId });
    }
    if (err instanceof WorkflowNotFoundError) {
      // The workflow closed between the query and the update: its final status answers.
      const after = settledAnswer(await readStatus(client, shipment, workflowId), trackingNumber, workflowId);
      if (after) return after;
      throw new IntakeError(409, `FR workflow ${workflowId} is already closed; no more shipments`, {
        workflowId,
      });
    }
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isDeadline(err)) {
      throw retryLater(
        `${workflowId} did not answer in time; retry (a repeat is idempotent)`,
        RETRY_AFTER_SECONDS.busy,
        { workflowId },
      );
    }
    if (isExhausted(err)) {
      throw retryLater(
        `${workflowId} has too many shipments in flight; retry (a repeat is idempotent)`,
        RETRY_AFTER_SECONDS.busy,
        { workflowId },
      );
    }
    throw err;
  }
}

/** The FR workflow's status; refusals the caller should see are IntakeErrors. */
async function readStatus(client: Client, shipment: ShipmentRequest, workflowId: string): Promise<FrStatus> {
  try {
    return await client.connection.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () =>
      client.workflow.getHandle(workflowId).query(statusQuery),
    );
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      throw new IntakeError(
        404,
        `no workflow for FR ${shipment.fulfillmentRequestId} of source ${shipment.sourceId} (${workflowId}): ` +
          'check the ids; an FR is known once the poller has picked it up',
        { workflowId },
      );
    }
    if (isEncryptionMismatch(err)) {
      // The workers encrypt and this intake has no key ring: it could deliver the shipment but never read
      // the answer. Refused before anything is taken; the operator fixes the configuration.
      throw retryLater(
        'the intake cannot read the FR workflow (its payloads are encrypted and the intake has no ' +
          'FLXPOINT_ENCRYPTION_KEYS); nothing was taken, retry once the intake is configured',
        RETRY_AFTER_SECONDS.misconfigured,
        { workflowId },
      );
    }
    if (isDeadline(err)) {
      throw retryLater(`${workflowId} did not answer in time; retry`, RETRY_AFTER_SECONDS.busy, {
        workflowId,
      });
    }
    if (isNotReady(err)) {
      // Its first workflow task has not completed, or its current one is failing: nothing can be taken now.
      throw retryLater(
        `${workflowId} cannot answer yet (${errorDetail(err)}); retry in a moment`,
        RETRY_AFTER_SECONDS.notFetched,
        { workflowId },
      );
    }
    throw err;
  }
}

/** The answer the status already gives for this tracking number, or undefined when the update decides. */
function settledAnswer(
  status: FrStatus,
  trackingNumber: string,
  workflowId: string,
): DeliveryResult | undefined {
  const same = status.shipments.filter((s) => s.trackingNumber === trackingNumber);
  if (same.some((s) => s.status !== 'rejected')) return { status: 'duplicate', workflowId, trackingNumber };
  const refused = same.at(-1);
  if (refused) {
    const reason = refused.error ?? 'refused';
    throw new IntakeError(
      422,
      `shipment ${trackingNumber} was refused: ${reason}; it will not be sent to Flxpoint (a corrected ` +
        'shipment needs a new tracking number)',
      { workflowId, trackingNumber, status: 'rejected', reason },
    );
  }
  if (status.outcome) {
    throw new IntakeError(
      409,
      `FR workflow ${workflowId} is finished (${status.outcome}); no more shipments`,
      {
        workflowId,
        outcome: status.outcome,
      },
    );
  }
  const d = status.decision;
  if (d && (d.kind === 'reject' || d.kind === 'fail')) {
    throw new IntakeError(
      409,
      `FR ${status.frId} was ${d.kind === 'reject' ? 'rejected' : 'failed'}; it takes no shipments`,
      {
        workflowId,
      },
    );
  }
  if (status.items.length === 0) {
    throw retryLater(
      `FR ${status.frId} has not been fetched yet; retry in a moment`,
      RETRY_AFTER_SECONDS.notFetched,
      { workflowId },
    );
  }
  return undefined;
}

const grpcCode = (err: unknown): number | undefined => {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null;
  const code = typeof e?.code === 'number' ? e.code : e?.cause?.code;
  return typeof code === 'number' ? code : undefined;
};
/** gRPC DEADLINE_EXCEEDED (4). */
const isDeadline = (err: unknown) => grpcCode(err) === 4;
/** gRPC FAILED_PRECONDITION (9): a query to a workflow not ready or whose workflow task is failing. */
const isNotReady = (err: unknown) => grpcCode(err) === 9;
const errorDetail = (err: unknown) => {
  const e = err as { details?: unknown; cause?: { details?: unknown; message?: unknown } };
  const d = e.cause?.details ?? e.details ?? e.cause?.message;
  return typeof d === 'string' ? d : 'not ready';
};
/** gRPC RESOURCE_EXHAUSTED (8): e.g. Temporal's limit of updates in flight per workflow. */
const isExhausted = (err: unknown) => grpcCode(err) === 8;
/** gRPC UNAVAILABLE (14): Temporal cannot be reached; the caller should retry. */
export const isUnavailable = (err: unknown) => grpcCode(err) === 14;
/** The default payload converter meeting an encrypted payload (codec/encryption.ts's encoding). */
const isEncryptionMismatch = (err: unknown) =>
  err instanceof Error && /Unknown encoding: binary\/encrypted/.test(err.message);

import {
  type Client,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { frWorkflowId } from '../common/ids';
import { addShipmentUpdate } from '../workflows/definitions';
import { toShipmentRecord, type ShipmentRequest } from './shipment-request';

// Delivers a shipment to its FR workflow with the `addShipment` update, whose validator decides, so the
// caller learns at once whether it was taken. Every answer that is not "taken" is an IntakeError with
// the status the caller should see: the workflow's refusal (400), no such FR (404), FR closed (409),
// no answer in time (504). 503 for an unreachable Temporal is decided by the app's error handler.

const UPDATE_TIMEOUT_MS = 30_000;

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

export interface DeliveryResult {
  status: 'accepted' | 'duplicate';
  workflowId: string;
  trackingNumber: string;
}

export async function deliverShipment(client: Client, shipment: ShipmentRequest): Promise<DeliveryResult> {
  const workflowId = frWorkflowId(shipment.sourceId, shipment.fulfillmentRequestId);
  const handle = client.workflow.getHandle(workflowId);
  try {
    const result = await client.connection.withDeadline(Date.now() + UPDATE_TIMEOUT_MS, () =>
      handle.executeUpdate(addShipmentUpdate, { args: [toShipmentRecord(shipment)] }),
    );
    return { status: result.status, workflowId, trackingNumber: result.trackingNumber };
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) {
      // The workflow's validator said no; nothing changed. Its message says why.
      throw new IntakeError(400, err.cause?.message ?? err.message, { workflowId });
    }
    if (err instanceof WorkflowNotFoundError) {
      // NOT_FOUND covers both "no such workflow" and "already completed": ask which.
      const state = await handle.describe().then(
        (d) => d.status.name,
        (e: unknown) => {
          if (e instanceof WorkflowNotFoundError) return undefined;
          throw e;
        },
      );
      if (state === undefined) {
        throw new IntakeError(
          404,
          `no workflow for FR ${shipment.fulfillmentRequestId} of source ${shipment.sourceId} (${workflowId}): ` +
            'check the ids; an FR is known once the poller has picked it up',
          { workflowId },
        );
      }
      throw new IntakeError(
        409,
        `FR workflow ${workflowId} is already closed (${state}); no more shipments`,
        {
          workflowId,
        },
      );
    }
    if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isDeadline(err)) {
      throw new IntakeError(504, `${workflowId} did not answer in time; retry (a repeat is idempotent)`, {
        workflowId,
      });
    }
    throw err;
  }
}

const grpcCode = (err: unknown): number | undefined => {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null;
  const code = typeof e?.code === 'number' ? e.code : e?.cause?.code;
  return typeof code === 'number' ? code : undefined;
};
/** gRPC DEADLINE_EXCEEDED (4). */
const isDeadline = (err: unknown) => grpcCode(err) === 4;
/** gRPC UNAVAILABLE (14): Temporal cannot be reached; the caller should retry. */
export const isUnavailable = (err: unknown) => grpcCode(err) === 14;

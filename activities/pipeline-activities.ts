import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { FulfillmentRequestSnapshot, HandlerDecision, ShipmentRecord } from '../common/domain';
import { HANDLER_REJECTED, LOCAL_STORE_REJECTED } from '../common/failure-types';
import type { FrHandler } from '../handlers/types';
import { HandlerRejectedError } from '../handlers/types';
import { validateDecision } from '../handlers/decision-schema';
import { frProblems } from '../handlers/fr-problems';
import { StoreError } from '../store/errors';
import type { FrStore } from '../store/types';

// The integrator's side of the pipeline: the handler (ERP/WMS hand-off) and the local commit. These run
// on the pipeline task queue, never on a source's Flxpoint queue, so they do not spend API budget.

/** Well under the handler activity's heartbeat timeout (10 s); the SDK throttles what it sends. */
const HEARTBEAT_EVERY_MS = 1_000;

export interface PipelineActivityDeps {
  store: FrStore;
  handler: FrHandler;
  /** Called with outcome labels for metrics; optional. */
  onOutcome?: (outcome: string, sourceKey?: string) => void;
}

export function createPipelineActivities(deps: PipelineActivityDeps) {
  return {
    /**
     * Asks the handler what to do with the FR. A HandlerRejectedError or an invalid decision is a business
     * answer, not a glitch: non-retryable, and the workflow turns it into processing-failed.
     */
    async decideFulfillmentRequest(input: {
      sourceKey: string;
      sourceId: number;
      /** The FR workflow's id: the handler's idempotency key. */
      workflowId: string;
      fr: FulfillmentRequestSnapshot;
    }): Promise<HandlerDecision> {
      const ctx = Context.current();
      // Heartbeats carry an operator's fail/cancel to this attempt (workflows/activity-proxies.ts,
      // handlerActivities): ctx.cancellationSignal then aborts the handler's I/O.
      const beat = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
      try {
        const problems = frProblems(input.fr);
        const raw = await deps.handler.decide(input.fr, {
          sourceKey: input.sourceKey,
          sourceId: input.sourceId,
          workflowId: input.workflowId,
          attempt: ctx.info.attempt,
          signal: ctx.cancellationSignal,
          problems,
        });
        if (problems.length === 0) return validateDecision(input.fr, raw);
        return decisionForUnfulfillable(raw, problems, input.fr);
      } catch (err) {
        if (
          err instanceof HandlerRejectedError ||
          (err as Error)?.name === 'ZodError' ||
          (err as Error)?.name === 'DecisionValidationError'
        ) {
          throw ApplicationFailure.create({
            type: HANDLER_REJECTED,
            nonRetryable: true,
            message: `handler ${deps.handler.name} rejected FR ${input.fr.id}: ${(err as Error).message}`,
          });
        }
        throw err;
      } finally {
        clearInterval(beat);
      }
    },

    /**
     * Stores the FR and the decision in one local transaction, idempotent on the FR id. A replay (crash
     * after commit, before the workflow saw the result) returns the stored decision and writes nothing.
     */
    async commitFulfillmentRequest(input: {
      sourceId: number;
      frId: number;
      frNumber: string | null;
      workflowId: string;
      fr: FulfillmentRequestSnapshot;
      decision: HandlerDecision;
    }): Promise<{ inserted: boolean; decision: HandlerDecision }> {
      try {
        const res = await deps.store.commit(input);
        return { inserted: res.inserted, decision: res.record.decision };
      } catch (err) {
        throw storeFailure(err, input.frId);
      }
    },

    async recordFrOutcome(input: {
      sourceKey: string;
      sourceId: number;
      frId: number;
      outcome: string;
    }): Promise<void> {
      try {
        await deps.store.recordOutcome(input.sourceId, input.frId, input.outcome);
      } catch (err) {
        if (!isDataRefusal(err)) throw err;
        skipRecord(err, input.frId);
      }
      deps.onOutcome?.(input.outcome, input.sourceKey);
    },

    async recordShipment(input: {
      sourceId: number;
      frId: number;
      shipment: ShipmentRecord;
      flxpointShipmentId: number | null;
    }): Promise<{ inserted: boolean }> {
      try {
        return await deps.store.recordShipment({
          sourceId: input.sourceId,
          frId: input.frId,
          trackingNumber: input.shipment.trackingNumber,
          shipment: input.shipment,
          flxpointShipmentId: input.flxpointShipmentId,
        });
      } catch (err) {
        if (!isDataRefusal(err)) throw err;
        skipRecord(err, input.frId);
        return { inserted: false };
      }
    },
  };
}

/**
 * An FR that cannot be fulfilled as sent (handlers/fr-problems.ts) is never acknowledged: the handler's
 * `fail`, or its `reject` (cancel it) of an FR that has items, stands; anything else becomes `fail` with the
 * problems as the reason, which Flxpoint shows the merchant.
 */
function decisionForUnfulfillable(
  raw: unknown,
  problems: string[],
  fr: FulfillmentRequestSnapshot,
): HandlerDecision {
  const answer = (raw ?? {}) as { kind?: unknown; reason?: unknown; killOrFillType?: unknown };
  const reason = typeof answer.reason === 'string' ? answer.reason.trim().slice(0, 500) : '';
  if (answer.kind === 'fail' && reason) return { kind: 'fail', reason };
  // A reject cancels the FR's items through adjust; with no items that body would be empty, which
  // Flxpoint's adjust reads as "acknowledge everything".
  if (answer.kind === 'reject' && reason && fr.fulfillmentRequestItems.length > 0) {
    return { kind: 'reject', reason, killOrFillType: answer.killOrFillType === 'kill' ? 'kill' : 'fill' };
  }
  Context.current().log.warn('FR cannot be fulfilled as sent; not acknowledging it', {
    frId: fr.id,
    problems,
  });
  return { kind: 'fail', reason: `FR cannot be fulfilled as sent: ${problems.join('; ')}`.slice(0, 500) };
}

const isDataRefusal = (err: unknown): err is StoreError => err instanceof StoreError && err.deterministic;

/**
 * Outcomes and shipments are the local mirror of something Flxpoint already holds: failing the FR over a
 * record the store refuses would be worse than the missing row. Logged (FR and problem, no data) at error
 * level, so it is seen, and the FR goes on. (Text the store cannot hold is made storable first, so this is
 * a safety net: store/storable.ts.)
 */
function skipRecord(err: StoreError, frId: number): void {
  Context.current().log.error('local store refused a record; the FR goes on without it', {
    frId,
    error: err.message,
  });
}

/**
 * A store error as the commit reports it. The store already reduced it to the FR and the problem
 * (store/errors.ts: no records in messages or logs). A refusal of the data itself is non-retryable, so no
 * local step retries forever on something that cannot change; anything else is retried.
 */
function storeFailure(err: unknown, frId: number): unknown {
  if (!(err instanceof StoreError)) return err;
  if (!err.deterministic) return err;
  return ApplicationFailure.create({
    type: LOCAL_STORE_REJECTED,
    nonRetryable: true,
    message:
      `${err.message}. The local store refuses this data on every attempt, so the step is not retried; ` +
      `see docs/operations.md "Local store refused an FR" (FR ${frId})`,
  });
}

export type PipelineActivities = ReturnType<typeof createPipelineActivities>;

import type { FulfillmentRequestSnapshot, HandlerDecision } from '../common/domain';
import { HANDLER_REJECTED } from '../common/failure-types';

// The integrator's business logic plugs in here: given an FR, decide accept / partial / reject / fail.
// It runs inside a Temporal activity, so it may be retried: it must be idempotent per workflowId.

export interface FrHandlerContext {
  sourceKey: string;
  sourceId: number;
  /**
   * `fr:<sourceId>:<frId>`; stable across retries and worker crashes: use it as the idempotency key. In shadow
   * mode `shadow:fr:<sourceId>:<frId>` (nothing is sent to Flxpoint; the live run later uses `fr:…`).
   */
  workflowId: string;
  /** 1 on the first try, then 2, 3, ... */
  attempt: number;
  /**
   * What makes this FR impossible to fulfil as sent (no items, a quantity that is not a whole positive
   * number), each naming the field (handlers/fr-problems.ts); empty when there is none. With problems the
   * pipeline takes only `fail`, or `reject` of an FR that has items: any other answer becomes `fail` with
   * these as the reason.
   */
  problems?: string[];
  /** Aborted when the activity is cancelled or times out; pass it to any I/O you start. */
  signal?: AbortSignal;
}

export interface FrHandler {
  name: string;
  decide(fr: FulfillmentRequestSnapshot, ctx: FrHandlerContext): Promise<HandlerDecision>;
}

/**
 * A permanent business failure: retrying cannot help, so the pipeline marks the FR processing-failed in
 * Flxpoint with this message. Any other error is treated as transient and retried.
 */
export class HandlerRejectedError extends Error {
  /** The ApplicationFailure type the pipeline reports it as (common/failure-types.ts). */
  static readonly failureType = HANDLER_REJECTED;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'HandlerRejectedError';
  }
}

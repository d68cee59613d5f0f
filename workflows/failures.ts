import { ApplicationFailure } from '@temporalio/workflow';
import {
  flxpointKindOf,
  FR_TOO_LARGE,
  HANDLER_REJECTED,
  LOCAL_STORE_REJECTED,
  type FlxpointFailureKind,
} from '../common/failure-types';

// Reading an activity's failure in the workflow: ActivityFailure → ApplicationFailure, whose type is one
// of common/failure-types.ts.

function rootApplicationFailure(err: unknown): ApplicationFailure | undefined {
  let e: unknown = err;
  for (let i = 0; i < 5 && e; i++) {
    if (e instanceof ApplicationFailure) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The Flxpoint kind of a failed call (`not_found`, `invalid_transition`, ...), if it was one. */
export function flxpointKind(err: unknown): FlxpointFailureKind | undefined {
  return flxpointKindOf(rootApplicationFailure(err)?.type);
}

export function isHandlerRejection(err: unknown): boolean {
  return rootApplicationFailure(err)?.type === HANDLER_REJECTED;
}

/** The FR's snapshot is over the size Temporal can carry (activities/fr-payload-size.ts). */
export function isFrTooLarge(err: unknown): boolean {
  return rootApplicationFailure(err)?.type === FR_TOO_LARGE;
}

/** The local store refused the FR's data (non-retryable): no retry can store it. */
export function isLocalStoreRejection(err: unknown): boolean {
  return rootApplicationFailure(err)?.type === LOCAL_STORE_REJECTED;
}

/** A write retried after an attempt whose answer was lost: the workflow reads the FR to settle it. */
export function isOutcomeUnknown(err: unknown): boolean {
  return flxpointKind(err) === 'outcome_unknown';
}

/** A 4xx (or a handler's "no"): retrying cannot help. */
export function isNonRetryable(err: unknown): boolean {
  return rootApplicationFailure(err)?.nonRetryable === true;
}

export function failureMessage(err: unknown): string {
  return (rootApplicationFailure(err)?.message ?? (err as Error)?.message ?? String(err)).slice(0, 500);
}

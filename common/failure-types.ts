// The failure types activities throw (ApplicationFailure.type) and workflows branch on, defined once.
// Sandbox-safe (no Node, no zod): imported by workflows/, activities/ and handlers/ alike, so a type is
// never spelled by hand or matched by a string prefix in more than one place.

/** What a Flxpoint answer meant (activities/flxpoint/errors.ts decides; workflows read it back). */
export type FlxpointErrorKind =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'invalid_transition'
  | 'already_acknowledged'
  | 'duplicate_tracking_number'
  | 'rate_limited'
  | 'server_error'
  | 'timeout'
  | 'network'
  | 'malformed_response';

/**
 * Anything around a Flxpoint call that is not a classified answer: `unexpected` (a bug shows up,
 * retryable) and `outcome_unknown` (a write retried after an attempt whose answer was lost: the activity
 * does not send it blind but fails at once, non-retryable, so the workflow reads the FR and settles it).
 */
export type FlxpointFailureKind = FlxpointErrorKind | 'unexpected' | 'outcome_unknown';

const FLXPOINT_PREFIX = 'Flxpoint.';

/** `Flxpoint.<kind>`: the ApplicationFailure type of a Flxpoint failure. */
export function flxpointFailureType(kind: FlxpointFailureKind): `Flxpoint.${FlxpointFailureKind}` {
  return `${FLXPOINT_PREFIX}${kind}`;
}

/** The Flxpoint kind of a failure type, or undefined when it is not a Flxpoint failure. */
export function flxpointKindOf(type: string | null | undefined): FlxpointFailureKind | undefined {
  return type?.startsWith(FLXPOINT_PREFIX)
    ? (type.slice(FLXPOINT_PREFIX.length) as FlxpointFailureKind)
    : undefined;
}

/** The handler said a definite "no" (or returned an invalid decision): non-retryable, processing-failed. */
export const HANDLER_REJECTED = 'HandlerRejected';

/**
 * The local store refused the data itself (a SQLSTATE that no retry changes, store/errors.ts):
 * non-retryable; the message names the FR and the problem, never the data.
 */
export const LOCAL_STORE_REJECTED = 'LocalStoreRejected';

/**
 * The FR is too large to travel through Temporal (its serialized snapshot exceeds the limit the fetch checks,
 * below Temporal's 2 MB payload limit): non-retryable, since every read would return the same FR.
 */
export const FR_TOO_LARGE = 'FrTooLarge';

import type { RetryPolicy } from '@temporalio/common';

// Every activity retry policy, in one place: the workflows pass them to proxyActivities
// (workflows/activity-proxies.ts, the inventory workflows), and the Flxpoint activities jitter their own
// retries within the same policy (activities/flxpoint/errors.ts derives FR_CALL_BACKOFF, LIST_CALL_BACKOFF,
// INVENTORY_CALL_BACKOFF and INVENTORY_URGENT_CALL_BACKOFF from them), so the two cannot drift apart. Imported by workflow code: plain data only, no Node
// builtins, no I/O, no process.env.

/** Flxpoint calls for one FR: retried with backoff until an operator steps in. */
export const FLXPOINT_FR_RETRY = {
  initialInterval: '2 seconds',
  backoffCoefficient: 2,
  maximumInterval: '2 minutes',
} as const satisfies RetryPolicy;

/**
 * The poller's list calls retry briefly and then give up: the poll fails (visibly, in the Web UI) and the
 * schedule's next tick starts a fresh one.
 */
export const FLXPOINT_LIST_RETRY = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '10 seconds',
  maximumAttempts: 6,
} as const satisfies RetryPolicy;

/** Pipeline activities (store, handler, outbox) on the workflow's own queue. */
export const PIPELINE_RETRY = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '5 minutes',
} as const satisfies RetryPolicy;

/** The FR as the poll listed it: two quick attempts, as a failure only means "read it from Flxpoint". */
export const LISTED_FR_RETRY = {
  initialInterval: '1 second',
  maximumAttempts: 2,
} as const satisfies RetryPolicy;

/** The scheduled inventory sync's activities (workflows/inventory-sync.ts). */
export const INVENTORY_RETRY = {
  initialInterval: '2 seconds',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
} as const satisfies RetryPolicy;

/** Urgent inventory pushes (workflows/inventory-urgent.ts): a stock-out should not wait a minute. */
export const INVENTORY_URGENT_RETRY = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '30 seconds',
} as const satisfies RetryPolicy;

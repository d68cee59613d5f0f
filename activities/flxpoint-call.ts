import { Context } from '@temporalio/activity';
import type { ApplicationFailure } from '@temporalio/common';
import { FlxpointError, type RetryBackoff, toApplicationFailure } from './flxpoint/errors';
import type { RequestPacer } from './request-pacer';

// How every activity sends a Flxpoint request: it waits for the source's pacer, is timed into the request
// metrics by endpoint and outcome, and a failure becomes the ApplicationFailure Temporal's retry policy
// reads, retried after a jittered delay within the activity's own policy (errors.ts, retryDelayMs). One
// copy for the FR activities (flxpoint-activities.ts) and the inventory sync's (inventory/sync-activities.ts),
// so neither can send unpaced, unmeasured or unjittered requests.

export interface FlxpointActivityMetrics {
  request(outcome: { endpoint: string; ok: boolean; kind?: string; seconds: number }): void;
}

export interface FlxpointCall {
  /**
   * Sends one request; a failure is thrown as the ApplicationFailure for this attempt, jittered within
   * `backoff` (the policy the workflow gave this activity). `undefined` only for an activity whose policy
   * is not in common/retry-policies.ts: no jitter then (the delay is the policy's), as one from another
   * policy could exceed it.
   */
  call<T>(endpoint: string, fn: () => Promise<T>, backoff: RetryBackoff | undefined): Promise<T>;
  /**
   * Sends one request and throws what the client threw, for a caller that decides on the FlxpointError
   * itself (a refused batch is a result, not a failure); what it rethrows goes through `flxpointFailure`.
   */
  callRaw<T>(endpoint: string, fn: () => Promise<T>): Promise<T>;
}

export function createFlxpointCall(opts: {
  pacer?: RequestPacer;
  metrics?: FlxpointActivityMetrics;
}): FlxpointCall {
  async function callRaw<T>(endpoint: string, fn: () => Promise<T>): Promise<T> {
    await opts.pacer?.take();
    const started = performance.now();
    try {
      const result = await fn();
      opts.metrics?.request({ endpoint, ok: true, seconds: (performance.now() - started) / 1000 });
      return result;
    } catch (err) {
      const kind = err instanceof FlxpointError ? err.kind : 'unexpected';
      opts.metrics?.request({ endpoint, ok: false, kind, seconds: (performance.now() - started) / 1000 });
      throw err;
    }
  }

  return {
    callRaw,
    async call<T>(endpoint: string, fn: () => Promise<T>, backoff: RetryBackoff | undefined): Promise<T> {
      try {
        return await callRaw(endpoint, fn);
      } catch (err) {
        throw flxpointFailure(err, backoff);
      }
    },
  };
}

/**
 * What an activity throws for an error around a Flxpoint call: toApplicationFailure with this attempt's
 * number, so a transient failure is retried after a jittered delay within `backoff` (see `call` for
 * `undefined`).
 */
export function flxpointFailure(err: unknown, backoff: RetryBackoff | undefined): ApplicationFailure {
  return backoff
    ? toApplicationFailure(err, { attempt: currentAttempt(), backoff })
    : toApplicationFailure(err);
}

/** This activity attempt's number; 1 outside an activity (a direct call in a test or the CLI). */
export function currentAttempt(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}

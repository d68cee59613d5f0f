import { ApplicationFailure, type RetryPolicy } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { flxpointFailureType, type FlxpointErrorKind } from '../../common/failure-types';
import {
  FLXPOINT_FR_RETRY,
  FLXPOINT_LIST_RETRY,
  INVENTORY_RETRY,
  INVENTORY_URGENT_RETRY,
} from '../../common/retry-policies';

// The one place that decides what a Flxpoint answer means. Activities never inspect status codes
// themselves: they throw what the client throws, and `toApplicationFailure` turns it into the failure
// Temporal's retry policy acts on. Flxpoint documents no error body schema for any 4xx, so bodies are read
// as text and matched by substring only, and the kinds read from words are hints for logs: the FR workflow
// settles every refused or uncertain write by reading the FR (workflows/settle.ts).

export type { FlxpointErrorKind };

const RETRYABLE_KINDS: ReadonlySet<FlxpointErrorKind> = new Set<FlxpointErrorKind>([
  'rate_limited',
  'server_error',
  'timeout',
  'network',
  // A body that does not parse is usually a truncated transfer or a proxy's error page: transient.
  'malformed_response',
]);

export function isRetryableKind(kind: FlxpointErrorKind): boolean {
  return RETRYABLE_KINDS.has(kind);
}

/** Longest body excerpt an error carries: enough to read Flxpoint's message, too short to dump an FR. */
export const BODY_SNIPPET_MAX = 300;

/** What to do next, per kind; appended to messages so an operator reading a failure knows the way out. */
const ADVICE: Partial<Record<FlxpointErrorKind, string>> = {
  unauthorized: 'Check the source token configured for this source (wrong, revoked or not a Source token).',
  forbidden:
    'The token is valid but may not use this resource; a Source token cannot reach account-only endpoints.',
  not_found: 'The resource does not exist or belongs to another source than this token.',
  already_acknowledged:
    'This FR may have been acknowledged before (by an earlier attempt whose answer was lost, or by someone else); the words are a hint only: the workflow reads the FR to tell whose acknowledgement it is.',
  duplicate_tracking_number:
    "A shipment with this tracking number may already exist on this FR; the words are a hint only: the workflow reads the FR shipments to tell ours from someone else's.",
  invalid_transition: 'The FR is in a state that does not allow this operation; read the FR before deciding.',
  rate_limited: 'The per-token budget (2 req/s) is exhausted; back off and retry.',
  bad_request: 'The request was rejected as invalid; retrying the same request will not help.',
};

export interface FlxpointErrorInit {
  kind: FlxpointErrorKind;
  method: string;
  path: string;
  status?: number;
  retryAfterMs?: number;
  bodySnippet?: string;
  /** Human detail (e.g. the zod issue path); goes into the message. */
  detail?: string;
  cause?: unknown;
}

export class FlxpointError extends Error {
  override readonly name = 'FlxpointError';
  readonly kind: FlxpointErrorKind;
  readonly status?: number;
  readonly method: string;
  /** Path only, never the query string (a reason or cursor may carry data we do not want in logs). */
  readonly path: string;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  readonly bodySnippet?: string;

  constructor(init: FlxpointErrorInit) {
    super(formatMessage(init), init.cause === undefined ? undefined : { cause: init.cause });
    this.kind = init.kind;
    this.method = init.method;
    this.path = stripQuery(init.path);
    this.retryable = isRetryableKind(init.kind);
    if (init.status !== undefined) this.status = init.status;
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
    if (init.bodySnippet !== undefined) this.bodySnippet = init.bodySnippet;
  }

  /** Serialisable summary (used by loggers); carries no headers, so never the token. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      kind: this.kind,
      status: this.status,
      method: this.method,
      path: this.path,
      retryable: this.retryable,
      retryAfterMs: this.retryAfterMs,
      bodySnippet: this.bodySnippet,
      message: this.message,
    };
  }
}

function stripQuery(path: string): string {
  const q = path.indexOf('?');
  return q === -1 ? path : path.slice(0, q);
}

function formatMessage(init: FlxpointErrorInit): string {
  const where = `Flxpoint ${init.method} ${stripQuery(init.path)}`;
  let head: string;
  if (init.status !== undefined) head = `${where} answered ${init.status} (${init.kind})`;
  else head = `${where} failed (${init.kind})`;
  const parts = [head];
  if (init.detail) parts.push(init.detail);
  if (init.bodySnippet) parts.push(init.bodySnippet);
  let msg = parts.join(': ');
  if (init.retryAfterMs !== undefined) msg += ` (retry after ${init.retryAfterMs} ms)`;
  const advice = ADVICE[init.kind];
  return advice ? `${msg}. ${advice}` : msg;
}

export function snippet(body: string | undefined): string | undefined {
  if (body === undefined) return undefined;
  const flat = body.replace(/\s+/g, ' ').trim();
  if (flat === '') return undefined;
  return flat.length > BODY_SNIPPET_MAX ? `${flat.slice(0, BODY_SNIPPET_MAX)}…` : flat;
}

/**
 * `Retry-After` is either delta-seconds or an HTTP-date (RFC 9110 §10.2.3). Returns undefined when absent or
 * unreadable: the caller then falls back to its own backoff, since Flxpoint does not document the header.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

// Substring checks on the (undocumented) error text. Each pattern lives here and nowhere else.
const ALREADY_ACKNOWLEDGED = /already\s+acknowledged/i;
const DUPLICATE_TRACKING = /duplicate\s+tracking|tracking\s+number\s+(already\s+exists|is\s+a\s+duplicate)/i;
const INVALID_TRANSITION =
  /invalid\s+(status\s+|state\s+)?transition|cannot\s+transition|not\s+allowed\s+in\s+(processing\s+)?(status|state)|only\s+a\s+fulfillment\s+request\s+in/i;

export interface ClassifyInput {
  status: number;
  body?: string;
  /** Value of the Retry-After response header, if any. */
  retryAfter?: string | null;
  method: string;
  path: string;
  now?: number;
}

/** Maps a non-2xx answer to the taxonomy. Never throws; returns the error for the caller to throw. */
export function classifyResponse(input: ClassifyInput): FlxpointError {
  const { status, body = '' } = input;
  let kind: FlxpointErrorKind;
  let retryAfterMs: number | undefined;
  if (status === 429) {
    kind = 'rate_limited';
    retryAfterMs = parseRetryAfter(input.retryAfter, input.now);
  } else if (status === 408) {
    kind = 'timeout';
  } else if (status >= 500) {
    kind = 'server_error';
    // A 503 may carry Retry-After too; honour it when present.
    retryAfterMs = parseRetryAfter(input.retryAfter, input.now);
  } else if (status === 401) {
    kind = 'unauthorized';
  } else if (status === 403) {
    kind = 'forbidden';
  } else if (status === 404) {
    kind = 'not_found';
  } else if (ALREADY_ACKNOWLEDGED.test(body)) {
    kind = 'already_acknowledged';
  } else if (DUPLICATE_TRACKING.test(body)) {
    kind = 'duplicate_tracking_number';
  } else if ((status === 400 || status === 409) && INVALID_TRANSITION.test(body)) {
    kind = 'invalid_transition';
  } else if (status === 409) {
    kind = 'conflict';
  } else {
    kind = 'bad_request';
  }
  return new FlxpointError({
    kind,
    status,
    method: input.method,
    path: input.path,
    bodySnippet: snippet(body),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

/**
 * Converts anything an activity caught into the ApplicationFailure Temporal's retry policy reads.
 * Anything else becomes a retryable `Flxpoint.unexpected` failure that keeps its message, so a bug shows up
 * in the history instead of being swallowed.
 */
export function toApplicationFailure(
  err: unknown,
  retry?: { attempt: number; backoff: RetryBackoff; random?: () => number },
): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  // Retried after a jittered delay when the attempt is known (see retryDelayMs).
  const jitter = retry ? { nextRetryDelay: retryDelayMs(retry.attempt, retry.backoff, retry.random) } : {};
  if (err instanceof FlxpointError) {
    return ApplicationFailure.create({
      type: flxpointFailureType(err.kind),
      message: err.message,
      nonRetryable: !err.retryable,
      details: [{ kind: err.kind, status: err.status, method: err.method, path: err.path }],
      ...(err.kind === 'rate_limited' && err.retryAfterMs !== undefined
        ? { nextRetryDelay: err.retryAfterMs }
        : err.retryable
          ? jitter
          : {}),
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return ApplicationFailure.create({
    type: flxpointFailureType('unexpected'),
    message: `Unexpected error around a Flxpoint call: ${message}`,
    nonRetryable: false,
    ...jitter,
    ...(err instanceof Error ? { cause: err } : {}),
  });
}

/** An activity's retry policy in milliseconds: first delay, doubling, cap. */
export interface RetryBackoff {
  initialMs: number;
  maxMs: number;
}

/**
 * The backoff of a policy in common/retry-policies.ts, read with the SDK's own duration parser so it is the
 * one Temporal applies. Only doubling policies: the jitter below doubles.
 */
function backoffOf(policy: RetryPolicy): RetryBackoff {
  if ((policy.backoffCoefficient ?? 2) !== 2) throw new Error('retryDelayMs jitters doubling policies only');
  const initialMs = msToNumber(policy.initialInterval ?? '1 second');
  // Temporal's default cap is 100 × the first delay.
  return { initialMs, maxMs: policy.maximumInterval ? msToNumber(policy.maximumInterval) : 100 * initialMs };
}
/** FR calls: 2 s doubling to 2 minutes (FLXPOINT_FR_RETRY). */
export const FR_CALL_BACKOFF: RetryBackoff = backoffOf(FLXPOINT_FR_RETRY);
/** The poller's list: 1 s doubling to 10 s; it gives up after a few attempts (FLXPOINT_LIST_RETRY). */
export const LIST_CALL_BACKOFF: RetryBackoff = backoffOf(FLXPOINT_LIST_RETRY);
/** The inventory sync's Flxpoint calls: 2 s doubling to 1 minute (INVENTORY_RETRY). */
export const INVENTORY_CALL_BACKOFF: RetryBackoff = backoffOf(INVENTORY_RETRY);
/** Urgent inventory pushes: INVENTORY_URGENT_RETRY. */
export const INVENTORY_URGENT_CALL_BACKOFF: RetryBackoff = backoffOf(INVENTORY_URGENT_RETRY);

/**
 * The delay before retry `attempt + 1`: the activity's own policy with "equal jitter", half fixed and half
 * random. Temporal's backoff has no jitter, so retries that met a periodic fault (a proxy that fails every
 * few seconds, bursts of 503s) kept meeting it in step: on the cluster two FRs went 120 s without progress
 * that way. Never longer than the policy's own delay.
 */
export function retryDelayMs(
  attempt: number,
  backoff: RetryBackoff,
  random: () => number = Math.random,
): number {
  const full = Math.min(backoff.initialMs * 2 ** Math.max(0, attempt - 1), backoff.maxMs);
  return Math.round(full / 2 + (full / 2) * random());
}

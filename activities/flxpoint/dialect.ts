// Every point where Flxpoint's own pages disagree, decided in one file (docs/flxpoint-api.md explains each).
// The client reads these functions and nothing else, so switching a deployment to the other reading is
// one option, not a code change.

/**
 * `guide`: the polling guide's `?status=NEW&page=N&size=100`.
 * `reference`: the endpoint reference's `filterStatus` (display names) / `filterPageNumber` / `filterPageSize`.
 */
export type ListDialect = 'guide' | 'reference';

/** The guide writes `POST .../acknowledge`; another page and a public client use `PATCH`. */
export type AcknowledgeMethod = 'POST' | 'PATCH';

/**
 * Defaults: the documented reference contract. The guide's `status`/`page`/`size` are not documented
 * parameters, and public clients report that the API ignores unknown parameters, so a guide-dialect poll of
 * the real API would most likely read every FR ever made, unpaged.
 */
export const DEFAULT_LIST_DIALECT: ListDialect = 'reference';
export const DEFAULT_ACKNOWLEDGE_METHOD: AcknowledgeMethod = 'PATCH';

/** The method the other reading of the docs uses: tried once when the configured one answers 404/405. */
export function otherAcknowledgeMethod(method: AcknowledgeMethod): AcknowledgeMethod {
  return method === 'POST' ? 'PATCH' : 'POST';
}

/**
 * The status filter that means "new work for this source". The guide's `NEW` is not a documented status
 * value; the reference's equivalent is the two processing statuses an FR has while sent and unacknowledged.
 */
export function newWorkStatus(dialect: ListDialect): string {
  return dialect === 'guide' ? 'NEW' : 'Processing,Processed';
}

/** Same as `newWorkStatus('guide')`. */
export const NEW_STATUS = 'NEW';

/** Processing statuses (handles) of an FR sent to the source and not yet acknowledged: work for us. */
const WAITING_STATUSES = new Set(['processing', 'processed']);
/** Fulfillment statuses after which nothing is left to acknowledge. */
const CLOSED_FULFILLMENT = new Set(['shipped', 'canceled', 'cancelled']);

/** A status object's handle; from its display name when the handle is missing (`Processing Error`). */
export function statusHandleOf(
  status: { handle?: unknown; name?: unknown } | null | undefined,
): string | null {
  if (typeof status?.handle === 'string' && status.handle.trim()) return status.handle.trim().toLowerCase();
  if (typeof status?.name === 'string' && status.name.trim())
    return status.name.trim().toLowerCase().replace(/\s+/g, '_');
  return null;
}

/**
 * What a list element's own status says, whatever the list was asked for: `waiting` (Processing/Processed,
 * not shipped or cancelled), `not_waiting` (acknowledged, cancelled, voided, processing error, shipped…,
 * with the status that says so), or `unknown` (no status on the element; the FR workflow reads it itself).
 */
export function waitingState(fr: {
  fulfillmentRequestStatus?: { handle?: unknown; name?: unknown } | null;
  fulfillmentRequestFulfillmentStatus?: { handle?: unknown; name?: unknown } | null;
}): { state: 'waiting' } | { state: 'not_waiting'; status: string } | { state: 'unknown' } {
  const processing = statusHandleOf(fr.fulfillmentRequestStatus);
  const fulfillment = statusHandleOf(fr.fulfillmentRequestFulfillmentStatus);
  if (fulfillment && CLOSED_FULFILLMENT.has(fulfillment))
    return { state: 'not_waiting', status: fulfillment };
  if (processing === null) return { state: 'unknown' };
  return WAITING_STATUSES.has(processing)
    ? { state: 'waiting' }
    : { state: 'not_waiting', status: processing };
}

export function listQuery(
  dialect: ListDialect,
  q: { status: string; page: number; size: number },
): Record<string, string> {
  return dialect === 'guide'
    ? { status: q.status, page: String(q.page), size: String(q.size) }
    : { filterStatus: q.status, filterPageNumber: String(q.page), filterPageSize: String(q.size) };
}

/**
 * List envelope: the guide reads `body.items`, public clients get a bare array, some endpoints wrap in
 * `data`. Returns undefined when the body is none of these (the caller reports malformed_response).
 */
export function unwrapListEnvelope(body: unknown): unknown[] | undefined {
  if (Array.isArray(body)) return body;
  if (body !== null && typeof body === 'object') {
    const o = body as Record<string, unknown>;
    if (Array.isArray(o.items)) return o.items;
    if (Array.isArray(o.data)) return o.data;
  }
  return undefined;
}

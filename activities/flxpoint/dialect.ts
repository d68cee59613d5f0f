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

export const DEFAULT_LIST_DIALECT: ListDialect = 'guide';
export const DEFAULT_ACKNOWLEDGE_METHOD: AcknowledgeMethod = 'POST';

/**
 * The status filter that means "new work for this source". The guide's `NEW` is not a documented status
 * value; the reference's equivalent is the two processing statuses an FR has while sent and unacknowledged.
 */
export function newWorkStatus(dialect: ListDialect): string {
  return dialect === 'guide' ? 'NEW' : 'Processing,Processed';
}

/** Same as `newWorkStatus('guide')`; the handle most callers want. */
export const NEW_STATUS = 'NEW';

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

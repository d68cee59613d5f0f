import { waitingState } from './flxpoint/dialect';
import type { FulfillmentRequest } from './flxpoint/schemas';

// The poller's self-defence, whatever list dialect is configured. Public clients report that the real API
// ignores unknown query parameters, so a list asked in a dialect the server does not speak answers with every
// FR, unpaged. Each element's own status therefore decides whether it is work for us, and an answer that
// shows the query was not applied is reported so the poll can stop paging and say so.

export interface ScreenedPage {
  /** Waiting FRs, and FRs whose element carries no status (their workflow reads them itself). */
  waiting: FulfillmentRequest[];
  /** FRs whose own status says they are not waiting for this source. */
  notWaiting: number;
  /** What showed that the server did not apply the query; undefined when nothing did. */
  filterIgnored?: string;
}

export function screenListPage(items: FulfillmentRequest[], rawCount: number, size: number): ScreenedPage {
  const waiting: FulfillmentRequest[] = [];
  const statuses = new Map<string, number>();
  for (const fr of items) {
    const w = waitingState(fr);
    if (w.state === 'not_waiting') statuses.set(w.status, (statuses.get(w.status) ?? 0) + 1);
    else waiting.push(fr);
  }
  const notWaiting = items.length - waiting.length;
  const signs: string[] = [];
  if (notWaiting > 0) {
    const seen = [...statuses].map(([s, n]) => `${n} ${s}`).join(', ');
    signs.push(`${notWaiting} of ${items.length} FRs on the page are not waiting for this source (${seen})`);
  }
  if (rawCount > size) signs.push(`${rawCount} FRs answered for a page size of ${size}`);
  return { waiting, notWaiting, ...(signs.length ? { filterIgnored: signs.join('; ') } : {}) };
}

/**
 * Whether a list element can stand in for a fresh GET of the FR: it has its items with quantities, a
 * processing status and a shipping address, as the reference's FR object does. Anything less and the FR
 * workflow reads the FR itself.
 */
export function isComplete(fr: FulfillmentRequest): boolean {
  return (
    fr.fulfillmentRequestItems.length > 0 &&
    waitingState(fr).state === 'waiting' &&
    fr.shippingAddress !== null &&
    fr.shippingAddress !== undefined
  );
}

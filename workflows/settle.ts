import type { FulfillmentRequestSnapshot, ShipmentRecord } from '../common/domain';
import { ledgerFromFr, type ItemLedger } from './fr-quantities';

// Settling an uncertain Flxpoint write by reading the FR back (docs/flxpoint-api.md, "Read-back rules").
// Flxpoint documents no error wording, so neither "already acknowledged" nor "duplicate tracking number" is
// evidence of anything: when a write's outcome is not known (an attempt whose answer was lost, a retried
// attempt, any 4xx) the FR workflow reads the FR and these pure functions decide from its state:
//
//   ours     Flxpoint shows exactly what we asked for, and one of our attempts may have done it
//            (its outcome is unknown): success.
//   conflict Flxpoint shows the write done, but every attempt of ours was answered with a refusal (so
//            someone else did it), or done differently (other quantities, other items): the operator decides.
//   absent   Not done: after an unknown outcome the write is sent again; after a refusal the 4xx stands.
//   gone     The FR is cancelled, voided or no longer visible upstream: the FR ends as cancelled_upstream.
//
// Deterministic and I/O-free: the workflow calls it with the read it made (test/unit/settle.test.ts).

/** The FR as read back, or `not_found` when the read answered 404. */
export type ReadBack = FulfillmentRequestSnapshot | 'not_found';

export type Settlement =
  | { kind: 'ours'; shipmentId?: number | null }
  | { kind: 'conflict'; detail: string }
  | { kind: 'absent' }
  | { kind: 'gone'; detail: string };

/** What the workflow knows about its own attempts of one write. */
export interface Attempts {
  /** At least one attempt's outcome is unknown (lost answer, retried attempt): it may have landed. */
  uncertain: boolean;
}

/** Flxpoint processing statuses that still wait for this source's decision. */
const WAITING = new Set(['processing', 'processed']);
const GONE = new Set(['canceled', 'voided']);

function gone(fr: ReadBack): Settlement | undefined {
  if (fr === 'not_found') return { kind: 'gone', detail: 'the FR is no longer visible to this source (404)' };
  const s = fr.statusHandle ?? '';
  if (GONE.has(s)) return { kind: 'gone', detail: `the FR is ${s} in Flxpoint` };
  return undefined;
}

/** `ours` when one of our attempts may have done it, else `conflict` saying nobody of ours did. */
function oursIfUncertain(attempts: Attempts, what: string): Settlement {
  if (attempts.uncertain) return { kind: 'ours' };
  return {
    kind: 'conflict',
    detail: `${what}, but not by this worker: every attempt of ours was refused`,
  };
}

function quantities(l: ItemLedger[number]): string {
  return `acknowledged ${l.acknowledged}, cancelled ${l.cancelled}`;
}

/**
 * Acknowledge: ours when every item's acknowledged quantity is what the acknowledgement asked for
 * (`expected`, the ledger after accepting every open unit).
 */
export function settleAcknowledge(fr: ReadBack, expected: ItemLedger, attempts: Attempts): Settlement {
  const g = gone(fr);
  if (g) return g;
  const read = new Map(ledgerFromFr(fr as FulfillmentRequestSnapshot).map((i) => [i.id, i]));
  const status = (fr as FulfillmentRequestSnapshot).statusHandle ?? '';
  const anyAcknowledged = [...read.values()].some((i) => i.acknowledged > 0);
  if (WAITING.has(status) && !anyAcknowledged) return { kind: 'absent' };
  if (status === 'processing_error')
    return { kind: 'conflict', detail: 'the FR was marked processing error in Flxpoint by someone else' };
  const differs = expected.filter((e) => read.get(e.id)?.acknowledged !== e.acknowledged);
  if (differs.length > 0) {
    const first = differs[0]!;
    const got = read.get(first.id);
    return {
      kind: 'conflict',
      detail:
        `the FR is ${status || 'changed'} in Flxpoint with other quantities than ours: item ${first.id} ` +
        `(${first.sku}) ${got ? quantities(got) : 'missing'}, we asked acknowledged ${first.acknowledged}`,
    };
  }
  return oursIfUncertain(attempts, 'the FR is acknowledged in Flxpoint');
}

/**
 * Adjust: ours when every line of the body reads back with its absolute acknowledged and cancelled
 * quantities; absent when those lines still read as they were before (`before`).
 */
export function settleAdjust(
  fr: ReadBack,
  body: { items: { id: number; acknowledgedQuantity: number; cancelledQuantity: number }[] },
  before: ItemLedger,
  attempts: Attempts,
): Settlement {
  if (fr === 'not_found') return gone(fr)!;
  const read = new Map(ledgerFromFr(fr).map((i) => [i.id, i]));
  const matches = body.items.every(
    (b) =>
      read.get(b.id)?.acknowledged === b.acknowledgedQuantity &&
      read.get(b.id)?.cancelled === b.cancelledQuantity,
  );
  if (matches) {
    // A refused adjust that finds the FR cancelled as asked: it was cancelled upstream, not by us.
    if (!attempts.uncertain && GONE.has(fr.statusHandle ?? '')) return gone(fr)!;
    return oursIfUncertain(attempts, 'the FR already has the quantities of this adjustment');
  }
  const g = gone(fr);
  if (g) return g;
  const was = new Map(before.map((i) => [i.id, i]));
  const changed = body.items.find((b) => {
    const r = read.get(b.id);
    const w = was.get(b.id);
    return !r || !w || r.acknowledged !== w.acknowledged || r.cancelled !== w.cancelled;
  });
  if (!changed) return { kind: 'absent' };
  const r = read.get(changed.id);
  return {
    kind: 'conflict',
    detail:
      `the FR's quantities were changed in Flxpoint by someone else: item ${changed.id} ` +
      `${r ? quantities(r) : 'missing'}, we asked acknowledged ${changed.acknowledgedQuantity}, ` +
      `cancelled ${changed.cancelledQuantity}`,
  };
}

/** processing-failed: ours when the FR reads back as processing error. */
export function settleProcessingFailed(fr: ReadBack, attempts: Attempts): Settlement {
  const g = gone(fr);
  if (g) return g;
  const status = (fr as FulfillmentRequestSnapshot).statusHandle ?? '';
  if (status === 'processing_error')
    return oursIfUncertain(attempts, 'the FR is marked processing error in Flxpoint');
  if (WAITING.has(status)) return { kind: 'absent' };
  return {
    kind: 'conflict',
    detail: `the FR is ${status || 'in an unknown status'} in Flxpoint (changed by someone else); processing-failed is not possible`,
  };
}

/**
 * Shipment: ours when the FR's nested shipments hold one with our tracking number and exactly our items
 * and quantities. An FR read without a `shipments` array cannot show a shipment: absent.
 */
export function settleShipment(fr: ReadBack, shipment: ShipmentRecord, attempts: Attempts): Settlement {
  const g = gone(fr);
  if (g) return g;
  const tn = shipment.trackingNumber.trim();
  const all = (fr as FulfillmentRequestSnapshot)['shipments'];
  const same = (Array.isArray(all) ? (all as unknown[]) : []).filter(
    (s): s is FlxpointShipment =>
      typeof s === 'object' &&
      s !== null &&
      String((s as FlxpointShipment).trackingNumber ?? '').trim() === tn,
  );
  if (same.length === 0) return { kind: 'absent' };
  const wanted = itemsKey(shipment.items);
  const match = same.find((s) => itemsKey(linesOf(s)) === wanted);
  if (!match) {
    return {
      kind: 'conflict',
      detail:
        `tracking number ${tn} is already on this FR in Flxpoint with other items ` +
        `(${describe(linesOf(same[0]!))}; ours: ${describe(shipment.items)})`,
    };
  }
  const s = oursIfUncertain(
    attempts,
    `a shipment with tracking number ${tn} and our items is already on this FR in Flxpoint` +
      (typeof match.id === 'number' ? ` (shipment ${match.id})` : ''),
  );
  return s.kind === 'ours' ? { kind: 'ours', shipmentId: typeof match.id === 'number' ? match.id : null } : s;
}

interface FlxpointShipment {
  id?: unknown;
  trackingNumber?: unknown;
  shipmentItems?: unknown;
}

/** A shipment line's FR item: `fulfillmentRequestItemId`, or its deprecated alias `purchaseOrderItemId`. */
function linesOf(s: FlxpointShipment): { id: number; quantity: number }[] {
  const lines = Array.isArray(s.shipmentItems) ? (s.shipmentItems as Record<string, unknown>[]) : [];
  return lines.map((l) => ({
    id: Number(l?.fulfillmentRequestItemId ?? l?.purchaseOrderItemId ?? NaN),
    quantity: Number(l?.quantity ?? NaN),
  }));
}

/** Order-free key of item → total quantity. */
function itemsKey(items: { id: number; quantity: number }[]): string {
  const sum = new Map<number, number>();
  for (const i of items) sum.set(i.id, (sum.get(i.id) ?? 0) + i.quantity);
  return [...sum.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([id, q]) => `${id}:${q}`)
    .join(',');
}

function describe(items: { id: number; quantity: number }[]): string {
  return items.map((i) => `item ${i.id} × ${i.quantity}`).join(', ') || 'no items';
}

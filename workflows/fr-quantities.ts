import type {
  FrItem,
  FulfillmentRequestSnapshot,
  HandlerDecision,
  KillOrFill,
  ShipmentRecord,
} from '../common/domain';
import type { FrStatus } from './definitions';

// Pure quantity bookkeeping for one FR: the one place where acknowledged / cancelled / voided / shipped
// units are counted, used by the FR workflow (decision, adjust bodies, shipments), its update validator and
// the handlers' decision check. Deterministic, no I/O, unit-tested on its own.

export type ItemLedger = FrStatus['items'];

/** Starting ledger from the FR as fetched: what Flxpoint already records for each item. */
export function ledgerFromFr(fr: FulfillmentRequestSnapshot): ItemLedger {
  return fr.fulfillmentRequestItems.map(ledgerItem);
}

/** One FR item as the ledger counts it. Voided units (Flxpoint's `voidedQuantity`) are closed like cancelled ones. */
export function ledgerItem(i: FrItem): ItemLedger[number] {
  return {
    id: i.id,
    sku: i.sku,
    quantity: i.quantity,
    acknowledged: i.acknowledgedQuantity ?? 0,
    shipped: i.shippedQuantity ?? 0,
    cancelled: i.canceledQuantity ?? 0,
    voided: typeof i['voidedQuantity'] === 'number' ? i['voidedQuantity'] : 0,
  };
}

/**
 * Units of an item still waiting for a decision: ordered minus acknowledged, cancelled and voided. The
 * one meaning of "open" (handlers/decision-schema.ts checks a partial decision against this too).
 */
export function openQuantity(item: ItemLedger[number]): number {
  return Math.max(0, item.quantity - item.acknowledged - item.cancelled - item.voided);
}

/** Units neither shipped, cancelled nor voided: what a shipment may still cover. */
export function unshippedQuantity(item: ItemLedger[number]): number {
  return Math.max(0, item.quantity - item.cancelled - item.voided - item.shipped);
}

/** The FR is finished once every unit is shipped, cancelled or voided. */
export function fullyResolved(items: ItemLedger): boolean {
  return items.every((i) => i.shipped + i.cancelled + i.voided >= i.quantity);
}

/** Ledger after Flxpoint accepted the handler's decision. */
export function applyDecision(items: ItemLedger, decision: HandlerDecision): ItemLedger {
  switch (decision.kind) {
    case 'accept':
      return items.map((i) => ({ ...i, acknowledged: i.acknowledged + openQuantity(i) }));
    case 'partial': {
      const wanted = new Map(decision.items.map((d) => [d.id, d.acknowledgedQuantity]));
      return items.map((i) => {
        const open = openQuantity(i);
        const ack = Math.min(open, wanted.get(i.id) ?? 0);
        return { ...i, acknowledged: i.acknowledged + ack, cancelled: i.cancelled + (open - ack) };
      });
    }
    case 'reject':
      return items.map((i) => ({ ...i, cancelled: i.cancelled + openQuantity(i) }));
    case 'fail':
      return items;
  }
}

/** Ledger after cancelling everything not yet shipped. */
export function cancelUnshipped(items: ItemLedger): ItemLedger {
  return items.map((i) => ({ ...i, cancelled: i.cancelled + unshippedQuantity(i) }));
}

/** Flxpoint's adjust body: absolute acknowledged/cancelled quantities per item of the target ledger. */
export function adjustBody(
  target: ItemLedger,
  killOrFillType: KillOrFill,
): {
  killOrFillType: KillOrFill;
  items: { id: number; acknowledgedQuantity: number; cancelledQuantity: number }[];
} {
  return {
    killOrFillType,
    items: target.map((i) => ({
      id: i.id,
      acknowledgedQuantity: i.acknowledged,
      cancelledQuantity: i.cancelled,
    })),
  };
}

/**
 * The adjust body that cancels every unshipped unit after acknowledgement: each item with units left keeps
 * only what shipped as acknowledged.
 */
export function cancelUnshippedBody(items: ItemLedger): ReturnType<typeof adjustBody> {
  const open = items.filter((i) => unshippedQuantity(i) > 0);
  return adjustBody(
    cancelUnshipped(open).map((i) => ({ ...i, acknowledged: i.shipped })),
    'fill',
  );
}

/** Ledger after a shipment was created. */
export function applyShipment(items: ItemLedger, shipment: ShipmentRecord): ItemLedger {
  const qty = new Map<number, number>();
  for (const s of shipment.items) qty.set(s.id, (qty.get(s.id) ?? 0) + s.quantity);
  return items.map((i) => ({ ...i, shipped: i.shipped + (qty.get(i.id) ?? 0) }));
}

/**
 * Checks a shipment payload against the FR. Returns the problems (empty = valid) so the caller can
 * reject an update with one clear message. `pending` are shipments accepted but not yet created.
 */
export function shipmentProblems(raw: unknown, items: ItemLedger, pending: ShipmentRecord[]): string[] {
  const problems: string[] = [];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return [
      'shipment must be an object like {"trackingNumber":"1Z...","carrier":"UPS","items":[{"id":1,"quantity":1}]}',
    ];
  }
  const s = raw as Record<string, unknown>;
  if (typeof s.trackingNumber !== 'string' || s.trackingNumber.trim() === '') {
    problems.push('trackingNumber is required (a non-empty string)');
  } else if (s.trackingNumber.length > 100) {
    problems.push('trackingNumber is longer than 100 characters');
  }
  for (const f of ['carrier', 'method', 'shippedAt', 'trackingUrl'] as const) {
    if (s[f] !== undefined && s[f] !== null && typeof s[f] !== 'string')
      problems.push(`${f} must be a string`);
  }
  if (typeof s.shippedAt === 'string' && Number.isNaN(Date.parse(s.shippedAt))) {
    problems.push(`shippedAt "${s.shippedAt}" is not an ISO-8601 date-time`);
  }
  if (!Array.isArray(s.items) || s.items.length === 0) {
    problems.push('items must list at least one {"id": <FR item id>, "quantity": <units>}');
    return problems;
  }
  const byId = new Map(items.map((i) => [i.id, i]));
  const reserved = new Map<number, number>();
  for (const p of pending)
    for (const it of p.items) reserved.set(it.id, (reserved.get(it.id) ?? 0) + it.quantity);
  const requested = new Map<number, number>();
  s.items.forEach((it: unknown, n: number) => {
    const item = it as Record<string, unknown> | null;
    const id = item?.id;
    const quantity = item?.quantity;
    if (typeof id !== 'number' || !byId.has(id)) {
      problems.push(
        `items[${n}].id ${JSON.stringify(id)} is not an item of this FR (items: ${[...byId.keys()].join(', ')})`,
      );
      return;
    }
    if (typeof quantity !== 'number' || !Number.isInteger(quantity) || quantity < 1) {
      problems.push(`items[${n}].quantity must be a positive integer`);
      return;
    }
    requested.set(id, (requested.get(id) ?? 0) + quantity);
  });
  for (const [id, qty] of requested) {
    const item = byId.get(id)!;
    const left = unshippedQuantity(item) - (reserved.get(id) ?? 0);
    if (qty > left) {
      problems.push(
        `item ${id} (${item.sku}): ${qty} units requested but only ${Math.max(0, left)} remain to ship`,
      );
    }
  }
  return problems;
}

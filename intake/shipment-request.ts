import { z } from 'zod';
import type { ShipmentRecord } from '../common/domain';
import { normalizeShipment } from '../common/shipment';

// What a warehouse POSTs to /shipments, validated at the edge. The addressing (which FR) and the set of
// keys are the intake's own; the shipment itself is checked by common/shipment.ts, the same function the
// FR workflow's `addShipment` update and `shipment` signal use, so the door and the workflow can never
// disagree on what a valid shipment is.

const SHIPMENT_KEYS = ['trackingNumber', 'carrier', 'method', 'shippedAt', 'trackingUrl', 'items'] as const;
const ADDRESS_KEYS = ['sourceId', 'fulfillmentRequestId'] as const;
const KNOWN = new Set<string>([...ADDRESS_KEYS, ...SHIPMENT_KEYS]);

/** `items[0].quantity …` → path `items.0.quantity`; `trackingNumber …` → `trackingNumber`. */
function pathOf(problem: string): (string | number)[] {
  const m = /^(\w+)(?:\[(\d+)\](?:\.(\w+))?)?/.exec(problem);
  if (!m || !KNOWN.has(m[1]!)) return [];
  return [m[1]!, ...(m[2] !== undefined ? [Number(m[2])] : []), ...(m[3] ? [m[3]] : [])];
}

export const ShipmentRequestSchema = z.unknown().transform((raw, ctx) => {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    ctx.addIssue({ code: 'custom', message: 'the body must be a JSON object', path: [] });
    return z.NEVER;
  }
  const body = raw as Record<string, unknown>;
  // Every problem at once: unknown keys (typos), the addressing, then the shipment itself.
  const unknown = Object.keys(body).filter((k) => !KNOWN.has(k));
  if (unknown.length > 0) {
    ctx.addIssue({
      code: 'custom',
      message: `unknown field(s) ${unknown.join(', ')}; allowed: ${[...KNOWN].join(', ')}`,
      path: [],
    });
  }
  for (const key of ADDRESS_KEYS) {
    const v = body[key];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) {
      ctx.addIssue({ code: 'custom', message: `${key} must be a positive integer`, path: [key] });
    }
  }
  const check = normalizeShipment(body);
  if (!check.ok) {
    for (const problem of check.problems)
      ctx.addIssue({ code: 'custom', message: problem, path: pathOf(problem) });
  }
  if (!check.ok || ctx.issues.length > 0) return z.NEVER;
  return {
    sourceId: body.sourceId as number,
    fulfillmentRequestId: body.fulfillmentRequestId as number,
    ...check.shipment,
  };
});
export type ShipmentRequest = z.output<typeof ShipmentRequestSchema>;

/** The FR workflow's `addShipment` argument: the normalised record without its addressing. */
export function toShipmentRecord(shipment: ShipmentRequest): ShipmentRecord {
  const { sourceId: _s, fulfillmentRequestId: _f, ...record } = shipment;
  return record;
}

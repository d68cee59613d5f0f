import type { ShipmentRecord } from './domain';

// One normalisation and validation of a shipment record, whoever receives it: the FR workflow's
// `addShipment` update validator and `shipment` signal (workflow sandbox: no zod, no Node), and the
// shipment intake at its HTTP edge. It checks the record alone; whether the FR can take it (items of this
// FR, units left to ship) is workflows/fr-quantities.ts's `shipmentProblems`.

export const SHIPMENT_LIMITS = {
  trackingNumber: 100,
  carrier: 200,
  method: 200,
  trackingUrl: 2000,
} as const;

export type ShipmentCheck = { ok: true; shipment: ShipmentRecord } | { ok: false; problems: string[] };

const EXAMPLE = '{"trackingNumber":"1Z...","carrier":"UPS","items":[{"id":1,"quantity":1}]}';
/** ISO 8601 date-time with a zone (Z or ±hh:mm), as Flxpoint takes it. */
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Trims the text fields, drops empty optional ones and unknown keys, and checks every field: tracking
 * number required (≤ 100 characters), carrier/method ≤ 200, shippedAt an ISO 8601 date-time with zone,
 * trackingUrl an http(s) URL (so never `javascript:`), items at least one `{id, quantity}` of positive
 * integers. Returns every problem at once, or the normalised record.
 */
export function normalizeShipment(raw: unknown): ShipmentCheck {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, problems: [`shipment must be an object like ${EXAMPLE}`] };
  }
  const s = raw as Record<string, unknown>;
  const problems: string[] = [];
  const text = (field: keyof typeof SHIPMENT_LIMITS, required: boolean): string | undefined => {
    const v = s[field];
    if (v === undefined || v === null) {
      if (required) problems.push(`${field} is required (a non-empty string)`);
      return undefined;
    }
    if (typeof v !== 'string') {
      problems.push(`${field} must be a string`);
      return undefined;
    }
    const t = v.trim();
    if (t === '') {
      if (required) problems.push(`${field} must not be empty`);
      return undefined;
    }
    if (t.length > SHIPMENT_LIMITS[field]) {
      problems.push(`${field}: at most ${SHIPMENT_LIMITS[field]} characters`);
      return undefined;
    }
    return t;
  };
  const trackingNumber = text('trackingNumber', true);
  const carrier = text('carrier', false);
  const method = text('method', false);
  const trackingUrl = text('trackingUrl', false);
  if (trackingUrl !== undefined && !/^https?:\/\/[^\s/?#]+[^\s]*$/i.test(trackingUrl)) {
    problems.push('trackingUrl must be an http(s) URL');
  }
  let shippedAt: string | undefined;
  if (s.shippedAt !== undefined && s.shippedAt !== null) {
    if (typeof s.shippedAt !== 'string') problems.push('shippedAt must be a string');
    else if (s.shippedAt.trim() !== '') {
      shippedAt = s.shippedAt.trim();
      if (!ISO_DATE_TIME.test(shippedAt) || Number.isNaN(Date.parse(shippedAt)))
        problems.push(`shippedAt "${shippedAt}" is not an ISO 8601 date-time`);
    }
  }
  const items: ShipmentRecord['items'] = [];
  if (!Array.isArray(s.items) || s.items.length === 0) {
    problems.push('items must list at least one {"id": <FR item id>, "quantity": <units>}');
  } else {
    s.items.forEach((it: unknown, n: number) => {
      const item = (typeof it === 'object' && it !== null ? it : {}) as Record<string, unknown>;
      const { id, quantity } = item;
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 1)
        problems.push(`items[${n}].id must be a positive integer (an FR item id)`);
      else if (typeof quantity !== 'number' || !Number.isInteger(quantity) || quantity < 1)
        problems.push(`items[${n}].quantity must be a positive integer`);
      else items.push({ id, quantity });
    });
  }
  if (problems.length > 0 || trackingNumber === undefined) return { ok: false, problems };
  return {
    ok: true,
    shipment: {
      trackingNumber,
      items,
      ...(carrier !== undefined ? { carrier } : {}),
      ...(method !== undefined ? { method } : {}),
      ...(shippedAt !== undefined ? { shippedAt } : {}),
      ...(trackingUrl !== undefined ? { trackingUrl } : {}),
    },
  };
}

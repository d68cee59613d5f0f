import { z } from 'zod';
import type { ShipmentRecord } from '../common/domain';

// What a warehouse POSTs to /shipments, validated at the edge. This is the one place the intake defines
// a shipment's shape: when common/shipment.ts holds the shared schema, this file re-exports it.

const text = (what: string, max = 200) =>
  z
    .string({ error: `${what} must be a string` })
    .trim()
    .min(1, `${what} must not be empty`)
    .max(max, `${what}: at most ${max} characters`);
const positiveInt = (what: string) =>
  z
    .number({ error: `${what} must be a number` })
    .int(`${what} must be an integer`)
    .positive(`${what} must be positive`);

export const ShipmentRequestSchema = z.strictObject(
  {
    sourceId: positiveInt('sourceId'),
    fulfillmentRequestId: positiveInt('fulfillmentRequestId'),
    trackingNumber: text('trackingNumber', 100),
    carrier: text('carrier').optional(),
    method: text('method').optional(),
    shippedAt: z.iso.datetime({ offset: true, error: 'shippedAt must be an ISO 8601 date-time' }).optional(),
    trackingUrl: z.url({ protocol: /^https?$/, error: 'trackingUrl must be an http(s) URL' }).optional(),
    items: z
      .array(z.strictObject({ id: positiveInt('item id'), quantity: positiveInt('item quantity') }), {
        error: 'items must be an array of {id, quantity}',
      })
      .min(1, 'items: at least one item'),
  },
  { error: 'the body must be a JSON object' },
);
export type ShipmentRequest = z.output<typeof ShipmentRequestSchema>;

/** The FR workflow's `addShipment` argument: the request without its addressing, and no empty keys. */
export function toShipmentRecord(shipment: ShipmentRequest): ShipmentRecord {
  return {
    trackingNumber: shipment.trackingNumber,
    items: shipment.items,
    ...(shipment.carrier ? { carrier: shipment.carrier } : {}),
    ...(shipment.method ? { method: shipment.method } : {}),
    ...(shipment.shippedAt ? { shippedAt: shipment.shippedAt } : {}),
    ...(shipment.trackingUrl ? { trackingUrl: shipment.trackingUrl } : {}),
  };
}

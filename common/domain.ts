// Domain types shared by workflows, activities, handlers and the store. Plain TypeScript (no zod) so
// workflow code can import them; the zod schemas at the HTTP boundaries produce values of these types.

/** The slice of a fulfillment request the pipeline itself reads. The full FR (passthrough) travels too. */
export interface FrItem {
  id: number;
  sku: string;
  quantity: number;
  acknowledgedQuantity?: number;
  canceledQuantity?: number;
  shippedQuantity?: number;
  [extra: string]: unknown;
}

export interface FulfillmentRequestSnapshot {
  id: number;
  fulfillmentRequestNumber?: string | null;
  sourceId?: number | null;
  /** Processing status handle, e.g. `processing`, `acknowledged`, `canceled`, `voided`. */
  statusHandle?: string | null;
  fulfillmentRequestItems: FrItem[];
  [extra: string]: unknown;
}

export type KillOrFill = 'fill' | 'kill';

/** What the integrator's handler decided for one FR. */
export type HandlerDecision =
  | { kind: 'accept' }
  | {
      kind: 'partial';
      /** Per item: how many units to acknowledge; the rest of the item's open quantity is cancelled. */
      items: { id: number; acknowledgedQuantity: number }[];
      killOrFillType: KillOrFill;
    }
  | { kind: 'reject'; reason: string; killOrFillType: KillOrFill }
  | { kind: 'fail'; reason: string };

/** A shipment the warehouse reports for an FR. */
export interface ShipmentRecord {
  trackingNumber: string;
  carrier?: string;
  method?: string;
  shippedAt?: string;
  trackingUrl?: string;
  /** At least one; `id` is the FR item id. */
  items: { id: number; quantity: number }[];
}

import { type FakeAddress } from './fake-data';

// The simulated records, kept in the shape Flxpoint answers with so serving one is a JSON.stringify away.
// Status names and handles are the reference's (reference-adjust-fulfillment-request.txt).

export const PROCESSING_STATUS_NAMES = {
  unprocessed: 'Unprocessed',
  processed: 'Processed',
  acknowledged: 'Acknowledged',
  canceled: 'Canceled',
  voided: 'Voided',
  processing: 'Processing',
  additional_info_required: 'Additional Info Required',
  transferred: 'Transferred',
  po_number_exceeds_max_length: 'PO/FR # Exceeds Max Length',
  duplicate: 'Duplicate PO/FR #',
  processing_error: 'Processing Error',
  cross_docked: 'Cross Docked',
} as const;
export type ProcessingStatus = keyof typeof PROCESSING_STATUS_NAMES;

export const FULFILLMENT_STATUS_NAMES = {
  awaiting_shipment: 'Awaiting Shipment',
  partially_shipped: 'Partially Shipped',
  shipped: 'Shipped',
  canceled: 'Canceled',
} as const;
export type FulfillmentStatus = keyof typeof FULFILLMENT_STATUS_NAMES;

/** "New work" for a source: sent to it and not yet acknowledged, cancelled, voided or failed. */
export const NEW_WORK_STATUSES: ReadonlySet<ProcessingStatus> = new Set(['processing', 'processed']);

export interface SimItem {
  id: number;
  fulfillmentRequestId: number;
  orderItemId: number;
  lineItemNumber: number;
  sku: string;
  title: string;
  quantity: number;
  cost: number;
  subtotal: number;
  acknowledgedQuantity: number;
  secondaryAcknowledgedQuantity: number;
  canceledQuantity: number;
  shippedQuantity: number;
  voidedQuantity: number;
  inventoryVariantId: number;
}

export interface SimShipmentItem {
  id: number;
  shipmentId: number;
  sku: string;
  quantity: number;
  orderItemId: number;
  purchaseOrderItemId: number;
  fulfillmentRequestItemId: number;
}

export interface SimShipment {
  id: number;
  fulfillmentRequestId: number;
  purchaseOrderId: number;
  orderId: number;
  sourceId: number;
  trackingNumber: string;
  trackingUrl: string | null;
  carrier: string | null;
  method: string | null;
  shippedAt: string;
  shippingCost: number | null;
  note: string | null;
  insertedAt: string;
  updatedAt: string;
  partial: boolean;
  shipmentItems: SimShipmentItem[];
}

export interface SimFr {
  id: number;
  fulfillmentRequestNumber: string;
  orderId: number;
  sourceId: number;
  channelId: number;
  fulfillmentRequestStatus: { name: string; handle: ProcessingStatus };
  fulfillmentRequestFulfillmentStatus: { name: string; handle: FulfillmentStatus };
  shippedStatus: 'Not Started' | 'Partially Completed' | 'Completed';
  shippingAddress: FakeAddress;
  billingAddress: FakeAddress;
  note: string | null;
  confirmationNumber: string | null;
  totalItems: number;
  totalQuantity: number;
  totalCost: number;
  shippedQuantity: number;
  sentAt: string;
  generatedAt: string;
  lastModifiedAt: string;
  acknowledgedAt: string | null;
  secondaryAcknowledgedAt: string | null;
  canceledAt: string | null;
  voidedAt: string | null;
  cancelReason: string | null;
  voidedReason: string | null;
  processingErrorReason: string | null;
  fulfillmentRequestItems: SimItem[];
  shipments: SimShipment[];
}

export interface SimOrder {
  id: number;
  orderNumber: string;
  channelId: number;
  insertedAt: string;
  updatedAt: string;
  frIds: number[];
}

/** What the simulator remembers beside the FR (visible through the admin API only). */
export interface SimFrMeta {
  adjustments: {
    at: string;
    killOrFillType: 'fill' | 'kill';
    cancelUnacknowledgedItemQuantity: boolean | null;
  }[];
  acknowledgedBy?: 'api' | 'adjust' | 'someone_else';
}

export function setProcessingStatus(fr: SimFr, handle: ProcessingStatus): void {
  fr.fulfillmentRequestStatus = { name: PROCESSING_STATUS_NAMES[handle], handle };
}

/** Recomputes every field derived from item quantities (totals, fulfillment status, shippedStatus). */
export function deriveQuantities(fr: SimFr): void {
  let q = 0;
  let closed = 0;
  let shipped = 0;
  let cost = 0;
  for (const it of fr.fulfillmentRequestItems) {
    q += it.quantity;
    closed += it.canceledQuantity + it.voidedQuantity;
    shipped += it.shippedQuantity;
    cost += it.cost * it.quantity;
  }
  fr.totalItems = fr.fulfillmentRequestItems.length;
  fr.totalQuantity = q;
  fr.totalCost = Math.round(cost * 100) / 100;
  fr.shippedQuantity = shipped;
  let fs: FulfillmentStatus;
  if (closed >= q) fs = 'canceled';
  else if (shipped === 0) fs = 'awaiting_shipment';
  else if (shipped >= q - closed) fs = 'shipped';
  else fs = 'partially_shipped';
  fr.fulfillmentRequestFulfillmentStatus = { name: FULFILLMENT_STATUS_NAMES[fs], handle: fs };
  fr.shippedStatus = shipped === 0 ? 'Not Started' : fs === 'shipped' ? 'Completed' : 'Partially Completed';
}

/**
 * Reads a status filter value: `NEW` (the guide), display names (the reference, comma-separated) or handles,
 * any case, and the British/US `cancelled`. Returns undefined for a value it does not know.
 */
export function parseStatusFilter(raw: string): Set<ProcessingStatus> | undefined {
  const out = new Set<ProcessingStatus>();
  for (const part of raw.split(',')) {
    const v = part.trim().toLowerCase();
    if (v === '') continue;
    if (v === 'new') {
      for (const s of NEW_WORK_STATUSES) out.add(s);
      continue;
    }
    const h = STATUS_ALIASES.get(v);
    if (!h) return undefined;
    out.add(h);
  }
  return out.size > 0 ? out : undefined;
}

const STATUS_ALIASES = new Map<string, ProcessingStatus>();
for (const [handle, name] of Object.entries(PROCESSING_STATUS_NAMES) as [ProcessingStatus, string][]) {
  STATUS_ALIASES.set(handle, handle);
  STATUS_ALIASES.set(name.toLowerCase(), handle);
}
STATUS_ALIASES.set('cancelled', 'canceled');
STATUS_ALIASES.set('failed', 'processing_error');

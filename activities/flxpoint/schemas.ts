import { z } from 'zod';
import { type FulfillmentRequestSnapshot } from '../../common/domain';

// Response shapes, parsed at the HTTP boundary. Flxpoint's FR carries ~80 fields and grows; we name the ones
// the pipeline reads and let every other field through untouched (loose objects), so a new field never breaks
// parsing and the full FR can still travel to the integrator's handler. Real APIs send `null` for absent
// values, so every optional field also accepts null.

const str = z.string().nullish();
const num = z.number().nullish();
const bool = z.boolean().nullish();
/** Quantities the reference documents with `default 0`: absent or null read as 0. */
const qty = z
  .number()
  .nullish()
  .transform((v) => v ?? 0);

export const StatusRefSchema = z.looseObject({ name: str, handle: str });
export type StatusRef = z.infer<typeof StatusRefSchema>;

export const AddressSchema = z.looseObject({
  id: num,
  name: str,
  firstName: str,
  lastName: str,
  companyName: str,
  addressLine1: str,
  addressLine2: str,
  city: str,
  state: str,
  stateCode: str,
  country: str,
  countryCode: str,
  postal: str,
  email: str,
  phone: str,
  redacted: bool,
  hash: str,
});
export type Address = z.infer<typeof AddressSchema>;

export const FulfillmentRequestItemSchema = z.looseObject({
  id: z.number(),
  sku: z.string(),
  quantity: z.number(),
  acknowledgedQuantity: qty,
  secondaryAcknowledgedQuantity: qty,
  canceledQuantity: qty,
  shippedQuantity: qty,
  voidedQuantity: qty,
  cost: num,
  title: str,
  orderItemId: num,
  fulfillmentRequestId: num,
  inventoryVariantId: num,
  lineItemNumber: num,
});
export type FRItem = z.infer<typeof FulfillmentRequestItemSchema>;

export const ShipmentItemSchema = z.looseObject({
  id: num,
  sku: str,
  quantity: z.number(),
  shipmentId: num,
  orderItemId: num,
  /** Deprecated alias of fulfillmentRequestItemId (the reference says they are the same thing). */
  purchaseOrderItemId: num,
  fulfillmentRequestItemId: num,
});
export type ShipmentItem = z.infer<typeof ShipmentItemSchema>;

export const ShipmentSchema = z.looseObject({
  id: z.number(),
  trackingNumber: str,
  trackingUrl: str,
  carrier: str,
  method: str,
  note: str,
  shippedAt: str,
  insertedAt: str,
  updatedAt: str,
  shippingCost: num,
  orderId: num,
  /** Deprecated alias of fulfillmentRequestId. */
  purchaseOrderId: num,
  fulfillmentRequestId: num,
  sourceId: num,
  shipmentItems: z
    .array(ShipmentItemSchema)
    .nullish()
    .transform((v) => v ?? []),
});
export type Shipment = z.infer<typeof ShipmentSchema>;

export const FulfillmentRequestSchema = z.looseObject({
  id: z.number(),
  fulfillmentRequestNumber: str,
  sourceId: num,
  orderId: num,
  channelId: num,
  fulfillmentRequestStatus: StatusRefSchema.nullish(),
  fulfillmentRequestFulfillmentStatus: StatusRefSchema.nullish(),
  shippedStatus: str,
  shippingAddress: AddressSchema.nullish(),
  billingAddress: AddressSchema.nullish(),
  fulfillmentRequestItems: z.array(FulfillmentRequestItemSchema),
  shipments: z.array(ShipmentSchema).nullish(),
  note: str,
  confirmationNumber: str,
  totalItems: num,
  totalQuantity: num,
  totalCost: num,
  shippedQuantity: num,
  sentAt: str,
  generatedAt: str,
  lastModifiedAt: str,
  acknowledgedAt: str,
  secondaryAcknowledgedAt: str,
  canceledAt: str,
  voidedAt: str,
  cancelReason: str,
  voidedReason: str,
  processingErrorReason: str,
});
export type FulfillmentRequest = z.infer<typeof FulfillmentRequestSchema>;

// ---- Request bodies (we produce these; plain types, no runtime parsing needed) ----

export type KillOrFillType = 'fill' | 'kill';

export interface AdjustItem {
  /** Wins over `sku` when both are given; required when the FR has duplicate SKUs. */
  id?: number;
  sku?: string;
  /** Absolute acknowledged quantity of the line (replaying the same adjust is a no-op). */
  acknowledgedQuantity?: number;
  /** Absolute cancelled quantity of the line. Flxpoint spells it `cancelled` here and `canceled` on the FR. */
  cancelledQuantity?: number;
  secondaryAcknowledgedQuantity?: number;
}

export interface AdjustRequest {
  /** Null or empty: acknowledge every quantity not yet acknowledged or cancelled. */
  items?: AdjustItem[] | null;
  killOrFillType?: KillOrFillType;
  /** Null: use the source's saved setting. */
  cancelUnacknowledgedItemQuantity?: boolean | null;
}

export interface CreateShipmentItem {
  /** FR line id. Sent also as `purchaseOrderItemId`, the older name public pages still use for it. */
  fulfillmentRequestItemId?: number;
  orderItemId?: number;
  sku?: string;
  quantity: number;
}

export interface CreateShipmentRequest {
  fulfillmentRequestId: number;
  sourceId?: number;
  allowDuplicateTrackingNumbers?: boolean;
  shipment: {
    trackingNumber: string;
    carrier?: string;
    method?: string;
    /** ISO-8601. */
    shippedAt?: string;
    trackingUrl?: string;
    shippingCost?: number;
    note?: string;
    shipmentItems: CreateShipmentItem[];
  };
}

// ---- Issue formatting ----

/** `fulfillmentRequestItems[0].quantity: expected number, received string` */
export function formatZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${formatPath(issue.path)}: ${issue.message.replace(/^Invalid input: /, '')}`)
    .join('; ');
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out === '' ? '(root)' : out;
}

/** The slice of an FR the workflows read; keeps every other field for the handler. */
export function toSnapshot(fr: FulfillmentRequest): FulfillmentRequestSnapshot {
  return { ...fr, statusHandle: fr.fulfillmentRequestStatus?.handle ?? null };
}

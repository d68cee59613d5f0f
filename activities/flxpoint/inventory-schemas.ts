import { z } from 'zod';

// The inventory endpoints' answers (api-reference-digest.md §6), validated at the boundary. Loose objects:
// the real payloads carry many more fields than a stock push needs, and new ones must not break a sync.

const str = z.string().nullish();
const num = z.number().nullish();

/** One element of `GET /inventory/variants` (a bare array): the id and SKU are what a push needs. */
export const InventoryVariantSchema = z.looseObject({
  id: z.number().int().positive(),
  sku: z.string().min(1),
  sourceId: num,
  quantity: num,
  cost: num,
  msrp: num,
  map: num,
  inventoryListPrice: num,
  allowBackorders: z.boolean().nullish(),
  updatedAt: str,
});
export type InventoryVariant = z.infer<typeof InventoryVariantSchema>;

/**
 * A per-item result inside a 2xx of `PUT /inventory/variants` (and each variant of `POST /inventory/parents`):
 * `success` false is a failure of that item alone. `errors` is a list of messages, or anything else the
 * server puts there (shown as text).
 */
export const InventoryItemResultSchema = z.looseObject({
  inventoryVariantId: num,
  id: num,
  sku: str,
  success: z.boolean(),
  result: str,
  errors: z.unknown().optional(),
});
export type InventoryItemResult = z.infer<typeof InventoryItemResultSchema>;

export const InventoryParentResultSchema = z.looseObject({
  id: num,
  sku: str,
  success: z.boolean(),
  result: str,
  errors: z.unknown().optional(),
  variants: z.array(InventoryItemResultSchema).nullish(),
});
export type InventoryParentResult = z.infer<typeof InventoryParentResultSchema>;

/** The words of an item's `errors`, whatever their shape, bounded. */
export function itemErrorText(errors: unknown): string {
  if (errors === null || errors === undefined) return 'failed without a reason';
  const text = Array.isArray(errors)
    ? errors.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))).join('; ')
    : typeof errors === 'string'
      ? errors
      : JSON.stringify(errors);
  return text.slice(0, 500);
}

import type { StockRow } from '../../stock-sources/types';

// One `PUT /inventory/variants` request from a batch of changed rows (≤ 50) whose variant ids are known.
// The modify switches are explicit for every field: `update` for quantity (always sent), `updateNonNull`
// for a field some row of the batch carries (rows without it send no value, so Flxpoint keeps its own),
// `none` for a field no row carries. The defaults of absent switches are undocumented; we never rely on them.

export const MAX_VARIANTS_PER_PUT = 50;

export interface KnownRow {
  row: StockRow;
  inventoryVariantId: number;
}

const SWITCHES = {
  cost: 'modifyCost',
  msrp: 'modifyMsrp',
  map: 'modifyMap',
  listPrice: 'modifyInventoryListPrice',
  allowBackorders: 'modifyAllowBackorders',
} as const;

export interface VariantUpdateRequest {
  query: Record<string, string>;
  body: Record<string, unknown>[];
}

export function buildVariantUpdate(batch: readonly KnownRow[]): VariantUpdateRequest {
  if (batch.length === 0 || batch.length > MAX_VARIANTS_PER_PUT) {
    throw new RangeError(`a variant update takes 1..${MAX_VARIANTS_PER_PUT} rows, got ${batch.length}`);
  }
  const query: Record<string, string> = { modifyQuantity: 'update' };
  for (const [field, param] of Object.entries(SWITCHES) as [keyof typeof SWITCHES, string][]) {
    query[param] = batch.some((k) => k.row[field] !== undefined) ? 'updateNonNull' : 'none';
  }
  const body = batch.map(({ row, inventoryVariantId }) => ({
    inventoryVariantId,
    sku: row.sku,
    ...flxpointStockFields(row),
  }));
  return { query, body };
}

/**
 * A row's stock as Flxpoint names it on a variant (`PUT /inventory/variants`, the variants of
 * `POST /inventory/parents`): quantity always, the other fields only when the row gives them.
 */
export function flxpointStockFields(row: StockRow): Record<string, unknown> {
  const v: Record<string, unknown> = { quantity: row.quantity };
  if (row.cost !== undefined) v.cost = row.cost;
  if (row.msrp !== undefined) v.msrp = row.msrp;
  if (row.map !== undefined) v.map = row.map;
  if (row.listPrice !== undefined) v.inventoryListPrice = row.listPrice;
  if (row.allowBackorders !== undefined) v.allowBackorders = row.allowBackorders;
  return v;
}

import type { StockRow } from '../../stock-sources/types';

// Delta-only pushes: a SKU is pushed when what the source says now differs from what Flxpoint last
// confirmed for it (stored per SKU). Comparing with the confirmed push, not with the previous snapshot,
// means a push that failed, or an item refused inside a 2xx, is simply pushed again next run.

/** What Flxpoint last confirmed for a SKU: the fields we pushed, as we pushed them. */
export type PushedState = Omit<StockRow, 'sku'>;

const FIELDS = ['quantity', 'cost', 'msrp', 'map', 'listPrice', 'allowBackorders'] as const;

/**
 * True when the row carries something Flxpoint does not have from us. A field the source stops sending is
 * not a change (we never push a null: Flxpoint keeps what it has); a field it starts sending is.
 */
export function stockChanged(row: StockRow, last: PushedState | undefined): boolean {
  if (!last) return true;
  return FIELDS.some((f) => row[f] !== undefined && row[f] !== last[f]);
}

/** The state to remember once Flxpoint confirmed the row: the fields pushed, merged over what was there. */
export function confirmedState(row: StockRow, last: PushedState | undefined): PushedState {
  const out: PushedState = { ...last, quantity: row.quantity };
  for (const f of FIELDS) if (row[f] !== undefined) (out as Record<string, unknown>)[f] = row[f];
  return out;
}

/** A SKU that vanished from the source: set to 0 (default; selling what is gone is worse) or left. */
export type DisappearedPolicy = 'zero' | 'leave';

export function disappearedRow(
  sku: string,
  last: PushedState,
  policy: DisappearedPolicy,
): StockRow | undefined {
  if (policy === 'leave' || last.quantity === 0) return undefined;
  return { sku, quantity: 0 };
}

import { z } from 'zod';
import type { RowProblem, StockRow } from './types';

// The stock row contract, validated at the boundary: whatever the source (CSV text, JSON, a module's
// objects), a row becomes a StockRow or a RowProblem that names the field. Column names are matched
// loosely (case, `_`/`-`/space) so an ERP export does not need renaming.

const money = z.coerce
  .number({ error: 'must be a number' })
  .refine((n) => Number.isFinite(n) && n >= 0, 'must be a number ≥ 0');

export const StockRowSchema = z.object({
  sku: z
    .string({ error: 'is required' })
    .trim()
    .min(1, 'is required')
    .max(255, 'is longer than 255 characters')
    .refine((s) => !/[\u0000-\u001f]/.test(s), 'contains control characters'),
  quantity: z.coerce
    .number({ error: 'must be a whole number' })
    .refine((n) => Number.isInteger(n), 'must be a whole number')
    .refine((n) => n >= 0, 'must be ≥ 0 (a negative stock is not sellable: send 0)')
    .refine((n) => n <= 1_000_000_000, 'is implausibly large'),
  cost: money.optional(),
  msrp: money.optional(),
  map: money.optional(),
  listPrice: money.optional(),
  allowBackorders: z
    .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no', 'TRUE', 'FALSE', 'Yes', 'No'])])
    .transform((v) => (typeof v === 'boolean' ? v : ['true', '1', 'yes'].includes(v.toLowerCase())))
    .optional(),
});

const ALIASES: Record<string, keyof StockRow> = {
  sku: 'sku',
  quantity: 'quantity',
  qty: 'quantity',
  stock: 'quantity',
  cost: 'cost',
  msrp: 'msrp',
  map: 'map',
  listprice: 'listPrice',
  inventorylistprice: 'listPrice',
  allowbackorders: 'allowBackorders',
  backorders: 'allowBackorders',
};

/** Maps loosely named fields onto the row's names; empty strings count as absent. Unknown fields are ignored. */
export function normaliseFields(raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    const name = ALIASES[k.toLowerCase().replace(/[\s_-]/g, '')];
    if (!name) continue;
    if (v === '' || v === null || v === undefined) continue;
    out[name] = typeof v === 'string' ? v.trim() : v;
  }
  return out;
}

export function parseStockRow(raw: unknown, where: string): { row: StockRow } | { problem: RowProblem } {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { problem: { where, problem: 'is not an object with sku and quantity' } };
  }
  const fields = normaliseFields(raw as Record<string, unknown>);
  const parsed = StockRowSchema.safeParse(fields);
  if (parsed.success) {
    const r = parsed.data;
    const row: StockRow = { sku: r.sku, quantity: r.quantity };
    if (r.cost !== undefined) row.cost = r.cost;
    if (r.msrp !== undefined) row.msrp = r.msrp;
    if (r.map !== undefined) row.map = r.map;
    if (r.listPrice !== undefined) row.listPrice = r.listPrice;
    if (r.allowBackorders !== undefined) row.allowBackorders = r.allowBackorders;
    return { row };
  }
  const sku = typeof fields.sku === 'string' && fields.sku ? fields.sku : undefined;
  const problem = parsed.error.issues
    .map((i) => `${i.path.join('.') || 'row'} ${i.message}`)
    .join('; ')
    .slice(0, 500);
  return { problem: { where, ...(sku ? { sku } : {}), problem } };
}

/**
 * Reads pages and drops a SKU seen before in the same snapshot (reported): two stock figures for one SKU
 * mean the source is confused, and pushing either could oversell.
 */
export async function* withUniqueSkus(
  pages: AsyncIterable<{ rows: { row: StockRow; where: string }[]; problems: RowProblem[] }>,
) {
  const seen = new Map<string, string>();
  for await (const page of pages) {
    const rows: StockRow[] = [];
    const problems = [...page.problems];
    for (const { row, where } of page.rows) {
      const first = seen.get(row.sku);
      if (first !== undefined) {
        problems.push({ where, sku: row.sku, problem: `duplicate SKU (first at ${first}); kept the first` });
        continue;
      }
      seen.set(row.sku, where);
      rows.push(row);
    }
    yield { rows, problems };
  }
}

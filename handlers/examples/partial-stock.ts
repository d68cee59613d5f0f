import type { FrItem, FulfillmentRequestSnapshot, HandlerDecision, KillOrFill } from '../../common/domain';
import { openQuantity } from '../decision-schema';
import type { FrHandler } from '../types';

// Example custom handler (FR_HANDLER=module:handlers/examples/partial-stock.ts): acknowledge what is in
// stock, cancel the rest with `fill` so Flxpoint can route it to another source.
//
// Deterministic on purpose: a handler may run again for the same FR (activity retry after a crash), and
// must then give the same answer. A real one would read stock from the WMS, keyed by ctx.workflowId.

export interface PartialStockOptions {
  /** Units on hand per SKU. */
  stock: Readonly<Record<string, number>>;
  /** Units for a SKU missing from `stock`. Default: none. */
  unknownSku?: (sku: string) => number;
  /** What Flxpoint does with cancelled units. Default `fill` (re-route); `kill` cancels them for good. */
  killOrFillType?: KillOrFill;
}

export function createPartialStockHandler(options: PartialStockOptions): FrHandler {
  const killOrFillType = options.killOrFillType ?? 'fill';
  const onHand = (sku: string) => options.stock[sku] ?? options.unknownSku?.(sku) ?? 0;

  return {
    name: 'partial-stock',
    async decide(fr: FulfillmentRequestSnapshot): Promise<HandlerDecision> {
      // Stock is allocated within this FR only (two lines of one SKU share it); it is not decremented
      // across FRs, which keeps the answer a pure function of the FR.
      const left = new Map<string, number>();
      const lines = fr.fulfillmentRequestItems
        .filter((item) => openQuantity(item) > 0)
        .map((item: FrItem) => {
          const available = left.get(item.sku) ?? onHand(item.sku);
          const open = openQuantity(item);
          const take = Math.max(0, Math.min(open, available));
          left.set(item.sku, available - take);
          return { item, open, take };
        });

      if (lines.every((l) => l.take === l.open)) return { kind: 'accept' };
      if (lines.every((l) => l.take === 0)) {
        const skus = [...new Set(lines.map((l) => l.item.sku))].join(', ');
        return { kind: 'reject', reason: `out of stock: ${skus}`.slice(0, 500), killOrFillType };
      }
      return {
        kind: 'partial',
        items: lines.map((l) => ({ id: l.item.id, acknowledgedQuantity: l.take })),
        killOrFillType,
      };
    },
  };
}

/** Demo stock: a few named SKUs, and 0-4 units for any other SKU derived from its name (stable per SKU). */
export const DEMO_STOCK: Readonly<Record<string, number>> = {
  'SKU-IN-STOCK': 1000,
  'SKU-LOW': 1,
  'SKU-OUT': 0,
};

function demoUnknownSku(sku: string): number {
  let h = 0;
  for (const ch of sku) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h % 5;
}

export default createPartialStockHandler({ stock: DEMO_STOCK, unknownSku: demoUnknownSku });

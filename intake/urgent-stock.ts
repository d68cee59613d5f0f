import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { inventoryUrgentWorkflowId } from '../common/ids';
import { StockRowSchema } from '../stock-sources/row-schema';
import type { StockRow } from '../stock-sources/types';
import { IntakeError } from './deliver';

// POST /inventory: a few SKUs whose stock must reach Flxpoint now (a stock-out), for one source. Rows follow
// the stock source's row contract (stock-sources/row-schema.ts); every bad row is named and nothing is
// taken. Delivered as a signal to the source's `inventory-urgent:<sourceId>` workflow, which batches them
// with other urgent changes into one PUT within about a second.

export const MAX_URGENT_ROWS = 500;

export const UrgentStockRequestSchema = z.object({
  sourceId: z.number().int().positive(),
  items: z
    .array(StockRowSchema)
    .min(1, 'at least one item')
    .max(MAX_URGENT_ROWS, `at most ${MAX_URGENT_ROWS} items per request; send the rest in another`),
});
export type UrgentStockRequest = z.infer<typeof UrgentStockRequestSchema>;

export interface UrgentStockResult {
  workflowId: string;
  accepted: number;
}

export async function sendUrgentStock(client: Client, req: UrgentStockRequest): Promise<UrgentStockResult> {
  const workflowId = inventoryUrgentWorkflowId(req.sourceId);
  // The last row of a SKU wins, as in the workflow.
  const rows = [...new Map(req.items.map((r) => [r.sku, r as StockRow])).values()];
  try {
    await client.workflow.getHandle(workflowId).signal('urgentStock', { rows });
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      throw new IntakeError(
        404,
        `source ${req.sourceId} takes no urgent stock changes: its inventory sync is not set up ` +
          '(INVENTORY_STOCK_SOURCE_<KEY> on the worker and the schedule setup); see docs/operations.md "Inventory sync"',
        { workflowId },
      );
    }
    throw err;
  }
  return { workflowId, accepted: rows.length };
}

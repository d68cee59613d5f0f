import { ActivityFailure, type RetryPolicy } from '@temporalio/common';
import {
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  log,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { InventorySyncActivities } from '../activities/inventory/sync-activities';
import { INVENTORY_URGENT_RETRY } from '../common/retry-policies';
import { flxpointApiTaskQueue } from '../common/task-queues';
import type { StockRow } from '../stock-sources/types';

// Urgent stock changes of one source (issue 11 item 3): a stock-out must not wait for the next scheduled
// sync. One long-lived workflow per source, `inventory-urgent:<sourceId>`, started by the schedule setup;
// the intake's POST /inventory and the CLI's `inventory push` signal rows to it. Rows that arrive together
// (within BATCH_WINDOW) go out in one PUT of up to 50; the latest row per SKU wins. These are a few SKUs, so
// they travel in the history; the catalog never does (that is the scheduled sync's job).

export interface InventoryUrgentInput {
  sourceKey: string;
  sourceId: number;
  flxpointActivityTimeoutMs?: number;
  /** Continue as new after this many history events (default 2,000, or when Temporal suggests). */
  maxHistoryEvents?: number;
  /** Rows not pushed yet, carried over by continue-as-new. */
  pending?: StockRow[];
  totals?: InventoryUrgentTotals;
}

export interface InventoryUrgentTotals {
  received: number;
  pushed: number;
  failed: number;
  unknown: number;
  requests: number;
}

export interface InventoryUrgentStatus extends InventoryUrgentTotals {
  pending: number;
  lastFailures: { sku: string; error: string }[];
  lastUnknown: string[];
}

export const urgentStockSignal = defineSignal<[{ rows: StockRow[] }]>('urgentStock');
export const urgentStatusQuery = defineQuery<InventoryUrgentStatus>('urgentStatus');

const BATCH_WINDOW_MS = 1_000;
const MAX_BATCH = 50;

export async function inventoryUrgentWorkflow(input: InventoryUrgentInput): Promise<void> {
  const info = workflowInfo();
  const retry: RetryPolicy = INVENTORY_URGENT_RETRY;
  const api = proxyActivities<InventorySyncActivities>({
    taskQueue: flxpointApiTaskQueue(info.taskQueue, input.sourceKey),
    startToCloseTimeout: input.flxpointActivityTimeoutMs ?? 45_000,
    retry,
  });
  const pending = new Map<string, StockRow>((input.pending ?? []).map((r) => [r.sku, r]));
  const totals: InventoryUrgentTotals = input.totals ?? {
    received: 0,
    pushed: 0,
    failed: 0,
    unknown: 0,
    requests: 0,
  };
  let lastFailures: InventoryUrgentStatus['lastFailures'] = [];
  let lastUnknown: string[] = [];
  setHandler(urgentStockSignal, ({ rows }) => {
    for (const r of rows) pending.set(r.sku, r);
    totals.received += rows.length;
  });
  setHandler(urgentStatusQuery, () => ({
    ...totals,
    pending: pending.size,
    lastFailures,
    lastUnknown,
  }));
  const maxEvents = input.maxHistoryEvents ?? 2_000;

  for (;;) {
    await condition(() => pending.size > 0);
    // Let changes that arrive together share one request.
    await sleep(BATCH_WINDOW_MS);
    const batch = [...pending.values()].slice(0, MAX_BATCH);
    for (const r of batch) pending.delete(r.sku);
    try {
      const ids = await api.resolveUrgentVariantIds({ skus: batch.map((r) => r.sku) });
      totals.requests += ids.requests;
      totals.unknown += ids.unknown.length;
      lastUnknown = ids.unknown;
      const known = batch.filter((r) => ids.ids[r.sku] !== undefined);
      if (known.length > 0) {
        const res = await api.pushUrgentVariants({
          rows: known.map((row) => ({ row, inventoryVariantId: ids.ids[row.sku]! })),
        });
        totals.requests += res.requests;
        totals.pushed += res.confirmed;
        totals.failed += res.failed;
        lastFailures = res.failures;
      }
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      // Not lost: a newer row for the same SKU may have arrived meanwhile and wins.
      for (const r of batch) if (!pending.has(r.sku)) pending.set(r.sku, r);
      log.warn('urgent inventory push failed; retrying its rows', {
        error: err.cause?.message ?? err.message,
      });
      await sleep(5_000);
    }
    const now = workflowInfo();
    if (now.continueAsNewSuggested || now.historyLength >= maxEvents) {
      await continueAsNew<typeof inventoryUrgentWorkflow>({
        ...input,
        pending: [...pending.values()],
        totals,
      });
    }
  }
}

import { ActivityFailure, type RetryPolicy } from '@temporalio/common';
import { continueAsNew, log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type {
  InventorySyncActivities,
  PushResult,
  StageResult,
} from '../activities/inventory/sync-activities';
import { flxpointApiTaskQueue } from '../common/task-queues';

// One inventory sync of one source (schedule `inventory-sync:<source>`): stage the delta between the stock
// source and what Flxpoint last confirmed, learn the variant ids of SKUs we have none for, push the delta in
// batches of 50, summarise. The catalog never enters this history: activities keep it in the store, keyed
// by the run; the workflow holds counts and a batch cursor. After a crash, replay resumes at the first batch
// whose activity did not complete; a long run continues as new with the same cursor.

export interface InventorySyncInput {
  sourceKey: string;
  sourceId: number;
  /** Timeout of one Flxpoint activity attempt (default 45 s). */
  flxpointActivityTimeoutMs?: number;
  /** Continue as new once the history has this many events (default 4,000, or when Temporal suggests). */
  maxHistoryEvents?: number;
  /** Set by continue-as-new only. */
  resume?: InventorySyncState;
}

export type InventorySyncPhase = 'stage' | 'discover' | 'plan' | 'push' | 'finish';

export interface InventorySyncTotals {
  read: number;
  badRows: number;
  unchanged: number;
  changed: number;
  disappeared: number;
  unknown: number;
  pushed: number;
  failed: number;
  /** Batches refused as a whole after retries (their rows count as failed). */
  failedBatches: number;
  /** Flxpoint requests this sync sent (lookups and PUTs). */
  requests: number;
}

export interface InventorySyncState {
  runKey: string;
  phase: InventorySyncPhase;
  batches: number;
  nextBatch: number;
  totals: InventorySyncTotals;
  stockSource?: string;
  problems: StageResult['problems'];
  unknownSample: string[];
  failureSample: PushResult['failures'];
  /** Runs so far, this one included. */
  runs: number;
}

export interface InventorySyncSummary extends InventorySyncTotals {
  sourceKey: string;
  stockSource?: string;
  batches: number;
  /** Runs of this sync (1 + continue-as-new count). */
  runs: number;
  /** First bad rows (where, SKU, problem), unknown SKUs and per-item failures: samples, not the catalog. */
  problems: StageResult['problems'];
  unknownSample: string[];
  failureSample: PushResult['failures'];
}

const SAMPLE = 20;

export async function inventorySyncWorkflow(input: InventorySyncInput): Promise<InventorySyncSummary> {
  const info = workflowInfo();
  const taskQueue = flxpointApiTaskQueue(info.taskQueue, input.sourceKey);
  const retry: RetryPolicy = {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
  };
  const api = proxyActivities<InventorySyncActivities>({
    taskQueue,
    startToCloseTimeout: input.flxpointActivityTimeoutMs ?? 45_000,
    retry,
  });
  // Staging reads the whole snapshot: it may take minutes for a big catalog, and heartbeats per page.
  const staging = proxyActivities<Pick<InventorySyncActivities, 'stageInventoryDelta'>>({
    taskQueue,
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: '2 minutes',
    retry,
  });

  const s: InventorySyncState = input.resume ?? {
    runKey: `${info.workflowId}/${info.runId}`,
    phase: 'stage',
    batches: 0,
    nextBatch: 0,
    totals: {
      read: 0,
      badRows: 0,
      unchanged: 0,
      changed: 0,
      disappeared: 0,
      unknown: 0,
      pushed: 0,
      failed: 0,
      failedBatches: 0,
      requests: 0,
    },
    problems: [],
    unknownSample: [],
    failureSample: [],
    runs: 0,
  };
  s.runs++;
  const maxEvents = input.maxHistoryEvents ?? 4_000;

  async function maybeContinueAsNew(): Promise<void> {
    const now = workflowInfo();
    if (now.continueAsNewSuggested || now.historyLength >= maxEvents) {
      await continueAsNew<typeof inventorySyncWorkflow>({ ...input, resume: s });
    }
  }

  if (s.phase === 'stage') {
    const staged = await staging.stageInventoryDelta({ runKey: s.runKey });
    Object.assign(s.totals, {
      read: staged.read,
      badRows: staged.badRows,
      unchanged: staged.unchanged,
      changed: staged.changed,
      disappeared: staged.disappeared,
    });
    s.problems = staged.problems;
    s.stockSource = staged.stockSource;
    s.phase = 'discover';
  }
  while (s.phase === 'discover') {
    const d = await api.discoverInventoryVariants({ runKey: s.runKey });
    if (d.looked > 0) s.totals.requests++;
    s.totals.unknown += d.unknown;
    for (const sku of d.unknownSample) if (s.unknownSample.length < SAMPLE) s.unknownSample.push(sku);
    if (!d.more) s.phase = 'plan';
    else await maybeContinueAsNew();
  }
  if (s.phase === 'plan') {
    s.batches = (await api.planInventoryBatches({ runKey: s.runKey })).batches;
    s.phase = 'push';
  }
  while (s.phase === 'push' && s.nextBatch < s.batches) {
    const batch = s.nextBatch;
    try {
      const r = await api.pushInventoryBatch({ runKey: s.runKey, batch });
      s.totals.requests += r.requests;
      s.totals.pushed += r.confirmed;
      s.totals.failed += r.failed;
      for (const f of r.failures) if (s.failureSample.length < SAMPLE) s.failureSample.push(f);
    } catch (err) {
      // A batch that cannot be pushed (its retries ran out, or a non-retryable answer) must not stop the
      // others: its rows keep their old confirmed state, so the next run pushes them again.
      if (!(err instanceof ActivityFailure)) throw err;
      s.totals.failedBatches++;
      log.warn('inventory batch not pushed; its SKUs are pushed again next run', {
        batch,
        error: err.cause?.message ?? err.message,
      });
    }
    s.nextBatch = batch + 1;
    if (s.nextBatch < s.batches) await maybeContinueAsNew();
  }
  if (s.phase === 'push') s.phase = 'finish';
  const finished = await api.finishInventorySync({ runKey: s.runKey });
  // Rows of batches that failed as a whole are still `pending` in the store's counts.
  s.totals.failed += s.totals.failedBatches > 0 ? (finished.counts.pending ?? 0) : 0;
  const summary: InventorySyncSummary = {
    sourceKey: input.sourceKey,
    ...(s.stockSource ? { stockSource: s.stockSource } : {}),
    ...s.totals,
    batches: s.batches,
    runs: s.runs,
    problems: s.problems,
    unknownSample: s.unknownSample.length ? s.unknownSample : finished.unknownSample,
    failureSample: s.failureSample,
  };
  log.info('inventory sync finished', { ...summary, problems: summary.problems.length });
  return summary;
}

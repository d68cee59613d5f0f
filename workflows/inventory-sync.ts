import { ActivityFailure, type RetryPolicy } from '@temporalio/common';
import { continueAsNew, log, proxyActivities, setCurrentDetails, workflowInfo } from '@temporalio/workflow';
import type {
  InventorySyncActivities,
  PushResult,
  StageResult,
} from '../activities/inventory/sync-activities';
import { INVENTORY_RETRY } from '../common/retry-policies';
import { flxpointApiTaskQueue, INVENTORY_SYNC_TASK_PRIORITY } from '../common/task-queues';

// One inventory sync of one source (schedule `inventory-sync:<source>`): stage the delta between the stock
// source and what Flxpoint last confirmed, learn the variant ids of SKUs we have none for (and create the
// SKUs Flxpoint does not know, when configured), push the delta in batches of 50, summarise. The catalog
// never enters this history: activities keep it in the store, keyed by the run; the workflow holds counts
// and cursors. After a crash, replay resumes with the lookups and batches whose activities did not
// complete; a long run continues as new with the same cursors.
//
// FRs first, budget used: every inventory activity is scheduled with Temporal's lowest task priority (5;
// FR and poll activities keep the default 3) on the source's API queue, whose rate limit is the token's
// budget. The sync keeps a few lookups or batches in flight (`window`), so a backlog of its tasks always
// waits for the next free slot of the budget, and an FR task that arrives is dispatched before all of them:
// it waits for at most the inventory requests already handed to a worker (docs/benchmarks.md section 7).

export interface InventorySyncInput {
  sourceKey: string;
  sourceId: number;
  /** Timeout of one Flxpoint activity attempt (default 45 s). */
  flxpointActivityTimeoutMs?: number;
  /** Continue as new once the history has this many events (default 4,000, or when Temporal suggests). */
  maxHistoryEvents?: number;
  /** Lookups or batches in flight at a time (default 4): enough to keep the budget used, FRs still first. */
  window?: number;
  /** Set by continue-as-new only. */
  resume?: InventorySyncState;
}

export type InventorySyncPhase = 'stage' | 'discover' | 'create' | 'plan' | 'push' | 'finish';

export interface InventorySyncTotals {
  read: number;
  badRows: number;
  unchanged: number;
  changed: number;
  disappeared: number;
  unknown: number;
  /** Unknown SKUs created through POST /inventory/parents (INVENTORY_CREATE_UNKNOWN). */
  created: number;
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
  /** Lookup pages planned (undefined until planned) and the first not yet started. */
  lookups?: number;
  nextLookup?: number;
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
  const retry: RetryPolicy = INVENTORY_RETRY;
  const priority = { priorityKey: INVENTORY_SYNC_TASK_PRIORITY };
  const api = proxyActivities<InventorySyncActivities>({
    taskQueue,
    startToCloseTimeout: input.flxpointActivityTimeoutMs ?? 45_000,
    retry,
    priority,
  });
  // Staging reads the whole snapshot: it may take minutes for a big catalog, and heartbeats per page.
  const staging = proxyActivities<Pick<InventorySyncActivities, 'stageInventoryDelta'>>({
    taskQueue,
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: '2 minutes',
    retry,
    priority,
  });
  const window = Math.max(1, Math.floor(input.window ?? 4));

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
      created: 0,
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

  const historyFull = () => {
    const now = workflowInfo();
    return now.continueAsNewSuggested || now.historyLength >= maxEvents;
  };
  /** What the Web UI shows under "Current details": phase, progress and counts; never catalog rows. */
  const details = () => {
    const t = s.totals;
    const progress =
      s.phase === 'discover' && s.lookups !== undefined
        ? ` · lookups started ${s.nextLookup ?? 0} of ${s.lookups}`
        : s.phase === 'push'
          ? ` · batches started ${s.nextBatch} of ${s.batches}`
          : '';
    setCurrentDetails(
      [
        `**inventory sync** source ${input.sourceKey} (${input.sourceId})${s.stockSource ? ` · ${s.stockSource}` : ''} · run ${s.runs}`,
        `**phase** ${s.phase}${progress}`,
        `**read** ${t.read} · **changed** ${t.changed} · **unchanged** ${t.unchanged} · **disappeared** ${t.disappeared} · **bad rows** ${t.badRows}`,
        `**pushed** ${t.pushed} · **failed** ${t.failed} · **unknown** ${t.unknown} · **created** ${t.created} · **requests** ${t.requests}`,
      ].join('\n\n'),
    );
  };
  details();

  async function maybeContinueAsNew(): Promise<void> {
    if (historyFull()) await continueAsNew<typeof inventorySyncWorkflow>({ ...input, resume: s });
  }

  /**
   * Runs `step` for items from..total-1 with up to `window` in flight, in order of start. Stops starting new
   * ones once the history is full, lets those in flight finish, and returns the first item not started (the
   * cursor a continue-as-new carries).
   */
  async function windowed(from: number, total: number, step: (i: number) => Promise<void>): Promise<number> {
    let next = from;
    const inFlight = new Set<Promise<void>>();
    for (;;) {
      while (next < total && inFlight.size < window && !historyFull()) {
        const p: Promise<void> = step(next++).finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      if (inFlight.size === 0) return next;
      await Promise.race(inFlight);
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
    details();
  }
  if (s.phase === 'discover') {
    if (s.lookups === undefined) {
      s.lookups = (await api.planInventoryLookups({ runKey: s.runKey })).pages;
      s.nextLookup = 0;
    }
    s.nextLookup = await windowed(s.nextLookup ?? 0, s.lookups, async (page) => {
      s.nextLookup = Math.max(s.nextLookup ?? 0, page + 1);
      const d = await api.discoverInventoryVariants({ runKey: s.runKey, page });
      s.totals.requests += d.requests;
      s.totals.unknown += d.unknown;
      for (const sku of d.unknownSample) if (s.unknownSample.length < SAMPLE) s.unknownSample.push(sku);
      details();
    });
    if (s.nextLookup < s.lookups) await maybeContinueAsNew();
    s.phase = 'create';
  }
  // Rare (only SKUs Flxpoint does not know, only when configured): one POST of 20 at a time.
  while (s.phase === 'create') {
    const c = await api.createUnknownInventoryVariants({ runKey: s.runKey });
    if (c.tried > 0) s.totals.requests++;
    s.totals.created += c.created;
    s.totals.unknown -= c.created;
    for (const f of c.failures) if (s.failureSample.length < SAMPLE) s.failureSample.push(f);
    if (!c.more) s.phase = 'plan';
    else await maybeContinueAsNew();
  }
  if (s.phase === 'plan') {
    s.batches = (await api.planInventoryBatches({ runKey: s.runKey })).batches;
    s.phase = 'push';
    details();
  }
  if (s.phase === 'push') {
    details();
    s.nextBatch = await windowed(s.nextBatch, s.batches, async (batch) => {
      s.nextBatch = Math.max(s.nextBatch, batch + 1);
      try {
        const r = await api.pushInventoryBatch({ runKey: s.runKey, batch });
        s.totals.requests += r.requests;
        s.totals.pushed += r.confirmed;
        s.totals.failed += r.failed;
        for (const f of r.failures) if (s.failureSample.length < SAMPLE) s.failureSample.push(f);
        details();
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
    });
    if (s.nextBatch < s.batches) await maybeContinueAsNew();
    s.phase = 'finish';
    details();
  }
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
    // Created SKUs are no longer unknown: the store's sample is exact then.
    unknownSample:
      s.unknownSample.length && s.totals.created === 0 ? s.unknownSample : finished.unknownSample,
    failureSample: s.failureSample,
  };
  log.info('inventory sync finished', { ...summary, problems: summary.problems.length });
  return summary;
}

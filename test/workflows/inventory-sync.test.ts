import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InventorySyncActivities } from '../../activities/inventory/sync-activities';
import { flxpointApiTaskQueue, INVENTORY_SYNC_TASK_PRIORITY } from '../../common/task-queues';
import type { InventorySyncInput, InventorySyncSummary } from '../../workflows/inventory-sync';
import { WORKFLOWS_PATH } from '../helpers/pipeline';
import { connectTemporal, uniqueTaskQueue, workflowBundle, type TestTemporal } from '../helpers/temporal';

// inventorySyncWorkflow with its activities stubbed (the same names and types as the real ones), on the real
// dev server: the phases in order, each lookup page and batch exactly once with a bounded window in flight,
// across continue-as-new; the lowest task priority on every activity; creation of unknown SKUs in rounds;
// and a batch that cannot be pushed does not stop the others.

let t: TestTemporal;
beforeAll(async () => {
  t = await connectTemporal();
});
afterAll(async () => {
  await t?.close();
});

interface StubOpts {
  batches: number;
  lookups: number;
  failBatch?: number;
  /** POST /inventory/parents rounds that create something (the last says no more). */
  creates?: number;
  window?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function stubs(opts: StubOpts) {
  const calls: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let createsLeft = opts.creates ?? 0;
  // Lookups and pushes take a little while, so a window of them really overlaps.
  async function flight<T>(fn: () => T): Promise<T> {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      await sleep(30);
      return fn();
    } finally {
      inFlight--;
    }
  }
  const acts: Omit<InventorySyncActivities, 'resolveUrgentVariantIds' | 'pushUrgentVariants'> = {
    async stageInventoryDelta() {
      calls.push('stage');
      return {
        read: 10,
        badRows: 1,
        problems: [{ where: 'line 3', problem: 'quantity: must be a whole number' }],
        unchanged: 2,
        changed: 8,
        disappeared: 0,
        stockSource: 'file:/x.csv',
      };
    },
    async planInventoryLookups() {
      calls.push('plan-lookups');
      return { pages: opts.lookups };
    },
    async discoverInventoryVariants({ page }) {
      calls.push(`discover:${page}`);
      return flight(() => ({ looked: 50, found: 49, unknown: 1, unknownSample: [`U${page}`], requests: 1 }));
    },
    async createUnknownInventoryVariants() {
      calls.push('create');
      if (createsLeft === 0) return { tried: 0, created: 0, failed: 0, failures: [], more: false };
      createsLeft--;
      return {
        tried: 20,
        created: 19,
        failed: 1,
        failures: [{ sku: `C${createsLeft}`, error: 'SKU belongs to another parent' }],
        more: createsLeft > 0,
      };
    },
    async planInventoryBatches() {
      calls.push('plan');
      return { batches: opts.batches };
    },
    async pushInventoryBatch({ batch }) {
      calls.push(`push:${batch}`);
      return flight(() => {
        if (batch === opts.failBatch)
          throw ApplicationFailure.create({
            nonRetryable: true,
            message: 'refused',
            type: 'Flxpoint.bad_request',
          });
        return {
          requests: 1,
          confirmed: 49,
          failed: 1,
          failures: [{ sku: `F${batch}`, error: 'Temporary' }],
        };
      });
    },
    async finishInventorySync() {
      calls.push('finish');
      return { counts: { pending: 50, unknown: 3 }, unknownSample: ['U-store'] };
    },
  };
  return { acts, calls, maxInFlight: () => maxInFlight };
}

async function run(opts: StubOpts) {
  const taskQueue = uniqueTaskQueue('inventory-wf');
  const { acts, calls, maxInFlight } = stubs(opts);
  const bundle = await workflowBundle(WORKFLOWS_PATH);
  const workflows = await Worker.create({
    connection: t.nativeConnection,
    taskQueue,
    workflowBundle: { code: bundle.code },
  });
  const api = await Worker.create({
    connection: t.nativeConnection,
    taskQueue: flxpointApiTaskQueue(taskQueue, 'src'),
    activities: acts,
  });
  const input: InventorySyncInput = {
    sourceKey: 'src',
    sourceId: 1,
    maxHistoryEvents: 60,
    ...(opts.window ? { window: opts.window } : {}),
  };
  const workflowId = `inventory-sync:src-${taskQueue}`;
  const summary = await workflows.runUntil(
    api.runUntil(
      t.client.workflow.execute('inventorySyncWorkflow', {
        taskQueue,
        workflowId,
        args: [input],
      }) as Promise<InventorySyncSummary>,
    ),
  );
  return { summary, calls, maxInFlight: maxInFlight(), workflowId };
}

/** Each item of `prefix:<n>` in calls, as numbers, sorted. */
const numbered = (calls: string[], prefix: string) =>
  calls
    .filter((c) => c.startsWith(`${prefix}:`))
    .map((c) => Number(c.slice(prefix.length + 1)))
    .sort((a, b) => a - b);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('inventorySyncWorkflow', () => {
  it('stages, looks up every page once, plans, pushes every batch once with a window in flight, finishes', async () => {
    const { summary, calls, maxInFlight } = await run({ batches: 12, lookups: 6, window: 3 });
    // Phases in order; lookups and pushes each exactly once, across continue-as-new runs.
    const phase = (c: string) => c.split(':')[0]!;
    const order = calls.map(phase).filter((c, i, a) => c !== a[i - 1]);
    expect(order).toEqual(['stage', 'plan-lookups', 'discover', 'create', 'plan', 'push', 'finish']);
    expect(numbered(calls, 'discover')).toEqual(range(6));
    expect(numbered(calls, 'push')).toEqual(range(12));
    // Several in flight (the budget stays used), never more than the window (FRs stay first).
    expect(maxInFlight).toBeGreaterThan(1);
    expect(maxInFlight).toBeLessThanOrEqual(3);
    expect(summary).toMatchObject({
      read: 10,
      badRows: 1,
      changed: 8,
      unknown: 6,
      created: 0,
      pushed: 12 * 49,
      failed: 12,
      batches: 12,
      requests: 6 + 12,
      failedBatches: 0,
      stockSource: 'file:/x.csv',
    });
    expect(summary.runs).toBeGreaterThanOrEqual(2); // maxHistoryEvents 60: continued as new on the way
    expect([...summary.unknownSample].sort()).toEqual(range(6).map((i) => `U${i}`));
    expect(summary.failureSample.map((f) => f.sku).sort()).toEqual(
      range(12)
        .map((i) => `F${i}`)
        .sort(),
    );
  }, 60_000);

  it('schedules every inventory activity at the lowest task priority, so FR tasks on the queue go first', async () => {
    const { workflowId } = await run({ batches: 2, lookups: 1 });
    // The first run's history: its ActivityTaskScheduled events carry the priority the server dispatches by.
    const handle = t.client.workflow.getHandle(workflowId);
    const history = await handle.fetchHistory();
    const scheduled = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes);
    expect(scheduled.length).toBeGreaterThan(0);
    for (const e of scheduled)
      expect(e.activityTaskScheduledEventAttributes?.priority?.priorityKey).toBe(
        INVENTORY_SYNC_TASK_PRIORITY,
      );
  }, 60_000);

  it('creates unknown SKUs in rounds until none is left, before planning the batches', async () => {
    const { summary, calls } = await run({ batches: 1, lookups: 2, creates: 2 });
    expect(calls.filter((c) => c === 'create')).toHaveLength(2);
    expect(calls.indexOf('plan')).toBeGreaterThan(calls.lastIndexOf('create'));
    expect(summary).toMatchObject({ created: 38, unknown: 2 - 38, requests: 2 + 2 + 1 });
    expect(summary.failureSample.map((f) => f.sku)).toEqual(expect.arrayContaining(['C1', 'C0']));
    expect(summary.unknownSample).toEqual(['U-store']); // after creation the store's sample is the truth
  }, 60_000);

  it('a batch refused as a whole is counted and the other batches are still pushed', async () => {
    const { summary, calls } = await run({ batches: 3, lookups: 1, failBatch: 1 });
    expect(numbered(calls, 'push')).toEqual([0, 1, 2]);
    expect(summary).toMatchObject({ failedBatches: 1, pushed: 2 * 49, failed: 2 + 50 });
  }, 60_000);
});

import { ApplicationFailure } from '@temporalio/common';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InventorySyncActivities } from '../../activities/inventory/sync-activities';
import { flxpointApiTaskQueue } from '../../common/task-queues';
import type { InventorySyncInput, InventorySyncSummary } from '../../workflows/inventory-sync';
import { WORKFLOWS_PATH } from '../helpers/pipeline';
import { connectTemporal, uniqueTaskQueue, workflowBundle, type TestTemporal } from '../helpers/temporal';

// inventorySyncWorkflow with its activities stubbed (the same names and types as the real ones), on the real
// dev server: the phases in order, lookups until none is left, one push per batch in order, and a batch that
// cannot be pushed does not stop the others.

let t: TestTemporal;
beforeAll(async () => {
  t = await connectTemporal();
});
afterAll(async () => {
  await t?.close();
});

function stubs(opts: { batches: number; lookups: number; failBatch?: number }) {
  const calls: string[] = [];
  let lookupsLeft = opts.lookups;
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
    async discoverInventoryVariants() {
      calls.push('discover');
      lookupsLeft--;
      return { looked: 50, found: 49, unknown: 1, unknownSample: [`U${lookupsLeft}`], more: lookupsLeft > 0 };
    },
    async planInventoryBatches() {
      calls.push('plan');
      return { batches: opts.batches };
    },
    async pushInventoryBatch({ batch }) {
      calls.push(`push:${batch}`);
      if (batch === opts.failBatch)
        throw ApplicationFailure.create({
          nonRetryable: true,
          message: 'refused',
          type: 'Flxpoint.bad_request',
        });
      return { requests: 1, confirmed: 49, failed: 1, failures: [{ sku: `F${batch}`, error: 'Temporary' }] };
    },
    async finishInventorySync() {
      calls.push('finish');
      return { counts: { pending: 50 }, unknownSample: [] };
    },
  };
  return { acts, calls };
}

async function run(opts: { batches: number; lookups: number; failBatch?: number }) {
  const taskQueue = uniqueTaskQueue('inventory-wf');
  const { acts, calls } = stubs(opts);
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
  const input: InventorySyncInput = { sourceKey: 'src', sourceId: 1, maxHistoryEvents: 30 };
  const summary = await workflows.runUntil(
    api.runUntil(
      t.client.workflow.execute('inventorySyncWorkflow', {
        taskQueue,
        workflowId: `inventory-sync:src-${taskQueue}`,
        args: [input],
      }) as Promise<InventorySyncSummary>,
    ),
  );
  return { summary, calls };
}

describe('inventorySyncWorkflow', () => {
  it('stages, looks ids up until none is left, plans, pushes each batch once in order, finishes', async () => {
    const { summary, calls } = await run({ batches: 5, lookups: 2 });
    expect(calls).toEqual([
      'stage',
      'discover',
      'discover',
      'plan',
      'push:0',
      'push:1',
      'push:2',
      'push:3',
      'push:4',
      'finish',
    ]);
    expect(summary).toMatchObject({
      read: 10,
      badRows: 1,
      changed: 8,
      unknown: 2,
      pushed: 5 * 49,
      failed: 5,
      batches: 5,
      requests: 2 + 5,
      failedBatches: 0,
      stockSource: 'file:/x.csv',
    });
    expect(summary.runs).toBeGreaterThanOrEqual(2); // maxHistoryEvents 30: continued as new on the way
    expect(summary.unknownSample).toEqual(['U1', 'U0']);
    expect(summary.failureSample.map((f) => f.sku)).toEqual(['F0', 'F1', 'F2', 'F3', 'F4']);
  }, 60_000);

  it('a batch refused as a whole is counted and the next batches are still pushed', async () => {
    const { summary, calls } = await run({ batches: 3, lookups: 1, failBatch: 1 });
    expect(calls.filter((c) => c.startsWith('push'))).toEqual(['push:0', 'push:1', 'push:2']);
    expect(summary).toMatchObject({ failedBatches: 1, pushed: 2 * 49, failed: 2 + 50 });
  }, 60_000);
});

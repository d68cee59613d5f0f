import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stockSourceVariable } from '../../common/config/variables';
import { SHADOW_NO_INVENTORY } from '../../worker/shadow';
import { createWorkers } from '../../worker/workers';
import type { InventorySyncInput } from '../../workflows/inventory-sync';
import { acceptAll, startPipeline, WORKFLOWS_PATH, type Pipeline } from '../helpers/pipeline';
import { connectTemporal, workflowBundle, type TestTemporal } from '../helpers/temporal';

// A stock source the worker cannot serve is visible at once, not after a timeout: a shadow worker
// (FLXPOINT_MODE=shadow) fails an inventory sync of a source with a stock source within seconds, with what to
// do in the Web UI's failure; a live worker whose stock file is missing warns at start and starts anyway,
// and its syncs fail at once saying which file is missing.
// Real dev server, real workers, the simulator.

let t: TestTemporal;
let dir: string;
let p: Pipeline | undefined;
let workers: Worker[] = [];
let running: Promise<unknown> | undefined;

beforeAll(async () => {
  t = await connectTemporal();
  dir = mkdtempSync(join(tmpdir(), 'shadow-inventory-'));
});
afterEach(async () => {
  for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
  await running;
  workers = [];
  running = undefined;
  await p?.close();
  p = undefined;
});
afterAll(async () => {
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The pipeline's workers with a stock source set as INVENTORY_STOCK_SOURCE_<KEY> would; returns the warnings. */
async function startWithStockSource(pl: Pipeline, spec: string): Promise<string[]> {
  pl.config.sources[0]!.stockSource = spec;
  const warnings: string[] = [];
  workers = await createWorkers({
    connection: t.nativeConnection,
    config: pl.config,
    store: pl.store,
    handler: acceptAll,
    workflows: { workflowBundle: { code: (await workflowBundle(WORKFLOWS_PATH)).code } },
    warn: (message) => warnings.push(message),
  });
  running = Promise.all(workers.map((w) => w.run()));
  return warnings;
}

describe('inventory sync that cannot run', () => {
  it('on a shadow worker fails within seconds with what to do, and sends nothing', async () => {
    p = await startPipeline(t, { env: { FLXPOINT_MODE: 'shadow' }, startWorkers: false });
    const pl = p;
    pl.sim.state.seedInventory({ count: 5, sourceId: pl.sourceId, quantity: 0 });
    const file = join(dir, 'stock.csv');
    writeFileSync(file, 'sku,quantity\nSKU-000001,4\n');
    const variable = stockSourceVariable(pl.sourceKey);
    const warnings = await startWithStockSource(pl, `file:${file}`);
    expect(warnings).toEqual([
      expect.stringMatching(new RegExp(`${variable} is set, but this worker is in shadow mode`)),
    ]);

    const input: InventorySyncInput = { sourceKey: pl.sourceKey, sourceId: pl.sourceId };
    const workflowId = `inventory-sync:${pl.sourceKey}-shadow-test`;
    const started = Date.now();
    const err = await pl.client.workflow
      .execute('inventorySyncWorkflow', {
        taskQueue: pl.config.temporal.taskQueue,
        workflowId,
        args: [input],
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    const elapsed = Date.now() - started;
    // Fails, not times out: the workflow's own 12 h would be the alternative.
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const activity = (err as WorkflowFailedError).cause;
    expect(activity).toBeInstanceOf(ActivityFailure);
    expect((activity as ActivityFailure).activityType).toBe('stageInventoryDelta');
    const cause = (activity as ActivityFailure).cause as ApplicationFailure;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect(cause.type).toBe(SHADOW_NO_INVENTORY);
    expect(cause.nonRetryable).toBe(true);
    expect(cause.message).toBe(
      `shadow mode: this worker does not push inventory; leave ${variable} unset until the source is live, ` +
        'or run a live worker (FLXPOINT_MODE=live)',
    );
    expect(elapsed).toBeLessThan(15_000);
    // One attempt (not retried), and the workflow is closed as failed, as the Web UI shows it.
    const desc = await pl.client.workflow.getHandle(workflowId).describe();
    expect(desc.status.name).toBe('FAILED');
    const history = await pl.client.workflow.getHandle(workflowId).fetchHistory();
    const attempts = (history.events ?? []).filter((e) => e.activityTaskStartedEventAttributes);
    expect(attempts.map((e) => e.activityTaskStartedEventAttributes!.attempt)).toEqual([1]);
    // Nothing reached Flxpoint's inventory.
    const endpoints = Object.keys(pl.counters().requestsByEndpoint ?? {});
    expect(endpoints.filter((e) => e.startsWith('inventory.'))).toEqual([]);
    expect(pl.sim.state.inventory.bySku(pl.sourceId, 'SKU-000001')?.quantity).toBe(0);
  }, 120_000);

  it('on a live worker whose stock file is missing warns at start, naming the source and the file, and starts', async () => {
    p = await startPipeline(t, { startWorkers: false });
    const missing = join(dir, 'not-exported-yet.csv');
    const warnings = await startWithStockSource(p, `file:${missing}`);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`source ${p.sourceKey}: stock source file:${missing} cannot be opened`);
    expect(warnings[0]).toMatch(
      /does not exist; check INVENTORY_STOCK_SOURCE_T\d+ or that the ERP\/WMS export ran/,
    );
    expect(warnings[0]).toMatch(/The worker starts anyway/);
    expect(workers.length).toBeGreaterThan(0);
    expect(workers.every((w) => w.getState() === 'RUNNING')).toBe(true);

    // A sync meanwhile fails at once (the staging activity makes the permanent StockSourceError
    // non-retryable) with the same words, instead of retrying until its 30-minute timeout.
    const pl = p;
    const started = Date.now();
    const err = await pl.client.workflow
      .execute('inventorySyncWorkflow', {
        taskQueue: pl.config.temporal.taskQueue,
        workflowId: `inventory-sync:${pl.sourceKey}-missing-test`,
        args: [{ sourceKey: pl.sourceKey, sourceId: pl.sourceId } satisfies InventorySyncInput],
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = ((err as WorkflowFailedError).cause as ActivityFailure).cause as ApplicationFailure;
    expect(cause.type).toBe('StockSourceUnreadable');
    expect(cause.nonRetryable).toBe(true);
    expect(cause.message).toBe(
      `stock file ${missing} cannot be read: it does not exist; check ${stockSourceVariable(pl.sourceKey)} ` +
        'or that the ERP/WMS export ran (and wrote it there)',
    );
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 120_000);
});

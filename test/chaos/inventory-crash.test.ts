import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../simulator/server';
import type { InventorySyncInput, InventorySyncSummary } from '../../workflows/inventory-sync';
import { eventually, WORKFLOWS_PATH } from '../helpers/pipeline';
import { freePort } from '../helpers/ports';
import { connectTemporal, uniqueTaskQueue, workflowBundle, type TestTemporal } from '../helpers/temporal';
import { killAllWorkerProcesses, spawnWorkerProcess } from '../helpers/worker-process';

// A real worker process (the production entry point, worker/main.ts) is SIGKILLed in the middle of an
// inventory push, then started again on the same embedded store. The sync must finish with every SKU right
// and no batch that Flxpoint had confirmed pushed a second time: at most the one batch in flight at the
// kill is sent again (a PUT is absolute, so that is harmless).

const N = 1000;
const BATCHES = N / 50;
const PUT = 'inventory.variants.update';
const sku = (i: number) => `SKU-${String(i).padStart(6, '0')}`;

let t: TestTemporal;
let sim: RunningSimulator;
let dir: string;

beforeAll(async () => {
  t = await connectTemporal();
  dir = mkdtempSync(join(tmpdir(), 'inventory-crash-'));
}, 60_000);

afterEach(async () => {
  await killAllWorkerProcesses();
});

afterAll(async () => {
  await sim?.close();
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('inventory sync: worker SIGKILLed mid-push', () => {
  it('resumes at the first batch not confirmed; confirmed batches are not pushed again', async () => {
    const sourceId = 515151;
    const token = 'token-inventory-crash';
    sim = await startSimulator({
      port: 0,
      tokens: { [token]: sourceId },
      rateLimit: { enabled: false },
      inventory: { count: N, sourceId, quantity: 0 },
    });
    const stock = join(dir, 'stock.jsonl');
    writeFileSync(
      stock,
      Array.from({ length: N }, (_, k) => JSON.stringify({ sku: sku(k + 1), quantity: (k % 9) + 1 })).join(
        '\n',
      ) + '\n',
    );
    const bundleFile = join(dir, 'bundle.js');
    writeFileSync(bundleFile, (await workflowBundle(WORKFLOWS_PATH)).code);
    const taskQueue = uniqueTaskQueue('inventory-crash');
    const metricsPort = await freePort();
    const worker = spawnWorkerProcess({
      entry: join(__dirname, '../../worker/main.ts'),
      ready: /"msg":"worker started"/,
      env: {
        TEMPORAL_ADDRESS: t.address,
        TEMPORAL_TASK_QUEUE: taskQueue,
        FLXPOINT_BASE_URL: sim.url,
        FLXPOINT_SOURCES: 'crash:515151',
        FLXPOINT_TOKEN_CRASH: token,
        // The real budget: a batch every half second, so the kill lands mid-push.
        FLXPOINT_REQUESTS_PER_SECOND: '2',
        INVENTORY_STOCK_SOURCE_CRASH: `file:${stock}`,
        STORE_URL: `embedded:${join(dir, 'store')}`,
        WORKFLOW_BUNDLE_PATH: bundleFile,
        WORKER_HEALTH_PORT: '0',
        WORKER_METRICS_PORT: String(metricsPort),
        WORKER_SHUTDOWN_GRACE: '1s',
        LOG_FORMAT: 'json',
      },
    });
    await worker.start();
    const input: InventorySyncInput = {
      sourceKey: 'crash',
      sourceId,
      // The attempt lost with the killed process is retried after this.
      flxpointActivityTimeoutMs: 5_000,
    };
    const handle = await t.client.workflow.start('inventorySyncWorkflow', {
      taskQueue,
      workflowId: `inventory-sync:crash-${Date.now()}`,
      args: [input],
    });
    const puts = () => sim.state.snapshotCounters().requestsByEndpoint[PUT] ?? 0;
    await eventually('a third of the batches pushed', () => puts() >= 7, 120_000);
    await worker.kill();
    const atKill = puts();
    expect(atKill).toBeLessThan(BATCHES);
    await worker.start();

    const summary = (await handle.result()) as InventorySyncSummary;
    expect(summary).toMatchObject({ changed: N, pushed: N, failed: 0, unknown: 0, batches: BATCHES });
    // Each batch's PUT once, plus at most the one in flight when the process died.
    expect(puts()).toBeGreaterThanOrEqual(BATCHES);
    expect(puts()).toBeLessThanOrEqual(BATCHES + 1);
    // Every SKU changed exactly once in Flxpoint (a repeated PUT answers `unchanged`, not counted).
    const perSku = sim.state.snapshotCounters().variantUpdatesBySku ?? {};
    expect(Object.keys(perSku)).toHaveLength(N);
    expect(Object.values(perSku).every((n) => n === 1)).toBe(true);
    for (const i of [1, 333, 500, 999, N])
      expect(sim.state.inventory.bySku(sourceId, sku(i))!.quantity).toBe(((i - 1) % 9) + 1);

    // The history: every batch's activity scheduled exactly once (a retry is an attempt, not a new event).
    const history = await handle.fetchHistory();
    const scheduled = (history.events ?? []).filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'pushInventoryBatch',
    );
    expect(scheduled).toHaveLength(BATCHES);

    // The next run after the restart finds nothing to push.
    const again = (await t.client.workflow.execute('inventorySyncWorkflow', {
      taskQueue,
      workflowId: `inventory-sync:crash-again-${Date.now()}`,
      args: [input],
    })) as InventorySyncSummary;
    expect(again).toMatchObject({ changed: 0, pushed: 0, requests: 0, unchanged: N });
    // The operator's view: variants by result and the time of the last finished sync, on /metrics.
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const unchanged =
      /flxpoint_inventory_variants[^{\s]*\{[^}]*result="unchanged"[^}]*source="crash"[^}]*\} (\d+)/.exec(
        metrics,
      );
    expect(Number(unchanged?.[1])).toBe(N);
    const last = /flxpoint_inventory_last_sync[^{\s]*\{[^}]*source="crash"[^}]*\} (\d+)/.exec(metrics);
    expect(Math.abs(Number(last?.[1]) - Date.now() / 1000)).toBeLessThan(120);
    await worker.stop();
  }, 240_000);
});

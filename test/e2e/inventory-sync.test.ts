import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../common/config';
import { inventorySyncScheduleId, inventoryUrgentWorkflowId } from '../../common/ids';
import { buildIntakeServer } from '../../intake/server';
import { ensureInventorySchedules } from '../../common/poll-schedule';
import type { InventorySyncInput, InventorySyncSummary } from '../../workflows/inventory-sync';
import { eventually, startPipeline, type Pipeline } from '../helpers/pipeline';
import { runToExit } from '../helpers/worker-process';
import { connectTemporal, type TestTemporal } from '../helpers/temporal';

// The inventory sync end to end: the real dev server, real workers (the source's API queue carries the
// inventory activities), the simulator's catalog, the embedded store. One catalog across runs, so each run
// is judged against what the previous ones confirmed: the delta, per-item failures retried, unknown SKUs,
// disappeared SKUs, bad rows.

const N = 300;
const sku = (i: number) => `SKU-${String(i).padStart(6, '0')}`;
const PUT = 'inventory.variants.update';
const GET = 'inventory.variants.list';

let t: TestTemporal;
let p: Pipeline;
let dir: string;
let file: string;
let runNo = 0;

/** Writes the stock file: quantities by SKU number, plus extra raw CSV lines. */
function writeStock(qty: (i: number) => number | undefined, extra: string[] = []): void {
  const lines = ['sku,quantity,cost'];
  for (let i = 1; i <= N; i++) {
    const q = qty(i);
    if (q !== undefined) lines.push(`${sku(i)},${q},${(i % 13) + 0.5}`);
  }
  writeFileSync(file, [...lines, ...extra].join('\n') + '\n');
}

async function sync(
  extra: Partial<InventorySyncInput> = {},
): Promise<{ summary: InventorySyncSummary; puts: number; gets: number }> {
  const before = p.counters().requestsByEndpoint;
  const input: InventorySyncInput = { sourceKey: p.sourceKey, sourceId: p.sourceId, ...extra };
  const summary = await p.client.workflow.execute('inventorySyncWorkflow', {
    taskQueue: p.config.temporal.taskQueue,
    workflowId: `inventory-sync:${p.sourceKey}-test-${++runNo}`,
    args: [input],
  });
  const after = p.counters().requestsByEndpoint;
  return {
    summary: summary as InventorySyncSummary,
    puts: (after[PUT] ?? 0) - (before[PUT] ?? 0),
    gets: (after[GET] ?? 0) - (before[GET] ?? 0),
  };
}

const quantityOf = (s: string) => p.sim.state.inventory.bySku(p.sourceId, s)?.quantity;

beforeAll(async () => {
  t = await connectTemporal();
  dir = mkdtempSync(join(tmpdir(), 'inventory-sync-'));
  file = join(dir, 'stock.csv');
  p = await startPipeline(t, { startWorkers: false });
  p.sim.state.seedInventory({ count: N, sourceId: p.sourceId, quantity: 0 });
  // As INVENTORY_STOCK_SOURCE_<KEY> would set it (the key is drawn by the helper).
  p.config.sources[0]!.stockSource = `file:${file}`;
  await p.startWorkers();
}, 120_000);

afterAll(async () => {
  await p?.close();
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('inventory sync (delta push) against the simulator', () => {
  it('first run: pushes every valid row in batches of 50, reports bad rows and SKUs Flxpoint does not know', async () => {
    writeStock((i) => (i % 7) + 1, ['NOPE-1,4,1', 'NOPE-2,5,1', ',3,1', `${sku(1)}x,-2,1`]);
    const { summary, puts, gets } = await sync();
    expect(summary).toMatchObject({
      read: N + 2,
      badRows: 2,
      changed: N + 2,
      unchanged: 0,
      unknown: 2,
      pushed: N,
      failed: 0,
      batches: N / 50,
    });
    expect(summary.unknownSample).toEqual(['NOPE-1', 'NOPE-2']);
    // The bad rows are named by line and never reach Flxpoint.
    expect(summary.problems.map((x) => x.where)).toEqual(['line 304', 'line 305']);
    expect(summary.problems[1]!.problem).toMatch(/quantity/);
    expect(puts).toBe(N / 50);
    // Discovery: one GET per 100 SKUs without an id (302 → 4).
    expect(gets).toBe(Math.ceil((N + 2) / 100));
    expect(summary.requests).toBe(puts + gets);
    for (const i of [1, 2, 150, N]) expect(quantityOf(sku(i))).toBe((i % 7) + 1);
    expect(p.sim.state.inventory.bySku(p.sourceId, sku(10))!.cost).toBe((10 % 13) + 0.5);
    expect(p.sim.state.inventory.bySku(p.sourceId, 'NOPE-1')).toBeUndefined();
  }, 120_000);

  it('an unchanged snapshot pushes nothing; only the unknown SKUs are looked up again', async () => {
    const { summary, puts, gets } = await sync();
    expect(summary).toMatchObject({ read: N + 2, unchanged: N, changed: 2, pushed: 0, unknown: 2 });
    expect(puts).toBe(0);
    expect(gets).toBe(1);
  }, 120_000);

  it('second snapshot: only the changed SKUs are pushed, vanished SKUs are set to 0', async () => {
    // 60 quantities change, SKUs 296..300 vanish from the source.
    writeStock(
      (i) => (i > N - 5 ? undefined : i <= 60 ? 100 + i : (i % 7) + 1),
      ['NOPE-1,4,1', 'NOPE-2,5,1'],
    );
    const { summary, puts, gets } = await sync();
    expect(summary).toMatchObject({ changed: 62, disappeared: 5, pushed: 65, unknown: 2, failed: 0 });
    expect(summary.batches).toBe(2); // 65 rows / 50
    expect(puts).toBe(2);
    expect(gets).toBe(1); // the 2 unknown SKUs; every other id is cached
    expect(quantityOf(sku(1))).toBe(101);
    expect(quantityOf(sku(61))).toBe((61 % 7) + 1);
    for (let i = N - 4; i <= N; i++) expect(quantityOf(sku(i))).toBe(0);
  }, 120_000);

  it('per-item failures inside a 200 are recorded and pushed again next run, never lost', async () => {
    writeStock((i) => (i > N - 5 ? undefined : i <= 120 ? 200 + i : (i % 7) + 1));
    p.sim.state.setFaults({ seed: 7, rules: { [PUT]: { itemFailure: 0.3 } } });
    const first = await sync();
    p.sim.state.clearFaults();
    expect(first.summary.changed).toBe(120);
    expect(first.summary.failed).toBeGreaterThan(10);
    expect(first.summary.pushed + first.summary.failed).toBe(120);
    expect(first.summary.failureSample[0]!.error).toMatch(/Temporary failure/);
    const failedSkus = Array.from({ length: 120 }, (_, k) => sku(k + 1)).filter(
      (s) => quantityOf(s) !== 200 + Number(s.slice(4)),
    );
    expect(failedSkus).toHaveLength(first.summary.failed);

    const second = await sync();
    // Exactly the failed ones, their ids learned again (a failed item may have a stale id).
    expect(second.summary).toMatchObject({ changed: first.summary.failed, pushed: first.summary.failed });
    expect(second.puts).toBe(Math.ceil(first.summary.failed / 50));
    expect(second.gets).toBe(Math.ceil(first.summary.failed / 100));
    for (const s of failedSkus) expect(quantityOf(s)).toBe(200 + Number(s.slice(4)));

    const third = await sync();
    expect(third.summary).toMatchObject({ changed: 0, pushed: 0 });
    expect(third.puts).toBe(0);
  }, 180_000);

  it('a long run continues as new with its cursor: every batch pushed once, the summary spans the runs', async () => {
    writeStock((i) => (i > N - 5 ? undefined : 300 + i));
    const { summary, puts } = await sync({ maxHistoryEvents: 40 });
    expect(summary.runs).toBeGreaterThanOrEqual(2);
    expect(summary).toMatchObject({ changed: N - 5, pushed: N - 5, failed: 0, batches: 6 });
    expect(puts).toBe(6);
    for (const i of [1, 100, N - 5]) expect(quantityOf(sku(i))).toBe(300 + i);
  }, 180_000);

  it('INVENTORY_DISAPPEARED=leave keeps a vanished SKU as Flxpoint has it', async () => {
    p.config.sources[0]!.inventoryDisappeared = 'leave';
    await p.stopWorkers();
    await p.startWorkers();
    writeStock((i) => (i > N - 10 ? undefined : 300 + i));
    const { summary, puts } = await sync();
    expect(summary).toMatchObject({ changed: 0, disappeared: 0, pushed: 0 });
    expect(puts).toBe(0);
    expect(quantityOf(sku(N - 9))).toBe(300 + N - 9);
  }, 180_000);

  it('INVENTORY_CREATE_UNKNOWN=true creates SKUs Flxpoint does not know; a failed creation is tried next run', async () => {
    const POST = 'inventory.parents.upsert';
    const count = (e: string) => p.counters().requestsByEndpoint[e] ?? 0;
    p.config.sources[0]!.inventoryCreateUnknown = true;
    await p.stopWorkers();
    await p.startWorkers();
    const extra = ['NEW-1,4,1.25', 'NEW-2,5,2.5', 'NEW-3,6,1'];
    writeStock((i) => (i > N - 10 ? undefined : 300 + i), extra);
    // First every creation fails inside the 200 (the simulator's per-item fault).
    p.sim.state.setFaults({ seed: 3, rules: { [POST]: { itemFailure: 1 } } });
    const posts0 = count(POST);
    const failing = await sync();
    p.sim.state.clearFaults();
    expect(failing.summary).toMatchObject({ changed: 3, unknown: 3, created: 0, pushed: 0 });
    expect(failing.summary.failureSample[0]!.error).toMatch(/Temporary failure/);
    expect(count(POST) - posts0).toBe(1);
    expect(p.sim.state.inventory.bySku(p.sourceId, 'NEW-1')).toBeUndefined();

    const creating = await sync();
    expect(creating.summary).toMatchObject({ changed: 3, unknown: 0, created: 3, pushed: 3, failed: 0 });
    expect(count(POST) - posts0).toBe(2); // one POST for the three
    // Looked up first (Flxpoint did not know them); a fresh worker that has not yet seen Flxpoint read a SKU
    // list asks once more in the other list form (activities/inventory/sku-query-style.ts).
    expect(creating.gets).toBeGreaterThanOrEqual(1);
    expect(creating.gets).toBeLessThanOrEqual(2);
    expect(creating.puts).toBe(1); // then pushed with the others
    expect(p.sim.state.inventory.bySku(p.sourceId, 'NEW-1')).toMatchObject({ quantity: 4, cost: 1.25 });
    expect(quantityOf('NEW-3')).toBe(6);

    // Known now: the next run has nothing to do.
    const after = await sync();
    expect(after.summary).toMatchObject({ changed: 0, created: 0, unknown: 0 });
    expect(after.gets + after.puts).toBe(0);
    expect(count(POST) - posts0).toBe(2);
  }, 180_000);

  it('a stock file that does not exist ends the sync at once, saying which file and what to do', async () => {
    const configured = p.config.sources[0]!.stockSource;
    p.config.sources[0]!.stockSource = `file:${join(dir, 'missing.csv')}`;
    await p.stopWorkers();
    await p.startWorkers();
    try {
      const started = Date.now();
      const err = await sync().then(
        () => undefined,
        (e: unknown) => e as Error & { cause?: Error & { cause?: Error } },
      );
      expect(err).toBeDefined();
      // Not retried until the run's timeout: one attempt, a non-retryable failure naming the file.
      expect(Date.now() - started).toBeLessThan(30_000);
      const root = err!.cause?.cause ?? err!.cause;
      expect(root?.message).toMatch(/missing\.csv/);
      expect(root?.message).toMatch(/does not exist/);
    } finally {
      p.config.sources[0]!.stockSource = configured;
      await p.stopWorkers();
      await p.startWorkers();
    }
  }, 120_000);
});

describe('inventory sync schedule', () => {
  it('inventory-sync:<key> for sources with a stock source only: overlap SKIP, every INVENTORY_SYNC_INTERVAL', async () => {
    const config = loadConfig('schedules', {
      TEMPORAL_ADDRESS: t.address,
      TEMPORAL_TASK_QUEUE: p.config.temporal.taskQueue,
      FLXPOINT_SOURCES: `${p.sourceKey}:${p.sourceId},nostock-${p.sourceKey}:1`,
      [`INVENTORY_STOCK_SOURCE_${p.sourceKey.toUpperCase()}`]: `file:${file}`,
      INVENTORY_SYNC_INTERVAL: '7m',
    });
    writeStock((i) => 300 + i);
    const handle = t.client.schedule.getHandle(inventorySyncScheduleId(p.sourceKey));
    try {
      const ensured = await ensureInventorySchedules(t.client, config);
      expect(ensured.map((e) => [e.scheduleId, e.result, e.everyMs])).toEqual([
        [inventorySyncScheduleId(p.sourceKey), 'created', 7 * 60_000],
      ]);
      const d = await handle.describe();
      expect(d.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);
      expect(d.spec.intervals?.[0]?.every).toBe(7 * 60_000);
      expect(d.action).toMatchObject({ type: 'startWorkflow', workflowType: 'inventorySyncWorkflow' });
      // Setup again: updated, not duplicated.
      expect((await ensureInventorySchedules(t.client, config))[0]!.result).toBe('updated');
      // The schedule's action really runs a sync on the worker.
      await handle.trigger();
      await eventually('the triggered sync completed', async () => {
        const last = (await handle.describe()).info.recentActions.at(-1);
        if (!last) return false;
        const run = await t.client.workflow
          .getHandle(last.action.workflow.workflowId, last.action.workflow.firstExecutionRunId)
          .describe();
        return run.status.name === 'COMPLETED';
      });

      // The operator CLI, as a subprocess with the operator's environment.
      const env = {
        PATH: process.env.PATH ?? '',
        TEMPORAL_ADDRESS: t.address,
        TEMPORAL_TASK_QUEUE: p.config.temporal.taskQueue,
      };
      const st = await cli(env, 'inventory', 'status', p.sourceKey, '--json');
      expect(st.code, st.stderr).toBe(0);
      const status = JSON.parse(st.stdout) as { paused: boolean; lastFinished: Record<string, unknown> };
      expect(status.paused).toBe(false);
      expect(status.lastFinished).toMatchObject({ status: 'COMPLETED', read: N, failed: 0 });
      const now = await cli(env, 'inventory', 'sync-now', p.sourceKey, '--json');
      expect(now.code, now.stderr).toBe(0);
      expect(JSON.parse(now.stdout)).toMatchObject({ triggered: true });
      const missing = await cli(env, 'inventory', 'status', 'nostock', '--json');
      expect(missing.code).toBe(1);
      expect(missing.stderr).toMatch(/no inventory sync\. Set INVENTORY_STOCK_SOURCE_NOSTOCK/);
    } finally {
      await handle.delete().catch(() => undefined);
    }
  }, 120_000);
});

describe('urgent stock changes (intake POST /inventory, CLI inventory push)', () => {
  it('reach Flxpoint within seconds, batched together, with the intake auth; bad input named', async () => {
    const config = loadConfig('schedules', {
      TEMPORAL_ADDRESS: t.address,
      TEMPORAL_TASK_QUEUE: p.config.temporal.taskQueue,
      FLXPOINT_SOURCES: `${p.sourceKey}:${p.sourceId}`,
      [`INVENTORY_STOCK_SOURCE_${p.sourceKey.toUpperCase()}`]: `file:${file}`,
    });
    // The setup path starts the source's urgent workflow (once: a second setup keeps it).
    await ensureInventorySchedules(t.client, config);
    await ensureInventorySchedules(t.client, config);
    const urgent = t.client.workflow.getHandle(inventoryUrgentWorkflowId(p.sourceId));
    const TOKEN = 'urgent-intake-token-0123456789';
    const OTHER = 'other-source-token-0123456789';
    const intake = await buildIntakeServer({
      client: t.client,
      authTokens: [TOKEN, { token: OTHER, sourceIds: [1] }],
    });
    try {
      const post = (body: unknown, token = TOKEN) =>
        intake.inject({
          method: 'POST',
          url: '/inventory',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          payload: JSON.stringify(body),
        });
      expect(
        (await post({ sourceId: p.sourceId, items: [{ sku: sku(20), quantity: 0 }] }, 'nope')).statusCode,
      ).toBe(401);
      const forbidden = await post({ sourceId: p.sourceId, items: [{ sku: sku(20), quantity: 0 }] }, OTHER);
      expect(forbidden.statusCode).toBe(403);
      const bad = await post({
        sourceId: p.sourceId,
        items: [{ sku: sku(20), quantity: -1 }, { quantity: 2 }],
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.json<{ error: string }>().error).toMatch(/items\.0\.quantity: .*≥ 0.*items\.1\.sku/);
      const noSync = await post({ sourceId: 424242, items: [{ sku: 'A', quantity: 1 }] });
      expect(noSync.statusCode).toBe(404);
      expect(noSync.json<{ error: string }>().error).toMatch(/INVENTORY_STOCK_SOURCE_<KEY>/);

      const putsBefore = p.counters().requestsByEndpoint[PUT] ?? 0;
      const started = Date.now();
      const a = await post({
        sourceId: p.sourceId,
        items: [
          { sku: sku(20), quantity: 0 },
          { sku: 'NOPE-9', quantity: 1 },
        ],
      });
      const b = await post({ sourceId: p.sourceId, items: [{ sku: sku(21), quantity: 0, cost: 9.25 }] });
      expect(a.statusCode).toBe(202);
      expect(a.json()).toMatchObject({ accepted: 2, workflowId: inventoryUrgentWorkflowId(p.sourceId) });
      expect(b.statusCode).toBe(202);
      await eventually(
        'both urgent changes in Flxpoint',
        () => quantityOf(sku(20)) === 0 && quantityOf(sku(21)) === 0,
        20_000,
      );
      const seconds = (Date.now() - started) / 1000;
      expect(seconds).toBeLessThan(10);
      // Arrived together, pushed together: one PUT.
      expect((p.counters().requestsByEndpoint[PUT] ?? 0) - putsBefore).toBe(1);
      expect(p.sim.state.inventory.bySku(p.sourceId, sku(21))!.cost).toBe(9.25);
      // The workflow records the PUT's answer just after Flxpoint has applied it: poll, do not race it.
      await expect
        .poll(
          () => urgent.query<{ pushed: number; unknown: number; lastUnknown: string[] }>('urgentStatus'),
          {
            timeout: 10_000,
          },
        )
        .toMatchObject({ pushed: 2, unknown: 1, lastUnknown: ['NOPE-9'] });

      // The CLI, as an operator runs it.
      const env = { PATH: process.env.PATH ?? '', TEMPORAL_ADDRESS: t.address };
      const res = await cli(env, 'inventory', 'push', String(p.sourceId), `${sku(22)}=0`, '--json');
      expect(res.code, res.stderr).toBe(0);
      expect(JSON.parse(res.stdout)).toMatchObject({ accepted: 1, skus: [sku(22)] });
      await eventually('the CLI change in Flxpoint', () => quantityOf(sku(22)) === 0, 20_000);
      const badCli = await cli(env, 'inventory', 'push', String(p.sourceId), `${sku(22)}=-3`, 'x');
      expect(badCli.code).toBe(2);
      expect(badCli.stderr).toMatch(/must be ≥ 0.*"x": write SKU=quantity/);
    } finally {
      await intake.close();
      await urgent.terminate('test over').catch(() => undefined);
    }
  }, 120_000);
});

describe('a stock source the worker cannot load', () => {
  it('exits 2 before any work, naming the variable', async () => {
    const res = await runToExit(join(__dirname, '../../worker/main.ts'), {
      TEMPORAL_ADDRESS: t.address,
      TEMPORAL_TASK_QUEUE: `inventory-bad-${p.sourceKey}`,
      FLXPOINT_BASE_URL: p.sim.url,
      FLXPOINT_SOURCES: 'bad:1',
      FLXPOINT_TOKEN: 'token',
      INVENTORY_STOCK_SOURCE_BAD: `module:${join(dir, 'no-such-module')}`,
      STORE_URL: 'embedded',
      WORKER_HEALTH_PORT: '0',
      WORKER_METRICS_PORT: '0',
    });
    expect(res.code, res.stderr).toBe(2);
    expect(res.stderr).toMatch(/INVENTORY_STOCK_SOURCE_BAD: stock source module not found/);
  }, 120_000);
});

function cli(
  env: Record<string, string>,
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string }> {
  const root = join(__dirname, '../..');
  return new Promise((resolve) => {
    execFile(
      join(root, 'node_modules/.bin/tsx'),
      [join(root, 'client/cli.ts'), ...args],
      { cwd: root, env, timeout: 60_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request, WebSocket } from 'undici';
import { pollScheduleId } from '../common/ids';
import { tokenFingerprint } from '../simulator/state';
import type { InventorySyncInput, InventorySyncSummary } from '../workflows/inventory-sync';
import {
  deleteSchedules,
  flags,
  freePort,
  machine,
  main,
  percentile,
  procStats,
  sampled,
  sleep,
  startDevServer,
  startPostgres,
  startSchedules,
  startSimulatorProcess,
  startWorker,
  table,
  tempDir,
} from './lib/harness';

// Issue 11's performance list for the inventory push, against the real pieces: simulator process with a
// strict token bucket (rate R, burst 2), a dev server of its own, the production worker (worker/main.ts)
// reading a CSV stock source. N SKUs known to the simulator (quantity 0); three syncs one after the other:
//   1. first full push (every SKU changed: ids learned 100 per GET, 50 per PUT), with FRs arriving meanwhile;
//   2. 2 % of the quantities changed in the CSV;
//   3. nothing changed.
// Reported: requests per run versus a naive full push (N/50 PUTs), wall time, budget used and 429s; FR
// acknowledgement latency (seeded FRs, poll triggered, until the simulator saw the ack) idle vs during the
// push, same source and token; the worker process's RSS (sampled by pid) idle vs during the push.

const USAGE = `npx tsx bench/inventory.ts [--skus 20000] [--changed-pct 2] [--rate 2] [--frs 4]
  [--idle-rounds 3] [--fr-gap 15] [--store postgres|embedded]
  [--repeat-unchanged 0] [--repeat-pattern unchanged|alternate] [--worker-node-options ''] [--heap no|yes]
--fr-gap: seconds between FR rounds during the push (FRs arriving now and then, not a flood that would take
most of the budget and stretch the push).
--repeat-unchanged K: after the three runs, K more syncs (memory over runs: leak or high-water mark?);
  --repeat-pattern alternate makes every other one a changed-pct run (other SKUs each time).
--worker-node-options: NODE_OPTIONS of the worker process only (e.g. --max-old-space-size=256).
--heap yes: the worker runs with --inspect on a loopback port; after each sync the benchmark reads its
  process.memoryUsage() through the inspector, forces a full GC and reads it again.`;
const f = flags(
  {
    skus: '20000',
    'changed-pct': '2',
    rate: '2',
    frs: '4',
    'idle-rounds': '3',
    'fr-gap': '15',
    store: 'postgres',
    'repeat-unchanged': '0',
    'repeat-pattern': 'unchanged',
    'worker-node-options': '',
    heap: 'no',
  },
  USAGE,
);

/** The worker's memory as its own process sees it (MB), through the inspector (`--heap yes`). */
interface HeapReading {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/** A minimal Chrome DevTools protocol client on the worker's `--inspect` port. */
async function inspector(port: number) {
  const deadline = Date.now() + 30_000;
  let url: string | undefined;
  while (!url) {
    try {
      const res = await request(`http://127.0.0.1:${port}/json/list`);
      url = ((await res.body.json()) as { webSocketDebuggerUrl: string }[])[0]?.webSocketDebuggerUrl;
    } catch {
      if (Date.now() > deadline) throw new Error(`no inspector on port ${port}`);
      await sleep(250);
    }
  }
  const ws = new WebSocket(url);
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = () => reject(new Error(`inspector ${url}: connection failed`));
  });
  let nextId = 1;
  const pending = new Map<number, (r: { result?: unknown; error?: unknown }) => void>();
  ws.onmessage = (ev) => {
    const m = JSON.parse(String(ev.data)) as { id?: number; result?: unknown; error?: unknown };
    if (m.id !== undefined) pending.get(m.id)?.(m);
  };
  const call = (method: string, params: object = {}) =>
    new Promise<unknown>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, (m) => {
        pending.delete(id);
        if (m.error) reject(new Error(`${method}: ${JSON.stringify(m.error)}`));
        else resolve(m.result);
      });
      ws.send(JSON.stringify({ id, method, params }));
    });
  const memory = async (): Promise<HeapReading> => {
    const r = (await call('Runtime.evaluate', {
      expression: 'JSON.stringify(process.memoryUsage())',
      returnByValue: true,
    })) as { result: { value: string } };
    const mu = JSON.parse(r.result.value) as Record<keyof HeapReading, number>;
    const mb = (x: number) => Math.round(x / 2 ** 20);
    return {
      rss: mb(mu.rss),
      heapTotal: mb(mu.heapTotal),
      heapUsed: mb(mu.heapUsed),
      external: mb(mu.external),
      arrayBuffers: mb(mu.arrayBuffers),
    };
  };
  return {
    memory,
    /** A full (mark-compact) GC, then the memory again. */
    async afterGc(): Promise<HeapReading> {
      await call('HeapProfiler.collectGarbage');
      await sleep(500);
      return memory();
    },
    close: () => ws.close(),
  };
}

const sku = (i: number) => `SKU-${String(i).padStart(6, '0')}`;

main(async () => {
  const n = Number(f.skus);
  const rate = Number(f.rate);
  const frsPerRound = Number(f.frs);
  const sourceId = 7001;
  const token = 'inventory-bench';
  const key = 'inv';
  const fp = tokenFingerprint(token);

  const sim = await startSimulatorProcess(['--seed-count', '0', '--token', `${token}=${sourceId}`]);
  await sim.admin.setRateLimit({ enabled: true, ratePerSec: rate, burst: 2, retryAfter: 'seconds' });
  await sim.admin.seedInventory({ count: n, sourceId, quantity: 0 });
  const dev = await startDevServer();
  const storeUrl = f.store === 'postgres' ? await startPostgres() : 'embedded';

  const csv = join(tempDir('inventory'), 'stock.csv');
  const quantities = Array.from({ length: n }, (_, i) => (i % 7) + 1);
  const writeCsv = () =>
    writeFileSync(csv, `sku,quantity\n${quantities.map((q, i) => `${sku(i + 1)},${q}`).join('\n')}\n`);
  writeCsv();

  const inspectPort = f.heap === 'yes' ? await freePort() : 0;
  const nodeOptions = [
    process.env.NODE_OPTIONS,
    f['worker-node-options'],
    inspectPort ? `--inspect=127.0.0.1:${inspectPort}` : '',
  ]
    .filter(Boolean)
    .join(' ');
  const worker = await startWorker({
    temporalAddress: dev.address,
    simUrl: sim.url,
    sources: [{ key, sourceId, token }],
    requestsPerSecond: rate,
    // Polls only when the benchmark triggers the schedule, so an FR's latency starts at a known moment.
    pollInterval: '1h',
    taskQueue: 'bench-inventory',
    env: {
      STORE_URL: storeUrl,
      INVENTORY_STOCK_SOURCE_INV: `file:${csv}`,
      INVENTORY_SYNC_INTERVAL: '24h',
      ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
    },
  });
  const insp = inspectPort ? await inspector(inspectPort) : undefined;
  await startSchedules(dev.client, worker.config);
  const poll = dev.client.schedule.getHandle(pollScheduleId(key));

  /** One round: seeds FRs, triggers a poll, returns each FR's ms from the trigger to its acknowledgement. */
  async function frRound(): Promise<number[]> {
    const ids = (await sim.admin.seed({ count: frsPerRound, itemsPerFr: 1, sourceId })).ids;
    const t0 = performance.now();
    await poll.trigger();
    const acked = new Map<number, number>();
    const deadline = Date.now() + 300_000;
    while (acked.size < ids.length) {
      if (Date.now() > deadline) throw new Error(`FRs ${ids.join(',')} not acknowledged in 300 s`);
      const c = await sim.admin.counters();
      for (const id of ids)
        if ((c.ackSuccessByFr[id] ?? 0) > 0 && !acked.has(id)) acked.set(id, performance.now() - t0);
      await sleep(100);
    }
    return ids.map((id) => acked.get(id)!);
  }

  // ---- idle: RSS at rest, FR latency with no push -------------------------------------------------
  await frRound(); // warm-up (first poll, first workflow code loaded), not counted
  const idleRss: number[] = [];
  for (let i = 0; i < 20; i++) {
    idleRss.push(procStats(worker.pid).rssMb);
    await sleep(500);
  }
  const idleLat: number[] = [];
  for (let i = 0; i < Number(f['idle-rounds']); i++) idleLat.push(...(await frRound()));

  // ---- the three syncs --------------------------------------------------------------------------------
  const runRows: Record<string, string | number>[] = [];
  const memRows: Record<string, string | number>[] = [];
  let duringLat: number[] = [];
  let pushRssMax = 0;
  let pushRssSamples: number[] = [];
  const naive = Math.ceil(n / 50);

  async function sync(label: string, withFrs: boolean): Promise<void> {
    await sim.admin.resetCounters();
    let tFirst = 0;
    let done = false;
    const rss: number[] = [];
    const lat: number[] = [];
    const input: InventorySyncInput = { sourceKey: key, sourceId };
    const t0 = performance.now();
    const m = await sampled({ worker: worker.pid }, async () => {
      const run = dev.client.workflow.execute('inventorySyncWorkflow', {
        taskQueue: worker.config.temporal.taskQueue,
        workflowId: `inventory-sync:${key}-bench-${label.replace(/\W+/g, '-')}`,
        args: [input],
      }) as Promise<InventorySyncSummary>;
      const watch = (async () => {
        while (!done) {
          const c = await sim.admin.counters();
          if (!tFirst && (c.requestsByToken[fp] ?? 0) > 0) tFirst = performance.now();
          rss.push(procStats(worker.pid).rssMb);
          await sleep(250);
        }
      })();
      const frs = withFrs
        ? (async () => {
            // FRs arrive while the push is under way (its first requests sent), round after round.
            while (!done && !tFirst) await sleep(200);
            while (!done) {
              lat.push(...(await frRound()));
              for (let w = 0; w < Number(f['fr-gap']) * 5 && !done; w++) await sleep(200);
            }
          })()
        : Promise.resolve();
      try {
        return await run;
      } finally {
        done = true;
        await watch;
        await frs;
      }
    });
    const tEnd = performance.now();
    const summary = m.result;
    const c = await sim.admin.counters();
    const lookups = c.requestsByEndpoint['inventory.variants.list'] ?? 0;
    const puts = c.requestsByEndpoint['inventory.variants.update'] ?? 0;
    const tokenRequests = c.requestsByToken[fp] ?? 0;
    const active = tFirst ? (tEnd - tFirst) / 1000 : 0;
    const inventoryRequests = lookups + puts;
    runRows.push({
      run: label,
      SKUs: n,
      changed: summary.changed,
      pushed: summary.pushed,
      failed: summary.failed,
      PUTs: puts,
      lookups,
      'inventory requests': inventoryRequests,
      'naive full push': naive,
      'naive / ours': inventoryRequests ? Number((naive / inventoryRequests).toFixed(1)) : '∞',
      'wall s': Number(((tEnd - t0) / 1000).toFixed(1)),
      'continue-as-new runs': summary.runs,
      'token requests (with FRs)': tokenRequests,
      'budget used %': active > 0 ? Number(((100 * tokenRequests) / (1 + rate * active)).toFixed(1)) : '–',
      '429s': c.rateLimitedByToken[fp] ?? 0,
      'worker RSS max MB': Math.round(Math.max(...rss, m.rssMaxMb.worker ?? 0)),
    });
    // Memory per run: does the worker give back what a run took (high-water mark) or keep adding (leak)?
    const settled: number[] = [];
    for (let i = 0; i < 12; i++) {
      settled.push(procStats(worker.pid).rssMb);
      await sleep(250);
    }
    const mem: Record<string, string | number> = {
      run: label,
      'wall s': Number(((tEnd - t0) / 1000).toFixed(1)),
      'RSS median MB': rss.length ? Math.round(percentile(rss, 50)) : '–',
      'RSS max MB': Math.round(Math.max(...rss, m.rssMaxMb.worker ?? 0)),
      'RSS 3 s after MB': Math.round(settled[settled.length - 1]!),
    };
    if (insp) {
      const before = await insp.memory();
      const after = await insp.afterGc();
      Object.assign(mem, {
        'heap used / total MB': `${before.heapUsed} / ${before.heapTotal}`,
        'after full GC: heap used / total MB': `${after.heapUsed} / ${after.heapTotal}`,
        'external / arrayBuffers MB': `${after.external} / ${after.arrayBuffers}`,
        'RSS after GC MB': Math.round(procStats(worker.pid).rssMb),
      });
    }
    memRows.push(mem);
    if (withFrs) {
      duringLat = lat;
      pushRssMax = Math.max(...rss, m.rssMaxMb.worker ?? 0);
      pushRssSamples = rss;
    }
  }

  await sync('1. first full push', true);
  const changedCount = Math.round((n * Number(f['changed-pct'])) / 100);
  const step = Math.floor(n / Math.max(1, changedCount));
  for (let k = 0; k < changedCount; k++) quantities[k * step]! += 10;
  writeCsv();
  await sync(`2. ${f['changed-pct']} % changed`, false);
  await sync('3. unchanged', false);
  for (let r = 1; r <= Number(f['repeat-unchanged']); r++) {
    const change = f['repeat-pattern'] === 'alternate' && r % 2 === 1;
    if (change) {
      for (let k = 0; k < changedCount; k++) quantities[(k * step + r) % n]! += 10;
      writeCsv();
    }
    await sync(`${3 + r}. ${change ? `${f['changed-pct']} % changed` : 'unchanged'} (repeat ${r})`, false);
  }
  insp?.close();

  await deleteSchedules(dev.client, worker.config);
  await worker.stop();

  process.stdout.write(
    `inventory: ${n.toLocaleString('en-US')} SKUs from a CSV stock source, simulator bucket ${rate} req/s burst 2, ` +
      `worker budget ${rate} req/s, store ${f.store}; "budget used" = every request of the token (inventory and FRs) / ` +
      `(1 + rate × seconds from the first request to the end of the sync); naive = one PUT per 50 SKUs, every SKU; ${machine()}\n`,
  );
  table('Inventory sync: requests per run, wall time, budget', runRows);
  const latRow = (what: string, xs: number[]) => ({
    when: what,
    FRs: xs.length,
    'p50 s': xs.length ? Number((percentile(xs, 50) / 1000).toFixed(2)) : '–',
    'p99 s': xs.length ? Number((percentile(xs, 99) / 1000).toFixed(2)) : '–',
    'max s': xs.length ? Number((Math.max(...xs) / 1000).toFixed(2)) : '–',
  });
  table(
    `FR acknowledgement latency (poll triggered → ack seen by the simulator), ${frsPerRound} FRs per round, same token`,
    [latRow('idle', idleLat), latRow('during the first full push', duringLat)],
  );
  table(
    `Worker memory per run (RSS sampled by pid every 250 ms during the run, then 3 s after it${
      insp ? '; heap through the inspector, before and after a forced full GC' : ''
    }), idle median ${Math.round(percentile(idleRss, 50))} MB${
      f['worker-node-options'] ? `, worker NODE_OPTIONS ${f['worker-node-options']}` : ''
    }`,
    memRows,
  );
  table('Worker process RSS (sampled by pid)', [
    {
      when: 'idle (10 s)',
      'median MB': Math.round(percentile(idleRss, 50)),
      'max MB': Math.round(Math.max(...idleRss)),
    },
    {
      when: 'during the first full push',
      'median MB': Math.round(percentile(pushRssSamples, 50)),
      'max MB': Math.round(pushRssMax),
      'max − idle median MB': Math.round(pushRssMax - percentile(idleRss, 50)),
    },
  ]);
});

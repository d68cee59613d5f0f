import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { frWorkflowId } from '../common/ids';
import { statusQuery } from '../workflows/definitions';
import {
  deleteSchedules,
  flags,
  freePort,
  machine,
  main,
  onCleanup,
  percentile,
  ROOT,
  sleep,
  startDevServer,
  startSchedules,
  startSimulatorProcess,
  startWorker,
  table,
  waitFor,
} from './lib/harness';

// The shipment intake under a burst on one FR (issue 10, row 4): `--shipments` distinct shipments of one FR
// (one item with that many units) POSTed at `--concurrency`, each client retrying a 503 after its
// Retry-After, as a warehouse should. Measures every HTTP answer (status, latency) and, per shipment, the
// time until it was taken. Simulator, dev server, worker and intake each run as their own process.

const USAGE = `npx tsx bench/intake-load.ts [--shipments 500] [--concurrency 50]`;
const f = flags({ shipments: '500', concurrency: '50' }, USAGE);
const TOKEN = 'bench-intake-token-0123456789';
const SOURCE_ID = 5101;

main(async () => {
  const n = Number(f.shipments);
  const concurrency = Number(f.concurrency);
  const sim = await startSimulatorProcess([
    '--seed-count',
    '0',
    '--rate',
    '50',
    '--burst',
    '50',
    '--token',
    `bench-intake=${SOURCE_ID}`,
  ]);
  const dev = await startDevServer();
  const worker = await startWorker({
    temporalAddress: dev.address,
    simUrl: sim.url,
    sources: [{ key: 'bi', sourceId: SOURCE_ID, token: 'bench-intake' }],
    requestsPerSecond: 50,
    pollInterval: '2s',
    taskQueue: 'bench-intake',
  });
  await startSchedules(dev.client, worker.config);
  onCleanup(() => deleteSchedules(dev.client, worker.config));
  const [frId] = (
    await sim.admin.seed({ count: 1, sourceId: SOURCE_ID, itemsPerFr: 1, quantity: { min: n, max: n } })
  ).ids as [number];
  const handle = dev.client.workflow.getHandle(frWorkflowId(SOURCE_ID, frId));
  await waitFor(
    'FR awaiting shipment',
    async () => (await handle.query(statusQuery).catch(() => undefined))?.step === 'awaiting_shipment',
    120_000,
  );
  const itemId = (await handle.query(statusQuery)).items[0]!.id;

  const port = await freePort();
  const intake = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'intake/main.ts')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      TEMPORAL_ADDRESS: dev.address,
      TEMPORAL_TASK_QUEUE: 'bench-intake',
      INTAKE_PORT: String(port),
      INTAKE_AUTH_TOKENS: TOKEN,
      LOG_LEVEL: 'warn',
    },
    stdio: 'ignore',
  });
  onCleanup(() => void intake.kill('SIGTERM'));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    'intake listening',
    async () => (await fetch(`${url}/healthz`).catch(() => undefined))?.ok === true,
    60_000,
    250,
  );

  const requests: { status: number; ms: number; retryAfter: boolean }[] = [];
  const takenMs: number[] = [];
  const queue = Array.from({ length: n }, (_, i) => `TN-BENCH-${i}`);
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let tn = queue.shift(); tn !== undefined; tn = queue.shift()) {
        const started = Date.now();
        for (;;) {
          const s = Date.now();
          const r = await fetch(`${url}/shipments`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
            body: JSON.stringify({
              sourceId: SOURCE_ID,
              fulfillmentRequestId: frId,
              trackingNumber: tn,
              items: [{ id: itemId, quantity: 1 }],
            }),
          });
          await r.arrayBuffer();
          const retryAfter = r.headers.get('retry-after');
          requests.push({ status: r.status, ms: Date.now() - s, retryAfter: retryAfter !== null });
          if (r.status === 503 && retryAfter !== null) {
            await sleep(Number(retryAfter) * 1000);
            continue;
          }
          break;
        }
        takenMs.push(Date.now() - started);
      }
    }),
  );
  const wallS = (Date.now() - t0) / 1000;
  await waitFor('FR finished', async () => (await handle.query(statusQuery)).outcome !== null, 600_000);
  const counters = await sim.admin.counters();
  const inFlxpoint = Object.keys(counters.shipmentsByTrackingNumber).filter((t) => t.startsWith('TN-BENCH-'));
  const once = inFlxpoint.every((t) => counters.shipmentsByTrackingNumber[t] === 1);

  const byStatus = new Map<string, number>();
  for (const r of requests) {
    const k =
      r.status === 503 ? `503${r.retryAfter ? ' + Retry-After' : ' (no Retry-After)'}` : String(r.status);
    byStatus.set(k, (byStatus.get(k) ?? 0) + 1);
  }
  const ok = requests.filter((r) => r.status === 202).map((r) => r.ms);
  table(`Intake: ${n} shipments of one FR at concurrency ${concurrency} (${machine()})`, [
    {
      answers: [...byStatus].map(([k, v]) => `${k}: ${v}`).join(', '),
      'p50 / p95 / max per request (ms)': `${percentile(
        requests.map((r) => r.ms),
        50,
      )} / ${percentile(
        requests.map((r) => r.ms),
        95,
      )} / ${Math.max(...requests.map((r) => r.ms))}`,
      'p95 of a 202 (ms)': percentile(ok, 95),
      'p50 / p95 until taken, retries included (ms)': `${percentile(takenMs, 50)} / ${percentile(takenMs, 95)}`,
      'all taken (s)': wallS,
      'in Flxpoint once each': `${inFlxpoint.length}/${n} ${once ? 'yes' : 'NO'}`,
      outcome: (await handle.query(statusQuery)).outcome ?? '',
    },
  ]);
});

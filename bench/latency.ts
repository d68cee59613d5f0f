import {
  deleteSchedules,
  flags,
  list,
  machine,
  main,
  percentile,
  sleep,
  startDevServer,
  startSchedules,
  startSimulatorProcess,
  startWorker,
  table,
  waitFor,
  workerModes,
} from './lib/harness';

// Latency from "FR appears in Flxpoint" (its generatedAt) to "acknowledged" (its acknowledgedAt), both from
// the simulator's clock, at a steady arrival rate below the budget (the simulator's generator), with the
// real 2 req/s strict bucket. Once with the default 60 s poll interval, once with a short one.

const USAGE = `npx tsx bench/latency.ts [--intervals 60s,5s] [--durations 150,60] [--arrival 0.5] [--modes new|old,new]`;
const f = flags({ intervals: '60s,5s', durations: '150,60', arrival: '0.5', modes: 'new' }, USAGE);

main(async () => {
  // Each interval once per worker mode (`old`: a GET per FR and no re-poll, as before), side by side.
  const runs = f.intervals
    .split(',')
    .flatMap((interval, k) =>
      workerModes(f.modes).map(([mode, env]) => ({ interval, mode, env, seconds: list(f.durations)[k] })),
    );
  const durations = list(f.durations);
  const tokens = runs.flatMap((_, i) => ['--token', `lat-${i}=${4001 + i}`]);
  const sim = await startSimulatorProcess(['--seed-count', '0', '--rate', '2', '--burst', '2', ...tokens]);
  const dev = await startDevServer();
  const rows: Record<string, string | number>[] = [];

  for (const [i, run] of runs.entries()) {
    const interval = run.interval;
    const sourceId = 4001 + i;
    const worker = await startWorker({
      temporalAddress: dev.address,
      simUrl: sim.url,
      sources: [{ key: `l${i}`, sourceId, token: `lat-${i}` }],
      requestsPerSecond: 2,
      pollInterval: interval,
      taskQueue: `bench-latency-${i}`,
      env: run.env,
    });
    await sim.admin.resetCounters();
    await startSchedules(dev.client, worker.config);
    const firstId = (await sim.admin.health()).frs + 1;
    const seconds = run.seconds ?? durations.at(-1)!;
    await sim.admin.startGenerator({ ratePerSec: Number(f.arrival), sourceId, itemsPerFr: 1 });
    await sleep(seconds * 1000);
    await sim.admin.stopGenerator();
    const lastId = (await sim.admin.health()).frs;
    const ids = Array.from({ length: lastId - firstId + 1 }, (_, k) => firstId + k);
    const latencies: number[] = [];
    await waitFor(
      'every generated FR acknowledged',
      async () => {
        latencies.length = 0;
        for (const id of ids) {
          const { fr } = await sim.admin.getFr(id);
          if (!fr.acknowledgedAt) return false;
          latencies.push((Date.parse(fr.acknowledgedAt) - Date.parse(fr.generatedAt)) / 1000);
        }
        return true;
      },
      300_000,
      2000,
    );
    const c = await sim.admin.counters();
    rows.push({
      mode: run.mode,
      'poll interval': interval,
      'run s': seconds,
      'arrivals/s': Number(f.arrival),
      FRs: ids.length,
      'p50 s': Number(percentile(latencies, 50).toFixed(1)),
      'p95 s': Number(percentile(latencies, 95).toFixed(1)),
      'p99 s': Number(percentile(latencies, 99).toFixed(1)),
      'max s': Number(Math.max(...latencies).toFixed(1)),
      '429s': c.tooManyRequests,
    });
    await deleteSchedules(dev.client, worker.config);
    await worker.stop();
  }
  process.stdout.write(
    `latency: FR generatedAt → acknowledgedAt (simulator clock), strict bucket 2 req/s burst 2, worker budget 2 req/s; ${machine()}\n`,
  );
  table('Latency FR appears → acknowledged', rows);
});

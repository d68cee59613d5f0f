import { tokenFingerprint } from '../simulator/state';
import {
  deleteSchedules,
  flags,
  list,
  machine,
  main,
  sampled,
  sleep,
  startDevServer,
  startSchedules,
  startSimulatorProcess,
  startPostgres,
  startWorker,
  table,
  type SourceSpec,
} from './lib/harness';

// Many sources on one machine: N sources at once, each its own token and its own 2 req/s budget (the
// simulator's strict per-token bucket), one worker process serving all of them (one API worker per source),
// one dev server. Each source starts with a backlog; measured until every FR is acknowledged (or the cap):
// FRs/s end to end against what the budgets would allow, worker CPU and RSS, Temporal server CPU.

const USAGE = `npx tsx bench/scale.ts [--sources 10,50,100] [--backlog 10] [--cap-seconds 100] [--poll 5s] [--store postgres|embedded]`;
const f = flags(
  { sources: '10,50,100', backlog: '10', 'cap-seconds': '100', poll: '5s', store: 'postgres' },
  USAGE,
);

main(async () => {
  const sizes = list(f.sources);
  const max = Math.max(...sizes);
  const backlog = Number(f.backlog);
  const tokenArgs = Array.from({ length: max }, (_, i) => ['--token', `scale-${i}=${5001 + i}`]).flat();
  const sim = await startSimulatorProcess(['--seed-count', '0', '--rate', '2', '--burst', '2', ...tokenArgs]);
  const dev = await startDevServer();
  // PostgreSQL by default: the embedded PGlite store is one session inside the worker process (docs/storage.md).
  const storeUrl = f.store === 'postgres' ? await startPostgres() : 'embedded';
  const rows: Record<string, string | number>[] = [];

  for (const [run, n] of sizes.entries()) {
    const sources: SourceSpec[] = Array.from({ length: n }, (_, i) => ({
      key: `r${run}-s${i}`,
      sourceId: 5001 + i,
      token: `scale-${i}`,
    }));
    const startedAt = performance.now();
    const worker = await startWorker({
      temporalAddress: dev.address,
      simUrl: sim.url,
      sources,
      requestsPerSecond: 2,
      pollInterval: f.poll,
      env: { STORE_URL: storeUrl },
      taskQueue: `bench-scale-${run}`,
    });
    const startupSeconds = (performance.now() - startedAt) / 1000;
    const ids: number[] = [];
    for (const s of sources)
      ids.push(...(await sim.admin.seed({ count: backlog, itemsPerFr: 1, sourceId: s.sourceId })).ids);
    const want = new Set(ids);
    await sim.admin.resetCounters();
    await startSchedules(dev.client, worker.config);
    let tFirst = 0;
    const m = await sampled({ worker: worker.pid, temporal: dev.pid, simulator: sim.pid }, async () => {
      const deadline = performance.now() + Number(f['cap-seconds']) * 1000;
      for (;;) {
        const c = await sim.admin.counters();
        if (!tFirst && c.requestsTotal > 0) tFirst = performance.now();
        const acked = Object.keys(c.ackSuccessByFr).filter((id) => want.has(Number(id))).length;
        if (acked >= ids.length || performance.now() > deadline) return { c, acked, t: performance.now() };
        await sleep(250);
      }
    });
    const { c, acked, t } = m.result;
    const seconds = (t - tFirst) / 1000;
    const limited = sources.reduce((a, s) => a + (c.rateLimitedByToken[tokenFingerprint(s.token)] ?? 0), 0);
    // Budget-bound rate: each FR costs at least a get and an ack (2 requests) of its source's 2 req/s.
    const budgetBound = n;
    rows.push({
      sources: n,
      'FRs (backlog)': ids.length,
      acknowledged: acked,
      seconds: Number(seconds.toFixed(1)),
      'FRs/s': Number((acked / seconds).toFixed(1)),
      'budget-bound FRs/s': budgetBound,
      'requests/s': Number((c.requestsTotal / seconds).toFixed(1)),
      '429s': limited,
      'worker CPU %': Math.round(m.cpu.worker!),
      'worker RSS max MB': Math.round(m.rssMaxMb.worker!),
      'Temporal CPU %': Math.round(m.cpu.temporal!),
      'Temporal RSS max MB': Math.round(m.rssMaxMb.temporal!),
      'simulator CPU %': Math.round(m.cpu.simulator!),
      'worker start s': Number(startupSeconds.toFixed(1)),
    });
    await deleteSchedules(dev.client, worker.config);
    await worker.stop();
  }
  process.stdout.write(
    `scale: one worker process, one dev server, each source its own token with a strict 2 req/s bucket; ` +
      `backlog ${backlog} FRs per source, poll every ${f.poll}, store ${f.store}, cap ${f['cap-seconds']} s; CPU in % of one core; ${machine()}\n`,
  );
  table('Many sources on one machine', rows);
});

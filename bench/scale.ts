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
import { startCluster } from './lib/cluster';
import { frWorkflowId } from '../common/ids';
import type { Client } from '@temporalio/client';

// Many sources on one machine: N sources at once, each its own token and its own 2 req/s budget (the
// simulator's strict per-token bucket), one worker process serving all of them (one API worker per source),
// one dev server. Each source starts with a backlog; measured until every FR is acknowledged (or the cap):
// FRs/s end to end against what the budgets would allow, worker CPU and RSS, Temporal server CPU.
// `--temporal dev,cluster` runs the same sizes on the dev server (SQLite) and on a real cluster
// (scripts/temporal-cluster.sh: four services on PostgreSQL) in one session; `--replicas 1,3` runs that many
// worker processes serving the same sources (they share each token's budget through the store's request
// slots). Tasks per FR: workflow and activity tasks in a few FR workflows' histories.

const USAGE = `npx tsx bench/scale.ts [--sources 10,50,100] [--backlog 10] [--cap-seconds 100] [--poll 5s] [--store postgres|embedded] [--temporal dev,cluster] [--replicas 1,3]`;
const f = flags(
  {
    sources: '10,50,100',
    backlog: '10',
    'cap-seconds': '100',
    poll: '5s',
    store: 'postgres',
    temporal: 'dev',
    replicas: '1',
  },
  USAGE,
);

/** Workflow and activity tasks an FR workflow took, averaged over a few of them. */
async function tasksPerFr(client: Client, frs: { sourceId: number; frId: number }[]): Promise<number> {
  let tasks = 0;
  for (const fr of frs) {
    const history = await client.workflow.getHandle(frWorkflowId(fr.sourceId, fr.frId)).fetchHistory();
    for (const e of history.events ?? [])
      if (e.workflowTaskStartedEventAttributes || e.activityTaskStartedEventAttributes) tasks++;
  }
  return frs.length ? tasks / frs.length : 0;
}

main(async () => {
  const sizes = list(f.sources);
  const max = Math.max(...sizes);
  const backlog = Number(f.backlog);
  const tokenArgs = Array.from({ length: max }, (_, i) => ['--token', `scale-${i}=${5001 + i}`]).flat();
  const sim = await startSimulatorProcess(['--seed-count', '0', '--rate', '2', '--burst', '2', ...tokenArgs]);
  // PostgreSQL by default: the embedded PGlite store is one session inside the worker process (docs/storage.md).
  const storeUrl = f.store === 'postgres' ? await startPostgres() : 'embedded';
  const rows: Record<string, string | number>[] = [];
  let run = 0;

  for (const kind of f.temporal.split(',')) {
    const dev =
      kind === 'cluster'
        ? await startCluster().then((c) => ({ ...c, temporalPids: c.pids }))
        : await startDevServer().then((d) => ({ ...d, temporalPids: { temporal: d.pid } }));
    for (const replicas of list(f.replicas)) {
      for (const n of sizes) {
        run++;
        const sources: SourceSpec[] = Array.from({ length: n }, (_, i) => ({
          key: `r${run}-s${i}`,
          sourceId: 5001 + i,
          token: `scale-${i}`,
        }));
        const startedAt = performance.now();
        const workers = [];
        for (let i = 0; i < replicas; i++)
          workers.push(
            await startWorker({
              temporalAddress: dev.address,
              simUrl: sim.url,
              sources,
              requestsPerSecond: 2,
              pollInterval: f.poll,
              env: { STORE_URL: storeUrl },
              taskQueue: `bench-scale-${run}`,
            }),
          );
        const worker = workers[0]!;
        const startupSeconds = (performance.now() - startedAt) / 1000;
        const ids: number[] = [];
        for (const s of sources)
          ids.push(...(await sim.admin.seed({ count: backlog, itemsPerFr: 1, sourceId: s.sourceId })).ids);
        const want = new Set(ids);
        await sim.admin.resetCounters();
        await startSchedules(dev.client, worker.config);
        let tFirst = 0;
        const pids: Record<string, number> = { simulator: sim.pid, ...dev.temporalPids };
        workers.forEach((w, i) => (pids[`worker${i}`] = w.pid));
        const m = await sampled(pids, async () => {
          const deadline = performance.now() + Number(f['cap-seconds']) * 1000;
          for (;;) {
            const c = await sim.admin.counters();
            if (!tFirst && c.requestsTotal > 0) tFirst = performance.now();
            const acked = Object.keys(c.ackSuccessByFr).filter((id) => want.has(Number(id))).length;
            if (acked >= ids.length || performance.now() > deadline)
              return { c, acked, t: performance.now() };
            await sleep(250);
          }
        });
        const { c, acked, t } = m.result;
        const seconds = (t - tFirst) / 1000;
        const limited = sources.reduce(
          (a, s) => a + (c.rateLimitedByToken[tokenFingerprint(s.token)] ?? 0),
          0,
        );
        // Budget-bound rate: a list-fed FR costs one acknowledge (plus 1/100 of a list page) of its source's
        // 2 req/s, so about 2 FRs/s per source (1 per source with a GET per FR, the `old` worker).
        const budgetBound = 2 * n;
        const sum = (by: Record<string, number>, prefix: string[]) =>
          Object.entries(by).reduce((a, [k, v]) => (prefix.some((p) => k.startsWith(p)) ? a + v : a), 0);
        const temporalKeys = Object.keys(dev.temporalPids);
        // ids are seeded source by source, `backlog` each.
        const sample = ids.slice(0, 5).map((frId, k) => ({ frId, sourceId: 5001 + Math.floor(k / backlog) }));
        rows.push({
          Temporal: kind === 'cluster' ? 'cluster (4 services, PostgreSQL)' : 'dev server (SQLite)',
          replicas,
          sources: n,
          'FRs (backlog)': ids.length,
          acknowledged: acked,
          seconds: Number(seconds.toFixed(1)),
          'FRs/s': Number((acked / seconds).toFixed(1)),
          'budget-bound FRs/s': budgetBound,
          'requests/s': Number((c.requestsTotal / seconds).toFixed(1)),
          '429s': limited,
          'worker CPU %': Math.round(sum(m.cpu, ['worker'])),
          'worker RSS max MB': Math.round(sum(m.rssMaxMb, ['worker'])),
          'Temporal CPU %': Math.round(sum(m.cpu, temporalKeys)),
          'Temporal RSS max MB': Math.round(sum(m.rssMaxMb, temporalKeys)),
          'tasks/FR': Number((await tasksPerFr(dev.client, sample).catch(() => 0)).toFixed(1)),
          'simulator CPU %': Math.round(m.cpu.simulator!),
          'worker start s': Number(startupSeconds.toFixed(1)),
        });
        // Each row as it is measured: a later configuration that fails does not take the earlier ones along.
        process.stderr.write(`row ${JSON.stringify(rows.at(-1))}\n`);
        await deleteSchedules(dev.client, worker.config);
        for (const w of workers) await w.stop();
      }
    }
  }
  process.stdout.write(
    `scale: ${f.replicas} worker process(es), Temporal ${f.temporal}, each source its own token with a strict 2 req/s bucket; ` +
      `backlog ${backlog} FRs per source, poll every ${f.poll}, store ${f.store}, cap ${f['cap-seconds']} s; CPU in % of one core; ${machine()}\n`,
  );
  table('Many sources on one machine', rows);
});

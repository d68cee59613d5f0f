import {
  deleteSchedules,
  flags,
  machine,
  main,
  percentile,
  procStats,
  sleep,
  startDevServer,
  startSchedules,
  startSimulatorProcess,
  startPostgres,
  startWorker,
  table,
} from './lib/harness';

// Resident memory of the production worker process (worker/main.ts, embedded store in memory): at rest
// (one source polling an empty Flxpoint), while a backlog drains, and at rest again afterwards.

const USAGE = `npx tsx bench/worker-rss.ts [--backlog 400] [--rest-seconds 20] [--rate 100] [--stores embedded,postgres]`;
const f = flags({ backlog: '400', 'rest-seconds': '20', rate: '100', stores: 'embedded,postgres' }, USAGE);

async function sampleRss(pid: number, until: () => Promise<boolean>, everyMs = 500): Promise<number[]> {
  const out: number[] = [];
  do {
    out.push(procStats(pid).rssMb);
    await sleep(everyMs);
  } while (!(await until()));
  return out;
}

main(async () => {
  const sim = await startSimulatorProcess([
    '--seed-count',
    '0',
    '--no-rate-limit',
    '--token',
    'rss-token=6001',
  ]);
  const dev = await startDevServer();
  const rows: Record<string, string | number>[] = [];
  const backlog = Number(f.backlog);
  let drains = '';
  for (const [i, kind] of f.stores.split(',').entries()) {
    const storeUrl = kind === 'postgres' ? await startPostgres() : 'embedded';
    const worker = await startWorker({
      temporalAddress: dev.address,
      simUrl: sim.url,
      sources: [{ key: `rss${i}`, sourceId: 6001, token: 'rss-token' }],
      requestsPerSecond: Number(f.rate),
      pollInterval: '5s',
      taskQueue: `bench-rss-${i}`,
      env: { STORE_URL: storeUrl },
    });
    await startSchedules(dev.client, worker.config);
    const rest = Number(f['rest-seconds']) * 1000;
    const timer = (ms: number) => {
      const end = Date.now() + ms;
      return async () => Date.now() >= end;
    };
    const atRest = await sampleRss(worker.pid, timer(rest));
    await sim.admin.resetCounters();
    await sim.admin.seed({ count: backlog, itemsPerFr: 2, sourceId: 6001 });
    const t0 = Date.now();
    const underLoad = await sampleRss(
      worker.pid,
      async () => Object.keys((await sim.admin.counters()).ackSuccessByFr).length >= backlog,
    );
    drains += ` ${kind}: ${((Date.now() - t0) / 1000).toFixed(0)} s;`;
    const after = await sampleRss(worker.pid, timer(rest));
    const row = (phase: string, v: number[]) => ({
      store: kind,
      phase,
      samples: v.length,
      'RSS median MB': Math.round(percentile(v, 50)),
      'RSS max MB': Math.round(Math.max(...v)),
    });
    rows.push(
      row('at rest (idle polls)', atRest),
      row(`draining ${backlog} FRs`, underLoad),
      row('at rest again', after),
    );
    await deleteSchedules(dev.client, worker.config);
    await worker.stop();
  }
  process.stdout.write(
    `worker-rss: worker/main.ts under tsx, 1 source; drains:${drains} the FRs stay open (awaiting shipment), ` +
      `so their workflows stay in the worker's cache; ${machine()}\n`,
  );
  table('Worker RSS', rows);
});

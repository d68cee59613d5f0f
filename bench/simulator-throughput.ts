import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { startSimulator } from '../simulator/server';

// Throughput of the simulator itself (rate limit off), so tests and benchmarks of the pipeline know the
// simulator is never their bottleneck. Loopback only, bounded request counts.
//   npx tsx bench/simulator-throughput.ts [--frs 10000] [--concurrency 32]

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
const FRS = Number(args.get('frs') ?? 10_000);
const CONCURRENCY = Number(args.get('concurrency') ?? 32);
const TOKEN = 'dev-token';

interface Scenario {
  name: string;
  count: number;
  request: (i: number) => { method: 'GET' | 'POST'; path: string };
}

const scenarios: Scenario[] = [
  {
    name: 'GET /fulfillment-requests?status=NEW&size=100',
    count: 2_000,
    request: (i) => ({
      method: 'GET',
      path: `/fulfillment-requests?status=NEW&page=${(i % 50) + 1}&size=100`,
    }),
  },
  {
    name: 'GET /fulfillment-requests/count?status=NEW',
    count: 10_000,
    request: () => ({ method: 'GET', path: '/fulfillment-requests/count?status=NEW' }),
  },
  {
    name: 'GET /fulfillment-requests/{id}',
    count: 10_000,
    request: (i) => ({ method: 'GET', path: `/fulfillment-requests/${((i * 7919) % FRS) + 1}` }),
  },
  {
    // Each FR acknowledged once: the success path, which also updates the NEW index.
    name: 'POST /fulfillment-requests/{id}/acknowledge',
    count: Math.min(5_000, FRS),
    request: (i) => ({ method: 'POST', path: `/fulfillment-requests/${i + 1}/acknowledge` }),
  },
];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function run(pool: Pool, s: Scenario) {
  const latencies: number[] = new Array<number>(s.count);
  let next = 0;
  let errors = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < s.count) {
      const i = next++;
      const { method, path } = s.request(i);
      const t0 = performance.now();
      const res = await pool.request({ method, path, headers: { 'x-api-token': TOKEN } });
      await res.body.arrayBuffer();
      latencies[i] = performance.now() - t0;
      if (res.statusCode !== 200) errors++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    endpoint: s.name,
    requests: s.count,
    'req/s': Math.round(s.count / elapsed),
    'p50 ms': percentile(latencies, 50).toFixed(2),
    'p99 ms': percentile(latencies, 99).toFixed(2),
    errors,
  };
}

async function main() {
  const seedStart = performance.now();
  const sim = await startSimulator({ rateLimit: { enabled: false }, seed: { count: FRS, itemsPerFr: 2 } });
  const seedMs = performance.now() - seedStart;
  const pool = new Pool(sim.url, { connections: CONCURRENCY });
  try {
    // Warm-up: JIT and sockets, not measured.
    await run(pool, { ...scenarios[2]!, count: 500 });
    const rows = [];
    for (const s of scenarios) rows.push(await run(pool, s));
    console.log(
      `simulator-throughput: ${FRS} FRs seeded in ${seedMs.toFixed(0)} ms, concurrency ${CONCURRENCY}, node ${process.version}`,
    );
    console.table(rows);
  } finally {
    await pool.close();
    await sim.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

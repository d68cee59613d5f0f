import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

// `npm run bench`: every pipeline benchmark with its defaults, one after the other, each in its own
// process (and each starting its own simulator, dev server and worker). Tables go to stdout as Markdown.
// The simulator's own throughput is measured separately: `npx tsx bench/simulator-throughput.ts`.

const BENCHES = [
  'requests-per-fr.ts',
  'api-quota.ts',
  'budget.ts',
  'latency.ts',
  'scale.ts',
  'worker-rss.ts',
  'inventory.ts',
];
const only = process.argv.slice(2);
let failed = 0;
for (const b of BENCHES) {
  if (only.length && !only.some((o) => b.startsWith(o))) continue;
  process.stdout.write(`\n## bench/${b}\n`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, b)], { stdio: 'inherit' });
  process.stdout.write(
    `(bench/${b}: exit ${r.status ?? r.signal}, ${((Date.now() - t0) / 1000).toFixed(0)} s)\n`,
  );
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);

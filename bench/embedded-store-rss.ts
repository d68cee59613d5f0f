import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedStore } from '../store/embedded-store';

// Resident memory of the embedded store (PGlite) alone, in a fresh Node process per case: before
// createStore, right after it, after 2,000 commits, and 3 s later after a GC. Cases: in memory, a new data
// directory (first `npm start`), and that same directory opened again (every later start).
//
//   npx tsx bench/embedded-store-rss.ts [--rounds 2]

const ROUNDS = Number(process.argv[process.argv.indexOf('--rounds') + 1] || 2);

const rssMb = () => Math.round(process.memoryUsage().rss / 2 ** 20);

async function child(dataDir: string | undefined): Promise<void> {
  const before = rssMb();
  const t0 = Date.now();
  const store = await createEmbeddedStore({ dataDir });
  const openMs = Date.now() - t0;
  const opened = rssMb();
  await store.migrate();
  for (let frId = 1; frId <= 2000; frId++) {
    await store.commit({
      sourceId: 1,
      frId,
      workflowId: `fr:1:${frId}`,
      decision: { kind: 'accept' },
      fr: { id: frId, note: 'x'.repeat(200) } as never,
    });
  }
  const worked = rssMb();
  await new Promise((r) => setTimeout(r, 3000));
  (globalThis as { gc?: () => void }).gc?.();
  const settled = rssMb();
  await store.close();
  process.stdout.write(`${JSON.stringify({ before, opened, worked, settled, openMs })}\n`);
}

function runCase(dataDir: string | undefined): Record<string, number> {
  const args = ['--expose-gc', '--import', 'tsx', __filename, '--child', dataDir ?? ''];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`case ${dataDir ?? 'memory'} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number>;
}

if (process.argv.includes('--child')) {
  void child(process.argv[process.argv.indexOf('--child') + 1] || undefined).catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  const rows: string[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const dir = join(mkdtempSync(join(tmpdir(), 'flxpoint-bench-pglite-')), 'store');
    try {
      for (const [name, dataDir] of [
        ['in memory', undefined],
        ['new data directory', dir],
        ['existing data directory', dir],
      ] as const) {
        const m = runCase(dataDir);
        rows.push(
          `| ${name} | ${m.before} | ${m.opened} | ${m.worked} | ${m.settled} | ${(m.openMs! / 1000).toFixed(1)} |`,
        );
      }
    } finally {
      rmSync(join(dir, '..'), { recursive: true, force: true });
    }
  }
  console.log('| case | RSS before MB | after create MB | after 2,000 commits MB | settled MB | create s |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  for (const r of rows) console.log(r);
}

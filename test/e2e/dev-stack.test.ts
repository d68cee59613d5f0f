import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/pipeline';
import { freePort } from '../helpers/ports';
import { SimulatorAdminClient } from '../../simulator/admin-client';

// `npm start` as a person runs it (scripts/dev-stack.ts: its own dev server, the simulator, the worker,
// the schedule, the demo warehouse), on free ports and a temp directory. Piped, its logs are JSON lines;
// Ctrl-C (SIGINT) stops all of it, the dev server included, within seconds. The demo source's catalog (a
// CSV whose quantities a timer changes) reaches the simulator through the inventory sync schedule.

const ROOT = join(__dirname, '../..');
/** Measured ≈ 2.5 s on the 2-vCPU box (21 s before the stop was reworked); generous for a loaded CI. */
const STOP_WITHIN_MS = 20_000;

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

describe('npm start (scripts/dev-stack.ts)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flxpoint-dev-stack-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('logs JSON lines when piped, and stops everything within seconds of Ctrl-C', async () => {
    const [temporalPort, simPort, healthPort] = [await freePort(), await freePort(), await freePort()];
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/dev-stack.ts')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        TEMPORAL_PORT: String(temporalPort),
        TEMPORAL_HEADLESS: '1',
        TEMPORAL_DB_FILE: join(dir, 'temporal.sqlite'),
        SIMULATOR_PORT: String(simPort),
        WORKER_HEALTH_PORT: String(healthPort),
        WORKER_METRICS_PORT: '0',
        STORE_URL: `embedded:${join(dir, 'store')}`,
        DEMO_FR_COUNT: '3',
        DEMO_DATA_DIR: dir,
        DEMO_STOCK_CHANGE_SECONDS: '5',
        INVENTORY_SYNC_INTERVAL: '2s',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exit = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    try {
      await eventually(
        'the stack running and an FR acknowledged',
        () => {
          if (child.exitCode !== null) throw new Error(`npm start exited early:\n${out.slice(-3000)}`);
          return out.includes('flxpoint-temporal is running') && out.includes('acknowledged in Flxpoint');
        },
        170_000,
      ).catch((err: Error) => {
        throw new Error(`${err.message}\noutput:\n${out.slice(-3000)}`);
      });
      expect(await listening(temporalPort), 'dev server up').toBe(true);

      // Inventory: the simulator starts from the CSV's first quantities; once the demo's timer has changed
      // some, the simulator must show the CSV's current quantities for every SKU, which only a sync does.
      const csv = join(dir, 'demo-stock.csv');
      const readCsv = () =>
        new Map(
          readFileSync(csv, 'utf8')
            .trim()
            .split('\n')
            .slice(1)
            .map((l) => l.split(','))
            .map(([sku, q]) => [sku!, Number(q)]),
        );
      const initial = readCsv();
      expect(initial.size).toBe(50);
      const admin = new SimulatorAdminClient(`http://127.0.0.1:${simPort}/__admin`);
      let last = '';
      await eventually(
        'the simulator showing the demo catalog after a stock change',
        async () => {
          const now = readCsv();
          const changed = [...now].filter(([sku, q]) => initial.get(sku) !== q);
          if (changed.length === 0) return false;
          const sim = await Promise.all([...now.keys()].map((sku) => admin.inventoryVariant(sku)));
          const wrong = sim.filter((v) => v.quantity !== now.get(v.sku));
          last = `${changed.length} changed in the CSV, ${wrong.length} differ in the simulator`;
          return wrong.length === 0;
        },
        90_000,
      ).catch((err: Error) => {
        throw new Error(`${err.message} (${last})\noutput:\n${out.slice(-3000)}`);
      });
      const counters = await admin.counters();
      expect(counters.requestsByEndpoint['inventory.variants.update'] ?? 0).toBeGreaterThan(0);
      expect(out).toContain('demo catalog: stock changed');
      expect(out).toContain('inventory         50 SKUs');

      // Not a TTY: every log line is one JSON object (the banner is plain text for people, not a log line).
      const logLines = out
        .split('\n')
        .filter((l) => l.includes('"msg":') || /\b(INFO|WARN|ERROR)\b:/.test(l));
      expect(logLines.length).toBeGreaterThan(3);
      for (const l of logLines) expect(() => JSON.parse(l), l).not.toThrow();
      expect(logLines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toContain('worker started');

      const sent = Date.now();
      child.kill('SIGINT');
      // Too slow: a second Ctrl-C (kills the dev server too, then exits 130), SIGKILL as a last resort.
      const timers = [
        setTimeout(() => child.kill('SIGINT'), STOP_WITHIN_MS),
        setTimeout(() => child.kill('SIGKILL'), STOP_WITHIN_MS + 5_000),
      ];
      const [code, signal] = await exit;
      for (const t of timers) clearTimeout(t);
      const tookMs = Date.now() - sent;
      expect({ code, signal }, `exit after SIGINT (${tookMs} ms):\n${out.slice(-2000)}`).toEqual({
        code: 0,
        signal: null,
      });
      expect(out).toContain('everything stopped');
      // Nothing left behind: the dev server (its own process group) is gone and the store was closed.
      expect(await listening(temporalPort), 'dev server still listening').toBe(false);
      expect(existsSync(join(dir, 'store.lock')), 'embedded store lock left behind').toBe(false);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 240_000);
});

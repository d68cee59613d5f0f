import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { startSimulator, type RunningSimulator } from '../simulator/server';
import { loadConfig, ConfigError, type AppConfig } from '../worker/config';
import { createLogger, parseLogFormat } from '../common/logging';
import { installRuntime } from '../worker/logging';
import { startWorkerApp, type WorkerApp } from '../worker/app';
import { inventorySyncScheduleId, pollScheduleId } from '../common/ids';
import { FR_STEP, SOURCE_KEY } from '../common/search-attributes';
import { addShipmentUpdate, statusQuery } from '../workflows/definitions';

// `npm start`: the whole system on embedded defaults, on one machine, in one terminal:
//   Temporal dev server (SQLite file, Web UI :8233) → Flxpoint simulator seeded with demo FRs (unless
//   FLXPOINT_BASE_URL points at a real Flxpoint) → worker (embedded store) → one poll schedule per
//   source, triggered once at start → a demo warehouse that ships what was acknowledged → a demo catalog
//   (a CSV the demo source's inventory sync reads) whose stock changes every few seconds.
// Ctrl-C stops everything in reverse order; no process is left behind.

const ROOT = join(__dirname, '..');
const env = process.env;
// Readable lines in a terminal, JSON lines when piped (LOG_FORMAT=json|pretty|auto overrides).
const log = createLogger(env.LOG_LEVEL ?? 'info', { format: parseLogFormat(env.LOG_FORMAT) });

async function waitForTemporal(address: string, child: ChildProcess, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Temporal dev server exited with code ${child.exitCode}`);
    try {
      const c = await Connection.connect({ address, connectTimeout: 1000 });
      await c.healthService.check({});
      await c.close();
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`Temporal dev server not reachable on ${address}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** Demo only: plays a warehouse that ships every acknowledged FR a few seconds later. */
function startDemoWarehouse(config: AppConfig, everyMs: number): () => Promise<void> {
  let stopped = false;
  const abort = new AbortController();
  const done = (async () => {
    const connection = await Connection.connect({ address: config.temporal.address });
    const client = new Client({ connection, namespace: config.temporal.namespace });
    let n = 0;
    while (!stopped) {
      // Ctrl-C must not wait for the rest of the nap.
      await sleep(everyMs, undefined, { signal: abort.signal }).catch(() => undefined);
      if (stopped) break;
      try {
        const query = `${FR_STEP.name} = 'awaiting_shipment' AND ExecutionStatus = 'Running'`;
        for await (const wf of client.workflow.list({ query, pageSize: 20 })) {
          if (stopped) break;
          const handle = client.workflow.getHandle(wf.workflowId);
          const status = await handle.query(statusQuery);
          const items = status.items
            .map((i) => ({ id: i.id, quantity: i.quantity - i.cancelled - i.shipped }))
            .filter((i) => i.quantity > 0);
          if (!items.length) continue;
          const trackingNumber = `1ZDEMO${String(Date.now()).slice(-8)}${n++}`;
          await handle.executeUpdate(addShipmentUpdate, {
            args: [{ trackingNumber, carrier: 'UPS', method: 'Ground', items }],
          });
          log.info({ workflowId: wf.workflowId, trackingNumber }, 'demo warehouse shipped an FR');
        }
      } catch (err) {
        log.debug({ err: (err as Error).message }, 'demo warehouse: will retry');
      }
    }
    await connection.close();
  })();
  return async () => {
    stopped = true;
    abort.abort();
    await done.catch(() => {});
  };
}

/** Demo only: a small catalog (CSV stock source) and a timer that changes a few quantities now and then. */
class DemoCatalog {
  readonly skus: string[];
  private readonly quantities = new Map<string, number>();
  private timer?: NodeJS.Timeout;

  constructor(
    readonly file: string,
    count: number,
  ) {
    this.skus = Array.from({ length: count }, (_, i) => `DEMO-${String(i + 1).padStart(6, '0')}`);
    // Quantities of the last run, when there was one: the embedded store remembers what Flxpoint confirmed,
    // so the (fresh) simulator starts from those values too, see seedSimulator.
    const previous = new Map<string, number>();
    if (existsSync(file)) {
      for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
        const [sku, q] = line.split(',');
        if (sku && q !== undefined && /^\d+$/.test(q)) previous.set(sku, Number(q));
      }
    }
    for (const [i, sku] of this.skus.entries())
      this.quantities.set(sku, previous.get(sku) ?? ((i * 7) % 40) + 1);
    this.write();
  }

  /** The simulator (in this process) holds the catalog with the CSV's quantities, as after a sync. */
  seedSimulator(sim: RunningSimulator, sourceId: number): void {
    sim.state.seedInventory({ count: this.skus.length, sourceId, prefix: 'DEMO', quantity: 0 });
    for (const sku of this.skus) {
      const v = sim.state.inventory.bySku(sourceId, sku);
      if (v) v.quantity = this.quantities.get(sku)!;
    }
  }

  /** Every `everyMs`, three SKUs get a new quantity (now and then 0: a stock-out). */
  start(everyMs: number): () => Promise<void> {
    this.timer = setInterval(() => {
      const changed: Record<string, number> = {};
      for (let k = 0; k < 3; k++) {
        const sku = this.skus[Math.floor(Math.random() * this.skus.length)]!;
        changed[sku] = Math.random() < 0.15 ? 0 : Math.floor(Math.random() * 40) + 1;
        this.quantities.set(sku, changed[sku]);
      }
      this.write();
      log.info({ changed, file: this.file }, 'demo catalog: stock changed');
    }, everyMs);
    return async () => clearInterval(this.timer);
  }

  private write(): void {
    const tmp = `${this.file}.tmp`;
    writeFileSync(
      tmp,
      `sku,quantity\n${this.skus.map((s) => `${s},${this.quantities.get(s)}`).join('\n')}\n`,
    );
    renameSync(tmp, this.file);
  }
}

interface Task {
  name: string;
  /** Tasks of a lower phase stop first; tasks of one phase stop together. */
  phase: number;
  stop: () => Promise<unknown>;
}

async function main(): Promise<void> {
  const tasks: Task[] = [];
  let shuttingDown = false;
  let forceExit: (() => void) | undefined;
  // Ctrl-C: what produces work stops first (demo warehouse, worker), then what serves it (simulator,
  // Temporal). Each step's time is logged, so a slow stop says which part waits. A second Ctrl-C does not
  // wait: children are SIGKILLed and the process exits.
  const shutdown = async (code: number) => {
    if (shuttingDown) return forceExit?.();
    shuttingDown = true;
    const t0 = Date.now();
    log.info('stopping (Ctrl-C again to kill at once)');
    const phases = [...new Set(tasks.map((t) => t.phase))].sort((a, b) => a - b);
    for (const phase of phases) {
      await Promise.all(
        tasks
          .filter((t) => t.phase === phase)
          .map(async (t) => {
            const started = Date.now();
            await t
              .stop()
              .catch((err) => log.warn({ err: (err as Error).message, task: t.name }, 'stop failed'));
            log.info({ task: t.name, ms: Date.now() - started }, `stopped ${t.name}`);
          }),
      );
    }
    log.info({ ms: Date.now() - t0 }, 'everything stopped');
    process.exit(code);
  };
  // SIGHUP too (the terminal closed): the dev server has its own process group and would not get it.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(0));
  // npm does not always pass SIGTERM on (e.g. `timeout npm start`): when the parent goes, go too, so the
  // dev server child is never orphaned.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) void shutdown(0);
  }, 1000).unref();

  // 1. Temporal dev server (a child: scripts/temporal.sh execs the CLI, so the pid is the server's).
  const temporalAddress = env.TEMPORAL_ADDRESS ?? `127.0.0.1:${env.TEMPORAL_PORT ?? 7233}`;
  if (!env.TEMPORAL_ADDRESS) {
    // Its own process group: the terminal's Ctrl-C reaches this process only, so the server outlives the
    // worker's shutdown (a worker whose server vanished mid-shutdown waits on its reconnect backoff). It
    // is stopped last, and killed on any exit of this process.
    const temporal = spawn('bash', [join(ROOT, 'scripts/temporal.sh'), 'start'], {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...env, TEMPORAL_PORT: env.TEMPORAL_PORT ?? '7233' },
      detached: true,
    });
    const killTemporal = () => {
      if (temporal.exitCode === null && temporal.signalCode === null) temporal.kill('SIGKILL');
    };
    process.once('exit', killTemporal);
    forceExit = () => {
      log.warn('killing everything');
      killTemporal();
      process.exit(130);
    };
    tasks.push({
      name: 'Temporal dev server',
      phase: 2,
      stop: () =>
        new Promise<void>((resolve) => {
          if (temporal.exitCode !== null || temporal.signalCode !== null) return resolve();
          temporal.once('exit', () => resolve());
          temporal.kill('SIGTERM');
          setTimeout(killTemporal, 10_000).unref();
        }),
    });
    temporal.once('exit', (code) => {
      if (!shuttingDown) {
        log.error({ code }, 'Temporal dev server exited');
        void shutdown(1);
      }
    });
    await waitForTemporal(temporalAddress, temporal);
  }

  // 2. Flxpoint: the real one when configured, else the simulator with demo FRs.
  let sim: RunningSimulator | undefined;
  const demo = !env.FLXPOINT_BASE_URL;
  if (demo) {
    sim = await startSimulator({
      port: Number(env.SIMULATOR_PORT ?? 8787),
      host: '127.0.0.1',
      seed: { count: Number(env.DEMO_FR_COUNT ?? 25), itemsPerFr: 2 },
      // The dev server keeps its state across runs and FR workflow ids are deterministic, so each run's FRs
      // take a fresh id range (seconds since the epoch × 100) instead of colliding with the last run's.
      firstFrId: Math.floor(Date.now() / 1000) * 100,
    });
    const rate = Number(env.DEMO_NEW_FRS_PER_MINUTE ?? 2);
    if (rate > 0) sim.state.startGenerator({ ratePerSec: rate / 60 });
    tasks.push({ name: 'simulator', phase: 2, stop: () => sim!.close() });
  }

  // The demo source's catalog: a CSV in the data dir, read by its inventory sync every 30 s.
  const demoKey = (env.FLXPOINT_SOURCES ?? 'demo:1001').split(',')[0]!.split(':')[0]!.trim();
  const stockVar = `INVENTORY_STOCK_SOURCE_${demoKey.toUpperCase().replace(/-/g, '_')}`;
  const skuCount = Number(env.DEMO_SKU_COUNT ?? 50);
  let catalog: DemoCatalog | undefined;
  if (demo && skuCount > 0 && !env[stockVar]) {
    const dataDir = env.DEMO_DATA_DIR ?? join(ROOT, '.data');
    mkdirSync(dataDir, { recursive: true });
    catalog = new DemoCatalog(join(dataDir, 'demo-stock.csv'), skuCount);
  }

  // 3. Worker with embedded defaults, schedules created/updated at start.
  let config: AppConfig;
  try {
    config = loadConfig({
      ...env,
      TEMPORAL_ADDRESS: temporalAddress,
      ...(demo
        ? {
            FLXPOINT_BASE_URL: sim!.url,
            FLXPOINT_SOURCES: env.FLXPOINT_SOURCES ?? 'demo:1001',
            FLXPOINT_TOKEN_DEMO: env.FLXPOINT_TOKEN_DEMO ?? 'dev-token',
          }
        : {}),
      ...(catalog
        ? {
            [stockVar]: `file:${catalog.file}`,
            INVENTORY_SYNC_INTERVAL: env.INVENTORY_SYNC_INTERVAL ?? '30s',
          }
        : {}),
      ENSURE_SCHEDULES_ON_START: 'true',
      // On a laptop, Ctrl-C should not wait a pod's minute for in-flight activities: a cut activity is
      // retried at the next start.
      WORKER_SHUTDOWN_GRACE: env.WORKER_SHUTDOWN_GRACE ?? '3s',
    });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return shutdown(2);
    }
    throw err;
  }
  const demoSource = config.sources.find((s) => s.key === demoKey);
  if (catalog && demoSource) catalog.seedSimulator(sim!, demoSource.sourceId);
  installRuntime(log, {
    metricsBindAddress: config.http.metricsPort ? `127.0.0.1:${config.http.metricsPort}` : undefined,
  });
  const app: WorkerApp = await startWorkerApp(
    { ...config, http: { ...config.http, host: '127.0.0.1' } },
    { logger: log, workflows: { workflowsPath: require.resolve('../workflows') } },
  );
  tasks.push({ name: 'worker', phase: 1, stop: () => app.shutdown() });
  app.done.catch((err) => {
    log.error({ err: (err as Error).message }, 'worker failed');
    void shutdown(1);
  });

  // Poll once now rather than a full interval from now, so the demo shows work at once.
  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  for (const s of config.sources) await client.schedule.getHandle(pollScheduleId(s.key)).trigger();
  if (catalog) await client.schedule.getHandle(inventorySyncScheduleId(demoKey)).trigger();
  await connection.close();
  if (demo && env.DEMO_AUTO_SHIP !== '0') {
    const stopWarehouse = startDemoWarehouse(config, 10_000);
    tasks.push({ name: 'demo warehouse', phase: 1, stop: stopWarehouse });
  }
  if (catalog) {
    const stopCatalog = catalog.start(Number(env.DEMO_STOCK_CHANGE_SECONDS ?? 20) * 1000);
    tasks.push({ name: 'demo catalog', phase: 1, stop: stopCatalog });
  }

  const ui = `http://127.0.0.1:${env.TEMPORAL_UI_PORT ?? 8233}`;
  console.log(
    [
      '',
      'flxpoint-temporal is running. Ctrl-C stops everything.',
      `  Temporal Web UI   ${ui}/namespaces/${config.temporal.namespace}/workflows`,
      `  find an FR        ${ui}/namespaces/${config.temporal.namespace}/workflows?query=${encodeURIComponent(`FlxpointFrId="1"`)}`,
      `  schedules         ${ui}/namespaces/${config.temporal.namespace}/schedules`,
      demo
        ? `  Flxpoint sim      ${sim!.url}  (admin: ${sim!.adminUrl}/counters)`
        : `  Flxpoint          ${config.flxpoint.baseUrl}`,
      config.http.healthPort ? `  worker health     http://127.0.0.1:${app.healthPort}/readyz` : '',
      config.http.metricsPort
        ? `  metrics           http://127.0.0.1:${config.http.metricsPort}/metrics`
        : '',
      `  sources           ${config.sources.map((s) => `${s.key} (${s.sourceId}) every ${s.pollInterval / 1000}s`).join(', ')}`,
      catalog && demoSource
        ? `  inventory         ${catalog.skus.length} SKUs in ${catalog.file}, synced every ${demoSource.inventoryInterval / 1000}s (schedule ${inventorySyncScheduleId(demoKey)}); in the sim: ${sim!.adminUrl}/inventory/variants/${catalog.skus[0]}`
        : '',
      `  search attribute  ${SOURCE_KEY.name}, ${FR_STEP.name}, FlxpointFrId, FlxpointSourceId`,
      '',
    ]
      .filter((l) => l !== '')
      .join('\n'),
  );
}

main().catch((err) => {
  console.error(`npm start failed: ${(err as Error).message}`);
  process.exit(1);
});

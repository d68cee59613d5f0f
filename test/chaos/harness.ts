import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { Client as PgClient } from 'pg';
import { afterAll, afterEach, beforeAll, expect, vi } from 'vitest';
import { ensurePollSchedule, pollSettings } from '../../common/poll-schedule';
import { frWorkflowId, pollScheduleId } from '../../common/ids';
import type { CountersSnapshot } from '../../simulator/counters';
import type { SimulatorOptions } from '../../simulator/options';
import { startSimulator, type RunningSimulator } from '../../simulator/server';
import { createStore } from '../../store';
import type { FrStore } from '../../store/types';
import { loadConfig, type AppConfig } from '../../worker/config';
import {
  addShipmentUpdate,
  statusQuery,
  type FrStatus,
  type PollFulfillmentRequestsInput,
  type PollSummary,
} from '../../workflows/definitions';
import { drained, eventually } from '../helpers/pipeline';
import { freePort } from '../helpers/ports';
import { connectTemporal, quietRuntime, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';
import {
  killAllWorkerProcesses,
  spawnWorkerProcess,
  type WorkerProcess,
  type WorkerProcessOptions,
} from '../helpers/worker-process';
import { inspectStore } from '../../store/inspection';

// What every chaos scenario shares: a private PostgreSQL cluster (the store survives the worker's SIGKILL
// and the test reads it while the worker runs), the simulator in this process (its counters are what
// Flxpoint saw), a real worker process, and the real poll schedule.

const ROOT = join(__dirname, '../..');
const exec = promisify(execFile);

/** Long mode for manual runs: more FRs, more kills (docs/chaos.md). */
export const LONG = process.env.CHAOS_LONG === '1';

export interface PgCluster {
  /** A fresh, empty database on the cluster: its URL. */
  createDatabase(): Promise<string>;
  stop(): Promise<void>;
}

/** `scripts/postgres.sh start` on a free port in a temp dir; stop() shuts it down and removes the dir. */
export async function startPgCluster(): Promise<PgCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'flxpoint-chaos-pg-'));
  const port = await freePort();
  const script = join(ROOT, 'scripts/postgres.sh');
  const { stdout } = await exec('bash', [script, 'start', '--port', String(port), '--dir', dir], {
    timeout: 120_000,
  });
  const baseUrl = stdout.trim().split('\n').pop()!;
  let n = 0;
  return {
    async createDatabase() {
      const name = `chaos_${process.pid}_${++n}_${randomInt(1e6)}`;
      const admin = new PgClient({ connectionString: baseUrl });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      return baseUrl.replace(/\/[^/]+$/, `/${name}`);
    },
    async stop() {
      await exec('bash', [script, 'stop', '--dir', dir], { timeout: 120_000 }).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface ChaosRunOptions {
  temporal: { address: string; client: Client };
  pg: PgCluster;
  /** Shared per test file: the workflow bundle is built once and reused by every (re)start. */
  bundleCache: string;
  seed?: { count: number; itemsPerFr?: number; quantity?: { min: number; max: number } };
  simulator?: Partial<SimulatorOptions>;
  /** Extra worker env (CRASH_AT, FR_HANDLER, ...). */
  workerEnv?: Record<string, string>;
  autoRestart?: WorkerProcessOptions['autoRestart'];
  requestsPerSecond?: number;
  /** Start the source's poll schedule (default true) with this interval (default 2s). */
  schedule?: boolean;
  pollInterval?: string;
}

export interface ChaosRun {
  sim: RunningSimulator;
  sourceKey: string;
  sourceId: number;
  token: string;
  frIds: number[];
  config: AppConfig;
  /** The worker's environment, e.g. to start more replicas of the same worker (spawnWorkerProcess). */
  env: Record<string, string>;
  worker: WorkerProcess;
  /** A second connection to the worker's database: reads while the worker runs. */
  store: FrStore;
  /** The test's Temporal client (histories, queries). */
  client: Client;
  dir: string;
  seed(o: { count: number; itemsPerFr?: number; quantity?: { min: number; max: number } }): number[];
  counters(): CountersSnapshot;
  status(frId: number): Promise<FrStatus>;
  /** One poll run (the schedule's workflow), executed to completion. */
  poll(): Promise<PollSummary>;
  startSchedule(): Promise<void>;
  deleteSchedule(): Promise<void>;
  /** Ships every unshipped unit of the FR under one tracking number via the addShipment update. */
  shipAll(frId: number, trackingNumber?: string): Promise<string>;
  close(): Promise<void>;
}

export async function startChaosRun(o: ChaosRunOptions): Promise<ChaosRun> {
  const sourceKey = `c${randomInt(1e6, 1e7)}`;
  const sourceId = randomInt(100_000, 999_999);
  const token = `token-${sourceKey}`;
  const dir = mkdtempSync(join(tmpdir(), `flxpoint-chaos-${sourceKey}-`));
  mkdirSync(join(dir, 'crash-once'));
  const sim = await startSimulator({
    port: 0,
    tokens: { [token]: sourceId },
    randomSeed: sourceId,
    // Flxpoint documents no error wording: refusals come in words drawn per run (seeded by the source id),
    // so the pipeline must settle every uncertain write by reading Flxpoint's state.
    errorWording: 'random',
    ...o.simulator,
    rateLimit: { enabled: false, ...o.simulator?.rateLimit },
  });
  const storeUrl = await o.pg.createDatabase();
  const env: Record<string, string> = {
    TEMPORAL_ADDRESS: o.temporal.address,
    TEMPORAL_TASK_QUEUE: uniqueTaskQueue('chaos'),
    FLXPOINT_BASE_URL: sim.url,
    FLXPOINT_SOURCES: `${sourceKey}:${sourceId}`,
    [`FLXPOINT_TOKEN_${sourceKey.toUpperCase()}`]: token,
    FLXPOINT_REQUESTS_PER_SECOND: String(o.requestsPerSecond ?? 50),
    FLXPOINT_POLL_INTERVAL: o.pollInterval ?? '2s',
    // A crashed attempt is retried after these, not after the production 2 minutes / 45 seconds.
    FR_HANDLER_TIMEOUT: '3s',
    FLXPOINT_REQUEST_TIMEOUT: '2s',
    STORE_URL: storeUrl,
    WORKER_HEALTH_PORT: '0',
    WORKER_METRICS_PORT: '0',
    LOG_LEVEL: 'warn',
    CRASH_ONCE_DIR: join(dir, 'crash-once'),
    WORKFLOW_BUNDLE_CACHE: o.bundleCache,
    ...o.workerEnv,
  };
  const config = loadConfig(env);
  const store = await createStore({ kind: 'postgres', url: storeUrl });
  const worker = spawnWorkerProcess({ env, autoRestart: o.autoRestart, readyTimeoutMs: 120_000 });
  const client = o.temporal.client;
  const seed: ChaosRun['seed'] = (s) => sim.state.seed({ ...s, sourceId });
  let scheduled = false;

  const run: ChaosRun = {
    sim,
    sourceKey,
    sourceId,
    token,
    frIds: o.seed ? seed(o.seed) : [],
    config,
    env,
    worker,
    store,
    client,
    dir,
    seed,
    counters: () => sim.state.snapshotCounters(),
    status: (frId) => client.workflow.getHandle(frWorkflowId(sourceId, frId)).query(statusQuery),
    async poll() {
      const s = pollSettings(config);
      const input: PollFulfillmentRequestsInput = {
        sourceKey,
        sourceId,
        pageSize: config.sources[0]!.pageSize,
        newStatus: s.newStatus,
        maxFrsPerRun: s.maxFrsPerRun,
        fr: s.fr,
      };
      return client.workflow.execute('pollFulfillmentRequestsWorkflow', {
        taskQueue: config.temporal.taskQueue,
        workflowId: `poll-${sourceKey}-${Date.now()}-${randomInt(1e6)}`,
        args: [input],
      });
    },
    async startSchedule() {
      await ensurePollSchedule(client, config.sources[0]!, pollSettings(config));
      scheduled = true;
    },
    async deleteSchedule() {
      if (!scheduled) return;
      scheduled = false;
      await client.schedule
        .getHandle(pollScheduleId(sourceKey))
        .delete()
        .catch(() => undefined);
    },
    async shipAll(frId, trackingNumber = `TN-${sourceKey}-${frId}`) {
      const handle = client.workflow.getHandle(frWorkflowId(sourceId, frId));
      await eventually(
        `FR ${frId} shipped (update accepted)`,
        async () => {
          const st = await handle.query(statusQuery);
          if (st.step !== 'awaiting_shipment' && st.step !== 'creating_shipment') return false;
          const items = st.items
            .map((i) => ({ id: i.id, quantity: i.quantity - i.cancelled - i.shipped }))
            .filter((i) => i.quantity > 0);
          const known = st.shipments.some((s) => s.trackingNumber === trackingNumber);
          if (!known) {
            await withTimeout(
              handle.executeUpdate(addShipmentUpdate, {
                args: [{ trackingNumber, carrier: 'UPS', items }],
              }),
              15_000,
            );
          }
          return true;
        },
        120_000,
      );
      return trackingNumber;
    },
    async close() {
      await run.deleteSchedule();
      await worker.stop(5_000).catch(() => undefined);
      await store.close().catch(() => undefined);
      await sim.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await worker.start();
    if (o.schedule !== false) await run.startSchedule();
  } catch (err) {
    await run.close();
    throw err;
  }
  return run;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e: unknown) => (clearTimeout(t), reject(e as Error)),
    );
  });
}

const NEW_STATUSES = new Set(['processing', 'processed']);

export interface ExpectedAccounting {
  /** FRs the handler accepted: one successful acknowledge each. */
  acknowledged: number[];
  /** Of those, FRs whose ack answer may have been lost (settled by a read; sent again if it read absent). */
  ackAnswerMayBeLost?: number[] | 'all';
  /** Adjusted (partial/reject) FRs: one adjust each (adjusts are absolute, a lost answer may repeat it). */
  adjusted?: number[];
  /** FRs marked processing-failed: exactly one successful call each. */
  failed?: number[];
  /** FRs that ended without any claim (cancelled/voided upstream, acknowledged by someone else...). */
  noClaim?: number[];
  /** Tracking number → FR: each created exactly once in Flxpoint and recorded once locally. */
  shipments: Map<string, number>;
  /** Tracking numbers whose create answer may have been lost (up to two requests, one shipment). */
  shipmentAnswerMayBeLost?: boolean;
  /** Upper bound of ack attempts of an FR whose answer may be lost (default 3). */
  maxAckAttempts?: number;
  /** FRs that must no longer be NEW in Flxpoint (default: every FR seeded at start). */
  frIds?: number[];
}

/**
 * Exact accounting, from the simulator's counters (what Flxpoint saw) and the local store (what we have):
 *  - every accepted FR: ackSuccessByFr === 1 (the FR was moved to Acknowledged once); ackAttemptsByFr === 1
 *    unless its answer could be lost, then 1..maxAckAttempts (a resend after a read that found it absent);
 *  - every FR committed exactly once locally: committed === number of FRs with a decision, and the
 *    commit's side effect (outbox row) written once per FR: commitSideEffects === committed;
 *  - every shipment: shipmentsByTrackingNumber === 1 in Flxpoint, one row in the local store;
 *  - nothing missed: no seeded FR is still NEW in Flxpoint, and each has a committed decision.
 */
export async function expectExactAccounting(run: ChaosRun, e: ExpectedAccounting): Promise<void> {
  const c = run.counters();
  const lost = e.ackAnswerMayBeLost === 'all' ? new Set(e.acknowledged) : new Set(e.ackAnswerMayBeLost);
  for (const id of e.acknowledged) {
    expect(c.ackSuccessByFr[id], `successful acks of FR ${id}`).toBe(1);
    const attempts = c.ackAttemptsByFr[id] ?? 0;
    if (lost.has(id)) {
      expect(attempts, `ack attempts of FR ${id} (answer may be lost)`).toBeGreaterThanOrEqual(1);
      expect(attempts, `ack attempts of FR ${id} (answer may be lost)`).toBeLessThanOrEqual(
        e.maxAckAttempts ?? 3,
      );
    } else {
      // At most one request per acknowledge activity: a retried attempt is never sent (it fails fast with
      // outcome_unknown and the workflow reads the FR), and the workflow schedules the acknowledge again only
      // when that read shows it not done. Usually one activity, one attempt, one request.
      const tries = await activityAttempts(run, id, 'acknowledgeFulfillmentRequest');
      expect(
        attempts,
        `ack requests of FR ${id} (activities: ${tries.map((t) => `attempt ${t.attempt}${t.lastFailure ? ` after ${t.lastFailure}` : ''}`).join('; ')})`,
      ).toBeLessThanOrEqual(tries.length);
    }
  }
  for (const id of e.adjusted ?? []) {
    expect(c.adjustsByFr[id] ?? 0, `adjusts of FR ${id}`).toBeGreaterThanOrEqual(1);
    expect(c.ackSuccessByFr[id] ?? 0, `plain acks of adjusted FR ${id}`).toBe(0);
  }
  for (const id of e.failed ?? []) {
    expect(c.processingFailedByFr[id], `processing-failed calls of FR ${id}`).toBe(1);
    expect(c.ackSuccessByFr[id] ?? 0, `acks of failed FR ${id}`).toBe(0);
  }
  for (const id of e.noClaim ?? []) expect(c.ackSuccessByFr[id] ?? 0, `our acks of FR ${id}`).toBe(0);

  const decided = [...e.acknowledged, ...(e.adjusted ?? []), ...(e.failed ?? [])];
  const stats = await inspectStore(run.store).stats();
  expect(stats.commitSideEffects, 'commit side effects (outbox rows) = committed FRs').toBe(stats.committed);
  expect(stats.committed, 'FRs committed locally').toBeGreaterThanOrEqual(decided.length);
  for (const id of decided) {
    const rec = await run.store.get(run.sourceId, id);
    expect(rec, `FR ${id} committed locally`).toBeDefined();
  }

  for (const [tn, frId] of e.shipments) {
    expect(c.shipmentsByTrackingNumber[tn], `Flxpoint shipments with tracking number ${tn}`).toBe(1);
    const local = await inspectStore(run.store).listShipments(run.sourceId, frId);
    expect(
      local.filter((s) => s.trackingNumber === tn),
      `local shipment rows ${tn}`,
    ).toHaveLength(1);
    if (!e.shipmentAnswerMayBeLost)
      expect(c.shipmentAttemptsByFr[frId], `shipment attempts FR ${frId}`).toBe(1);
  }
  const perFr = new Map<number, number>();
  for (const frId of e.shipments.values()) perFr.set(frId, (perFr.get(frId) ?? 0) + 1);
  for (const [frId, n] of perFr) expect(c.shipmentsByFr[frId], `shipments of FR ${frId}`).toBe(n);
  expect(stats.shipments, 'local shipment rows').toBe(e.shipments.size);

  for (const id of e.frIds ?? run.frIds) {
    const h = run.sim.state.getFr(id)!.fr.fulfillmentRequestStatus.handle;
    expect(NEW_STATUSES.has(h), `FR ${id} still NEW in Flxpoint (${h}): missed`).toBe(false);
  }
}

/** Each scheduling of an activity of `type` in the FR's workflow: how many attempts it took, and why. */
export async function activityAttempts(
  run: ChaosRun,
  frId: number,
  type: string,
): Promise<{ attempt: number; lastFailure?: string }[]> {
  const history = await run.client.workflow.getHandle(frWorkflowId(run.sourceId, frId)).fetchHistory();
  const events = history.events ?? [];
  const scheduled = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === type);
  return scheduled.map((s) => {
    const started = events.find(
      (e) => Number(e.activityTaskStartedEventAttributes?.scheduledEventId) === Number(s.eventId),
    )?.activityTaskStartedEventAttributes;
    return { attempt: started?.attempt ?? 0, lastFailure: started?.lastFailure?.message ?? undefined };
  });
}

/**
 * Waits until every FR in `ids` has one successful ack in the simulator, for as long as acks keep coming:
 * fails when none came for `stallMs` (kills and restarts included), listing the missing FRs and the
 * worker's stderr.
 */
export function allAcknowledged(run: ChaosRun, ids: number[], stallMs = 120_000): Promise<void> {
  return drained(
    `${ids.length} FRs acknowledged`,
    () => {
      const c = run.counters();
      return ids.filter((id) => (c.ackSuccessByFr[id] ?? 0) < 1);
    },
    stallMs,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\nworker stderr:\n${run.worker.stderrTail()}`);
  });
}

/** Waits until the local store recorded each tracking number (as long as recording goes on). */
export function allShipmentsRecorded(run: ChaosRun, shipments: Map<string, number>, stallMs = 120_000) {
  return drained(
    `${shipments.size} shipments recorded`,
    async () => {
      const missing: string[] = [];
      for (const [tn, frId] of shipments) {
        const rows = await inspectStore(run.store).listShipments(run.sourceId, frId);
        if (!rows.some((r) => r.trackingNumber === tn)) missing.push(tn);
      }
      return missing;
    },
    stallMs,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\nworker stderr:\n${run.worker.stderrTail()}`);
  });
}

export function bundleCachePath(): string {
  return join(mkdtempSync(join(tmpdir(), 'flxpoint-chaos-bundle-')), 'workflow-bundle.js');
}

export interface OwnDevServer {
  address: string;
  dbFile: string;
  /** SIGTERM (graceful) or SIGKILL; resolves once the process is gone. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts again on the same port and SQLite file. */
  start(): Promise<void>;
}

/**
 * A Temporal dev server of the test's own (not the run's shared one), so it can be stopped and restarted:
 * `temporal server start-dev --headless --port <free> --db-filename <dir>/t.sqlite` plus the project's
 * search attributes, as scripts/temporal.sh starts it.
 */
export async function startOwnDevServer(dir: string): Promise<OwnDevServer> {
  const script = join(ROOT, 'scripts/temporal.sh');
  const cli = (await exec('bash', [script, 'path'])).stdout.trim();
  const attrs = (await exec('bash', [script, 'search-attributes'])).stdout.trim().split('\n');
  const port = await freePort();
  const httpPort = await freePort();
  const metricsPort = await freePort();
  const dbFile = join(dir, 't.sqlite');
  const address = `127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  const server: OwnDevServer = {
    address,
    dbFile,
    async start() {
      const args = ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port)];
      args.push('--http-port', String(httpPort), '--metrics-port', String(metricsPort));
      args.push('--db-filename', dbFile, '--log-level', 'error');
      for (const a of attrs) args.push('--search-attribute', a);
      const c = spawn(cli, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      child = c;
      let stderr = '';
      c.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
      exited = new Promise((r) => c.once('exit', () => r()));
      let gone = false;
      void exited.then(() => (gone = true));
      await vi
        .waitFor(
          async () => {
            if (gone) return 'exited';
            const conn = await Connection.connect({ address, connectTimeout: 1000 });
            try {
              await conn.healthService.check({});
            } finally {
              await conn.close();
            }
            return 'up';
          },
          { timeout: 60_000, interval: 300 },
        )
        .then(
          (state) => {
            if (state === 'exited') throw new Error(`dev server exited at start:\n${stderr}`);
          },
          (err: Error) => {
            throw new Error(`dev server not up on ${address} after 60 s (${err.message}):\n${stderr}`);
          },
        );
    },
    async stop(signal = 'SIGTERM') {
      if (child && child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const timer = setTimeout(() => child?.kill('SIGKILL'), 20_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
  await server.start();
  return server;
}

export interface ChaosSuiteOptions {
  /**
   * 'shared': the run's dev server (test/global-setup.ts). 'own': a dev server of the file's own, on a
   * free port and a temp SQLite file, that the test may stop and restart (`suite.server`).
   */
  temporal?: 'shared' | 'own';
  /** 'test' (default): each run is closed after its test. 'file': runs live until the file ends. */
  runScope?: 'test' | 'file';
}

export interface ChaosSuite {
  readonly temporal: { address: string; client: Client };
  readonly pg: PgCluster;
  /** Only with `temporal: 'own'`. */
  readonly server: OwnDevServer;
  readonly bundleCache: string;
  /** startChaosRun with this file's dev server, PostgreSQL cluster and workflow bundle. */
  start(o?: Omit<ChaosRunOptions, 'temporal' | 'pg' | 'bundleCache'>): Promise<ChaosRun>;
}

/**
 * The setup every chaos file shares, as hooks: a PostgreSQL cluster and a Temporal connection for the
 * file, one workflow bundle reused by every worker (re)start, and the reaping of every run and every
 * worker process after each test (or after the file) so a failed test leaves no process behind.
 */
export function useChaosSuite(o: ChaosSuiteOptions = {}): ChaosSuite {
  const bundleCache = bundleCachePath();
  const serverDir = mkdtempSync(join(tmpdir(), 'flxpoint-chaos-temporal-'));
  const runs: ChaosRun[] = [];
  let shared: TestTemporal | undefined;
  let own: { server: OwnDevServer; connection: Connection; client: Client } | undefined;
  let pg: PgCluster | undefined;

  const closeRuns = async () => {
    for (const run of runs.splice(0)) await run.close().catch(() => undefined);
    await killAllWorkerProcesses();
  };
  const started = <T>(what: string, v: T | undefined): T => {
    if (v === undefined) throw new Error(`chaos suite: ${what} is not up (did beforeAll fail?)`);
    return v;
  };

  beforeAll(async () => {
    quietRuntime();
    const temporal =
      o.temporal === 'own'
        ? startOwnDevServer(serverDir).then(async (server) => {
            const connection = await Connection.connect({ address: server.address });
            own = { server, connection, client: new Client({ connection, namespace: 'default' }) };
          })
        : connectTemporal().then((t) => void (shared = t));
    await Promise.all([temporal, startPgCluster().then((c) => void (pg = c))]);
  });
  if (o.runScope !== 'file') afterEach(closeRuns);
  afterAll(async () => {
    await closeRuns();
    await own?.connection.close();
    await own?.server.stop('SIGKILL');
    await pg?.stop();
    await shared?.close();
    rmSync(serverDir, { recursive: true, force: true });
    rmSync(dirname(bundleCache), { recursive: true, force: true });
  });

  const suite: ChaosSuite = {
    get temporal() {
      return own
        ? { address: own.server.address, client: own.client }
        : started('the Temporal connection', shared);
    },
    get pg() {
      return started('the PostgreSQL cluster', pg);
    },
    get server() {
      return started("the file's own dev server", own).server;
    },
    bundleCache,
    async start(opts = {}) {
      const run = await startChaosRun({
        ...opts,
        temporal: suite.temporal,
        pg: suite.pg,
        bundleCache,
      });
      runs.push(run);
      return run;
    },
  };
  return suite;
}

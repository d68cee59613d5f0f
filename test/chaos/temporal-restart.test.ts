import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quietRuntime } from '../helpers/temporal';
import { killAllWorkerProcesses } from '../helpers/worker-process';
import {
  allAcknowledged,
  allShipmentsRecorded,
  bundleCachePath,
  expectExactAccounting,
  LONG,
  startChaosRun,
  startOwnDevServer,
  startPgCluster,
  type ChaosRun,
  type OwnDevServer,
  type PgCluster,
} from './harness';
import { inspectStore } from '../../store/inspection';

// The Temporal server goes away mid-run (graceful stop, then a hard kill) and comes back on the same port
// with the same SQLite file. The worker process is NOT restarted: its NativeConnection and pollers must
// reconnect by themselves, and every FR still ends acknowledged (and shipped) exactly once.

const FRS = LONG ? 120 : 30;

describe('Temporal dev server stopped and restarted mid-run', () => {
  let pg: PgCluster;
  let server: OwnDevServer;
  let connection: Connection;
  let client: Client;
  let run: ChaosRun | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'flxpoint-chaos-temporal-'));
  const bundleCache = bundleCachePath();

  beforeAll(async () => {
    quietRuntime();
    [pg, server] = await Promise.all([startPgCluster(), startOwnDevServer(dir)]);
    connection = await Connection.connect({ address: server.address });
    client = new Client({ connection, namespace: 'default' });
  });
  afterAll(async () => {
    await run?.close();
    await killAllWorkerProcesses();
    await connection?.close();
    await server?.stop('SIGKILL');
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(dirname(bundleCache), { recursive: true, force: true });
  });

  it(`loses nothing across a graceful stop and a SIGKILL of the server (${FRS} FRs)`, async () => {
    run = await startChaosRun({
      temporal: { address: server.address, client },
      pg,
      bundleCache,
      seed: { count: FRS, itemsPerFr: 1 },
      // Slow enough that the backlog is still draining when the server goes away.
      requestsPerSecond: 8,
    });
    const r = run;
    const acked = () => Object.keys(r.counters().ackSuccessByFr).length;
    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      const before = acked();
      await waitUntil(() => acked() >= before + 3, 60_000);
      await server.stop(signal);
      const during = acked();
      await sleep(6_000);
      // Activities already running may finish, nothing new is dispatched while the server is down.
      expect(acked() - during).toBeLessThanOrEqual(8);
      await server.start();
    }
    await allAcknowledged(r, r.frIds, 240_000);
    const shipments = new Map<string, number>();
    for (const id of r.frIds.slice(0, 5)) shipments.set(await r.shipAll(id), id);
    await allShipmentsRecorded(r, shipments);

    // Reconnected on its own: one process start, still running.
    expect(r.worker.starts).toBe(1);
    expect(r.worker.running).toBe(true);
    // An activity that finished while the server was down could not report its result; Temporal ran it
    // again after the restart, so an ack or shipment answer may count as "lost" here too.
    await expectExactAccounting(r, {
      acknowledged: r.frIds,
      ackAnswerMayBeLost: 'all',
      shipments,
      shipmentAnswerMayBeLost: true,
    });
    expect(await inspectStore(r.store).stats()).toEqual({
      committed: FRS,
      commitSideEffects: FRS,
      shipments: 5,
    });
  }, 360_000);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitUntil(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await sleep(100);
  }
}

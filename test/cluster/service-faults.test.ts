import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client as PgClient } from 'pg';
import { describe, expect, it } from 'vitest';
import { inspectStore } from '../../store/inspection';
import {
  allAcknowledged,
  allShipmentsRecorded,
  expectExactAccounting,
  LONG,
  useChaosSuite,
} from '../chaos/harness';
import { eventually } from '../helpers/pipeline';

// Only on the real cluster (`npm run test:cluster`, scripts/test-cluster.sh): the Temporal services are
// separate processes on PostgreSQL, and this test takes them away one at a time while FRs flow — SIGKILL of
// history, a restart of matching, a restart of the frontend the worker is connected to, and every
// connection of the cluster's PostgreSQL terminated. The worker is never restarted; it must ride it all
// out and end with the same exact accounting as on the dev server.

const ROOT = join(__dirname, '../..');
const exec = promisify(execFile);
const CLUSTER =
  process.env.TEMPORAL_CLUSTER_DIR !== undefined && process.env.TEMPORAL_CLUSTER_PG_PORT !== undefined;
const FRS = LONG ? 120 : 40;

async function cluster(...args: string[]): Promise<void> {
  await exec('bash', [join(ROOT, 'scripts/temporal-cluster.sh'), ...args], { env: process.env });
}

/** Terminates every connection Temporal holds to its databases (a PostgreSQL failover looks like this). */
async function terminateTemporalConnections(): Promise<number> {
  const pg = new PgClient({
    connectionString: `postgresql://postgres@127.0.0.1:${process.env.TEMPORAL_CLUSTER_PG_PORT}/postgres`,
  });
  await pg.connect();
  try {
    const res = await pg.query<{ n: string }>(
      `SELECT count(pg_terminate_backend(pid))::text AS n FROM pg_stat_activity
       WHERE datname IN ('temporal', 'temporal_visibility') AND pid <> pg_backend_pid()`,
    );
    return Number(res.rows[0]!.n);
  } finally {
    await pg.end();
  }
}

describe.skipIf(!CLUSTER)('Temporal cluster services failing mid-run', () => {
  const suite = useChaosSuite();

  it(`loses nothing when history is killed, matching and frontend restart and PostgreSQL drops Temporal's connections (${FRS} FRs)`, async () => {
    const r = await suite.start({
      seed: { count: FRS, itemsPerFr: 1 },
      // Slow enough that the backlog is still draining through every fault.
      requestsPerSecond: 4,
    });
    const acked = () => Object.keys(r.counters().ackSuccessByFr).length;
    const faults: [string, () => Promise<void>][] = [
      [
        'SIGKILL history',
        async () => (await cluster('kill', 'history'), await cluster('start-service', 'history')),
      ],
      [
        'restart matching',
        async () => (await cluster('kill', 'matching'), await cluster('start-service', 'matching')),
      ],
      [
        'restart frontend',
        async () => (await cluster('kill', 'frontend'), await cluster('start-service', 'frontend')),
      ],
      [
        "terminate Temporal's PostgreSQL connections",
        async () => expect(await terminateTemporalConnections()).toBeGreaterThan(0),
      ],
    ];
    for (const [i, [name, fault]] of faults.entries()) {
      const target = Math.ceil(((i + 1) * FRS) / (faults.length + 2));
      await eventually(`${target} FRs acknowledged before: ${name}`, () => acked() >= target, 180_000);
      console.log(`service-faults: ${name} at ${acked()}/${FRS} acknowledged`);
      await fault();
    }
    await allAcknowledged(r, r.frIds, 240_000);
    const shipments = new Map<string, number>();
    for (const id of r.frIds.slice(0, 5)) shipments.set(await r.shipAll(id), id);
    await allShipmentsRecorded(r, shipments);

    // The worker rode it out without a restart.
    expect(r.worker.starts).toBe(1);
    expect(r.worker.running).toBe(true);
    await expectExactAccounting(r, {
      acknowledged: r.frIds,
      ackAnswerMayBeLost: 'all',
      shipments,
      shipmentAnswerMayBeLost: true,
    });
    expect(await inspectStore(r.store).stats()).toMatchObject({
      committed: FRS,
      commitSideEffects: FRS,
      shipments: 5,
    });
  }, 900_000);
});

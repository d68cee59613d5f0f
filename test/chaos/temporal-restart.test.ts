import { describe, expect, it } from 'vitest';
import { eventually } from '../helpers/pipeline';
import { freePort } from '../helpers/ports';
import { allAcknowledged, allShipmentsRecorded, expectExactAccounting, LONG, useChaosSuite } from './harness';
import { inspectStore } from '../../store/inspection';

// The Temporal server goes away mid-run (graceful stop, then a hard kill) and comes back on the same port
// with the same SQLite file. The worker process is NOT restarted: its NativeConnection and pollers must
// reconnect by themselves, and every FR still ends acknowledged (and shipped) exactly once.

const FRS = LONG ? 120 : 30;
/** Failed polls that prove the worker kept asking for work while the server was down. */
const FAILED_POLLS = 3;

/** The worker's failed task-queue polls so far, from the SDK's own Prometheus counter. */
async function failedPolls(metricsPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  let n = 0;
  for (const m of text.matchAll(
    /^temporal_long_request_failure(?:_total)?\{[^}]*operation="Poll\w*TaskQueue"[^}]*\}\s+(\d+)/gm,
  ))
    n += Number(m[1]);
  return n;
}

describe('Temporal dev server stopped and restarted mid-run', () => {
  const suite = useChaosSuite({ temporal: 'own' });

  it(`loses nothing across a graceful stop and a SIGKILL of the server (${FRS} FRs)`, async () => {
    const server = suite.server;
    const metricsPort = await freePort();
    const r = await suite.start({
      seed: { count: FRS, itemsPerFr: 1 },
      // Slow enough that the backlog is still draining when the server goes away.
      requestsPerSecond: 8,
      workerEnv: { FIXTURE_METRICS_PORT: String(metricsPort) },
    });
    const acked = () => Object.keys(r.counters().ackSuccessByFr).length;
    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      const before = acked();
      await eventually(`3 more FRs acknowledged before the ${signal}`, () => acked() >= before + 3, 60_000);
      await server.stop(signal);
      const during = acked();
      // Not "wait a while": wait until the worker has demonstrably asked for work and been refused several
      // times, so anything it could wrongly do without the server has had its chance.
      const failedAtStop = await failedPolls(metricsPort);
      await eventually(
        `${FAILED_POLLS} failed polls after the ${signal}`,
        async () => (await failedPolls(metricsPort)) >= failedAtStop + FAILED_POLLS,
        60_000,
      ).catch((err: Error) => {
        throw new Error(`${err.message}\nworker stderr:\n${r.worker.stderrTail()}`);
      });
      // Activities already running may finish (at most the ones in flight at the stop); nothing new is
      // dispatched while the server is down.
      expect(acked() - during, 'FRs acknowledged while the server was down').toBeLessThanOrEqual(8);
      await server.start();
    }
    await allAcknowledged(r, r.frIds);
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

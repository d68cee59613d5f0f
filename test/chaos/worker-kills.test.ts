import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectTemporal, type TestTemporal } from '../helpers/temporal';
import { killAllWorkerProcesses } from '../helpers/worker-process';
import {
  allAcknowledged,
  allShipmentsRecorded,
  bundleCachePath,
  expectExactAccounting,
  LONG,
  startChaosRun,
  startPgCluster,
  type ChaosRun,
  type PgCluster,
} from './harness';
import { inspectStore } from '../../store/inspection';

// A backlog drains while the worker is SIGKILLed again and again: by the test at arbitrary moments (mid
// workflow task, mid HTTP request, mid transaction), and by the process itself at random points between
// steps (CRASH_RANDOM). Each time it comes back, as a pod would. Nothing may be lost or done twice.

const FRS = LONG ? 150 : 40;
const TIMER_KILLS = LONG ? 10 : 3;
const HOOK_CRASHES = LONG ? 8 : 3;

describe('worker SIGKILLed repeatedly while a backlog drains', () => {
  let t: TestTemporal;
  let pg: PgCluster;
  let run: ChaosRun | undefined;
  const bundleCache = bundleCachePath();

  beforeAll(async () => {
    [t, pg] = await Promise.all([connectTemporal(), startPgCluster()]);
  });
  afterEach(async () => {
    await run?.close();
    run = undefined;
    await killAllWorkerProcesses();
  });
  afterAll(async () => {
    await killAllWorkerProcesses();
    await pg?.stop();
    await t?.close();
    rmSync(dirname(bundleCache), { recursive: true, force: true });
  });

  it(
    `acknowledges ${FRS} FRs and creates every shipment exactly once across ${TIMER_KILLS} + ${HOOK_CRASHES} kills`,
    async () => {
      const restartEnv: Record<string, string> = {};
      run = await startChaosRun({
        temporal: t,
        pg,
        bundleCache,
        seed: { count: FRS, itemsPerFr: 2 },
        // Random points: after a commit, before/after each Flxpoint request, after a shipment.
        workerEnv: { CRASH_RANDOM: '0.02' },
        autoRestart: { restartEnv },
      });
      const r = run;
      let stop = false;
      const killer = (async () => {
        for (let k = 0; k < TIMER_KILLS && !stop; k++) {
          await sleep(1500 + Math.random() * 4000);
          await r.worker.settled();
          if (stop) break;
          await r.worker.restart();
        }
      })();
      // Crashes of the process itself: after HOOK_CRASHES of them, restarts come back without the hook.
      const disarm = setInterval(() => {
        if (r.worker.crashes.length >= HOOK_CRASHES) restartEnv.CRASH_RANDOM = '0';
      }, 100);

      try {
        // Half of the FRs get a shipment (update), sent while the kills go on.
        const shipments = new Map<string, number>();
        const toShip = r.frIds.filter((_, i) => i % 2 === 0);
        await allAcknowledged(r, r.frIds, 240_000);
        for (const id of toShip) shipments.set(await r.shipAll(id), id);
        await killer;
        stop = true;
        restartEnv.CRASH_RANDOM = '0';
        await r.worker.settled();
        if (!r.worker.running) await r.worker.start({ CRASH_RANDOM: '0' });
        await allShipmentsRecorded(r, shipments, 180_000);

        const kills = r.worker.kills + r.worker.crashes.length;
        expect(r.worker.kills, 'kills by the test').toBe(TIMER_KILLS);
        expect(kills, 'kills in total').toBeGreaterThanOrEqual(TIMER_KILLS);
        // A kill can land after Flxpoint answered an ack or a shipment and before the activity completed:
        // then a second attempt is made and answered "already acknowledged" / "duplicate tracking number",
        // both success. Exactly once means: one successful ack and one shipment per tracking number.
        await expectExactAccounting(r, {
          acknowledged: r.frIds,
          ackAnswerMayBeLost: 'all',
          shipments,
          shipmentAnswerMayBeLost: true,
        });
        const stats = await inspectStore(r.store).stats();
        expect(stats).toEqual({ committed: FRS, commitSideEffects: FRS, shipments: toShip.length });
        console.log(
          `worker-kills: ${r.worker.kills} kills by the test, ${r.worker.crashes.length} crashes at hooks ` +
            `(${r.worker.crashes.join('; ')}), ${r.worker.starts} starts`,
        );
      } finally {
        stop = true;
        clearInterval(disarm);
        await killer.catch(() => undefined);
      }
    },
    LONG ? 900_000 : 300_000,
  );
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

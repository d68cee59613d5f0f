import { describe, expect, it } from 'vitest';
import { chaosSeed, seededRandom } from '../helpers/seeded-random';
import { allAcknowledged, allShipmentsRecorded, expectExactAccounting, LONG, useChaosSuite } from './harness';
import { inspectStore } from '../../store/inspection';

// A backlog drains while the worker is SIGKILLed again and again: by the test at arbitrary moments (mid
// workflow task, mid HTTP request, mid transaction), and by the process itself at random points between
// steps (CRASH_RANDOM). Each time it comes back, as a pod would. Nothing may be lost or done twice.
// The kill moments and the processes' crash draws come from one printed seed (CHAOS_SEED replays it).

const FRS = LONG ? 150 : 40;
const TIMER_KILLS = LONG ? 10 : 3;
const HOOK_CRASHES = LONG ? 8 : 3;

describe('worker SIGKILLed repeatedly while a backlog drains', () => {
  const suite = useChaosSuite();

  it(
    `acknowledges ${FRS} FRs and creates every shipment exactly once across ${TIMER_KILLS} + ${HOOK_CRASHES} kills`,
    async () => {
      const seed = chaosSeed('worker-kills');
      const random = seededRandom(seed);
      const restartEnv: Record<string, string> = {};
      const r = await suite.start({
        seed: { count: FRS, itemsPerFr: 2 },
        // Random points: after a commit, before/after each Flxpoint request, after a shipment.
        workerEnv: { CRASH_RANDOM: '0.02', CRASH_SEED: String(seed) },
        autoRestart: { restartEnv },
      });
      // Crashes of the process itself: after HOOK_CRASHES of them, restarts come back without the hook.
      // Checked on every exit of the process, before its automatic restart reads restartEnv.
      const disarmAfterEnoughCrashes = () => {
        if (r.worker.crashes.length >= HOOK_CRASHES) restartEnv.CRASH_RANDOM = '0';
      };
      r.worker.onExit(disarmAfterEnoughCrashes);
      let stop = false;
      const killer = (async () => {
        for (let k = 0; k < TIMER_KILLS && !stop; k++) {
          await sleep(1500 + random() * 4000);
          await r.worker.settled();
          if (stop) break;
          await r.worker.restart();
        }
      })();

      try {
        // Half of the FRs get a shipment (update), sent while the kills go on.
        const shipments = new Map<string, number>();
        const toShip = r.frIds.filter((_, i) => i % 2 === 0);
        await allAcknowledged(r, r.frIds);
        for (const id of toShip) shipments.set(await r.shipAll(id), id);
        await killer;
        stop = true;
        restartEnv.CRASH_RANDOM = '0';
        await r.worker.settled();
        if (!r.worker.running) await r.worker.start({ CRASH_RANDOM: '0' });
        await allShipmentsRecorded(r, shipments);

        const kills = r.worker.kills + r.worker.crashes.length;
        expect(r.worker.kills, 'kills by the test').toBe(TIMER_KILLS);
        expect(kills, 'kills in total').toBeGreaterThanOrEqual(TIMER_KILLS);
        // A kill can land after Flxpoint answered an ack or a shipment and before the activity completed:
        // the second attempt is not sent blind, the workflow reads the FR and finds its own write there
        // (docs/flxpoint-api.md, "Read-back rules"). Exactly once means: one successful ack and one shipment
        // per tracking number.
        await expectExactAccounting(r, {
          acknowledged: r.frIds,
          ackAnswerMayBeLost: 'all',
          shipments,
          shipmentAnswerMayBeLost: true,
        });
        const stats = await inspectStore(r.store).stats();
        expect(stats).toEqual({ committed: FRS, commitSideEffects: FRS, shipments: toShip.length });
        console.log(
          `worker-kills (CHAOS_SEED=${seed}): ${r.worker.kills} kills by the test, ${r.worker.crashes.length} ` +
            `crashes at hooks (${r.worker.crashes.join('; ')}), ${r.worker.starts} starts`,
        );
      } finally {
        stop = true;
        await killer.catch(() => undefined);
      }
    },
    LONG ? 900_000 : 300_000,
  );
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

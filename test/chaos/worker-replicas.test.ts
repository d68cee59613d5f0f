import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it, vi } from 'vitest';
import { pollScheduleId } from '../../common/ids';
import { inspectStore } from '../../store/inspection';
import { seededRandom } from '../helpers/seeded-random';
import { spawnWorkerProcess, type WorkerProcess } from '../helpers/worker-process';
import { allAcknowledged, expectExactAccounting, LONG, useChaosSuite } from './harness';

// Kubernetes scales the worker Deployment out: several replicas serve the same sources, and any of them
// may be SIGKILLed (eviction, OOM, node loss). Three worker processes share one source and one token
// against Flxpoint's strict bucket (2 req/s, burst 2). Every FR must be processed once, the token's budget
// must hold across the replicas (Temporal's task-queue rate limit is the only thing they share), and the
// schedule setup that every replica may run at start must be idempotent when they run at once.
// Run on the dev server by `npm test` and on the PostgreSQL cluster by `npm run test:cluster`. How much of
// the budget three replicas use is a figure for bench/, not an assertion here (printed for the record).

const ROOT = join(__dirname, '../..');
const exec = promisify(execFile);
const FRS = LONG ? 120 : 40;
const REPLICAS = 3;
const KILLS = LONG ? 9 : 3;

describe('worker replicas sharing one source', () => {
  const suite = useChaosSuite();

  it(`${REPLICAS} replicas, ${KILLS} SIGKILLs among them: each of ${FRS} FRs once, no request above the token's budget`, async () => {
    const seed = Number(process.env.CHAOS_SEED ?? Date.now() % 100_000);
    console.log(`worker-replicas: CHAOS_SEED=${seed}`);
    const random = seededRandom(seed);
    const r = await suite.start({
      seed: { count: FRS, itemsPerFr: 1 },
      requestsPerSecond: 2,
      // Flxpoint's documented limit, as strict as it can be: 2 per second, two back to back at most.
      simulator: { rateLimit: { enabled: true, ratePerSec: 2, burst: 2, retryAfter: 'none' } },
      schedule: false,
    });
    const replicas: WorkerProcess[] = [r.worker];
    for (let i = 1; i < REPLICAS; i++) {
      const w = spawnWorkerProcess({ env: r.env, readyTimeoutMs: 120_000 });
      replicas.push(w);
    }
    await Promise.all(replicas.slice(1).map((w) => w.start()));

    // Every replica's start may ensure the schedules: three setup processes at the same moment.
    const setups = await Promise.allSettled(
      replicas.map(() =>
        exec(process.execPath, ['--import', 'tsx', join(ROOT, 'client/setup-schedules.ts')], {
          cwd: ROOT,
          env: { PATH: process.env.PATH ?? '', ...r.env },
        }),
      ),
    );
    const failed = setups.flatMap((s) => (s.status === 'rejected' ? [String(s.reason)] : []));
    expect(failed, 'schedule setups run at once').toEqual([]);
    const described = await r.client.schedule.getHandle(pollScheduleId(r.sourceKey)).describe();
    expect(described.action.type).toBe('startWorkflow');

    const started = Date.now();
    const acked = () => Object.keys(r.counters().ackSuccessByFr).length;
    for (let k = 0; k < KILLS; k++) {
      const target = ((k + 1) * FRS) / (KILLS + 1);
      await vi.waitFor(() => expect(acked()).toBeGreaterThanOrEqual(target), {
        timeout: 180_000,
        interval: 200,
      });
      const victim = replicas[Math.floor(random() * replicas.length)]!;
      await victim.kill();
      // Kubernetes starts the pod again; meanwhile the other replicas carry on.
      void victim.start().catch(() => undefined);
    }
    await allAcknowledged(r, r.frIds);
    const seconds = (Date.now() - started) / 1000;

    const c = r.counters();
    expect(c.tooManyRequests, "429s: a request above the token's budget").toBe(0);
    await expectExactAccounting(r, {
      acknowledged: r.frIds,
      ackAnswerMayBeLost: 'all',
      shipments: new Map(),
    });
    expect((await inspectStore(r.store).stats()).committed).toBe(FRS);
    console.log(
      `worker-replicas: ${REPLICAS} replicas, ${KILLS} kills, ${FRS} FRs in ${seconds.toFixed(1)} s, ` +
        `${c.requestsTotal} requests (${((c.requestsTotal / (seconds * 2)) * 100).toFixed(0)} % of 2 req/s), 0 429s`,
    );
    for (const w of replicas.slice(1)) await w.stop(5_000);
  }, 600_000);
});

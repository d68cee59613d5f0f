import { describe, expect, it } from 'vitest';
import { allAcknowledged, allShipmentsRecorded, expectExactAccounting, useChaosSuite } from './harness';
import { inspectStore } from '../../store/inspection';

// The crash the whole design is about: the FR is durably committed locally, and the worker dies before
// Flxpoint hears "acknowledged". A real worker process SIGKILLs itself at that exact point (a hook around
// the production store), comes back, and the FR must be acknowledged exactly once, its commit replayed
// without a second side effect. The other kill points of the ack and shipment steps follow.

describe('worker killed between the local commit and the acknowledge', () => {
  const suite = useChaosSuite();

  it('acknowledges the FR exactly once; the retried commit is a replay with no second side effect', async () => {
    // FR ids are sequential per simulator: the third FR seeded is id 3. The hook is armed for it only,
    // right after its store transaction committed; a marker file keeps the restarted process from firing it.
    const victim = 3;
    const r = await suite.start({
      seed: { count: 6, itemsPerFr: 2 },
      autoRestart: { maxRestarts: 3 },
      workerEnv: { CRASH_AT: `after-commit:${victim}` },
    });
    expect(r.frIds).toContain(victim);
    await allAcknowledged(r, r.frIds);
    await r.worker.settled();

    expect(r.worker.crashes, 'the planned crash happened').toEqual([`after-commit fr=${victim} (planned)`]);
    const c = r.counters();
    // Exactly once, in Flxpoint's own words: one ack request for the victim reached it, and it succeeded.
    // (The other FRs: one success each; an FR whose ack was in flight when the process died may show a
    // second request, when the read-back found it not yet done — expectExactAccounting checks the history.)
    expect(c.ackAttemptsByFr[victim], `ack attempts of FR ${victim}`).toBe(1);
    expect(c.ackSuccessByFr[victim], `successful acks of FR ${victim}`).toBe(1);
    // The victim's commit ran twice (before and after the crash); the second was a replay.
    const stats = await inspectStore(r.store).stats();
    expect(stats).toMatchObject({ committed: 6, commitSideEffects: 6 });
    expect((await r.store.get(r.sourceId, victim))?.decision).toEqual({ kind: 'accept' });
    await expectExactAccounting(r, { acknowledged: r.frIds, shipments: new Map() });
  });

  it('survives kills before the ack request, after the ack answer and after the shipment answer', async () => {
    const [beforeAck, afterAck, afterShip] = [2, 3, 4];
    const r = await suite.start({
      seed: { count: 6, itemsPerFr: 1 },
      autoRestart: { maxRestarts: 4 },
      workerEnv: { CRASH_AT: `before-ack:${beforeAck},after-ack:${afterAck},after-shipment:${afterShip}` },
    });
    await allAcknowledged(r, r.frIds);
    const shipments = new Map<string, number>();
    for (const id of r.frIds.slice(0, 4)) shipments.set(await r.shipAll(id), id);
    await allShipmentsRecorded(r, shipments);
    await r.worker.settled();

    expect([...r.worker.crashes].sort()).toEqual(
      [
        `before-ack fr=${beforeAck} (planned)`,
        `after-ack fr=${afterAck} (planned)`,
        `after-shipment fr=${afterShip} (planned)`,
      ].sort(),
    );
    const c = r.counters();
    // Killed before the request left: Flxpoint saw one attempt.
    expect(c.ackAttemptsByFr[beforeAck]).toBe(1);
    // Killed after Flxpoint answered: the retried attempt is not sent blind; the workflow reads the FR, finds
    // it acknowledged as asked by an attempt of its own whose answer was lost, and goes on. Flxpoint saw one
    // request and acknowledged the FR once.
    expect(c.ackAttemptsByFr[afterAck]).toBe(1);
    expect(c.ackSuccessByFr[afterAck]).toBe(1);
    // Killed after the shipment was created: read back the same way, found with our items: created, once.
    expect(c.shipmentAttemptsByFr[afterShip]).toBe(1);
    expect(c.shipmentsByFr[afterShip]).toBe(1);
    await expectExactAccounting(r, {
      acknowledged: r.frIds,
      ackAnswerMayBeLost: [afterAck],
      shipments,
      shipmentAnswerMayBeLost: true,
    });
    const st = await r.status(afterShip);
    expect(st.shipments.map((s) => s.status)).toEqual(['created']);
  });
});

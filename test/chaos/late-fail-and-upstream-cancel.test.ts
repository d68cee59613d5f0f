import { describe, expect, it } from 'vitest';
import { frWorkflowId } from '../../common/ids';
import { failSignal, type FrStatus } from '../../workflows/definitions';
import { eventually } from '../helpers/pipeline';
import { allAcknowledged, allShipmentsRecorded, expectExactAccounting, useChaosSuite } from './harness';

// Issue 10 rows 1 and 8, the ones about timing, against a real worker process and random error wording:
//  - row 1: an operator's `fail` lands while the acknowledge is in flight (Flxpoint takes 1.5 s to answer).
//    Flxpoint ends Acknowledged; the fail is refused visibly and cleared, and the FR takes its shipment;
//  - row 8: the FR is cancelled upstream after our acknowledgement; the warehouse's shipment is refused by
//    Flxpoint, the workflow reads the FR, marks the shipment rejected with the reason and ends
//    `cancelled_upstream` instead of waiting for shipments forever.

describe('a late fail and an upstream cancel leave no FR stuck', () => {
  const suite = useChaosSuite();

  it('fail during the acknowledge is refused and the FR ships; a shipment for an FR cancelled upstream ends it', async () => {
    const r = await suite.start({
      seed: { count: 6, itemsPerFr: 1, quantity: { min: 2, max: 2 } },
      simulator: { faults: { rules: { 'fr.acknowledge': { slowMs: 1_500 } } } },
    });
    const late = r.frIds.slice(0, 3);
    const cancelled = r.frIds.slice(3);
    const handle = (id: number) => suite.temporal.client.workflow.getHandle(frWorkflowId(r.sourceId, id));
    const result = (id: number) => handle(id).result() as Promise<FrStatus>;

    // Row 1: a fail for each FR as soon as its acknowledge is in flight.
    const failed = new Set<number>();
    await eventually(
      'a fail sent to each FR while acknowledging (or after)',
      async () => {
        for (const id of late) {
          if (failed.has(id)) continue;
          const st = await r.status(id).catch(() => undefined);
          if (!st || !['acknowledging', 'awaiting_shipment'].includes(st.step)) continue;
          await handle(id).signal(failSignal, { reason: 'operator changed their mind' });
          failed.add(id);
        }
        return failed.size === late.length;
      },
      120_000,
    );
    await allAcknowledged(r, r.frIds);

    // Row 8: cancelled upstream after our acknowledgement, then the warehouse ships.
    for (const id of cancelled) {
      await eventually(
        `FR ${id} awaiting shipment`,
        async () => (await r.status(id)).step === 'awaiting_shipment',
      );
      r.sim.state.cancel(id, 'customer cancelled the order');
    }
    const shipments = new Map<string, number>();
    for (const id of late) shipments.set(await r.shipAll(id), id);
    for (const id of cancelled) await r.shipAll(id);
    await allShipmentsRecorded(r, shipments);

    for (const id of late) {
      const s = await result(id);
      expect(s.outcome, `FR ${id}`).toBe('acknowledged_and_shipped');
      expect(s.refusals, `refusals of FR ${id}`).toHaveLength(1);
      expect(s.refusals[0]).toMatch(
        /^fail refused: (it arrived while the acknowledge was in flight|the FR is already acknowledged)/,
      );
    }
    for (const id of cancelled) {
      const s = await result(id);
      expect(s.outcome, `FR ${id}`).toBe('cancelled_upstream');
      expect(s.shipments).toHaveLength(1);
      expect(s.shipments[0]).toMatchObject({
        status: 'rejected',
        error: expect.stringMatching(
          /^refused by Flxpoint: the FR is (canceled|voided) in Flxpoint; the FR takes no shipments/,
        ),
      });
    }
    const c = r.counters();
    for (const id of r.frIds)
      expect(c.processingFailedByFr[id] ?? 0, `processing-failed of FR ${id}`).toBe(0);
    for (const id of cancelled) expect(c.shipmentsByFr[id] ?? 0, `shipments of cancelled FR ${id}`).toBe(0);
    await expectExactAccounting(r, {
      acknowledged: r.frIds,
      ackAnswerMayBeLost: 'all',
      shipments,
      shipmentAnswerMayBeLost: true,
    });
  });
});

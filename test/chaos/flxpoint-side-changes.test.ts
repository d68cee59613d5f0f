import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FlxpointClient } from '../../activities/flxpoint/client';
import { frWorkflowId } from '../../common/ids';
import { addShipmentUpdate, type FrStatus } from '../../workflows/definitions';
import { eventually } from '../helpers/pipeline';
import { allShipmentsRecorded, expectExactAccounting, useChaosSuite } from './harness';
import { inspectStore } from '../../store/inspection';

// Flxpoint changes under our feet while a real worker process holds the FRs in its handler (a gated
// handler: between the poll and the acknowledge): cancelled and voided upstream, acknowledged by someone
// else, a shipment posted twice (by us, and by someone else first). Flxpoint answers refusals in random
// words (the harness's default), so only a read of the FR tells what happened.

describe('Flxpoint-side changes mid-flight', () => {
  const suite = useChaosSuite();

  it('ends cancelled/voided FRs as such, and "acknowledged by someone else" as a conflict, and never ships twice', async () => {
    const gate = join(suite.bundleCache, '..', 'gate-open');
    const r = await suite.start({
      seed: { count: 6, itemsPerFr: 1, quantity: { min: 2, max: 2 } },
      workerEnv: {
        FR_HANDLER: 'module:test/fixtures/chaos/gated-handler.ts',
        CHAOS_GATE_FILE: gate,
        FR_HANDLER_TIMEOUT: '60s',
      },
    });
    const [cancelled, voided, ackedElsewhere, shippedTwice, shippedByOther, plain] = r.frIds as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    await eventually(
      'every FR held in the handler',
      async () => {
        for (const id of r.frIds) if ((await r.status(id)).step !== 'handling') return false;
        return true;
      },
      60_000,
    );
    r.sim.state.cancel(cancelled, 'customer changed their mind');
    r.sim.state.void(voided, 'duplicate order');
    r.sim.state.acknowledgeAsSomeoneElse(ackedElsewhere);
    writeFileSync(gate, 'open');

    const result = (id: number) =>
      suite.temporal.client.workflow.getHandle(frWorkflowId(r.sourceId, id)).result() as Promise<FrStatus>;
    // The ack of a cancelled/voided FR is answered 400 "invalid transition": not retried, the FR is read
    // again and ends as cancelled upstream.
    expect((await result(cancelled)).outcome).toBe('cancelled_upstream');
    expect((await result(voided)).outcome).toBe('cancelled_upstream');
    await eventually('FRs awaiting shipment', async () => {
      for (const id of [shippedTwice, shippedByOther, plain])
        if ((await r.status(id)).step !== 'awaiting_shipment') return false;
      return true;
    });
    // Someone else's ack made ours refused; the FR reads acknowledged, and no attempt of ours can have done
    // it: a conflict for the operator, not taken as ours.
    const elsewhere = await result(ackedElsewhere);
    expect(elsewhere.outcome).toBe('conflict');
    expect(elsewhere.conflicts![0]).toMatch(/acknowledged in Flxpoint, but not by this worker/);

    // The same shipment sent twice through the update: the second is a no-op answered "duplicate".
    const tn = `TN-TWICE-${shippedTwice}`;
    const items = (await r.status(shippedTwice)).items.map((i) => ({ id: i.id, quantity: i.quantity }));
    const h = suite.temporal.client.workflow.getHandle(frWorkflowId(r.sourceId, shippedTwice));
    const first = await h.executeUpdate(addShipmentUpdate, { args: [{ trackingNumber: tn, items }] });
    const second = await h.executeUpdate(addShipmentUpdate, { args: [{ trackingNumber: tn, items }] });
    expect([first.status, second.status]).toEqual(['accepted', 'duplicate']);

    // Someone else posted our tracking number (same items) to Flxpoint first: our create is refused, the read
    // shows a shipment no attempt of ours can have made: a conflict on that shipment, not recorded as ours;
    // its units are shipped in Flxpoint, so the FR completes.
    const otherTn = `TN-OTHER-${shippedByOther}`;
    const otherItems = (await r.status(shippedByOther)).items;
    const someoneElse = new FlxpointClient({ baseUrl: r.sim.url, token: r.token });
    await someoneElse.createShipment({
      fulfillmentRequestId: shippedByOther,
      sourceId: r.sourceId,
      shipment: {
        trackingNumber: otherTn,
        carrier: 'UPS',
        shipmentItems: otherItems.map((i) => ({ fulfillmentRequestItemId: i.id, quantity: i.quantity })),
      },
    });
    await r.shipAll(shippedByOther, otherTn);

    const shipments = new Map<string, number>([
      [tn, shippedTwice],
      [await r.shipAll(plain), plain],
    ]);
    await allShipmentsRecorded(r, shipments);
    expect((await result(shippedTwice)).outcome).toBe('acknowledged_and_shipped');
    const other = await result(shippedByOther);
    expect(other.outcome).toBe('acknowledged_and_shipped');
    expect(other.shipments.map((s) => s.status)).toEqual(['rejected']);
    expect(other.shipments[0]!.error).toMatch(
      /^conflict: a shipment with tracking number .* not by this worker/,
    );
    expect(r.counters().shipmentsByTrackingNumber[otherTn]).toBe(1);

    const c = r.counters();
    for (const id of [cancelled, voided]) {
      expect(c.ackAttemptsByFr[id], `ack attempts FR ${id}`).toBe(1);
      expect(c.ackSuccessByFr[id] ?? 0).toBe(0);
    }
    expect(c.acksBySomeoneElse[ackedElsewhere]).toBe(1);
    expect(c.ackAttemptsByFr[ackedElsewhere]).toBe(1);
    expect(c.ackSuccessByFr[ackedElsewhere] ?? 0).toBe(0);
    expect(c.shipmentAttemptsByFr[shippedTwice]).toBe(1);
    // Two create requests hit Flxpoint for this FR (someone else's and ours), one shipment exists.
    expect(c.shipmentAttemptsByFr[shippedByOther]).toBe(2);
    expect(c.shipmentsByFr[shippedByOther]).toBe(1);
    await expectExactAccounting(r, {
      acknowledged: [shippedTwice, shippedByOther, plain],
      noClaim: [cancelled, voided, ackedElsewhere],
      shipments,
      shipmentAnswerMayBeLost: true,
    });
    // Every FR was committed locally before Flxpoint was told anything, the cancelled ones included.
    expect(await inspectStore(r.store).stats()).toEqual({ committed: 6, commitSideEffects: 6, shipments: 2 });
  });
});

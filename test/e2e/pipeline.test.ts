import { describe, expect, it } from 'vitest';
import { HandlerRejectedError, type FrHandler } from '../../handlers/types';
import {
  addShipmentUpdate,
  cancelSignal,
  failSignal,
  pauseSignal,
  resumeSignal,
  shipmentSignal,
} from '../../workflows/definitions';
import { failureChain, rejectionOf } from '../helpers/failures';
import { drained, eventually, outcomeOf, pipelinePerTest, type Pipeline } from '../helpers/pipeline';
import { inspectStore } from '../../store/inspection';

// The pipeline end to end: real dev server, real workers, real HTTP against the simulator. Assertions
// are on the simulator's counters (what Flxpoint saw), not on what the workflows say about themselves.

describe('fulfillment-request pipeline', () => {
  const e2e = pipelinePerTest();

  const ids = (pl: Pipeline) => pl.frIds;

  it('acknowledges each of N FRs exactly once, and a second poll while children run starts none again', async () => {
    const pl = await e2e.start({ seed: { count: 30, itemsPerFr: 2 } });
    const first = await pl.poll();
    expect(first).toMatchObject({ frsSeen: 30, childrenStarted: 30, alreadyKnown: 0 });
    const second = await pl.poll(); // children still running (waiting for shipments): all already known
    expect(second.childrenStarted).toBe(0);
    const frIds = ids(pl);
    expect(frIds).toHaveLength(30);
    await drained('FRs acknowledged', () => frIds.filter((id) => pl.counters().ackSuccessByFr[id] !== 1));
    const c = pl.counters();
    for (const id of frIds) expect(c.ackAttemptsByFr[id], `ack attempts of FR ${id}`).toBe(1);
    expect((await inspectStore(pl.store).stats()).committed).toBe(30);
    expect((await inspectStore(pl.store).stats()).commitSideEffects).toBe(30);
    const third = await pl.poll(); // acknowledged FRs are no longer NEW: an idle poll costs one request
    expect(third).toMatchObject({ pagesRead: 1, frsSeen: 0, childrenStarted: 0 });
  });

  it('creates shipments from updates and signals, treats a repeat as a no-op, and completes when all is shipped', async () => {
    const pl = await e2e.start({ seed: { count: 1, itemsPerFr: 2, quantity: { min: 2, max: 2 } } });
    await pl.poll();
    const [frId] = ids(pl);
    const h = e2e.t.client.workflow.getHandle(pl.frWorkflowId(frId!));
    await eventually('awaiting shipment', async () => (await pl.status(frId!)).step === 'awaiting_shipment');
    const items = (await pl.status(frId!)).items;
    const [a, b] = items;
    const r1 = await h.executeUpdate(addShipmentUpdate, {
      args: [{ trackingNumber: '1Z-A', carrier: 'UPS', items: [{ id: a!.id, quantity: 2 }] }],
    });
    expect(r1).toEqual({ trackingNumber: '1Z-A', status: 'accepted' });
    const again = await h.executeUpdate(addShipmentUpdate, {
      args: [{ trackingNumber: '1Z-A', items: [{ id: a!.id, quantity: 2 }] }],
    });
    expect(again.status).toBe('duplicate');
    // A bad payload is rejected by the validator (the update fails with the validator's error, the
    // workflow goes on) with a clear message and changes nothing.
    const rejection = async (args: unknown) =>
      failureChain(await rejectionOf(h.executeUpdate(addShipmentUpdate, { args: [args as never] })));
    expect(await rejection({ trackingNumber: '1Z-X', items: [{ id: b!.id, quantity: 3 }] })).toMatchObject([
      { name: 'WorkflowUpdateFailedError' },
      { name: 'ApplicationFailure', message: expect.stringMatching(/only 2 remain/) },
    ]);
    expect(await rejection({ items: [] })).toMatchObject([
      { name: 'WorkflowUpdateFailedError' },
      { name: 'ApplicationFailure', message: expect.stringMatching(/trackingNumber is required/) },
    ]);
    expect((await pl.status(frId!)).shipments.map((s) => s.trackingNumber)).toEqual(['1Z-A']);
    await h.signal(shipmentSignal, {
      trackingNumber: '1Z-B',
      carrier: 'UPS',
      items: [{ id: b!.id, quantity: 2 }],
    });
    const final = await outcomeOf(e2e.t, pl.frWorkflowId(frId!));
    expect(final.outcome).toBe('acknowledged_and_shipped');
    const c = pl.counters();
    expect(c.shipmentsByFr[frId!]).toBe(2);
    expect(c.shipmentsByTrackingNumber['1Z-A']).toBe(1);
    expect(c.shipmentsByTrackingNumber['1Z-X']).toBeUndefined();
    expect(pl.sim.state.getFr(frId!)!.fr.fulfillmentRequestFulfillmentStatus.handle).toBe('shipped');
    expect(await inspectStore(pl.store).listShipments(pl.sourceId, frId!)).toHaveLength(2);
  });

  it('carries out partial (fill and kill), reject and handler failure decisions', async () => {
    const decisions = new Map<number, string>();
    const handler: FrHandler = {
      name: 'scripted',
      async decide(fr) {
        const what = decisions.get(fr.id);
        const first = fr.fulfillmentRequestItems[0]!;
        if (what === 'fill' || what === 'kill') {
          return {
            kind: 'partial',
            items: [{ id: first.id, acknowledgedQuantity: 1 }],
            killOrFillType: what,
          };
        }
        if (what === 'zero')
          return {
            kind: 'partial',
            items: [{ id: first.id, acknowledgedQuantity: 0 }],
            killOrFillType: 'fill',
          };
        if (what === 'reject') return { kind: 'reject', reason: 'out of stock', killOrFillType: 'kill' };
        if (what === 'throw') throw new HandlerRejectedError('address cannot be shipped to');
        return { kind: 'accept' };
      },
    };
    const pl = await e2e.start({ seed: { count: 5, itemsPerFr: 2, quantity: { min: 3, max: 3 } }, handler });
    const [fill, kill, reject, fail, zero] = ids(pl);
    decisions
      .set(fill!, 'fill')
      .set(kill!, 'kill')
      .set(reject!, 'reject')
      .set(fail!, 'throw')
      .set(zero!, 'zero');
    await pl.poll();
    expect((await outcomeOf(e2e.t, pl.frWorkflowId(reject!))).outcome).toBe('rejected');
    // A partial that acknowledges nothing cancels the FR: it ends as rejected, not waiting for shipments.
    expect((await outcomeOf(e2e.t, pl.frWorkflowId(zero!))).outcome).toBe('rejected');
    expect(pl.sim.state.getFr(zero!)!.fr.fulfillmentRequestStatus.handle).toBe('canceled');
    const failed = await outcomeOf(e2e.t, pl.frWorkflowId(fail!));
    expect(failed.outcome).toBe('processing_failed');
    const failedFr = pl.sim.state.getFr(fail!)!.fr;
    expect(failedFr.fulfillmentRequestStatus.handle).toBe('processing_error');
    expect(failedFr.processingErrorReason).toContain('address cannot be shipped to');
    expect(pl.sim.state.getFr(reject!)!.fr.fulfillmentRequestStatus.handle).toBe('canceled');
    for (const [id, mode] of [
      [fill!, 'fill'],
      [kill!, 'kill'],
    ] as const) {
      await eventually(`FR ${id} adjusted`, () => pl.counters().adjustsByFr[id] === 1);
      const view = pl.sim.state.getFr(id)!;
      expect(view.fr.fulfillmentRequestStatus.handle).toBe('acknowledged');
      expect(
        view.fr.fulfillmentRequestItems.map((i) => [i.acknowledgedQuantity, i.canceledQuantity]),
      ).toEqual([
        [1, 2],
        [0, 3],
      ]);
      expect(view.meta.adjustments.at(-1)!.killOrFillType).toBe(mode);
    }
    const c = pl.counters();
    expect(c.ackAttemptsByFr[fill!] ?? 0).toBe(0); // adjusted, never plain-acknowledged
    expect(c.processingFailedByFr[fail!]).toBe(1);
    expect((await pl.store.get(pl.sourceId, fail!))?.decision.kind).toBe('fail');
  });

  it('obeys pause/resume, fail and cancel signals, and refuses what Flxpoint would refuse', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const handler: FrHandler = {
      name: 'gated',
      async decide() {
        await gate;
        return { kind: 'accept' };
      },
    };
    const pl = await e2e.start({ seed: { count: 3, itemsPerFr: 1, quantity: { min: 2, max: 2 } }, handler });
    const [paused, failed, cancelled] = ids(pl);
    const handle = (id: number) => e2e.t.client.workflow.getHandle(pl.frWorkflowId(id));
    await pl.poll();
    await eventually('handlers running', async () => (await pl.status(paused!)).step === 'handling');
    await handle(paused!).signal(pauseSignal, { reason: 'checking stock by hand' });
    await handle(failed!).signal(failSignal, { reason: 'customer blacklisted' });
    await handle(failed!).signal(failSignal, { reason: '' }); // invalid: refused, changes nothing
    release();
    const f = await outcomeOf(e2e.t, pl.frWorkflowId(failed!));
    expect(f.outcome).toBe('processing_failed');
    expect(f.refusals.join('\n')).toMatch(/non-empty reason/);
    expect(pl.sim.state.getFr(failed!)!.fr.processingErrorReason).toBe('customer blacklisted');

    // Paused before commit: nothing acknowledged while paused. Not "wait a while and see": wait until the
    // workflow has demonstrably received its handler's decision and finished the workflow task that would
    // have scheduled the commit; then nothing may have been scheduled after the decision.
    const afterDecision = await eventually('paused FR holding after its decision', async () => {
      const events = (await handle(paused!).fetchHistory()).events ?? [];
      const decide = events.find(
        (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'decideFulfillmentRequest',
      );
      const decided = events.findIndex(
        (e) =>
          decide &&
          Number(e.activityTaskCompletedEventAttributes?.scheduledEventId) === Number(decide.eventId),
      );
      if (decided < 0) return undefined;
      const rest = events.slice(decided + 1);
      return rest.some((e) => e.workflowTaskCompletedEventAttributes) ? rest : undefined;
    });
    expect(
      afterDecision.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? []),
      'activities scheduled after the decision while paused',
    ).toEqual([]);
    expect(await pl.status(paused!)).toMatchObject({ paused: true, decision: null });
    expect(pl.counters().ackAttemptsByFr[paused!] ?? 0).toBe(0);
    await handle(paused!).signal(resumeSignal);
    await eventually(
      'paused FR acknowledged after resume',
      () => pl.counters().ackSuccessByFr[paused!] === 1,
    );

    // Acknowledged: fail is refused (Flxpoint only fails Processing/Processed), cancel works.
    await eventually('cancelled FR acknowledged', () => pl.counters().ackSuccessByFr[cancelled!] === 1);
    await handle(cancelled!).signal(failSignal, { reason: 'too late' });
    await eventually('fail refused', async () =>
      (await pl.status(cancelled!)).refusals.some((r) => /already acknowledged/.test(r)),
    );
    expect(pl.counters().processingFailedByFr[cancelled!] ?? 0).toBe(0);
    await handle(cancelled!).signal(cancelSignal, { reason: 'customer cancelled' });
    const c = await outcomeOf(e2e.t, pl.frWorkflowId(cancelled!));
    expect(c.outcome).toBe('cancelled_by_operator');
    expect(pl.sim.state.getFr(cancelled!)!.fr.fulfillmentRequestStatus.handle).toBe('canceled');
  });

  it('ends an FR cancelled or voided upstream as such, and one acknowledged by someone else as a conflict', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const pl = await e2e.start({
      seed: { count: 3, itemsPerFr: 1 },
      handler: { name: 'gated', decide: async () => (await gate, { kind: 'accept' }) },
    });
    const [cancelled, voided, ackedElsewhere] = ids(pl);
    await pl.poll();
    await eventually('handlers running', async () => (await pl.status(cancelled!)).step === 'handling');
    pl.sim.state.cancel(cancelled!, 'customer changed their mind');
    pl.sim.state.void(voided!, 'duplicate order');
    pl.sim.state.acknowledgeAsSomeoneElse(ackedElsewhere!);
    release();
    // The ack is answered 400: logged, not retried; the FR ends as cancelled upstream.
    expect((await outcomeOf(e2e.t, pl.frWorkflowId(cancelled!))).outcome).toBe('cancelled_upstream');
    expect((await outcomeOf(e2e.t, pl.frWorkflowId(voided!))).outcome).toBe('cancelled_upstream');
    const c = pl.counters();
    expect(c.ackAttemptsByFr[cancelled!]).toBe(1);
    expect(c.ackAttemptsByFr[voided!]).toBe(1);
    // Our ack is refused; reading the FR shows it acknowledged although no attempt of ours can have done it:
    // not taken as ours (docs/flxpoint-api.md, "Read-back rules").
    const elsewhere = await outcomeOf(e2e.t, pl.frWorkflowId(ackedElsewhere!));
    expect(elsewhere.outcome).toBe('conflict');
    expect(elsewhere.conflicts![0]).toMatch(/acknowledged in Flxpoint, but not by this worker/);
    expect(c.ackSuccessByFr[ackedElsewhere!] ?? 0).toBe(0);
  });
});

import { join } from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { frWorkflowId } from '../../common/ids';
import { addShipmentUpdate, failSignal, shipmentSignal } from '../../workflows/definitions';
import { failureChain, rejectionOf } from '../helpers/failures';
import { eventually } from '../helpers/pipeline';
import { runToExit } from '../helpers/worker-process';
import { allAcknowledged, allShipmentsRecorded, expectExactAccounting, useChaosSuite } from './harness';

// Bad input from every side: a malformed FR in Flxpoint's list, invalid operator signals and shipment
// updates, a worker started with a broken configuration. Each gives a clear error, loses nothing, and
// leaves the rest of the backlog alone. (HTTP validation of the shipment intake is tested elsewhere.)

describe('bad input', () => {
  const suite = useChaosSuite();

  it('reports a malformed FR in the poll summary, starts the others, and processes it once fixed', async () => {
    const r = await suite.start({
      seed: { count: 5, itemsPerFr: 2 },
      schedule: false,
    });
    r.sim.state.setFaults({ seed: 3, rules: { 'fr.list': { schemaBreak: 1 } } });
    const first = await r.poll();
    expect(first.malformed).toHaveLength(1);
    const bad = first.malformed[0]!;
    expect(bad.id).toBeDefined();
    expect(bad.problem).toMatch(/quantity/);
    expect(first.childrenStarted).toBe(4);
    await expect(
      suite.temporal.client.workflow.getHandle(frWorkflowId(r.sourceId, bad.id!)).describe(),
    ).rejects.toBeInstanceOf(WorkflowNotFoundError);
    const good = r.frIds.filter((id) => id !== bad.id);
    await allAcknowledged(r, good);
    // Still NEW in Flxpoint: it waits for a poll that can read it.
    expect(r.sim.state.getFr(bad.id!)!.fr.fulfillmentRequestStatus.handle).toBe('processing');

    r.sim.state.clearFaults();
    const second = await r.poll();
    expect(second).toMatchObject({ malformed: [], childrenStarted: 1, frsSeen: 1 });
    await allAcknowledged(r, r.frIds);
    await expectExactAccounting(r, { acknowledged: r.frIds, shipments: new Map() });
  });

  it('refuses invalid signals and shipment updates with clear messages and changes nothing', async () => {
    const r = await suite.start({
      seed: { count: 3, itemsPerFr: 2, quantity: { min: 2, max: 2 } },
    });
    await allAcknowledged(r, r.frIds);
    const [target, other] = r.frIds as [number, number];
    await eventually('awaiting shipment', async () => (await r.status(target)).step === 'awaiting_shipment');
    const h = suite.temporal.client.workflow.getHandle(frWorkflowId(r.sourceId, target));
    const items = (await r.status(target)).items;
    // Each refusal is the update's failure (WorkflowUpdateFailedError → ApplicationFailure from the
    // validator), not a workflow failure nor a timeout.
    const refused = async (payload: unknown, message: RegExp) =>
      expect(
        failureChain(await rejectionOf(h.executeUpdate(addShipmentUpdate, { args: [payload as never] }))),
      ).toMatchObject([
        { name: 'WorkflowUpdateFailedError' },
        { name: 'ApplicationFailure', message: expect.stringMatching(message) },
      ]);

    await refused({ items: [{ id: items[0]!.id, quantity: 1 }] }, /trackingNumber is required/);
    await refused({ trackingNumber: 'TN-BIG', items: [{ id: items[0]!.id, quantity: 99 }] }, /only 2 remain/);
    await refused({ trackingNumber: 'TN-NOITEM', items: [{ id: 987654321, quantity: 1 }] }, /987654321/);
    await refused('not an object', /shipment rejected/);
    // The same problems by signal (no answer possible): refused and recorded, nothing queued.
    await h.signal(shipmentSignal, { trackingNumber: 'TN-SIG', items: [] } as never);
    // fail with no reason: refused. (With a reason it would be refused too: the FR is acknowledged.)
    await h.signal(failSignal, { reason: '   ' });
    await h.signal(failSignal, {} as never);
    await eventually('refusals recorded', async () => (await r.status(target)).refusals.length >= 3);
    const st = await r.status(target);
    expect(st.refusals.join('\n')).toMatch(/shipment signal refused/);
    expect(st.refusals.join('\n')).toMatch(/non-empty reason/);
    expect(st.shipments).toEqual([]);
    expect(st.step).toBe('awaiting_shipment');

    // Nothing reached Flxpoint, and the FR (and its neighbours) still take good shipments.
    expect(r.counters().shipmentAttemptsByFr[target] ?? 0).toBe(0);
    const shipments = new Map<string, number>([
      [await r.shipAll(target), target],
      [await r.shipAll(other), other],
    ]);
    await allShipmentsRecorded(r, shipments);
    expect(r.counters().processingFailedByFr[target] ?? 0).toBe(0);
    await expectExactAccounting(r, { acknowledged: r.frIds, shipments });
  });

  it('a worker with a broken configuration exits 2 listing every problem; the running one goes on', async () => {
    const r = await suite.start({ seed: { count: 4, itemsPerFr: 1 } });
    const res = await runToExit(join(__dirname, '../../worker/main.ts'), {
      FLXPOINT_BASE_URL: 'not a url',
      FLXPOINT_SOURCES: 'Main_Source:abc,east:1002',
      FLXPOINT_TOKEN_EAST: 'secret-token-value',
      FR_HANDLER_TIMEOUT: 'soon',
      FLXPOINT_POLL_INTERVAL: 'often',
      STORE_URL: 'mysql://nope',
      TEMPORAL_ADDRESS: r.config.temporal.address,
    });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/invalid configuration/);
    // Each problem names its variable and says what is wrong (wording around it may change).
    for (const problem of [
      /FLXPOINT_BASE_URL\b.*absolute URL/,
      /source key/,
      /FR_HANDLER_TIMEOUT\b.*"soon" is not a duration/,
      /pollInterval\b.*"often" is not a duration/,
      /STORE_URL\b.*must be/,
    ]) {
      expect(res.stderr).toMatch(problem);
    }
    expect(res.stderr).not.toContain('secret-token-value');
    // The misconfigured process never connected anywhere; the good worker drained the backlog.
    await allAcknowledged(r, r.frIds);
    await expectExactAccounting(r, { acknowledged: r.frIds, shipments: new Map() });
  });
});

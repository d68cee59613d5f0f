import { Agent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FlxpointError, toApplicationFailure } from '../../activities/flxpoint/errors';
import { type CallContext, type FlxpointMode } from '../../activities/shadow-client';
import { frWorkflowId, shadowFrWorkflowId } from '../../common/ids';
import { type RunningSimulator, startSimulator } from '../../simulator/server';
import { createStore } from '../../store';
import { shadowStoreOf, type ShadowStore } from '../../store/shadow-store';
import type { FrStore } from '../../store/types';
import { modeAwareClient, shadowDepsFor } from '../../worker/shadow';

// The shadow recorder: the client every worker uses, against the simulator over real HTTP and a real
// (embedded) store. A shadow workflow's writes are recorded exactly as they would have gone on the wire and
// never sent; reads still go out; a live workflow's write is sent by a live worker and refused (retryably)
// by a shadow one. The simulator's counters say what Flxpoint saw.

const TOKEN = 'shadow-test-token-9c1e77';
const SOURCE = 1001;
const WRITES = ['fr.acknowledge', 'fr.adjust', 'fr.processingFailed', 'shipment.create'];

let sim: RunningSimulator;
let dispatcher: Agent;
let store: FrStore;
let shadow: ShadowStore;

beforeAll(async () => {
  sim = await startSimulator({ tokens: { [TOKEN]: SOURCE }, rateLimit: { enabled: false } });
  dispatcher = new Agent({ keepAliveTimeout: 1000 });
  store = await createStore({ kind: 'embedded' });
  shadow = shadowStoreOf(store);
}, 60_000); // PGlite's start takes seconds on a busy machine
afterAll(async () => {
  await dispatcher.close();
  await sim.close();
  await store.close();
});
// The simulator restarts its FR ids at each reset, so every test records under a run id of its own.
let runId = '';
beforeEach(() => {
  sim.state.reset();
  runId = `run-${Math.random().toString(36).slice(2)}`;
});
/** The writes this test recorded for a workflow id. */
const recordedFor = async (workflowId: string) =>
  (await shadow.listWrites(workflowId)).filter((w) => w.runId === runId);

let activitySeq = 0;
/** A client as the worker builds it, called from "an activity" of the given workflow. */
function clientFor(mode: FlxpointMode, ctx: Partial<CallContext> & { workflowId: string }) {
  const counted: string[] = [];
  const deps = shadowDepsFor(store, { shadowWrite: (endpoint) => counted.push(endpoint) });
  const full: CallContext = { runId, activityId: String(++activitySeq), attempt: 1, ...ctx };
  const client = modeAwareClient(
    deps,
    mode,
    { key: 'main', sourceId: SOURCE },
    { baseUrl: sim.url, token: TOKEN, dispatcher, acknowledgeMethod: 'PATCH' },
    () => full,
  );
  return { client, counted };
}

const writesSeen = () => WRITES.map((e) => sim.state.snapshotCounters().requestsByEndpoint[e] ?? 0);

describe('a shadow workflow (id shadow:fr:…)', () => {
  it('records acknowledge, adjust, processing-failed and a shipment exactly as they would be sent, and sends none', async () => {
    const [id] = sim.state.seed({ sourceId: SOURCE, count: 1, itemsPerFr: 2, quantity: { min: 3, max: 3 } });
    const workflowId = shadowFrWorkflowId(SOURCE, id!);
    const fr = sim.state.getFr(id!)!.fr;
    const [a, b] = fr.fulfillmentRequestItems;

    for (const mode of ['live', 'shadow'] as const) {
      const { client, counted } = clientFor(mode, { workflowId });
      await client.acknowledge(id!);
      const adjusted = await client.adjust(id!, {
        killOrFillType: 'fill',
        items: [
          { id: a!.id, acknowledgedQuantity: 2, cancelledQuantity: 1 },
          { id: b!.id, acknowledgedQuantity: 0, cancelledQuantity: 3 },
        ],
      });
      // What Flxpoint would have answered: the quantities applied, the FR acknowledged.
      expect(
        adjusted.fulfillmentRequestItems.map((i) => [i.acknowledgedQuantity, i.canceledQuantity]),
      ).toEqual([
        [2, 1],
        [0, 3],
      ]);
      expect(adjusted.fulfillmentRequestStatus?.handle).toBe('acknowledged');
      await client.markProcessingFailed(id!, 'out of stock');
      const created = await client.createShipment({
        fulfillmentRequestId: id!,
        sourceId: SOURCE,
        shipment: {
          trackingNumber: `1Z-${mode}`,
          carrier: 'UPS',
          shipmentItems: [{ fulfillmentRequestItemId: a!.id, quantity: 2 }],
        },
      });
      expect(created).toMatchObject({ id: 0, trackingNumber: `1Z-${mode}` });
      expect(counted).toEqual(['acknowledge', 'adjust', 'processing-failed', 'create-shipment']);
    }

    // Flxpoint saw the two reads the adjusts made, and no write at all; the FR is untouched.
    expect(writesSeen()).toEqual([0, 0, 0, 0]);
    expect(sim.state.snapshotCounters().requestsByEndpoint['fr.get']).toBe(2);
    expect(sim.state.getFr(id!)!.fr.fulfillmentRequestStatus.handle).toBe('processing');

    const recorded = await recordedFor(workflowId);
    expect(recorded).toHaveLength(8);
    expect(recorded.slice(0, 4)).toMatchObject([
      {
        endpoint: 'acknowledge',
        method: 'PATCH',
        path: `/fulfillment-requests/${id}/acknowledge`,
        body: null,
      },
      {
        endpoint: 'adjust',
        method: 'POST',
        path: `/fulfillment-requests/${id}/adjust`,
        body: {
          killOrFillType: 'fill',
          items: [{ id: a!.id, acknowledgedQuantity: 2, cancelledQuantity: 1 }, {}],
        },
      },
      {
        endpoint: 'processing-failed',
        method: 'PATCH',
        path: `/fulfillment-requests/${id}/processing-failed`,
        query: { error: 'out of stock' },
      },
      {
        endpoint: 'create-shipment',
        method: 'POST',
        path: '/shipments',
        // The wire body, after the client's mapping (both item id names).
        body: {
          fulfillmentRequestId: id,
          shipment: {
            shipmentItems: [{ fulfillmentRequestItemId: a!.id, purchaseOrderItemId: a!.id, quantity: 2 }],
          },
        },
      },
    ]);
    expect(recorded.every((w) => w.sourceId === SOURCE && w.frId === id && w.recordedAt)).toBe(true);
    expect(JSON.stringify(recorded)).not.toContain(TOKEN);
  });

  it('records a retried attempt once, and a new activity anew', async () => {
    const [id] = sim.state.seed({ sourceId: SOURCE, count: 1 });
    const workflowId = shadowFrWorkflowId(SOURCE, id!);
    const first = clientFor('shadow', { workflowId, activityId: 'ack-1', attempt: 1 });
    await first.client.acknowledge(id!);
    const retry = clientFor('shadow', { workflowId, activityId: 'ack-1', attempt: 2 });
    await retry.client.acknowledge(id!);
    expect(retry.counted).toEqual([]); // already recorded: the metric counts it once
    expect(await recordedFor(workflowId)).toHaveLength(1);
    await clientFor('shadow', { workflowId, activityId: 'ack-2' }).client.acknowledge(id!);
    expect(await recordedFor(workflowId)).toHaveLength(2);
    expect(writesSeen()).toEqual([0, 0, 0, 0]);
  });

  it('records nothing when the read an adjust needs fails', async () => {
    const workflowId = shadowFrWorkflowId(SOURCE, 999_999);
    const { client } = clientFor('shadow', { workflowId });
    await expect(client.adjust(999_999, { items: null })).rejects.toMatchObject({ kind: 'not_found' });
    expect(await recordedFor(workflowId)).toEqual([]);
  });
});

describe('a live workflow (id fr:…)', () => {
  it('is sent by a live worker', async () => {
    const [id] = sim.state.seed({ sourceId: SOURCE, count: 1 });
    const { client, counted } = clientFor('live', { workflowId: frWorkflowId(SOURCE, id!) });
    await client.acknowledge(id!);
    expect(sim.state.snapshotCounters().ackSuccessByFr[id!]).toBe(1);
    expect(counted).toEqual([]);
  });

  it('is refused, retryably and without sending, by a shadow worker: it waits for a live one', async () => {
    const [id] = sim.state.seed({ sourceId: SOURCE, count: 1 });
    const workflowId = frWorkflowId(SOURCE, id!);
    const { client } = clientFor('shadow', { workflowId });
    const err = await client.acknowledge(id!).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FlxpointError);
    expect((err as FlxpointError).message).toMatch(/FLXPOINT_MODE=shadow.*live worker/);
    expect(toApplicationFailure(err).nonRetryable).toBe(false);
    expect(writesSeen()).toEqual([0, 0, 0, 0]);
    expect(await recordedFor(workflowId)).toEqual([]);
    // Reads are not writes: a shadow worker reads for anyone.
    await expect(client.getFulfillmentRequest(id!)).resolves.toMatchObject({ id });
  });
});

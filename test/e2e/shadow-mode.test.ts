import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { frWorkflowId, shadowFrWorkflowId } from '../../common/ids';
import { inspectStore } from '../../store/inspection';
import { shadowStoreOf } from '../../store/shadow-store';
import { addShipmentUpdate, statusQuery, type FrStatus } from '../../workflows/definitions';
import { join } from 'node:path';
import { startSimulator } from '../../simulator/server';
import { connectTemporal, uniqueTaskQueue, type TestTemporal } from '../helpers/temporal';
import { freePort } from '../helpers/ports';
import { killAllWorkerProcesses, spawnWorkerProcess } from '../helpers/worker-process';
import { eventually, outcomeOf, startPipeline, type Pipeline } from '../helpers/pipeline';
import type { FrHandler } from '../../handlers/types';

// Shadow mode end to end (FLXPOINT_MODE=shadow, docs/operations.md "Shadow mode"): real dev server, real
// workers, real HTTP against the simulator. A shadow worker processes FRs and Flxpoint sees reads only; the
// same FRs are then processed for real, exactly once, by a live worker. Assertions on Flxpoint's side use the
// simulator's counters, not what the workflows say about themselves.

const WRITE_ENDPOINTS = ['fr.acknowledge', 'fr.adjust', 'fr.processingFailed', 'shipment.create'];

describe('shadow mode', () => {
  let t: TestTemporal;
  let p: Pipeline | undefined;
  beforeAll(async () => {
    t = await connectTemporal();
  });
  afterEach(async () => {
    await p?.close();
    p = undefined;
  });
  afterAll(async () => {
    await killAllWorkerProcesses();
    await t?.close();
  });

  it('records every write without sending it, then a live worker processes the same FRs exactly once', async () => {
    const N = 4;
    // FRs 1 and 2 accepted (acknowledge), 3 rejected (adjust), 4 failed (processing-failed).
    const plan = new Map<number, 'reject' | 'fail'>();
    const keys: string[] = [];
    const handler: FrHandler = {
      name: 'test-plan',
      async decide(fr, ctx) {
        keys.push(ctx.workflowId);
        const what = plan.get(fr.id);
        if (what === 'reject') return { kind: 'reject', reason: 'no stock', killOrFillType: 'fill' };
        if (what === 'fail') return { kind: 'fail', reason: 'unknown SKU' };
        return { kind: 'accept' };
      },
    };
    p = await startPipeline(t, {
      seed: { count: N, itemsPerFr: 2, quantity: { min: 2, max: 3 } },
      env: { FLXPOINT_MODE: 'shadow' },
      handler,
    });
    const pl = p;
    const [first, second, rejected, failed] = pl.frIds as [number, number, number, number];
    plan.set(rejected, 'reject').set(failed, 'fail');
    const shadowStatus = (id: number) =>
      pl.client.workflow.getHandle(shadowFrWorkflowId(pl.sourceId, id)).query(statusQuery);
    const waiting = (s: FrStatus) => s.step === 'awaiting_shipment';

    // ---- shadow: poll, decide, commit locally, "acknowledge" ----
    expect(await pl.poll()).toMatchObject({ frsSeen: N, childrenStarted: N });
    for (const id of [first, second]) {
      const s = await eventually(`shadow FR ${id} awaiting shipment`, async () => {
        const st = await shadowStatus(id);
        return waiting(st) && st.shadowWrites?.length ? st : undefined;
      });
      expect(s.shadowWrites).toEqual([
        expect.objectContaining({
          endpoint: 'acknowledge',
          method: pl.config.flxpoint.acknowledgeMethod, // the configured method, as it would be sent
          path: `/fulfillment-requests/${id}/acknowledge`,
          body: null,
        }),
      ]);
      expect(s.items.every((i) => i.acknowledged === i.quantity)).toBe(true);
    }
    // A reject is an adjust cancelling every unit, a fail is processing-failed: both end the shadow FR.
    const rejectedEnd = await outcomeOf(t, shadowFrWorkflowId(pl.sourceId, rejected));
    expect(rejectedEnd.outcome).toBe('rejected');
    expect(rejectedEnd.shadowWrites).toMatchObject([
      {
        endpoint: 'adjust',
        method: 'POST',
        path: `/fulfillment-requests/${rejected}/adjust`,
        body: { killOrFillType: 'fill', items: [{ acknowledgedQuantity: 0 }, { acknowledgedQuantity: 0 }] },
      },
    ]);
    expect(rejectedEnd.items.every((i) => i.cancelled === i.quantity)).toBe(true);
    const failedEnd = await outcomeOf(t, shadowFrWorkflowId(pl.sourceId, failed));
    expect(failedEnd.outcome).toBe('processing_failed');
    expect(failedEnd.shadowWrites).toMatchObject([
      {
        endpoint: 'processing-failed',
        method: 'PATCH',
        path: `/fulfillment-requests/${failed}/processing-failed`,
        query: { error: 'unknown SKU' },
      },
    ]);
    // A shipment the shadow FR takes is recorded with its full wire body, not sent.
    const fr = pl.sim.state.getFr(first)!.fr;
    const item = fr.fulfillmentRequestItems[0]!;
    await pl.client.workflow
      .getHandle(shadowFrWorkflowId(pl.sourceId, first))
      .executeUpdate(addShipmentUpdate, {
        args: [{ trackingNumber: '1Z-SHADOW', carrier: 'UPS', items: [{ id: item.id, quantity: 1 }] }],
      });
    const shipped = await eventually('shadow shipment recorded', async () => {
      const st = await shadowStatus(first);
      return st.shadowWrites?.some((w) => w.endpoint === 'create-shipment') ? st : undefined;
    });
    expect(shipped.shadowWrites!.at(-1)).toMatchObject({
      method: 'POST',
      path: '/shipments',
      body: {
        fulfillmentRequestId: first,
        sourceId: pl.sourceId,
        shipment: {
          trackingNumber: '1Z-SHADOW',
          carrier: 'UPS',
          shipmentItems: [{ fulfillmentRequestItemId: item.id, purchaseOrderItemId: item.id, quantity: 1 }],
        },
      },
    });
    expect(JSON.stringify(shipped.shadowWrites)).not.toContain(pl.token);
    // The Web UI: the summary says SHADOW, the details list the writes that were not sent.
    const firstHandle = pl.client.workflow.getHandle(shadowFrWorkflowId(pl.sourceId, first));
    expect(await (await firstHandle.describe()).staticSummary()).toMatch(/^SHADOW · FR /);
    const metadata = await firstHandle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    expect(metadata.currentDetails).toContain('**SHADOW MODE**: nothing is sent to Flxpoint · 2 write(s)');
    expect(metadata.currentDetails).toContain(`/fulfillment-requests/${first}/acknowledge, POST /shipments`);

    // Flxpoint saw reads only; every FR is still new there.
    const afterShadow = pl.counters();
    for (const e of WRITE_ENDPOINTS) expect(afterShadow.requestsByEndpoint[e] ?? 0, e).toBe(0);
    for (const id of pl.frIds) {
      expect(pl.sim.state.getFr(id)!.fr.fulfillmentRequestStatus.handle, `FR ${id}`).toBe('processing');
    }
    // The store has shadow rows, the live tables nothing.
    const shadowStats = await shadowStoreOf(pl.store).stats();
    expect(shadowStats).toMatchObject({ frs: N, shipments: 1, writes: N + 1 });
    expect(keys.every((k) => k.startsWith('shadow:fr:'))).toBe(true);
    keys.length = 0;
    expect(await inspectStore(pl.store).stats()).toMatchObject({ committed: 0, shipments: 0 });
    expect((await shadowStoreOf(pl.store).get(pl.sourceId, first))?.workflowId).toBe(
      shadowFrWorkflowId(pl.sourceId, first),
    );

    // ---- switch to live: same store, same task queues, same (still running) shadow workflows ----
    await pl.stopWorkers();
    pl.config.flxpoint.mode = 'live';
    await pl.startWorkers();
    expect(await pl.poll()).toMatchObject({ frsSeen: N, childrenStarted: N, alreadyKnown: 0 });
    for (const id of [first, second]) {
      await eventually(`live FR ${id} acknowledged`, () => pl.counters().ackSuccessByFr[id] === 1);
      await eventually(`live FR ${id} awaiting shipment`, async () => waiting(await pl.status(id)));
    }
    expect((await outcomeOf(t, frWorkflowId(pl.sourceId, rejected))).outcome).toBe('rejected');
    expect((await outcomeOf(t, frWorkflowId(pl.sourceId, failed))).outcome).toBe('processing_failed');
    expect([...new Set(keys)].sort()).toEqual(pl.frIds.map((id) => frWorkflowId(pl.sourceId, id)).sort());
    // A still-running shadow workflow's write, now run by the live worker, is recorded and not sent.
    const other = pl.sim.state.getFr(second)!.fr.fulfillmentRequestItems[0]!;
    await pl.client.workflow
      .getHandle(shadowFrWorkflowId(pl.sourceId, second))
      .executeUpdate(addShipmentUpdate, {
        args: [{ trackingNumber: '1Z-SHADOW-2', items: [{ id: other.id, quantity: 1 }] }],
      });
    await eventually('late shadow shipment recorded', async () =>
      (await shadowStatus(second)).shadowWrites?.some((w) => w.endpoint === 'create-shipment'),
    );

    const c = pl.counters();
    for (const id of [first, second]) {
      expect(c.ackAttemptsByFr[id], `ack attempts of FR ${id}`).toBe(1);
      expect(c.ackSuccessByFr[id], `acks of FR ${id}`).toBe(1);
      expect(pl.sim.state.getFr(id)!.fr.fulfillmentRequestStatus.handle).toBe('acknowledged');
      expect((await pl.status(id)).shadowWrites, 'a live FR records nothing').toBeUndefined();
    }
    expect(c.adjustsByFr[rejected]).toBe(1);
    expect(pl.sim.state.getFr(rejected)!.fr.fulfillmentRequestStatus.handle).toBe('canceled');
    expect(c.processingFailedByFr[failed]).toBe(1);
    expect(pl.sim.state.getFr(failed)!.fr.fulfillmentRequestStatus.handle).toBe('processing_error');
    expect(c.shipmentAttemptsByFr[second] ?? 0).toBe(0);
    expect(c.requestsByEndpoint['shipment.create'] ?? 0).toBe(0);
    // Live commits inserted although shadow rows exist for the same FRs.
    expect(await inspectStore(pl.store).stats()).toMatchObject({ committed: N, commitSideEffects: N });
    expect((await pl.store.get(pl.sourceId, first))?.workflowId).toBe(frWorkflowId(pl.sourceId, first));
    expect((await shadowStoreOf(pl.store).stats()).writes).toBe(N + 2);
    // A later poll finds nothing new: acknowledged FRs are no longer waiting.
    expect(await pl.poll()).toMatchObject({ childrenStarted: 0 });
  });

  it('the worker process (worker/main.ts) in shadow mode: says so, exports flxpoint_shadow_writes, writes nothing', async () => {
    const sourceId = 434343;
    const token = 'token-shadow-proc';
    const sim = await startSimulator({
      port: 0,
      tokens: { [token]: sourceId },
      rateLimit: { enabled: false },
    });
    const frIds = sim.state.seed({ count: 2, sourceId });
    const metricsPort = await freePort();
    const worker = spawnWorkerProcess({
      entry: join(__dirname, '../../worker/main.ts'),
      ready: /"msg":"worker started"/,
      env: {
        TEMPORAL_ADDRESS: t.address,
        TEMPORAL_TASK_QUEUE: uniqueTaskQueue('shadow-proc'),
        FLXPOINT_BASE_URL: sim.url,
        FLXPOINT_SOURCES: 'shadowproc:434343',
        FLXPOINT_TOKEN_SHADOWPROC: token,
        FLXPOINT_POLL_INTERVAL: '2s',
        FLXPOINT_MODE: 'shadow',
        STORE_URL: 'embedded',
        WORKER_HEALTH_PORT: '0',
        WORKER_METRICS_PORT: String(metricsPort),
        ENSURE_SCHEDULES_ON_START: 'true',
        LOG_FORMAT: 'json',
      },
    });
    try {
      await worker.start();
      const metrics = await eventually('flxpoint_shadow_writes exported for both FRs', async () => {
        const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
        const m = /flxpoint_shadow_writes[^{\s]*\{[^}]*endpoint="acknowledge"[^}]*\} (\d+)/.exec(text);
        return m && Number(m[1]) >= 2 ? text : undefined;
      });
      expect(metrics).toMatch(/flxpoint_shadow_writes[^{\s]*\{[^}]*source="shadowproc"/);
      // Both FRs' first reads came from the list (no GET), and the exporter says so.
      const hits = /flxpoint_listed_fr_cache[^{\s]*\{[^}]*result="hit"[^}]*\} (\d+)/.exec(metrics);
      expect(Number(hits?.[1])).toBeGreaterThanOrEqual(2);
      expect(worker.stdout()).toContain('FLXPOINT_MODE=shadow: FRs are polled');
      expect(worker.stdout()).toMatch(/"mode":"shadow"/);
      const c = sim.state.snapshotCounters();
      for (const e of WRITE_ENDPOINTS) expect(c.requestsByEndpoint[e] ?? 0, e).toBe(0);
      for (const id of frIds) {
        // The workflow reads its writes back after the activity that recorded them (and the metric) ends.
        const handle = t.client.workflow.getHandle(shadowFrWorkflowId(sourceId, id));
        await eventually(`FR ${id}'s status lists its acknowledge`, async () => {
          const st = await handle.query(statusQuery);
          return st.shadowWrites?.map((w) => w.endpoint).join() === 'acknowledge';
        });
      }
      expect(`${worker.stdout()}${worker.stderrTail()}`).not.toContain(token);
    } finally {
      await worker.stop();
      await t.client.schedule
        .getHandle('flxpoint-poll:shadowproc')
        .delete()
        .catch(() => {});
      await sim.close();
    }
  }, 180_000);
});

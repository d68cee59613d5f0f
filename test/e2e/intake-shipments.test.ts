import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollSettings } from '../../common/poll-schedule';
import { startIntakeServer, type RunningIntakeServer } from '../../intake/server';
import { connectTemporal, type TestTemporal } from '../helpers/temporal';
import { eventually, outcomeOf, startPipeline, type Pipeline } from '../helpers/pipeline';

// The shipment intake over real HTTP, delivering to FR workflows of a real pipeline (dev server,
// workers, simulator). What Flxpoint received is read from the simulator's counters.

const TOKEN = 'intake-test-token-0123456789';
/** A token limited to another source (INTAKE_AUTH_TOKENS entry `token:sourceId`). */
const SCOPED = 'other-warehouse-token-0123456789';
const OTHER_SOURCE = 424_242;

describe('shipment intake', () => {
  let t: TestTemporal;
  let p: Pipeline;
  let intake: RunningIntakeServer;
  let frA: number; // two items of 2 units: the main subject
  let frB: number; // one item of 2 units: shipped in full, then closed
  let frC: number; // cancelled in Flxpoint after its acknowledge: its shipment is refused

  const post = (body: unknown, token: string | null = TOKEN, raw?: string) =>
    fetch(`${intake.url}/shipments`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token !== null ? { authorization: `Bearer ${token}` } : {}),
      },
      body: raw ?? JSON.stringify(body),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));

  beforeAll(async () => {
    t = await connectTemporal();
    p = await startPipeline(t, { seed: { count: 3, itemsPerFr: 2, quantity: { min: 2, max: 2 } } });
    [frA, frB, frC] = p.frIds as [number, number, number];
    await p.poll();
    for (const id of p.frIds) {
      await eventually(
        `FR ${id} awaiting shipment`,
        async () => (await p.status(id)).step === 'awaiting_shipment',
      );
    }
    intake = await startIntakeServer({
      client: t.client,
      port: 0,
      host: '127.0.0.1',
      authTokens: ['another-caller-token-000000', TOKEN, { token: SCOPED, sourceIds: [OTHER_SOURCE] }],
    });
  });
  afterAll(async () => {
    await intake?.close();
    await p?.close();
    await t?.close();
  });

  const itemsOf = async (frId: number) => (await p.status(frId)).items;

  it('answers /healthz', async () => {
    const r = await fetch(`${intake.url}/healthz`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: 'ok' });
  });

  it('accepts a shipment once (Flxpoint gets it exactly once) and answers a repeat as duplicate', async () => {
    const [a] = await itemsOf(frA);
    const shipment = {
      sourceId: p.sourceId,
      fulfillmentRequestId: frA,
      trackingNumber: '1Z-INTAKE-1',
      carrier: 'UPS',
      method: 'Ground',
      shippedAt: '2026-05-01T10:00:00Z',
      items: [{ id: a!.id, quantity: 1 }],
    };
    const first = await post(shipment);
    expect(first).toEqual({
      status: 202,
      body: { status: 'accepted', workflowId: p.frWorkflowId(frA), trackingNumber: '1Z-INTAKE-1' },
    });
    await eventually(
      'shipment created in Flxpoint',
      () => p.counters().shipmentsByTrackingNumber['1Z-INTAKE-1'] === 1,
    );
    const again = await post(shipment);
    expect(again).toMatchObject({
      status: 202,
      body: { status: 'duplicate', trackingNumber: '1Z-INTAKE-1' },
    });
    await new Promise((r) => setTimeout(r, 1000));
    expect(p.counters().shipmentsByTrackingNumber['1Z-INTAKE-1']).toBe(1);
    expect(p.counters().shipmentsByFr[frA]).toBe(1);
  });

  it('answers 400 naming the field for a bad payload, and changes nothing', async () => {
    const before = (await p.status(frA)).shipments.length;
    const r = await post({
      sourceId: p.sourceId,
      fulfillmentRequestId: frA,
      trackingNumber: '1Z-BAD',
      items: [{ id: 1, quantity: -1 }],
    });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/items\.0\.quantity/);
    expect(r.body.issues).toEqual([expect.objectContaining({ path: 'items.0.quantity' })]);
    const missing = await post({
      sourceId: p.sourceId,
      fulfillmentRequestId: frA,
      items: [{ id: 1, quantity: 1 }],
    });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatch(/trackingNumber/);
    expect((await post(undefined, TOKEN, '{not json')).status).toBe(400);
    expect((await p.status(frA)).shipments).toHaveLength(before);
    expect(p.counters().shipmentsByTrackingNumber['1Z-BAD']).toBeUndefined();
  });

  it("answers 400 with the workflow validator's message for more units than remain", async () => {
    const [, b] = await itemsOf(frA);
    const r = await post({
      sourceId: p.sourceId,
      fulfillmentRequestId: frA,
      trackingNumber: '1Z-TOO-MANY',
      items: [{ id: b!.id, quantity: 3 }],
    });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/only 2 remain/);
    expect((await p.status(frA)).shipments.map((s) => s.trackingNumber)).toEqual(['1Z-INTAKE-1']);
  });

  it('answers 404 for an unknown FR, 401 without or with a wrong token, 413 for a huge body', async () => {
    const unknown = await post({
      sourceId: p.sourceId,
      fulfillmentRequestId: 987_654_321,
      trackingNumber: '1Z-NOWHERE',
      items: [{ id: 1, quantity: 1 }],
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatch(/no workflow for FR 987654321/);
    const valid = {
      sourceId: p.sourceId,
      fulfillmentRequestId: frA,
      trackingNumber: '1Z-AUTH',
      items: [{ id: 1, quantity: 1 }],
    };
    expect((await post(valid, null)).status).toBe(401);
    expect((await post(valid, 'wrong-token-wrong-token')).status).toBe(401);
    const huge = await post(undefined, TOKEN, JSON.stringify({ pad: 'x'.repeat(100_000) }));
    expect(huge.status).toBe(413);
    expect(p.counters().shipmentsByTrackingNumber['1Z-AUTH']).toBeUndefined();
  });

  it('answers 415 for a body not sent as JSON, and changes nothing', async () => {
    const valid = JSON.stringify({
      sourceId: p.sourceId,
      fulfillmentRequestId: frA,
      trackingNumber: '1Z-TEXT',
      items: [{ id: 1, quantity: 1 }],
    });
    // No Content-Type at all (a Blob without a type sends none), and two that are not JSON.
    const cases: Array<[Record<string, string>, string | Blob]> = [
      [{}, new Blob([valid])],
      [{ 'content-type': 'text/plain' }, valid],
      [{ 'content-type': 'application/x-www-form-urlencoded' }, valid],
    ];
    for (const [headers, body] of cases) {
      const r = await fetch(`${intake.url}/shipments`, {
        method: 'POST',
        headers: { ...headers, authorization: `Bearer ${TOKEN}` },
        body,
      });
      expect(r.status).toBe(415);
      expect(((await r.json()) as { error: string }).error).toMatch(/Content-Type: application\/json/);
    }
    const charset = await fetch(`${intake.url}/shipments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ sourceId: p.sourceId }),
    });
    expect(charset.status).toBe(400); // JSON with a charset is JSON: it reaches validation
    expect(p.counters().shipmentsByTrackingNumber['1Z-TEXT']).toBeUndefined();
  });

  it('answers a repeat as duplicate even after the FR workflow finished, and 409 to a new shipment', async () => {
    const items = await itemsOf(frB);
    const fullShipment = {
      sourceId: p.sourceId,
      fulfillmentRequestId: frB,
      trackingNumber: '1Z-FULL',
      items: items.map((i) => ({ id: i.id, quantity: i.quantity })),
    };
    const full = await post(fullShipment);
    expect(full.status).toBe(202);
    expect((await outcomeOf(t, p.frWorkflowId(frB))).outcome).toBe('acknowledged_and_shipped');
    // The warehouse never saw the first answer and sends it again: it learns the shipment is in.
    const repeat = await post(fullShipment);
    expect(repeat).toEqual({
      status: 202,
      body: { status: 'duplicate', workflowId: p.frWorkflowId(frB), trackingNumber: '1Z-FULL' },
    });
    const late = await post({
      sourceId: p.sourceId,
      fulfillmentRequestId: frB,
      trackingNumber: '1Z-LATE',
      items: [{ id: items[0]!.id, quantity: 1 }],
    });
    expect(late.status).toBe(409);
    expect(late.body.error).toMatch(/is finished \(acknowledged_and_shipped\); no more shipments/);
    expect(p.counters().shipmentsByFr[frB]).toBe(1);
  });

  it('answers a repeat of a shipment Flxpoint refused with the refusal (422 and the reason), not 202', async () => {
    const [item] = await itemsOf(frC);
    p.sim.state.cancel(frC, 'customer cancelled');
    const shipment = {
      sourceId: p.sourceId,
      fulfillmentRequestId: frC,
      trackingNumber: '1Z-REFUSED',
      items: [{ id: item!.id, quantity: 1 }],
    };
    expect((await post(shipment)).status).toBe(202);
    await eventually('shipment refused by Flxpoint', async () =>
      (await p.status(frC).catch(() => outcomeOf(t, p.frWorkflowId(frC)))).shipments.some(
        (s) => s.trackingNumber === '1Z-REFUSED' && s.status === 'rejected',
      ),
    );
    const again = await post(shipment);
    expect(again.status).toBe(422);
    expect(again.body).toMatchObject({ status: 'rejected', trackingNumber: '1Z-REFUSED' });
    expect(again.body.error).toMatch(/^shipment 1Z-REFUSED was refused: /);
    expect(typeof again.body.reason).toBe('string');
    expect(p.counters().shipmentsByTrackingNumber['1Z-REFUSED']).toBeUndefined();
  });

  it('answers 503 with Retry-After while the FR is not fetched yet, then takes the shipment', async () => {
    const [frD] = p.seed({ count: 1, itemsPerFr: 1, quantity: { min: 1, max: 1 } }) as [number];
    // Flxpoint fails every read of the FR: the workflow exists but knows no items yet. Started as the
    // poller starts it, but without a list read (which would hand the workflow the FR).
    p.sim.state.setFaults({ seed: 1, rules: { 'fr.get': { error5xx: 1 } } });
    try {
      await t.client.workflow.start('processFulfillmentRequestWorkflow', {
        taskQueue: p.config.temporal.taskQueue,
        workflowId: p.frWorkflowId(frD),
        args: [
          { sourceKey: p.sourceKey, sourceId: p.sourceId, frId: frD, settings: pollSettings(p.config).fr },
        ],
      });
      await eventually('FR workflow started', async () => (await p.status(frD)).step === 'fetching');
      const shipment = {
        sourceId: p.sourceId,
        fulfillmentRequestId: frD,
        trackingNumber: '1Z-EARLY',
        items: [{ id: 1, quantity: 1 }],
      };
      const r = await fetch(`${intake.url}/shipments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify(shipment),
      });
      const text = await r.clone().text();
      expect(r.status, text).toBe(503);
      expect(r.headers.get('retry-after')).toBe('5');
      expect(((await r.json()) as { error: string }).error).toMatch(/has not been fetched yet; retry/);
    } finally {
      p.sim.state.clearFaults();
    }
    await eventually('FR awaiting shipment', async () => (await p.status(frD)).step === 'awaiting_shipment');
    const [item] = await itemsOf(frD);
    const ok = await post({
      sourceId: p.sourceId,
      fulfillmentRequestId: frD,
      trackingNumber: '1Z-EARLY',
      items: [{ id: item!.id, quantity: 1 }],
    });
    expect(ok).toMatchObject({ status: 202, body: { status: 'accepted' } });
  });

  it("answers 403 when a token limited to other sources posts for this source's FR", async () => {
    const r = await post(
      {
        sourceId: p.sourceId,
        fulfillmentRequestId: frA,
        trackingNumber: '1Z-FOREIGN',
        items: [{ id: 1, quantity: 1 }],
      },
      SCOPED,
    );
    expect(r.status).toBe(403);
    expect(r.body.error).toBe(
      `this token may post shipments for source(s) ${OTHER_SOURCE} only, not source ${p.sourceId}; ` +
        'use the token issued for that source',
    );
    expect((await p.status(frA)).shipments.map((s) => s.trackingNumber)).not.toContain('1Z-FOREIGN');
  });

  it('refuses sources it does not serve with 403', async () => {
    const restricted = await startIntakeServer({
      client: t.client,
      port: 0,
      authTokens: [TOKEN],
      sourceIds: [p.sourceId + 1],
    });
    try {
      const r = await fetch(`${restricted.url}/shipments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({
          sourceId: p.sourceId,
          fulfillmentRequestId: frA,
          trackingNumber: 'X',
          items: [{ id: 1, quantity: 1 }],
        }),
      });
      expect(r.status).toBe(403);
    } finally {
      await restricted.close();
    }
  });
});

import { inspect } from 'node:util';
import { Agent, MockAgent } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FlxpointClient, type FlxpointClientOptions } from '../../activities/flxpoint/client';
import { newWorkStatus } from '../../activities/flxpoint/dialect';
import {
  FlxpointError,
  type FlxpointErrorKind,
  toApplicationFailure,
} from '../../activities/flxpoint/errors';
import { toSnapshot } from '../../activities/flxpoint/schemas';
import { type RunningSimulator, startSimulator } from '../../simulator/server';

// The client against the simulator over real HTTP (port 0): every endpoint, every error class, both dialects,
// both ack methods, every envelope. No Temporal needed.

const TOKEN = 'sekret-token-7f3a9c';
const OTHER_TOKEN = 'other-source-token-55e1';
const SOURCE = 1001;

let sim: RunningSimulator;
let dispatcher: Agent;
const clients: FlxpointClient[] = [];

function client(extra: Partial<FlxpointClientOptions> = {}): FlxpointClient {
  const c = new FlxpointClient({ baseUrl: sim.url, token: TOKEN, dispatcher, ...extra });
  clients.push(c);
  return c;
}

/** Runs `fn`, expects a FlxpointError, returns it (and records it for the token-leak check). */
const seenErrors: FlxpointError[] = [];
async function failure(fn: () => Promise<unknown>, kind: FlxpointErrorKind): Promise<FlxpointError> {
  let caught: unknown;
  try {
    await fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(FlxpointError);
  const e = caught as FlxpointError;
  seenErrors.push(e);
  expect(e.kind, e.message).toBe(kind);
  return e;
}

beforeAll(async () => {
  sim = await startSimulator({
    tokens: { [TOKEN]: SOURCE, [OTHER_TOKEN]: 1002 },
    rateLimit: { enabled: false },
  });
  dispatcher = new Agent({ keepAliveTimeout: 1000 });
});

afterAll(async () => {
  for (const c of clients) await c.close();
  await dispatcher.close();
  await sim.close();
});

beforeEach(() => {
  sim.state.reset();
});

describe('fulfillment request lists', () => {
  it('pages new work in the default (reference) dialect from a bare array', async () => {
    sim.state.seed({ count: 5, itemsPerFr: 2 });
    const c = client();
    expect(c.listDialect).toBe('reference');
    const status = newWorkStatus('reference');
    const p1 = await c.listFulfillmentRequests({ status, page: 1, size: 3 });
    const p2 = await c.listFulfillmentRequests({ status, page: 2, size: 3 });
    expect(p1.items.map((f) => f.id)).toEqual([1, 2, 3]);
    expect(p2.items.map((f) => f.id)).toEqual([4, 5]);
    expect(p2.rawCount).toBe(2); // short page: the last one
    expect(p1.malformed).toEqual([]);
    const fr = p1.items[0]!;
    expect(fr.fulfillmentRequestNumber).toBe('FR-000001');
    expect(fr.fulfillmentRequestStatus?.handle).toBe('processing');
    expect(fr.fulfillmentRequestItems).toHaveLength(2);
    expect(fr.shippingAddress?.phone).toMatch(/555/);
    // Unknown fields survive the parse (loose objects): the handler gets the whole FR.
    expect((fr as Record<string, unknown>).shippedStatus).toBe('Not Started');
    expect(fr.fulfillmentRequestItems[0]!.acknowledgedQuantity).toBe(0);
  });

  it('speaks the guide dialect (status=NEW, items envelope) with the same result where it is honoured', async () => {
    sim.state.seed({ count: 4 });
    sim.state.setBehavior({ listDialects: ['guide', 'reference'], listEnvelope: 'items' });
    const guide = await client({ listDialect: 'guide' }).listFulfillmentRequests({
      status: newWorkStatus('guide'),
      page: 1,
      size: 10,
    });
    const ref = client({ listDialect: 'reference' });
    const viaRef = await ref.listFulfillmentRequests({
      status: newWorkStatus('reference'),
      page: 1,
      size: 10,
    });
    expect(viaRef.items.map((f) => f.id)).toEqual(guide.items.map((f) => f.id));
    expect(viaRef.items).toHaveLength(4);
  });

  it.each(['items', 'data', 'array'] as const)('reads the %s envelope', async (listEnvelope) => {
    sim.state.seed({ count: 2 });
    sim.state.setBehavior({ listEnvelope });
    const page = await client().listFulfillmentRequests({ status: 'NEW', page: 1, size: 10 });
    expect(page.items.map((f) => f.id)).toEqual([1, 2]);
  });

  it('reports a body that is no list envelope as malformed_response (injected dispatcher)', async () => {
    const mock = new MockAgent();
    mock.disableNetConnect();
    mock
      .get('http://flxpoint.test')
      .intercept({ path: /\/fulfillment-requests/, method: 'GET' })
      .reply(200, { results: [] }, { headers: { 'content-type': 'application/json' } });
    const c = new FlxpointClient({ baseUrl: 'http://flxpoint.test', token: TOKEN, dispatcher: mock });
    const e = await failure(
      () => c.listFulfillmentRequests({ status: 'NEW', page: 1, size: 10 }),
      'malformed_response',
    );
    expect(e.retryable).toBe(true);
    expect(e.message).toMatch(/expected a list/);
    await mock.close();
  });

  it('keeps valid FRs of a page when one is schema-broken, naming the field path', async () => {
    sim.state.seed({ count: 4 });
    sim.state.setFaults({ seed: 7, rules: { 'fr.list': { schemaBreak: 1 } } });
    const page = await client().listFulfillmentRequests({ status: 'NEW', page: 1, size: 10 });
    expect(page.rawCount).toBe(4);
    expect(page.items).toHaveLength(3);
    expect(page.malformed).toHaveLength(1);
    const bad = page.malformed[0]!;
    expect(bad.id).toBeTypeOf('number');
    expect(bad.problem).toMatch(/^fulfillmentRequestItems\[0\]\.quantity: expected number/);
  });

  it('throws malformed_response naming the field path when a single FR breaks its schema', async () => {
    sim.state.seed({ count: 1 });
    sim.state.setFaults({ rules: { 'fr.get': { schemaBreak: 1 } } });
    const e = await failure(() => client().getFulfillmentRequest(1), 'malformed_response');
    expect(e.message).toContain('fulfillmentRequestItems[0].quantity');
    expect(e.status).toBe(200);
  });
});

describe('single FR operations', () => {
  it('gets an FR and maps it to the workflow snapshot', async () => {
    sim.state.seed({ count: 1 });
    const fr = await client().getFulfillmentRequest(1);
    const snap = toSnapshot(fr);
    expect(snap.statusHandle).toBe('processing');
    expect(snap.sourceId).toBe(SOURCE);
    expect(snap.fulfillmentRequestItems[0]!.sku).toBeTypeOf('string');
  });

  it('answers not_found for an unknown FR and for another source’s FR', async () => {
    sim.state.seed({ count: 1, sourceId: 1002 });
    await failure(() => client().getFulfillmentRequest(999), 'not_found');
    const e = await failure(() => client().getFulfillmentRequest(1), 'not_found');
    expect(e.retryable).toBe(false);
    expect(e.status).toBe(404);
  });

  it('acknowledges (PATCH by default); a second ack is already_acknowledged and both attempts are counted', async () => {
    sim.state.seed({ count: 1 });
    const c = client();
    await c.acknowledge(1);
    const e = await failure(() => c.acknowledge(1), 'already_acknowledged');
    expect(e.retryable).toBe(false);
    expect(e.message).toMatch(
      /^Flxpoint PATCH \/fulfillment-requests\/1\/acknowledge answered 400 \(already_acknowledged\)/,
    );
    const counters = sim.state.snapshotCounters();
    expect(counters.ackAttemptsByFr['1']).toBe(2);
    expect(counters.ackSuccessByFr['1']).toBe(1);
    const fr = await c.getFulfillmentRequest(1);
    expect(fr.fulfillmentRequestStatus?.handle).toBe('acknowledged');
    expect(fr.fulfillmentRequestItems.every((i) => i.acknowledgedQuantity === i.quantity)).toBe(true);
  });

  it('acknowledges with PATCH by default; a 405 to the configured method is retried once with the other, paced and reported, and remembered', async () => {
    sim.state.seed({ count: 3 });
    sim.state.setBehavior({ acknowledgeMethods: ['PATCH'] });
    expect(await client().acknowledge(1)).toBe('PATCH');
    const findings: unknown[] = [];
    let paced = 0;
    const post = client({
      acknowledgeMethod: 'POST',
      beforeExtraRequest: async () => void paced++,
      onAcknowledgeMethodFinding: (f) => findings.push(f),
    });
    expect(await post.acknowledge(2)).toBe('PATCH');
    expect(findings).toEqual([{ configured: 'POST', status: 405, tried: 'PATCH', worked: true }]);
    expect(paced).toBe(1);
    // Learned: the next acknowledge is one request with the method the server accepts.
    const before = sim.state.snapshotCounters().requestsTotal;
    expect(await post.acknowledge(3)).toBe('PATCH');
    expect(sim.state.snapshotCounters().requestsTotal - before).toBe(1);
    expect(findings).toHaveLength(1);
    for (const id of [1, 2, 3])
      expect(sim.state.getFr(id)!.fr.fulfillmentRequestStatus.handle).toBe('acknowledged');
  });

  it('keeps the first answer when both methods are refused (404/405 to each)', async () => {
    sim.state.seed({ count: 1 });
    const findings: { worked: boolean }[] = [];
    const c = client({ onAcknowledgeMethodFinding: (f) => findings.push(f) });
    const e = await failure(() => c.acknowledge(999), 'not_found');
    expect(e.method).toBe('PATCH');
    expect(findings).toEqual([
      expect.objectContaining({ configured: 'PATCH', tried: 'POST', worked: false }),
    ]);
  });

  it('refuses to acknowledge a cancelled FR as invalid_transition', async () => {
    sim.state.seed({ count: 1 });
    sim.state.cancel(1, 'customer changed mind');
    const e = await failure(() => client().acknowledge(1), 'invalid_transition');
    expect(e.retryable).toBe(false);
  });

  it('adjusts partially: acknowledged units per item, the rest cancelled', async () => {
    sim.state.seed({ count: 1, itemsPerFr: 2, quantity: { min: 3, max: 3 } });
    const c = client();
    const before = await c.getFulfillmentRequest(1);
    const [a, b] = before.fulfillmentRequestItems;
    const fr = await c.adjust(1, {
      items: [
        { id: a!.id, acknowledgedQuantity: 2 },
        { sku: b!.sku, acknowledgedQuantity: 0 },
      ],
      killOrFillType: 'kill',
      cancelUnacknowledgedItemQuantity: true,
    });
    expect(fr.fulfillmentRequestStatus?.handle).toBe('acknowledged');
    expect(fr.fulfillmentRequestItems.map((i) => [i.acknowledgedQuantity, i.canceledQuantity])).toEqual([
      [2, 1],
      [0, 3],
    ]);
    expect(sim.state.getFr(1)!.meta.adjustments[0]!.killOrFillType).toBe('kill');
    expect(sim.state.snapshotCounters().adjustsByFr['1']).toBe(1);
  });

  it('adjust with no items acknowledges everything; cancelling everything cancels the FR', async () => {
    sim.state.seed({ count: 2, itemsPerFr: 1 });
    const c = client();
    const acked = await c.adjust(1, { items: null });
    expect(acked.fulfillmentRequestStatus?.handle).toBe('acknowledged');
    const fr2 = await c.getFulfillmentRequest(2);
    const line = fr2.fulfillmentRequestItems[0]!;
    const cancelled = await c.adjust(2, { items: [{ id: line.id, cancelledQuantity: line.quantity }] });
    expect(cancelled.fulfillmentRequestStatus?.handle).toBe('canceled');
    expect(cancelled.fulfillmentRequestFulfillmentStatus?.handle).toBe('canceled');
  });

  it('rejects invalid adjust quantities as bad_request', async () => {
    sim.state.seed({ count: 1, itemsPerFr: 1, quantity: { min: 2, max: 2 } });
    const c = client();
    const id = (await c.getFulfillmentRequest(1)).fulfillmentRequestItems[0]!.id;
    const e = await failure(() => c.adjust(1, { items: [{ id, acknowledgedQuantity: 5 }] }), 'bad_request');
    expect(e.bodySnippet).toMatch(/exceeds the line quantity/);
    await failure(() => c.adjust(1, { items: [{ id: 424242, acknowledgedQuantity: 1 }] }), 'bad_request');
  });

  it('marks processing failed (reason as ?error=), then refuses a second time', async () => {
    sim.state.seed({ count: 1 });
    const c = client();
    await c.markProcessingFailed(1, 'SKU not stocked here');
    const fr = await c.getFulfillmentRequest(1);
    expect(fr.fulfillmentRequestStatus?.handle).toBe('processing_error');
    expect(fr.processingErrorReason).toBe('SKU not stocked here');
    const e = await failure(() => c.markProcessingFailed(1, 'again'), 'invalid_transition');
    // The reason travels in the query string; the error path never carries it.
    expect(e.path).toBe('/fulfillment-requests/1/processing-failed');
    expect(e.message).not.toContain('again');
    await failure(() => c.markProcessingFailed(1, ''), 'bad_request');
  });
});

describe('shipments', () => {
  it('creates a shipment, updates quantities and fulfillment status', async () => {
    sim.state.seed({ count: 1, itemsPerFr: 2, quantity: { min: 2, max: 2 } });
    const c = client();
    await c.acknowledge(1);
    const [a, b] = (await c.getFulfillmentRequest(1)).fulfillmentRequestItems;
    const s1 = await c.createShipment({
      fulfillmentRequestId: 1,
      sourceId: SOURCE,
      shipment: {
        trackingNumber: '1Z999AA10123456784',
        carrier: 'UPS',
        method: 'Ground',
        shipmentItems: [{ fulfillmentRequestItemId: a!.id, quantity: 2 }],
      },
    });
    expect(s1.trackingNumber).toBe('1Z999AA10123456784');
    expect(s1.shipmentItems[0]!.fulfillmentRequestItemId).toBe(a!.id);
    let fr = await c.getFulfillmentRequest(1);
    expect(fr.fulfillmentRequestFulfillmentStatus?.handle).toBe('partially_shipped');
    await c.createShipment({
      fulfillmentRequestId: 1,
      shipment: { trackingNumber: '9400111899223344556677', shipmentItems: [{ sku: b!.sku, quantity: 2 }] },
    });
    fr = await c.getFulfillmentRequest(1);
    expect(fr.fulfillmentRequestFulfillmentStatus?.handle).toBe('shipped');
    expect(fr.fulfillmentRequestItems.map((i) => i.shippedQuantity)).toEqual([2, 2]);
    const counters = sim.state.snapshotCounters();
    expect(counters.shipmentsByFr['1']).toBe(2);
    expect(counters.shipmentsByTrackingNumber['1Z999AA10123456784']).toBe(1);
  });

  it('answers a retried create with duplicate_tracking_number unless duplicates are allowed', async () => {
    sim.state.seed({ count: 1, itemsPerFr: 1, quantity: { min: 4, max: 4 } });
    const c = client();
    await c.acknowledge(1);
    const item = (await c.getFulfillmentRequest(1)).fulfillmentRequestItems[0]!;
    const body = {
      fulfillmentRequestId: 1,
      shipment: {
        trackingNumber: 'TRACK-1',
        shipmentItems: [{ fulfillmentRequestItemId: item.id, quantity: 1 }],
      },
    };
    await c.createShipment(body);
    const e = await failure(() => c.createShipment(body), 'duplicate_tracking_number');
    expect(e.retryable).toBe(false);
    await c.createShipment({ ...body, allowDuplicateTrackingNumbers: true });
    sim.state.setBehavior({ duplicateTrackingStatus: 409 });
    const e409 = await failure(() => c.createShipment(body), 'duplicate_tracking_number');
    expect(e409.status).toBe(409);
    expect(sim.state.snapshotCounters().shipmentAttemptsByFr['1']).toBe(4);
  });

  it('validates shipments: quantity, foreign items, tracking number, source', async () => {
    sim.state.seed({ count: 1, itemsPerFr: 1, quantity: { min: 1, max: 1 } });
    sim.state.seed({ count: 1, sourceId: 1002 });
    const c = client();
    const item = (await c.getFulfillmentRequest(1)).fulfillmentRequestItems[0]!;
    const ship = (
      over: Record<string, unknown>,
      items = [{ fulfillmentRequestItemId: item.id, quantity: 1 }],
    ) =>
      c.createShipment({
        fulfillmentRequestId: 1,
        shipment: { trackingNumber: 'T-1', shipmentItems: items },
        ...over,
      });
    // Not acknowledged yet: nothing may ship.
    await failure(() => ship({}), 'bad_request');
    await c.acknowledge(1);
    await failure(() => ship({}, [{ fulfillmentRequestItemId: item.id, quantity: 2 }]), 'bad_request');
    await failure(() => ship({}, [{ fulfillmentRequestItemId: 999999, quantity: 1 }]), 'bad_request');
    await failure(() => ship({}, []), 'bad_request');
    await failure(() => ship({ sourceId: 1002 }), 'bad_request');
    await failure(() => ship({ shipment: { trackingNumber: '', shipmentItems: [] } }), 'bad_request');
    await failure(() => ship({ fulfillmentRequestId: 2 }), 'not_found');
  });
});

describe('transport and server errors', () => {
  it('maps a wrong token to unauthorized', async () => {
    const e = await failure(
      () =>
        new FlxpointClient({ baseUrl: sim.url, token: 'wrong-token', dispatcher }).getFulfillmentRequest(1),
      'unauthorized',
    );
    expect(e.status).toBe(401);
    expect(e.retryable).toBe(false);
  });

  it('maps injected 5xx to a retryable server_error', async () => {
    sim.state.setFaults({ rules: { '*': { error5xx: 1, status5xx: 502 } } });
    const e = await failure(
      () => client().listFulfillmentRequests({ status: 'NEW', page: 1, size: 10 }),
      'server_error',
    );
    expect(e.status).toBe(502);
    expect(e.retryable).toBe(true);
  });

  it('times out on a slow answer', async () => {
    sim.state.seed({ count: 1 });
    sim.state.setFaults({ rules: { 'fr.get': { slowMs: 1500 } } });
    const c = new FlxpointClient({ baseUrl: sim.url, token: TOKEN, requestTimeoutMs: 200 });
    clients.push(c);
    const e = await failure(() => c.getFulfillmentRequest(1), 'timeout');
    expect(e.retryable).toBe(true);
  });

  it('maps a dropped connection to a retryable network error', async () => {
    sim.state.setFaults({ rules: { 'fr.list': { drop: 1 } } });
    const e = await failure(
      () => client().listFulfillmentRequests({ status: 'NEW', page: 1, size: 10 }),
      'network',
    );
    expect(e.retryable).toBe(true);
  });

  it('maps a lost response after the ack landed: the retry sees already_acknowledged', async () => {
    sim.state.seed({ count: 1 });
    sim.state.setFaults({ rules: { 'fr.acknowledge': { dropAfter: 1 } } });
    await failure(() => client().acknowledge(1), 'network');
    sim.state.clearFaults();
    await failure(() => client().acknowledge(1), 'already_acknowledged');
    expect(sim.state.snapshotCounters().ackSuccessByFr['1']).toBe(1);
  });

  it('maps a truncated body to a retryable malformed_response', async () => {
    sim.state.seed({ count: 2 });
    sim.state.setFaults({ rules: { 'fr.list': { truncate: 1 } } });
    const e = await failure(
      () => client().listFulfillmentRequests({ status: 'NEW', page: 1, size: 10 }),
      'malformed_response',
    );
    expect(e.message).toMatch(/not JSON/);
    expect(e.retryable).toBe(true);
  });

  it('never lets the token into errors, their JSON, ApplicationFailures or the client itself', () => {
    expect(seenErrors.length).toBeGreaterThan(15);
    const c = client();
    const surfaces = [
      String(c),
      JSON.stringify(c),
      inspect(c, { depth: 5, showHidden: true }),
      ...seenErrors.flatMap((e) => [
        e.message,
        JSON.stringify(e),
        inspect(e, { depth: 5 }),
        JSON.stringify(toApplicationFailure(e).details),
        toApplicationFailure(e).message,
      ]),
    ];
    for (const s of surfaces) {
      expect(s).not.toContain(TOKEN);
      expect(s).not.toContain(OTHER_TOKEN);
    }
  });
});

describe('rate limiting through the client', () => {
  it.each([
    ['seconds', true],
    ['http-date', true],
    ['none', false],
  ] as const)('maps 429 with Retry-After %s to rate_limited', async (retryAfter, hasDelay) => {
    sim.state.setRateLimit({ enabled: true, ratePerSec: 2, burst: 1, retryAfter });
    const c = client();
    const list = () => c.listFulfillmentRequests({ status: 'NEW', page: 1, size: 10 });
    await list();
    const e = await failure(list, 'rate_limited');
    expect(e.retryable).toBe(true);
    const af = toApplicationFailure(e);
    expect(af.type).toBe('Flxpoint.rate_limited');
    expect(af.nonRetryable).toBe(false);
    if (hasDelay) {
      expect(e.retryAfterMs).toBeGreaterThan(0);
      expect(af.nextRetryDelay).toBe(e.retryAfterMs);
    } else {
      expect(e.retryAfterMs).toBeUndefined();
      expect(af.nextRetryDelay).toBeUndefined();
    }
    expect(sim.state.snapshotCounters().tooManyRequests).toBe(1);
  });
});

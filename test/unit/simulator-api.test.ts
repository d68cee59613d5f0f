import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningSimulator, startSimulator } from '../../simulator/server';

// The simulated Flxpoint surface over raw HTTP: state machine transitions, 4xx answers, both dialects,
// offset pagination that shifts when FRs are acknowledged mid-paging (on purpose: the real API does it).

let sim: RunningSimulator;

async function api(method: string, path: string, opts: { token?: string | null; body?: unknown } = {}) {
  const headers: Record<string, string> = {};
  const token = opts.token === undefined ? 'dev-token' : opts.token;
  if (token !== null) headers['x-api-token'] = token;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await request(`${sim.url}${path}`, {
    method: method as 'GET',
    headers,
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  });
  const text = await res.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, text, json: json as Record<string, any>, headers: res.headers }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const ids = (r: { json: Record<string, any> }) => (r.json.items as { id: number }[]).map((f) => f.id); // eslint-disable-line @typescript-eslint/no-explicit-any

beforeAll(async () => {
  // Both dialects and the guide's `items` envelope: this file tests the surface in each reading.
  sim = await startSimulator({
    rateLimit: { enabled: false },
    listDialects: ['guide', 'reference'],
    listEnvelope: 'items',
  });
});
afterAll(() => sim.close());
beforeEach(() => sim.state.reset());

describe('auth and routing', () => {
  it('answers 401 without or with a wrong token, 404 for unknown paths, 405 for wrong methods', async () => {
    expect((await api('GET', '/fulfillment-requests', { token: null })).status).toBe(401);
    expect((await api('GET', '/fulfillment-requests', { token: 'nope' })).status).toBe(401);
    expect((await api('GET', '/nope')).status).toBe(404);
    const r = await api('DELETE', '/fulfillment-requests/1');
    expect(r.status).toBe(405);
    expect(r.headers.allow).toBe('GET');
    expect((await api('GET', '/fulfillment-requests/abc')).status).toBe(400);
    expect(sim.state.snapshotCounters().unauthorized).toBe(2);
  });

  it('scopes FRs to the token’s source', async () => {
    sim.state.seed({ count: 2, sourceId: 1001 });
    sim.state.seed({ count: 3, sourceId: 1002 });
    const one = await api('GET', '/fulfillment-requests?status=NEW');
    const two = await api('GET', '/fulfillment-requests?status=NEW', { token: 'dev-token-2' });
    expect(ids(one)).toEqual([1, 2]);
    expect(ids(two)).toEqual([3, 4, 5]);
    expect((await api('GET', '/fulfillment-requests/3')).status).toBe(404);
    expect((await api('POST', '/fulfillment-requests/3/acknowledge')).status).toBe(404);
  });
});

describe('lists', () => {
  it('accepts both dialects, status names, handles and NEW; rejects unknown statuses and bad paging', async () => {
    sim.state.seed({ count: 3 });
    await api('POST', '/fulfillment-requests/2/acknowledge');
    expect(ids(await api('GET', '/fulfillment-requests?status=NEW&page=1&size=10'))).toEqual([1, 3]);
    expect(
      ids(
        await api(
          'GET',
          '/fulfillment-requests?filterStatus=Processing,Processed&filterPageNumber=1&filterPageSize=10',
        ),
      ),
    ).toEqual([1, 3]);
    expect(ids(await api('GET', '/fulfillment-requests?filterStatus=Acknowledged'))).toEqual([2]);
    expect(ids(await api('GET', '/fulfillment-requests?status=acknowledged'))).toEqual([2]);
    expect(ids(await api('GET', '/fulfillment-requests'))).toEqual([1, 2, 3]);
    expect((await api('GET', '/fulfillment-requests?status=BOGUS')).status).toBe(400);
    expect((await api('GET', '/fulfillment-requests?status=NEW&page=0')).status).toBe(400);
    expect((await api('GET', '/fulfillment-requests?status=NEW&size=9999')).status).toBe(400);
    expect((await api('GET', '/fulfillment-requests/count?status=NEW')).json).toEqual({ count: 2 });
  });

  it('shifts offsets when FRs are acknowledged during paging, like the real offset pagination', async () => {
    sim.state.seed({ count: 6 });
    const page1 = ids(await api('GET', '/fulfillment-requests?status=NEW&page=1&size=2'));
    expect(page1).toEqual([1, 2]);
    for (const id of page1)
      expect((await api('POST', `/fulfillment-requests/${id}/acknowledge`)).status).toBe(200);
    // Page 2 now starts at the 3rd NEW FR, which is id 5: ids 3 and 4 slid onto page 1 and are skipped.
    expect(ids(await api('GET', '/fulfillment-requests?status=NEW&page=2&size=2'))).toEqual([5, 6]);
    expect(ids(await api('GET', '/fulfillment-requests?status=NEW&page=1&size=2'))).toEqual([3, 4]);
  });
});

describe('state machine', () => {
  it('acknowledge: Processing/Processed → Acknowledged, second ack 400 "already acknowledged", cancelled/voided 400', async () => {
    sim.state.seed({ count: 4 });
    await api('PATCH', '/fulfillment-requests/2/processed');
    expect((await api('POST', '/fulfillment-requests/1/acknowledge')).status).toBe(200);
    expect((await api('PATCH', '/fulfillment-requests/2/acknowledge')).status).toBe(200);
    const again = await api('POST', '/fulfillment-requests/1/acknowledge');
    expect(again.status).toBe(400);
    expect(again.text).toContain('already acknowledged');
    sim.state.cancel(3);
    sim.state.void(4, 'fraud');
    expect((await api('POST', '/fulfillment-requests/3/acknowledge')).status).toBe(400);
    const voided = await api('POST', '/fulfillment-requests/4/acknowledge');
    expect(voided.status).toBe(400);
    expect(voided.text).toMatch(/Voided/);
    const fr4 = (await api('GET', '/fulfillment-requests/4')).json;
    expect(fr4.fulfillmentRequestStatus).toEqual({ name: 'Voided', handle: 'voided' });
    expect(fr4.voidedReason).toBe('fraud');
  });

  it('acknowledge as someone else makes our ack answer "already acknowledged"', async () => {
    sim.state.seed({ count: 1 });
    sim.state.acknowledgeAsSomeoneElse(1);
    expect((await api('POST', '/fulfillment-requests/1/acknowledge')).text).toContain('already acknowledged');
    expect(sim.state.getFr(1)!.meta.acknowledgedBy).toBe('someone_else');
    expect(sim.state.snapshotCounters().acksBySomeoneElse['1']).toBe(1);
  });

  it('adjust: id wins over sku, secondary ack raises ack, replays are no-ops, bad input is 400 and changes nothing', async () => {
    sim.state.seed({ count: 1, itemsPerFr: 2, quantity: { min: 4, max: 4 } });
    const fr = (await api('GET', '/fulfillment-requests/1')).json;
    const [a, b] = fr.fulfillmentRequestItems as { id: number; sku: string }[];
    const body = {
      items: [{ id: a!.id, sku: b!.sku, acknowledgedQuantity: 1, secondaryAcknowledgedQuantity: 3 }],
    };
    const r1 = await api('POST', '/fulfillment-requests/1/adjust', { body });
    expect(r1.status).toBe(200);
    expect(r1.json.fulfillmentRequestItems[0].acknowledgedQuantity).toBe(3);
    expect(r1.json.fulfillmentRequestItems[1].acknowledgedQuantity).toBe(0);
    expect(r1.json.fulfillmentRequestStatus.handle).toBe('acknowledged');
    const r2 = await api('POST', '/fulfillment-requests/1/adjust', { body });
    expect(r2.json.fulfillmentRequestItems).toEqual(r1.json.fulfillmentRequestItems);
    for (const bad of [
      { items: [{ id: a!.id, acknowledgedQuantity: -1 }] },
      { items: [{ id: a!.id, acknowledgedQuantity: 1.5 }] },
      { items: [{ acknowledgedQuantity: 1 }] },
      { items: [{ id: b!.id, acknowledgedQuantity: 3, cancelledQuantity: 2 }] },
      { items: 'all' },
      { killOrFillType: 'maybe' },
    ]) {
      expect(
        (await api('POST', '/fulfillment-requests/1/adjust', { body: bad })).status,
        JSON.stringify(bad),
      ).toBe(400);
    }
    expect((await api('GET', '/fulfillment-requests/1')).json.fulfillmentRequestItems).toEqual(
      r1.json.fulfillmentRequestItems,
    );
  });

  it('processing-failed: needs ?error=, only from Processing/Processed, answers 204', async () => {
    sim.state.seed({ count: 2 });
    expect((await api('PATCH', '/fulfillment-requests/1/processing-failed')).status).toBe(400);
    const ok = await api('PATCH', '/fulfillment-requests/1/processing-failed?error=out%20of%20stock');
    expect(ok.status).toBe(204);
    const fr = (await api('GET', '/fulfillment-requests/1')).json;
    expect(fr.fulfillmentRequestStatus.name).toBe('Processing Error');
    expect(fr.processingErrorReason).toBe('out of stock');
    await api('POST', '/fulfillment-requests/2/acknowledge');
    expect((await api('PATCH', '/fulfillment-requests/2/processing-failed?error=x')).status).toBe(400);
    // Failed FRs are no longer new work.
    expect((await api('GET', '/fulfillment-requests/count?status=NEW')).json.count).toBe(0);
  });

  it('cancel from Flxpoint closes open quantities and bumps the order cursor', async () => {
    sim.state.seed({ count: 1 });
    const before = (await api('GET', '/orders')).json as unknown as { updatedAt: string }[];
    sim.state.cancel(1, 'channel cancelled');
    const fr = (await api('GET', '/fulfillment-requests/1')).json;
    expect(fr.fulfillmentRequestStatus.handle).toBe('canceled');
    expect(fr.fulfillmentRequestFulfillmentStatus.handle).toBe('canceled');
    const changed = (await api('GET', `/orders?orderUpdatedAt=${encodeURIComponent(before[0]!.updatedAt)}`))
      .json as unknown as unknown[];
    expect(changed).toHaveLength(1);
    expect(() => sim.state.cancel(1)).toThrow(/already Canceled/);
    expect((await api('GET', '/orders?orderUpdatedAt=yesterday')).status).toBe(400);
  });
});

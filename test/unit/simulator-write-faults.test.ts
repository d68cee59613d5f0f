import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { FaultRule } from '../../simulator/faults';
import { type RunningSimulator, startSimulator, type SimulatorOptions } from '../../simulator/server';

// "State changed, then the answer failed" on every write endpoint, and random error wording on every 4xx:
// the two simulator readings the read-back rules (docs/flxpoint-api.md) are proven against.

let sim: RunningSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(opts: SimulatorOptions): Promise<RunningSimulator> {
  sim = await startSimulator({
    rateLimit: { enabled: false },
    seed: { count: 4, itemsPerFr: 1, quantity: { min: 2, max: 2 } },
    acknowledgeMethods: ['POST', 'PATCH'],
    ...opts,
  });
  return sim;
}

/** The answer, or `dropped` when the connection was closed without one. */
async function call(
  s: RunningSimulator,
  method: 'GET' | 'POST' | 'PATCH',
  path: string,
  body?: unknown,
  token = 'dev-token',
): Promise<{ status: number; text: string } | 'dropped'> {
  try {
    const res = await request(`${s.url}${path}`, {
      method,
      headers: { 'x-api-token': token, 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.statusCode, text: await res.body.text() };
  } catch {
    return 'dropped';
  }
}

const ids = (s: RunningSimulator) =>
  s.state.store.list(1001, new Set(['processing', 'processed'] as const), 1, 50).map((f) => f.id);
const statusOf = (s: RunningSimulator, id: number) => s.state.getFr(id)!.fr.fulfillmentRequestStatus.handle;

/** Each write endpoint: how to call it on FR `id`, and what Flxpoint shows afterwards when it happened. */
const WRITES: {
  name: string;
  endpoint: 'fr.acknowledge' | 'fr.adjust' | 'fr.processingFailed' | 'shipment.create';
  prepare?: (s: RunningSimulator, id: number) => void;
  send: (s: RunningSimulator, id: number) => ReturnType<typeof call>;
  happened: (s: RunningSimulator, id: number) => boolean;
}[] = [
  {
    name: 'acknowledge (POST)',
    endpoint: 'fr.acknowledge',
    send: (s, id) => call(s, 'POST', `/fulfillment-requests/${id}/acknowledge`),
    happened: (s, id) => statusOf(s, id) === 'acknowledged',
  },
  {
    name: 'acknowledge (PATCH)',
    endpoint: 'fr.acknowledge',
    send: (s, id) => call(s, 'PATCH', `/fulfillment-requests/${id}/acknowledge`),
    happened: (s, id) => statusOf(s, id) === 'acknowledged',
  },
  {
    name: 'adjust',
    endpoint: 'fr.adjust',
    send: (s, id) =>
      call(s, 'POST', `/fulfillment-requests/${id}/adjust`, {
        items: [
          {
            id: s.state.getFr(id)!.fr.fulfillmentRequestItems[0]!.id,
            acknowledgedQuantity: 1,
            cancelledQuantity: 1,
          },
        ],
      }),
    happened: (s, id) => s.state.getFr(id)!.fr.fulfillmentRequestItems[0]!.canceledQuantity === 1,
  },
  {
    name: 'processing-failed',
    endpoint: 'fr.processingFailed',
    send: (s, id) => call(s, 'PATCH', `/fulfillment-requests/${id}/processing-failed?error=bad%20address`),
    happened: (s, id) => statusOf(s, id) === 'processing_error',
  },
  {
    name: 'shipment create',
    endpoint: 'shipment.create',
    prepare: (s, id) => void s.state.store.acknowledge(1001, id),
    send: (s, id) =>
      call(s, 'POST', '/shipments', {
        fulfillmentRequestId: id,
        shipment: {
          trackingNumber: `TN-${id}`,
          shipmentItems: [
            { fulfillmentRequestItemId: s.state.getFr(id)!.fr.fulfillmentRequestItems[0]!.id, quantity: 2 },
          ],
        },
      }),
    happened: (s, id) => (s.state.getFr(id)!.fr.shipments ?? []).some((x) => x.trackingNumber === `TN-${id}`),
  },
];

describe('simulator: state changed, then the answer fails, on every write endpoint', () => {
  for (const w of WRITES) {
    for (const fault of ['error5xxAfter', 'dropAfter'] as const) {
      it(`${w.name}: ${fault}`, async () => {
        const rule: FaultRule =
          fault === 'error5xxAfter' ? { error5xxAfter: 1, status5xx: 502 } : { dropAfter: 1 };
        const s = await start({ seed: { count: 1, itemsPerFr: 1, quantity: { min: 2, max: 2 } } });
        const id = ids(s)[0]!;
        w.prepare?.(s, id);
        s.state.setFaults({ rules: { [w.endpoint]: rule } });
        const res = await w.send(s, id);
        if (fault === 'dropAfter') expect(res).toBe('dropped');
        else expect(res).toMatchObject({ status: 502 });
        expect(w.happened(s, id), 'Flxpoint state changed although the client saw a failure').toBe(true);
        expect(s.state.snapshotCounters().faultsInjected).toEqual({ [fault]: 1 });
      });
    }
  }
});

describe('simulator: random error wording on every 4xx', () => {
  /** Five refusals of different kinds; returns their texts. */
  async function refusals(randomSeed: number): Promise<string[]> {
    const s = await start({ errorWording: 'random', randomSeed });
    const [a, b] = ids(s);
    s.state.acknowledgeAsSomeoneElse(a!);
    const answers = [
      await call(s, 'POST', `/fulfillment-requests/${a}/acknowledge`), // 400, already acknowledged
      await call(s, 'GET', '/fulfillment-requests/999999'), // 404
      await call(s, 'GET', `/fulfillment-requests/${b}`, undefined, 'wrong-token'), // 401
      await call(s, 'GET', `/fulfillment-requests/${b}/acknowledge`), // 405
      await call(s, 'GET', '/no-such-thing'), // 404, no route
    ];
    await sim!.close();
    sim = undefined;
    return answers.map((r) => {
      if (r === 'dropped') throw new Error('dropped');
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
      // Words a client could match on are never there.
      expect(r.text).not.toMatch(/acknowledg|duplicate|transition|not found|unauthori|not allowed|route/i);
      return r.text;
    });
  }

  it('draws the words per answer from the run seed: another run, other phrases', async () => {
    const one = await refusals(11);
    const again = await refusals(11);
    const other = await refusals(12);
    expect(again, 'the same seed replays the same words').toEqual(one);
    expect(other, 'another seed, other words').not.toEqual(one);
  });
});

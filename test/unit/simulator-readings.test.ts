import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { classifyResponse } from '../../activities/flxpoint/errors';
import { type RunningSimulator, startSimulator, type SimulatorOptions } from '../../simulator/server';

// The simulator is one reading of ambiguous docs, so each reading where the docs are silent is a switch:
// error wording that names no reason, writes that change state and then fail, and a list that ignores
// the parameters of a dialect it does not speak (as the real API is reported to ignore unknown ones).

let sim: RunningSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(opts: SimulatorOptions): Promise<RunningSimulator> {
  sim = await startSimulator({ rateLimit: { enabled: false }, seed: { count: 3, itemsPerFr: 1 }, ...opts });
  return sim;
}

async function call(
  s: RunningSimulator,
  method: 'GET' | 'POST' | 'PATCH',
  path: string,
  body?: unknown,
): Promise<{ status: number; text: string }> {
  const res = await request(`${s.url}${path}`, {
    method,
    headers: { 'x-api-token': 'dev-token', 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.statusCode, text: await res.body.text() };
}

const kindOf = (status: number, body: string) =>
  classifyResponse({ status, body, method: 'POST', path: '/x' }).kind;

/** FR ids of the seeded source, in id order. */
const frIds = (s: RunningSimulator) =>
  s.state.store
    .list(1001, new Set(['processing', 'processed', 'unprocessed'] as const), 1, 50)
    .map((f) => f.id);

/** Two 4xx answers whose canonical wording the client's error classifier recognises. */
async function twoRefusals(s: RunningSimulator): Promise<{ status: number; text: string }[]> {
  const [a, b] = frIds(s);
  s.state.acknowledgeAsSomeoneElse(a!);
  const ack = await call(s, 'POST', `/fulfillment-requests/${a}/acknowledge`);
  s.state.cancel(b!);
  const fail = await call(s, 'PATCH', `/fulfillment-requests/${b}/processing-failed?error=x`);
  return [ack, fail];
}

describe('simulator readings where the docs are silent', () => {
  it('canonical wording carries the phrases; random wording keeps the status and drops the words', async () => {
    const canonical = await twoRefusals(await start({}));
    expect(canonical.map((r) => r.status)).toEqual([400, 400]);
    expect(canonical[0]!.text).toMatch(/already acknowledged/);
    expect(kindOf(400, canonical[0]!.text)).toBe('already_acknowledged');
    await sim!.close();
    sim = undefined;

    const texts: string[] = [];
    for (const randomSeed of [1, 2, 3]) {
      const random = await twoRefusals(await start({ errorWording: 'random', randomSeed }));
      expect(random.map((r) => r.status)).toEqual([400, 400]);
      for (const r of random) {
        // Nothing a client could match on: the classifier sees a plain bad request.
        expect(kindOf(r.status, r.text)).toBe('bad_request');
        expect(r.text).not.toMatch(/acknowledg|duplicate|transition|cancel/i);
        texts.push(r.text);
      }
      await sim!.close();
      sim = undefined;
    }
    expect(new Set(texts).size).toBeGreaterThan(1);
  });

  it('error5xxAfter changes Flxpoint state, then answers 503', async () => {
    const s = await start({ faults: { rules: { 'fr.acknowledge': { error5xxAfter: 1 } } } });
    const id = frIds(s)[0]!;
    const res = await call(s, 'POST', `/fulfillment-requests/${id}/acknowledge`);
    expect(res.status).toBe(503);
    expect(s.state.getFr(id)!.fr.fulfillmentRequestStatus.handle).toBe('acknowledged');
    expect(s.state.snapshotCounters().faultsInjected).toEqual({ error5xxAfter: 1 });
  });

  it('a list that speaks only the reference dialect ignores status/page/size (everything, unpaged by them)', async () => {
    const s = await start({ listDialects: ['reference'], listEnvelope: 'items' });
    const first = frIds(s)[0]!;
    s.state.acknowledgeAsSomeoneElse(first);
    const guide = JSON.parse((await call(s, 'GET', '/fulfillment-requests?status=NEW&page=1&size=1')).text)
      .items as { id: number }[];
    // The acknowledged FR comes back too, and size=1 did not page.
    expect(guide.map((f) => f.id)).toContain(first);
    expect(guide).toHaveLength(3);
    const reference = JSON.parse(
      (await call(s, 'GET', '/fulfillment-requests?filterStatus=Processing,Processed&filterPageSize=1')).text,
    ).items as { id: number }[];
    expect(reference).toHaveLength(1);
    expect(reference[0]!.id).not.toBe(first);
  });

  it('rejects unknown readings', async () => {
    await expect(start({ errorWording: 'poetic' as never })).rejects.toThrow(/errorWording/);
    await expect(start({ listDialects: [] })).rejects.toThrow(/listDialects/);
  });
});

describe('simulator restarted beside a Temporal that kept its state', () => {
  it('hands out FR ids from firstFrId, so a new run never reuses an earlier run id', async () => {
    const s = await start({ firstFrId: 176_400_000_000 });
    const ids = s.state.store
      .list(1001, new Set(['processing', 'processed'] as const), 1, 10)
      .map((f) => f.id);
    expect(ids).toEqual([176_400_000_000, 176_400_000_001, 176_400_000_002]);
    const res = await call(s, 'GET', `/fulfillment-requests/${ids[2]}`);
    expect(res.status).toBe(200);
  });
});

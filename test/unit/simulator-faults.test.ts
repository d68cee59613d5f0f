import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultInjector } from '../../simulator/faults';
import { type RunningSimulator, startSimulator } from '../../simulator/server';

// Fault injection: deterministic per seed, per endpoint or for all, set at start or at run time.

let sim: RunningSimulator;

async function get(path: string): Promise<{ status: number; text: string } | { dropped: true }> {
  try {
    const res = await request(`${sim.url}${path}`, { headers: { 'x-api-token': 'dev-token' } });
    return { status: res.statusCode, text: await res.body.text() };
  } catch {
    return { dropped: true };
  }
}

beforeAll(async () => {
  sim = await startSimulator({
    rateLimit: { enabled: false },
    seed: { count: 3 },
    faults: { seed: 42, rules: { 'fr.count': { error5xx: 1, status5xx: 500 } } },
  });
});
afterAll(() => sim.close());

describe('faults', () => {
  it('applies faults configured at start only to their endpoint', async () => {
    sim.state.reset();
    expect(await get('/fulfillment-requests/count?status=NEW')).toMatchObject({ status: 500 });
    expect(await get('/fulfillment-requests/1')).toMatchObject({ status: 200 });
    expect(sim.state.snapshotCounters().faultsInjected).toEqual({ error5xx: 1 });
  });

  it('draws the same fault sequence for the same seed', () => {
    const run = () => {
      const f = new FaultInjector({ seed: 9, rules: { '*': { error5xx: 0.3, drop: 0.2, truncate: 0.2 } } });
      return Array.from({ length: 50 }, () => JSON.stringify(f.plan('fr.list')));
    };
    const a = run();
    expect(run()).toEqual(a);
    expect(new Set(a).size).toBeGreaterThan(2);
  });

  it('injects 429, drops, truncation and schema breaks at run time; a fraction hits only some requests', async () => {
    sim.state.reset();
    sim.state.setFaults({ seed: 3, rules: { '*': { rateLimit429: 1 } } });
    expect(await get('/fulfillment-requests/1')).toMatchObject({ status: 429 });
    sim.state.setFaults({ rules: { 'fr.get': { drop: 1 } } });
    expect(await get('/fulfillment-requests/1')).toEqual({ dropped: true });
    sim.state.setFaults({ rules: { 'fr.get': { truncate: 1 } } });
    const t = await get('/fulfillment-requests/1');
    expect(() => JSON.parse((t as { text: string }).text)).toThrow();
    sim.state.setFaults({ rules: { 'fr.get': { schemaBreak: 1 } } });
    const s = await get('/fulfillment-requests/1');
    expect(JSON.parse((s as { text: string }).text).fulfillmentRequestItems[0].quantity).toBe('two');
    sim.state.setFaults({ seed: 5, rules: { '*': { error5xx: 0.5 } } });
    const statuses = [];
    for (let i = 0; i < 40; i++)
      statuses.push(((await get('/fulfillment-requests/1')) as { status: number }).status);
    expect(statuses.filter((x) => x === 503).length).toBeGreaterThan(5);
    expect(statuses.filter((x) => x === 200).length).toBeGreaterThan(5);
    sim.state.clearFaults();
    expect(await get('/fulfillment-requests/1')).toMatchObject({ status: 200 });
  });

  it('rejects invalid fault rules', () => {
    expect(() => sim.state.setFaults({ rules: { '*': { error5xx: 2 } } })).toThrow(/fraction/);
    expect(() => sim.state.setFaults({ rules: { 'no.such': {} } as never })).toThrow(
      /unknown fault endpoint/,
    );
    expect(() => sim.state.setFaults({ rules: { '*': { bogus: 1 } as never } })).toThrow(
      /unknown fault field/,
    );
  });
});

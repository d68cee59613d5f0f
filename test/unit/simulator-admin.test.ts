import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatorAdminClient, SimulatorAdminError } from '../../simulator/admin-client';
import { type RunningSimulator, startSimulator } from '../../simulator/server';
import { tokenFingerprint } from '../../simulator/state';

// The admin HTTP API through its typed client, as a test or benchmark in another process would use it.

let sim: RunningSimulator;
let admin: SimulatorAdminClient;

async function ack(id: number): Promise<number> {
  const res = await request(`${sim.url}/fulfillment-requests/${id}/acknowledge`, {
    method: 'POST',
    headers: { 'x-api-token': 'dev-token' },
  });
  await res.body.text();
  return res.statusCode;
}

beforeAll(async () => {
  sim = await startSimulator({ rateLimit: { enabled: false } });
  admin = new SimulatorAdminClient(sim.adminUrl);
});
afterAll(() => sim.close());

describe('admin API', () => {
  it('seeds, reads, cancels, voids and acknowledges as someone else', async () => {
    await admin.reset();
    const { ids } = await admin.seed({ count: 4, itemsPerFr: 3, quantity: { min: 2, max: 2 } });
    expect(ids).toEqual([1, 2, 3, 4]);
    const view = await admin.getFr(1);
    expect(view.fr.fulfillmentRequestItems).toHaveLength(3);
    expect(view.fr.fulfillmentRequestItems.every((i) => i.quantity === 2)).toBe(true);
    expect((await admin.cancel(2, 'oos')).fulfillmentRequestStatus.handle).toBe('canceled');
    expect((await admin.void(3)).fulfillmentRequestStatus.handle).toBe('voided');
    expect((await admin.acknowledgeAsSomeoneElse(4)).fulfillmentRequestStatus.handle).toBe('acknowledged');
    await expect(admin.getFr(99)).rejects.toBeInstanceOf(SimulatorAdminError);
    await expect(admin.seed({ count: -1 })).rejects.toThrow(/count must be/);
  });

  it('counts requests per endpoint and per token, and every ack attempt per FR', async () => {
    await admin.reset();
    await admin.seed({ count: 1 });
    expect(await ack(1)).toBe(200);
    expect(await ack(1)).toBe(400);
    const c = await admin.counters();
    expect(c.ackAttemptsByFr).toEqual({ '1': 2 });
    expect(c.ackSuccessByFr).toEqual({ '1': 1 });
    expect(c.requestsByEndpoint['fr.acknowledge']).toBe(2);
    expect(c.requestsByToken).toEqual({ [tokenFingerprint('dev-token')]: 2 });
    expect(JSON.stringify(c)).not.toContain('dev-token');
    await admin.resetCounters();
    expect((await admin.counters()).requestsTotal).toBe(0);
  });

  it('changes rate limit, faults and behaviour at run time, and reset restores the start configuration', async () => {
    await admin.reset();
    expect((await admin.setRateLimit({ burst: 5 })).burst).toBe(5);
    expect((await admin.setFaults({ rules: { 'fr.get': { error5xx: 0.5 } } })).rules['fr.get']).toEqual({
      error5xx: 0.5,
    });
    expect((await admin.setBehavior({ listEnvelope: 'items' })).listEnvelope).toBe('items');
    await expect(admin.setBehavior({ listEnvelope: 'xml' as never })).rejects.toThrow(/listEnvelope/);
    await admin.reset();
    expect(sim.state.rateLimit.enabled).toBe(false);
    expect(sim.state.faults.config.rules).toEqual({});
    expect(sim.state.behavior.listEnvelope).toBe('array');
  });

  it('generates FRs continuously until stopped', async () => {
    await admin.reset();
    await admin.startGenerator({ ratePerSec: 200, maxCount: 10 });
    for (let i = 0; i < 100 && (await admin.generatorStatus()).generated < 10; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const st = await admin.stopGenerator();
    expect(st.generated).toBe(10);
    expect(st.running).toBe(false);
    expect((await admin.health()).frs).toBe(10);
    expect((await admin.counters()).frsGenerated).toBe(10);
  });

  it('is absent when disabled', async () => {
    const off = await startSimulator({ admin: false });
    try {
      const res = await request(`${off.adminUrl}/counters`);
      await res.body.text();
      expect(res.statusCode).toBe(404);
    } finally {
      await off.close();
    }
  });
});

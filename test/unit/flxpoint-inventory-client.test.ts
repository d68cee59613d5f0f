import { MockAgent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlxpointClient } from '../../activities/flxpoint/client';
import { FlxpointError } from '../../activities/flxpoint/errors';
import { buildVariantUpdate } from '../../activities/inventory/variant-update';
import { type RunningSimulator, startSimulator } from '../../simulator/server';

// The inventory methods of the Flxpoint client: against the simulator over real HTTP (bare arrays, per-item
// results inside a 200, an empty 204), and against canned answers for shapes the simulator never sends.

const TOKEN = 'inventory-token-3c9d1e';
const SOURCE = 1001;
let sim: RunningSimulator;

beforeAll(async () => {
  sim = await startSimulator({
    tokens: { [TOKEN]: SOURCE },
    rateLimit: { enabled: false },
    inventory: { count: 60, sourceId: SOURCE, quantity: 1 },
  });
});
afterAll(async () => {
  await sim.close();
});

const client = () => new FlxpointClient({ baseUrl: sim.url, token: TOKEN });

describe('Flxpoint client: inventory', () => {
  it('lists variants by page and by SKUs, validated', async () => {
    const c = client();
    const page = await c.listInventoryVariants({ page: 2, pageSize: 50 });
    expect(page.items).toHaveLength(10);
    expect(page.rawCount).toBe(10);
    const some = await c.listInventoryVariants({ page: 1, pageSize: 50, skus: ['SKU-000003', 'NOPE'] });
    expect(some.items.map((v) => v.sku)).toEqual(['SKU-000003']);
    expect(some.items[0]!.id).toBeGreaterThan(0);
    await expect(c.listInventoryVariants({ page: 1, pageSize: 1, skus: ['a', 'b'] })).rejects.toThrow(
      RangeError,
    );
    await c.close();
  });

  it('writes the SKU list comma-joined or repeated; a server reading the other form finds (almost) nothing', async () => {
    const c = client();
    const skus = ['SKU-000003', 'SKU-000004', 'SKU-000005'];
    const found = async (arrayStyle: 'comma' | 'repeat') =>
      (await c.listInventoryVariants({ page: 1, pageSize: 50, skus, arrayStyle })).items.map((v) => v.sku);
    try {
      for (const form of ['both', 'comma', 'repeat'] as const) {
        sim.state.setBehavior({ arrayQueryForm: form });
        expect(await found('comma'), `${form} server, comma`).toEqual(form === 'repeat' ? [] : skus);
        expect(await found('repeat'), `${form} server, repeat`).toEqual(
          form === 'comma' ? ['SKU-000003'] : skus,
        );
      }
    } finally {
      sim.state.setBehavior({ arrayQueryForm: 'both' });
      await c.close();
    }
  });

  it('PUT returns per-item results (failures inside a 200) or null for an empty answer', async () => {
    const c = client();
    const [a, b] = (await c.listInventoryVariants({ page: 1, pageSize: 2 })).items;
    const update = buildVariantUpdate([
      { row: { sku: a!.sku, quantity: 9 }, inventoryVariantId: a!.id },
      { row: { sku: 'WRONG', quantity: 9 }, inventoryVariantId: b!.id },
    ]);
    const { results } = await c.updateInventoryVariants(update.query, update.body);
    expect(results!.map((r) => [r.sku, r.success])).toEqual([
      [a!.sku, true],
      ['WRONG', false],
    ]);
    expect(sim.state.inventory.bySku(SOURCE, a!.sku)!.quantity).toBe(9);
    sim.state.setBehavior({ inventoryPutResponse: 'empty' });
    const empty = await c.updateInventoryVariants(update.query, update.body.slice(0, 1));
    expect(empty.results).toBeNull();
    sim.state.setBehavior({ inventoryPutResponse: 'results' });
    await c.close();
  });

  it('POST /inventory/parents answers one result per parent with its variants', async () => {
    const c = client();
    const res = await c.upsertInventoryParents([
      { sku: 'P-NEW', title: 'New', variants: [{ sku: 'P-NEW-1', quantity: 2 }] },
    ]);
    expect(res[0]).toMatchObject({ sku: 'P-NEW', success: true, result: 'created' });
    expect(res[0]!.variants![0]).toMatchObject({ sku: 'P-NEW-1', success: true });
    await c.close();
  });

  it('an answer that is not a list of results is a malformed response, not a success', async () => {
    const agent = new MockAgent();
    agent.disableNetConnect();
    const pool = agent.get('http://flx.test');
    pool.intercept({ path: /\/inventory\/variants/, method: 'PUT' }).reply(200, { ok: true });
    pool
      .intercept({ path: /\/inventory\/variants/, method: 'PUT' })
      .reply(200, [{ sku: 'A', success: 'yes' }]);
    const c = new FlxpointClient({ baseUrl: 'http://flx.test', token: TOKEN, dispatcher: agent });
    const body = [{ inventoryVariantId: 1, sku: 'A', quantity: 1 }];
    for (let i = 0; i < 2; i++) {
      const err = await c.updateInventoryVariants({}, body).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(FlxpointError);
      expect((err as FlxpointError).kind).toBe('malformed_response');
      expect((err as Error).message).not.toContain(TOKEN);
    }
    await agent.close();
  });
});

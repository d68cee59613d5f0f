import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatorAdminClient } from '../../simulator/admin-client';
import { type RunningSimulator, startSimulator, type SimulatorOptions } from '../../simulator/server';

// The simulated catalog: GET/PUT /inventory/variants and POST /inventory/parents as the digest (§6) reads
// them, the token's one bucket shared with the FR endpoints, per-item failures inside a 2xx, admin view.

let sim: RunningSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(opts: SimulatorOptions = {}): Promise<RunningSimulator> {
  sim = await startSimulator({
    rateLimit: { enabled: false },
    inventory: { count: 120, sourceId: 1001, quantity: 5 },
    ...opts,
  });
  return sim;
}

async function call(
  method: 'GET' | 'PUT' | 'POST',
  path: string,
  body?: unknown,
  token = 'dev-token',
): Promise<{ status: number; json: unknown; text: string }> {
  const res = await request(`${sim!.url}${path}`, {
    method,
    headers: { 'x-api-token': token, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, json, text };
}

type Variant = { id: number; sku: string; quantity: number | null; cost: number | null; sourceId: number };

describe('simulated inventory', () => {
  it('pages variants (bare array, 1-based), looks up by skus or ids, and only shows the token its source', async () => {
    await start();
    const p1 = (await call('GET', '/inventory/variants?page=1&pageSize=50')).json as Variant[];
    const p3 = (await call('GET', '/inventory/variants?page=3&pageSize=50')).json as Variant[];
    expect(p1).toHaveLength(50);
    expect(p3).toHaveLength(20);
    expect(p1[0]!.sku).toBe('SKU-000001');
    expect(p1.every((v) => v.sourceId === 1001)).toBe(true);
    const bySku = (await call('GET', '/inventory/variants?skus=SKU-000007,SKU-000009&pageSize=10'))
      .json as Variant[];
    expect(bySku.map((v) => v.sku)).toEqual(['SKU-000007', 'SKU-000009']);
    const byId = (await call('GET', `/inventory/variants?ids=${bySku[0]!.id}`)).json as Variant[];
    expect(byId.map((v) => v.sku)).toEqual(['SKU-000007']);
    expect((await call('GET', '/inventory/variants?skus=a,b,c&pageSize=2')).status).toBe(400);
    // Another source's token sees none of them.
    expect((await call('GET', '/inventory/variants', undefined, 'dev-token-2')).json).toEqual([]);
  });

  it('PUT updates exactly the fields whose modify switch says so, reports per-item results, 50 at most', async () => {
    await start({ inventoryModifyDefault: 'none' });
    const [a, b] = (await call('GET', '/inventory/variants?pageSize=2')).json as Variant[];
    const res = await call('PUT', '/inventory/variants?modifyQuantity=update', [
      { inventoryVariantId: a!.id, sku: a!.sku, quantity: 0, cost: 99 },
      { inventoryVariantId: b!.id, sku: 'WRONG', quantity: 1 },
      { inventoryVariantId: 1, sku: 'NOPE', quantity: 1 },
    ]);
    expect(res.status).toBe(200);
    const results = res.json as { sku: string; success: boolean; result: string }[];
    expect(results.map((r) => [r.sku, r.success, r.result])).toEqual([
      [a!.sku, true, 'changed'],
      ['WRONG', false, 'failed'],
      ['NOPE', false, 'failed'],
    ]);
    const after = sim!.state.inventory.bySku(1001, a!.sku)!;
    expect(after.quantity).toBe(0);
    // modifyCost absent and the default is `none`: the cost did not change.
    expect(after.cost).toBeNull();
    // A PUT is absolute: the same batch again changes nothing.
    const again = await call('PUT', '/inventory/variants?modifyQuantity=update', [
      { inventoryVariantId: a!.id, sku: a!.sku, quantity: 0 },
    ]);
    expect((again.json as { result: string }[])[0]!.result).toBe('unchanged');
    expect(sim!.state.snapshotCounters().variantUpdatesBySku).toEqual({ [a!.sku]: 1 });

    const tooMany = Array.from({ length: 51 }, (_, i) => ({ inventoryVariantId: i + 1, sku: `x${i}` }));
    expect((await call('PUT', '/inventory/variants', tooMany)).status).toBe(400);
    expect((await call('PUT', '/inventory/variants', [{ sku: 'no-id' }])).status).toBe(400);
    expect((await call('PUT', '/inventory/variants?modifyQuantity=always', [])).status).toBe(400);
  });

  it('injects per-item failures inside a 200, and can answer an empty 204 instead of results', async () => {
    await start({ faults: { seed: 4, rules: { 'inventory.variants.update': { itemFailure: 0.5 } } } });
    const vs = (await call('GET', '/inventory/variants?pageSize=40')).json as Variant[];
    const res = await call(
      'PUT',
      '/inventory/variants?modifyQuantity=update',
      vs.map((v) => ({ inventoryVariantId: v.id, sku: v.sku, quantity: 1 })),
    );
    expect(res.status).toBe(200);
    const failed = (res.json as { success: boolean }[]).filter((r) => !r.success).length;
    expect(failed).toBeGreaterThan(5);
    expect(failed).toBeLessThan(35);
    expect(sim!.state.snapshotCounters()).toMatchObject({
      inventoryItemsSent: 40,
      inventoryItemFailures: failed,
    });

    sim!.state.clearFaults();
    sim!.state.setBehavior({ inventoryPutResponse: 'empty' });
    const empty = await call('PUT', '/inventory/variants?modifyQuantity=update', [
      { inventoryVariantId: vs[0]!.id, sku: vs[0]!.sku, quantity: 3 },
    ]);
    expect(empty.status).toBe(204);
    expect(sim!.state.inventory.bySku(1001, vs[0]!.sku)!.quantity).toBe(3);
  });

  it('POST /inventory/parents creates unknown SKUs, updates known ones, leaves omitted fields, 20 at most', async () => {
    await start();
    const res = await call('POST', '/inventory/parents', [
      { sku: 'NEW-1', title: 'New', variants: [{ sku: 'NEW-1-A', quantity: 4, cost: 2.5 }] },
      { sku: 'SKU-000001', variants: [{ sku: 'SKU-000001', cost: 7 }] },
    ]);
    expect(res.status).toBe(200);
    const [created, updated] = res.json as { result: string; variants: { result: string }[] }[];
    expect(created!.result).toBe('created');
    expect(created!.variants[0]!.result).toBe('created');
    expect(updated!.variants[0]!.result).toBe('changed');
    const v = sim!.state.inventory.bySku(1001, 'SKU-000001')!;
    expect(v.cost).toBe(7);
    expect(v.quantity).toBe(5); // omitted: unchanged
    expect(sim!.state.inventory.bySku(1001, 'NEW-1-A')).toMatchObject({ quantity: 4, cost: 2.5 });
    const tooMany = Array.from({ length: 21 }, (_, i) => ({ sku: `P${i}` }));
    expect((await call('POST', '/inventory/parents', tooMany)).status).toBe(400);
  });

  it('shares the token bucket with the FR endpoints', async () => {
    await start({ rateLimit: { enabled: true, ratePerSec: 2, burst: 2 }, seed: { count: 1 } });
    const statuses = [
      (await call('GET', '/fulfillment-requests')).status,
      (await call('GET', '/inventory/variants?pageSize=1')).status,
      (await call('GET', '/inventory/variants?pageSize=1')).status,
    ];
    expect(statuses).toEqual([200, 200, 429]);
  });

  it('admin: seed a catalog, read one variant by SKU', async () => {
    await start({ inventory: [] });
    const admin = new SimulatorAdminClient(sim!.adminUrl);
    expect(await admin.seedInventory({ count: 3, sourceId: 1002, prefix: 'B' })).toEqual({ variants: 3 });
    expect(await admin.inventoryVariant('B-000002')).toMatchObject({ sku: 'B-000002', sourceId: 1002 });
    await expect(admin.inventoryVariant('missing')).rejects.toThrow(/No inventory variant/);
  });
});

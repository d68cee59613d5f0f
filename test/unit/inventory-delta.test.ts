import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confirmedState, disappearedRow, stockChanged } from '../../activities/inventory/delta';
import { buildVariantUpdate } from '../../activities/inventory/variant-update';
import { type RunningSimulator, startSimulator } from '../../simulator/server';

// Delta detection and the one PUT built from a batch: only what changed is pushed, and exactly the fields
// the source provides change in Flxpoint (checked against the simulator with absent switches meaning none).

describe('stock delta', () => {
  it('pushes new SKUs and changed fields, not repeats; a field no longer sent is not a change', () => {
    expect(stockChanged({ sku: 'A', quantity: 1 }, undefined)).toBe(true);
    const last = confirmedState({ sku: 'A', quantity: 5, cost: 2 }, undefined);
    expect(last).toEqual({ quantity: 5, cost: 2 });
    expect(stockChanged({ sku: 'A', quantity: 5, cost: 2 }, last)).toBe(false);
    expect(stockChanged({ sku: 'A', quantity: 5 }, last)).toBe(false);
    expect(stockChanged({ sku: 'A', quantity: 4, cost: 2 }, last)).toBe(true);
    expect(stockChanged({ sku: 'A', quantity: 5, cost: 2, msrp: 9 }, last)).toBe(true);
    expect(confirmedState({ sku: 'A', quantity: 0 }, last)).toEqual({ quantity: 0, cost: 2 });
  });

  it('a vanished SKU goes to 0 by default, once, or is left alone', () => {
    expect(disappearedRow('A', { quantity: 3 }, 'zero')).toEqual({ sku: 'A', quantity: 0 });
    expect(disappearedRow('A', { quantity: 0 }, 'zero')).toBeUndefined();
    expect(disappearedRow('A', { quantity: 3 }, 'leave')).toBeUndefined();
  });
});

describe('variant update request', () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await startSimulator({
      rateLimit: { enabled: false },
      inventory: { count: 3, sourceId: 1001, quantity: 9 },
      // Absent switches leave fields alone, so only explicit switches can change anything.
      inventoryModifyDefault: 'none',
    });
    for (const sku of ['SKU-000001', 'SKU-000002', 'SKU-000003']) {
      const v = sim.state.inventory.bySku(1001, sku)!;
      v.cost = 1;
      v.msrp = 50;
    }
  });
  afterAll(() => sim.close());

  it('changes quantity always and other fields only where a row carries them', async () => {
    const v = (sku: string) => sim.state.inventory.bySku(1001, sku)!;
    const req = buildVariantUpdate([
      { row: { sku: 'SKU-000001', quantity: 0, cost: 3 }, inventoryVariantId: v('SKU-000001').id },
      { row: { sku: 'SKU-000002', quantity: 4 }, inventoryVariantId: v('SKU-000002').id },
    ]);
    expect(req.query).toMatchObject({
      modifyQuantity: 'update',
      modifyCost: 'updateNonNull',
      modifyMsrp: 'none',
    });
    const res = await request(`${sim.url}/inventory/variants?${new URLSearchParams(req.query).toString()}`, {
      method: 'PUT',
      headers: { 'x-api-token': 'dev-token', 'content-type': 'application/json' },
      body: JSON.stringify(req.body),
    });
    expect(res.statusCode).toBe(200);
    await res.body.text();
    expect(v('SKU-000001')).toMatchObject({ quantity: 0, cost: 3, msrp: 50 });
    // SKU-000002 sent no cost: Flxpoint keeps its own.
    expect(v('SKU-000002')).toMatchObject({ quantity: 4, cost: 1, msrp: 50 });
    expect(v('SKU-000003')).toMatchObject({ quantity: 9 });
  });

  it('refuses an empty or oversized batch', () => {
    expect(() => buildVariantUpdate([])).toThrow(/1\.\.50/);
    const many = Array.from({ length: 51 }, (_, i) => ({
      row: { sku: `S${i}`, quantity: 1 },
      inventoryVariantId: i + 1,
    }));
    expect(() => buildVariantUpdate(many)).toThrow(/got 51/);
  });
});

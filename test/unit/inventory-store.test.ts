import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore } from '../../store';
import { inventoryStoreOf, type InventoryStore } from '../../store/inventory-store';
import type { FrStore } from '../../store/types';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres';

// The inventory side of the store (migration 4) on both real databases: the embedded PGlite and a real
// PostgreSQL (scripts/postgres.sh). Each test uses its own source id and run key, so they share one store.

let pg: TestPostgres | undefined;
const stores: { name: string; frStore: FrStore; inv: InventoryStore }[] = [];

beforeAll(async () => {
  pg = await startTestPostgres();
  for (const [name, config] of [
    ['embedded', { kind: 'embedded' as const }],
    ['postgres', { kind: 'postgres' as const, url: pg.url }],
  ] as const) {
    const frStore = await createStore(config);
    stores.push({ name, frStore, inv: inventoryStoreOf(frStore) });
  }
}, 600_000);

afterAll(async () => {
  for (const s of stores) await s.frStore.close();
  await pg?.stop();
});

let next = 1;
const ids = () => ({ sourceId: 7000 + next, runKey: `inventory-sync:test/run-${next++}` });

describe.each(['embedded', 'postgres'])('inventory store (%s)', (name) => {
  const inv = () => stores.find((s) => s.name === name)!.inv;

  it('unknown SKUs are offered for creation once per run; created ones get their id and are pushed', async () => {
    const { sourceId, runKey } = ids();
    const rows = ['N-1', 'N-2', 'N-3'].map((sku, i) => ({
      sku,
      row: { sku, quantity: i + 1 },
      variantId: null,
      disappeared: false,
    }));
    await inv().stage(runKey, sourceId, rows);
    expect(await inv().planLookups(runKey, 100)).toBe(1);
    await inv().resolveIds(runKey, sourceId, ['N-1', 'N-2', 'N-3'], []);
    expect((await inv().unknownToCreate(runKey, 2)).map((r) => [r.sku, r.row.quantity])).toEqual([
      ['N-1', 1],
      ['N-2', 2],
    ]);
    // N-1 created, N-2 failed: neither is offered again this run.
    await inv().recordCreated(runKey, sourceId, ['N-1', 'N-2'], [{ sku: 'N-1', variantId: 901 }]);
    expect((await inv().unknownToCreate(runKey, 20)).map((r) => r.sku)).toEqual(['N-3']);
    await inv().recordCreated(runKey, sourceId, ['N-3'], []);
    expect(await inv().unknownToCreate(runKey, 20)).toEqual([]);
    // The created SKU is pending with its id (pushed with the others) and cached for later runs.
    expect(await inv().planBatches(runKey, 50)).toBe(1);
    expect((await inv().batchRows(runKey, sourceId, 0)).map((r) => [r.sku, r.variantId, r.status])).toEqual([
      ['N-1', 901, 'pending'],
    ]);
    expect((await inv().statesOf(sourceId, ['N-1'])).get('N-1')?.variantId).toBe(901);
    expect((await inv().runCounts(runKey, 5)).counts).toMatchObject({ pending: 1, unknown: 2 });
  });

  it('stages a run, learns ids, plans batches of the given size once, settles a batch', async () => {
    const { sourceId, runKey } = ids();
    const rows = Array.from({ length: 7 }, (_, i) => ({
      sku: `S-${i}`,
      row: { sku: `S-${i}`, quantity: i, ...(i === 0 ? { cost: 1.5 } : {}) },
      variantId: i < 2 ? 100 + i : null,
      disappeared: false,
    }));
    await inv().stage(runKey, sourceId, rows);
    // Lookup pages are numbered once, in SKU order, over the SKUs without an id.
    expect(await inv().planLookups(runKey, 3)).toBe(2);
    expect(await inv().planLookups(runKey, 3)).toBe(2);
    expect(await inv().lookupPage(runKey, 0)).toEqual(['S-2', 'S-3', 'S-4']);
    expect(await inv().lookupPage(runKey, 1)).toEqual(['S-5', 'S-6']);
    await inv().resolveIds(
      runKey,
      sourceId,
      ['S-2', 'S-3', 'S-4'],
      [
        { sku: 'S-2', variantId: 102 },
        { sku: 'S-4', variantId: 104 },
      ],
    );
    // Looked up once per run: a retried lookup of page 0 sends nothing; S-3 is unknown now.
    expect(await inv().lookupPage(runKey, 0)).toEqual([]);
    await inv().resolveIds(runKey, sourceId, ['S-5', 'S-6'], []);
    expect(await inv().lookupPage(runKey, 1)).toEqual([]);
    expect(await inv().planLookups(runKey, 3)).toBe(2);
    // The learned ids are cached per SKU for later runs.
    expect(await inv().statesOf(sourceId, ['S-2', 'S-3'])).toEqual(
      new Map([['S-2', { sku: 'S-2', variantId: 102, pushed: null }]]),
    );

    expect(await inv().planBatches(runKey, 2)).toBe(2); // S-0,S-1 | S-2,S-4
    expect(await inv().planBatches(runKey, 2)).toBe(2);
    const b1 = await inv().batchRows(runKey, sourceId, 1);
    expect(b1.map((r) => [r.sku, r.variantId, r.status])).toEqual([
      ['S-2', 102, 'pending'],
      ['S-4', 104, 'pending'],
    ]);
    await inv().settleBatch(runKey, sourceId, {
      confirmed: [{ sku: 'S-2', variantId: 102, pushed: { quantity: 2 } }],
      failed: [{ sku: 'S-4', error: 'Temporary failure' }],
      staleIds: ['S-4'],
    });
    expect((await inv().batchRows(runKey, sourceId, 1)).map((r) => r.status)).toEqual([
      'confirmed',
      'failed',
    ]);
    const states = await inv().statesOf(sourceId, ['S-2', 'S-4']);
    expect(states.get('S-2')).toEqual({ sku: 'S-2', variantId: 102, pushed: { quantity: 2 } });
    // A failed item keeps no confirmed state and forgets its id: pushed and looked up again next run.
    expect(states.get('S-4')).toEqual({ sku: 'S-4', variantId: null, pushed: null });

    const { counts, unknown } = await inv().runCounts(runKey, 10);
    expect(counts).toEqual({ pending: 2, confirmed: 1, failed: 1, unknown: 3 });
    expect(unknown).toEqual(['S-3', 'S-5', 'S-6']);
    await inv().clearRun(runKey);
    expect((await inv().runCounts(runKey, 10)).counts).toEqual({});
  });

  it('pages the confirmed SKUs in order (for disappeared ones) and keeps sources apart', async () => {
    const a = ids();
    const b = ids();
    const confirm = (sourceId: number, skus: string[]) =>
      inv().settleBatch('x', sourceId, {
        confirmed: skus.map((sku, i) => ({ sku, variantId: i + 1, pushed: { quantity: i + 1 } })),
        failed: [],
        staleIds: [],
      });
    await confirm(a.sourceId, ['C', 'A', 'B', 'D']);
    await confirm(b.sourceId, ['Z']);
    const page1 = await inv().pushedAfter(a.sourceId, '', 3);
    expect(page1.map((s) => s.sku)).toEqual(['A', 'B', 'C']);
    expect((await inv().pushedAfter(a.sourceId, 'C', 3)).map((s) => s.sku)).toEqual(['D']);
    expect((await inv().statesOf(a.sourceId, ['Z'])).size).toBe(0);
  });
});

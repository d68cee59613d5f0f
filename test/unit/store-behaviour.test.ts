import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FulfillmentRequestSnapshot, HandlerDecision, ShipmentRecord } from '../../common/domain';
import { createStore } from '../../store';
import { createPostgresStore } from '../../store/postgres-store';
import type { FrStore } from '../../store/types';
import { StoreError } from '../../store/errors';
import { inspectStore } from '../../store/inspection';
import { databaseOf } from '../../store/sql-store';
import { shadowStoreOf } from '../../store/shadow-store';
import { freePort } from '../helpers/ports';
import { startTestPostgres } from '../helpers/postgres';

// One behavioural suite, two real databases: the embedded PGlite store and a real PostgreSQL server that
// scripts/postgres.sh starts in a temp dir (test/helpers/postgres.ts). Each test uses its own FR ids and
// compares stats as deltas, so the tests share one store per implementation.

interface Impl {
  name: string;
  open: () => Promise<{ store: FrStore; dispose: () => Promise<void> }>;
}

const impls: Impl[] = [
  {
    name: 'embedded (PGlite, in memory)',
    open: async () => {
      const store = await createStore({ kind: 'embedded' });
      return { store, dispose: () => store.close() };
    },
  },
  {
    name: 'postgres (pg Pool, real server)',
    open: async () => {
      const server = await startTestPostgres();
      try {
        const store = await createStore({ kind: 'postgres', url: server.url });
        return {
          store,
          dispose: async () => {
            await store.close();
            await server.stop();
          },
        };
      } catch (err) {
        await server.stop();
        throw err;
      }
    },
  },
];

let nextFrId = 1000;
function fr(id = nextFrId++): FulfillmentRequestSnapshot {
  return {
    id,
    fulfillmentRequestNumber: `FR-${id}`,
    sourceId: 7,
    statusHandle: 'processing',
    fulfillmentRequestItems: [
      { id: id * 10 + 1, sku: 'A', quantity: 2 },
      { id: id * 10 + 2, sku: 'B', quantity: 3 },
    ],
    shippingAddress: { city: 'Tampa' },
  };
}
const accept: HandlerDecision = { kind: 'accept' };
const reject: HandlerDecision = { kind: 'reject', reason: 'no stock', killOrFillType: 'fill' };

describe.each(impls)('FrStore: $name', (impl) => {
  let store: FrStore;
  let dispose: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ store, dispose } = await impl.open());
  }, 600_000);
  afterAll(async () => {
    await dispose?.();
  }, 60_000);

  const commit = (f: FulfillmentRequestSnapshot, decision: HandlerDecision, workflowId = `fr:7:${f.id}`) =>
    store.commit({ sourceId: 7, frId: f.id, workflowId, fr: f, decision });

  it('migrate is idempotent, also concurrently', async () => {
    await store.migrate();
    await Promise.all([store.migrate(), store.migrate()]);
    const f = fr();
    expect((await commit(f, accept)).inserted).toBe(true);
  });

  it('commits once; a replay returns the stored record and the first decision', async () => {
    const f = fr();
    const first = await commit(f, accept);
    expect(first.inserted).toBe(true);
    expect(first.record).toMatchObject({
      sourceId: 7,
      frId: f.id,
      frNumber: `FR-${f.id}`,
      workflowId: `fr:7:${f.id}`,
      decision: accept,
      flxpointOutcome: null,
    });
    expect(new Date(first.record.committedAt).toISOString()).toBe(first.record.committedAt);

    const replay = await commit(f, reject, 'fr:7:other-run');
    expect(replay.inserted).toBe(false);
    expect(replay.record).toEqual(first.record);
    expect(await store.get(7, f.id)).toEqual(first.record);
  });

  it('get returns undefined for an FR never committed', async () => {
    expect(await store.get(7, 999_999_999)).toBeUndefined();
  });

  it('concurrent duplicate commits insert exactly once and agree on the decision', async () => {
    const f = fr();
    const before = await inspectStore(store).stats();
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => commit(f, i % 2 ? accept : reject, `fr:7:${f.id}:${i}`)),
    );
    expect(results.filter((r) => r.inserted)).toHaveLength(1);
    const winner = results.find((r) => r.inserted)!.record;
    for (const r of results) expect(r.record).toEqual(winner);
    const after = await inspectStore(store).stats();
    expect(after.committed - before.committed).toBe(1);
    expect(after.commitSideEffects - before.commitSideEffects).toBe(1);
  });

  it('stats: one side effect per first commit, none per replay', async () => {
    const before = await inspectStore(store).stats();
    const frs = [fr(), fr(), fr()];
    for (const f of frs) await commit(f, accept);
    for (const f of frs) await commit(f, accept);
    await Promise.all(frs.map((f) => commit(f, reject)));
    const after = await inspectStore(store).stats();
    expect(after.committed - before.committed).toBe(3);
    expect(after.commitSideEffects - before.commitSideEffects).toBe(3);
    expect(after.commitSideEffects).toBe(after.committed);
  });

  it('records outcomes, last write wins, also before a commit', async () => {
    const f = fr();
    await store.recordOutcome(7, f.id, 'processing_failed');
    await commit(f, accept);
    expect((await store.get(7, f.id))?.flxpointOutcome).toBe('processing_failed');
    await store.recordOutcome(7, f.id, 'acknowledged');
    await store.recordOutcome(7, f.id, 'acknowledged');
    expect((await store.get(7, f.id))?.flxpointOutcome).toBe('acknowledged');
    await store.recordOutcome(7, f.id, 'shipped');
    expect((await store.get(7, f.id))?.flxpointOutcome).toBe('shipped');
    // The decision is untouched by outcomes.
    expect((await store.get(7, f.id))?.decision).toEqual(accept);
  });

  it('shipments are unique per tracking number; a retry fills in the Flxpoint id only', async () => {
    const f = fr();
    await commit(f, accept);
    const before = await inspectStore(store).stats();
    const ship = (trackingNumber: string, qty = 1): ShipmentRecord => ({
      trackingNumber,
      carrier: 'UPS',
      items: [{ id: f.id * 10 + 1, quantity: qty }],
    });
    expect(
      await store.recordShipment({
        sourceId: 7,
        frId: f.id,
        trackingNumber: '1Z1',
        shipment: ship('1Z1'),
        flxpointShipmentId: null,
      }),
    ).toEqual({ inserted: true });
    expect(
      await store.recordShipment({
        sourceId: 7,
        frId: f.id,
        trackingNumber: '1Z1',
        shipment: ship('1Z1', 2),
        flxpointShipmentId: 55,
      }),
    ).toEqual({ inserted: false });
    const concurrent = await Promise.all(
      [1, 2, 3].map(() =>
        store.recordShipment({
          sourceId: 7,
          frId: f.id,
          trackingNumber: '1Z2',
          shipment: ship('1Z2'),
          flxpointShipmentId: 56,
        }),
      ),
    );
    expect(concurrent.filter((r) => r.inserted)).toHaveLength(1);
    // Same tracking number on another FR is a different shipment.
    const other = fr();
    expect(
      (
        await store.recordShipment({
          sourceId: 7,
          frId: other.id,
          trackingNumber: '1Z1',
          shipment: ship('1Z1'),
          flxpointShipmentId: null,
        })
      ).inserted,
    ).toBe(true);

    const list = await inspectStore(store).listShipments(7, f.id);
    expect(list.map((s) => s.trackingNumber).sort()).toEqual(['1Z1', '1Z2']);
    const z1 = list.find((s) => s.trackingNumber === '1Z1')!;
    expect(z1.shipment.items[0]?.quantity).toBe(1); // the first record is kept
    expect(z1.flxpointShipmentId).toBe(55);
    expect(new Date(z1.recordedAt).toISOString()).toBe(z1.recordedAt);
    expect((await inspectStore(store).stats()).shipments - before.shipments).toBe(3);
    expect(await inspectStore(store).listShipments(7, 424_242)).toEqual([]);
  });

  it('keeps FR ids above 2^31 exact', async () => {
    const f = fr(5_000_000_001);
    const r = await commit(f, accept);
    expect(r.record.frId).toBe(5_000_000_001);
    expect((await store.get(7, 5_000_000_001))?.frId).toBe(5_000_000_001);
  });

  it('stores text PostgreSQL refuses (NUL, lone surrogates) with U+FFFD in their place', async () => {
    // Issue 10 row 2: without this, jsonb refuses the commit and text the shipment on every attempt.
    const f = {
      ...fr(),
      fulfillmentRequestNumber: 'FR-\u0000-1',
      shipToName: 'Ann\u0000 Lee',
      note: 'half a pair \uD83D here',
      'key\u0000': ['a\u0000b', { deep: '\u0000' }],
    } as FulfillmentRequestSnapshot;
    const decision: HandlerDecision = { kind: 'reject', reason: 'bad\u0000sku', killOrFillType: 'fill' };
    const r = await commit(f, decision);
    expect(r.inserted).toBe(true);
    expect(r.record.frNumber).toBe('FR-\uFFFD-1');
    expect(r.record.decision).toEqual({ ...decision, reason: 'bad\uFFFDsku' });
    const [row] = await databaseOf(store)!.query<{ fr: Record<string, unknown> }>(
      'SELECT fr FROM committed_frs WHERE source_id = 7 AND fr_id = $1',
      [f.id],
    );
    expect(row!.fr).toMatchObject({
      shipToName: 'Ann\uFFFD Lee',
      note: 'half a pair \uFFFD here',
      'key\uFFFD': ['a\uFFFDb', { deep: '\uFFFD' }],
    });
    const tn = '1Z\u0000NUL';
    const shipment: ShipmentRecord = {
      trackingNumber: tn,
      carrier: 'U\u0000PS',
      items: [{ id: 1, quantity: 1 }],
    };
    const rec = { sourceId: 7, frId: f.id, trackingNumber: tn, shipment, flxpointShipmentId: 9 };
    expect(await store.recordShipment(rec)).toEqual({ inserted: true });
    expect(await store.recordShipment(rec)).toEqual({ inserted: false }); // still idempotent
    const [stored] = await inspectStore(store).listShipments(7, f.id);
    expect(stored).toMatchObject({ trackingNumber: '1Z\uFFFDNUL', shipment: { carrier: 'U\uFFFDPS' } });
  });

  it('a refused statement names the FR and the problem, never the data; data errors are deterministic', async () => {
    // Issue 10 row 11: driver errors carry the parameters (the whole FR); the SDK logs them at every attempt.
    const f = { ...fr(), shipToName: 'Grace Hopper', email: 'grace@example.com', phone: '+1 555 0100' };
    await commit(f, accept);
    const err = await store
      .recordShipment({
        sourceId: 7,
        frId: f.id,
        trackingNumber: '1Z-PII',
        shipment: { trackingNumber: '1Z-PII', carrier: 'Grace Hopper grace@example.com', items: [] },
        flxpointShipmentId: 1.5, // not a bigint: PostgreSQL refuses it (22P02) on every attempt
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(StoreError);
    const e = err as StoreError;
    expect(e.message).toMatch(new RegExp(`shipment record of FR 7/${f.id} failed: .*SQLSTATE 22P02`));
    expect(e.deterministic).toBe(true);
    const everything = JSON.stringify({ ...e, message: e.message, stack: e.stack });
    for (const pii of ['Grace', 'grace@example.com', '555 0100']) expect(everything).not.toContain(pii);
  });

  it('shadow mode: a shadow commit stays in its own tables and never makes the live commit a no-op', async () => {
    const f = fr();
    const shadow = shadowStoreOf(store);
    const before = await inspectStore(store).stats();
    const shadowed = await shadow.commit({
      sourceId: 7,
      frId: f.id,
      workflowId: `shadow:fr:7:${f.id}`,
      fr: f,
      decision: reject,
    });
    expect(shadowed).toMatchObject({ inserted: true, record: { decision: reject } });
    expect(
      (await shadow.commit({ sourceId: 7, frId: f.id, workflowId: 'x', fr: f, decision: accept })).record,
    ).toMatchObject({ decision: reject, workflowId: `shadow:fr:7:${f.id}` });
    await shadow.recordOutcome(7, f.id, 'rejected');
    expect(
      (
        await shadow.recordShipment({
          sourceId: 7,
          frId: f.id,
          trackingNumber: 'S1',
          shipment: { trackingNumber: 'S1', items: [] },
          flxpointShipmentId: 0,
        })
      ).inserted,
    ).toBe(true);
    expect(await store.get(7, f.id)).toBeUndefined();
    expect(await inspectStore(store).stats()).toEqual(before);
    // The switch to live: the live commit inserts, with its own decision, and its outbox row.
    const live = await commit(f, accept);
    expect(live).toMatchObject({ inserted: true, record: { decision: accept, flxpointOutcome: null } });
    expect((await inspectStore(store).stats()).commitSideEffects).toBe(before.commitSideEffects + 1);
    expect((await shadow.get(7, f.id))?.flxpointOutcome).toBe('rejected');
    // Recorded writes: once per (workflow, run, activity, seq), with the FR id and the request.
    const write = {
      workflowId: `shadow:fr:7:${f.id}`,
      runId: 'r1',
      activityId: '5',
      seq: 0,
      sourceId: 7,
      frId: f.id,
      endpoint: 'adjust',
      method: 'POST',
      path: `/fulfillment-requests/${f.id}/adjust`,
      query: null,
      body: { items: [{ id: 1, acknowledgedQuantity: 0, cancelledQuantity: 2 }], note: 'a\u0000b' },
    };
    expect(await shadow.recordWrite(write)).toEqual({ inserted: true });
    expect(await shadow.recordWrite(write)).toEqual({ inserted: false });
    expect(await shadow.listWrites(write.workflowId)).toEqual([
      { ...write, body: { ...write.body, note: 'a\uFFFDb' }, recordedAt: expect.any(String) },
    ]);
  });

  it('rejects malformed ids before touching the database', async () => {
    await expect(commit({ ...fr(), id: 1.5 }, accept)).rejects.toThrow(/frId must be a non-negative integer/);
    await expect(
      store.recordShipment({
        sourceId: 7,
        frId: 1,
        trackingNumber: '',
        shipment: { trackingNumber: '', items: [] },
        flxpointShipmentId: null,
      }),
    ).rejects.toThrow(/trackingNumber/);
  });
});

describe('postgres store: secrets stay out of errors', () => {
  it('a failed connection does not echo the password', async () => {
    const port = await freePort(); // nothing listens there
    const secret = 'S3cr3t-p4ss';
    const store = createPostgresStore({
      connectionString: `postgresql://app:${secret}@127.0.0.1:${port}/flxpoint`,
    });
    try {
      const err = await store.migrate().then(
        () => undefined,
        (e: Error) => e,
      );
      expect(err).toBeInstanceOf(Error);
      expect(String(err?.message) + String(err?.stack)).not.toContain(secret);
      expect((err as Error & { code?: string }).code).toBe('ECONNREFUSED');
    } finally {
      await store.close();
    }
  });
});

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FulfillmentRequestSnapshot } from '../../common/domain';
import { createStore, storeConfigFromUrl } from '../../store';
import { createEmbeddedStore } from '../../store/embedded-store';
import { inspectStore } from '../../store/inspection';

// What only the embedded store has: a data directory on disk that must survive a restart, and that two
// processes must never open at once.

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'flx-store-embedded-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const fr: FulfillmentRequestSnapshot = {
  id: 42,
  fulfillmentRequestNumber: 'FR-42',
  fulfillmentRequestItems: [{ id: 421, sku: 'A', quantity: 1 }],
};

describe('embedded store on disk', () => {
  it('persists commits, outcomes and shipments across close and reopen', async () => {
    const dataDir = join(tempDir(), 'store');
    const first = await createStore({ kind: 'embedded', dataDir });
    await first.commit({ sourceId: 1, frId: 42, workflowId: 'fr:1:42', fr, decision: { kind: 'accept' } });
    await first.recordOutcome(1, 42, 'acknowledged');
    await first.recordShipment({
      sourceId: 1,
      frId: 42,
      trackingNumber: 'T1',
      shipment: { trackingNumber: 'T1', items: [{ id: 421, quantity: 1 }] },
      flxpointShipmentId: 9,
    });
    await first.close();
    await first.close(); // closing twice is harmless

    const second = await createStore({ kind: 'embedded', dataDir });
    try {
      const replay = await second.commit({
        sourceId: 1,
        frId: 42,
        workflowId: 'fr:1:42',
        fr,
        decision: { kind: 'fail', reason: 'late' },
      });
      expect(replay.inserted).toBe(false);
      expect(replay.record).toMatchObject({ decision: { kind: 'accept' }, flxpointOutcome: 'acknowledged' });
      expect(await inspectStore(second).listShipments(1, 42)).toMatchObject([
        { trackingNumber: 'T1', flxpointShipmentId: 9 },
      ]);
      expect(await inspectStore(second).stats()).toEqual({
        committed: 1,
        commitSideEffects: 1,
        shipments: 1,
      });
    } finally {
      await second.close();
    }
  });

  it('refuses a second open of the same directory and releases it on close', async () => {
    const dataDir = join(tempDir(), 'store');
    const first = await createEmbeddedStore({ dataDir });
    await expect(createEmbeddedStore({ dataDir })).rejects.toThrow(/already open .*use PostgreSQL/);
    await first.close();
    expect(existsSync(`${dataDir}.lock`)).toBe(false);
    const again = await createEmbeddedStore({ dataDir });
    await again.close();
  });

  it('takes over the lock of a process that died', async () => {
    const dataDir = join(tempDir(), 'store');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${dataDir}.lock`, '2147483646'); // no such pid
    const store = await createEmbeddedStore({ dataDir });
    await store.close();
  });
});

describe('storeConfigFromUrl', () => {
  it('reads the STORE_URL forms', () => {
    expect(storeConfigFromUrl('embedded')).toEqual({ kind: 'embedded' });
    expect(storeConfigFromUrl('embedded:.data/store')).toEqual({ kind: 'embedded', dataDir: '.data/store' });
    expect(storeConfigFromUrl('postgres://u:p@h:5432/db')).toEqual({
      kind: 'postgres',
      url: 'postgres://u:p@h:5432/db',
    });
    expect(storeConfigFromUrl('postgresql://h/db')).toEqual({ kind: 'postgres', url: 'postgresql://h/db' });
  });

  it('rejects anything else without echoing it (it may hold a password)', () => {
    expect(() => storeConfigFromUrl('mysql://u:hunter2@h/db')).toThrow(/must be "embedded"/);
    expect(() => storeConfigFromUrl('mysql://u:hunter2@h/db')).not.toThrow(/hunter2/);
  });
});

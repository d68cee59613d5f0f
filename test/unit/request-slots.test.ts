import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore } from '../../store';
import { createPostgresRequestSlots, type RequestSlots } from '../../store/request-slots';
import type { FrStore } from '../../store/types';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres';

// Two RequestSlots on one database stand for two worker replicas: together they must not send one
// source's requests faster than its rate (two in-process pacers would each send at the full rate).
// Only lower bounds on elapsed time are asserted (a busy machine makes everything slower, never faster).

const RATE = 20; // per second: 50 ms apart
const TAKES = 12;

describe('request slots shared by replicas (PostgreSQL)', () => {
  let pg: TestPostgres;
  let store: FrStore;
  const slots: RequestSlots[] = [];

  beforeAll(async () => {
    pg = await startTestPostgres();
    store = await createStore({ kind: 'postgres', url: pg.url }); // runs the migrations
    slots.push(createPostgresRequestSlots(pg.url), createPostgresRequestSlots(pg.url));
  }, 600_000);
  afterAll(async () => {
    for (const s of slots) await s.close();
    await store?.close();
    await pg?.stop();
  });

  async function elapsedMs(takes: (() => Promise<void>)[]): Promise<number> {
    const t0 = performance.now();
    await Promise.all(takes.map((take) => take()));
    return performance.now() - t0;
  }

  it('spaces one source across both replicas: n requests take at least (n - 1) / rate', async () => {
    const a = slots[0]!.pacerFor(1, RATE);
    const b = slots[1]!.pacerFor(1, RATE);
    const ms = await elapsedMs(Array.from({ length: TAKES }, (_, i) => (i % 2 ? a.take : b.take)));
    expect(ms).toBeGreaterThanOrEqual(((TAKES - 1) * 1000) / RATE - 5);
  });

  it('keeps sources apart: another source does not wait behind this one', async () => {
    // Source 3's next slot is 100 s away; source 2's first slot is now.
    const busy = slots[0]!.pacerFor(3, 0.01);
    await busy.take();
    const other = slots[1]!.pacerFor(2, 0.01);
    const t0 = performance.now();
    await other.take();
    expect(performance.now() - t0).toBeLessThan(50_000);
  });
});
